package specs

import (
	"runtime"
	"strings"
	"testing"
)

func TestLockLocation(t *testing.T) {
	t.Parallel()
	got := mustLoad(t, "cloud {\n  target = \"aws\"\n  lock = \"s3://locks/blog/apply.lock\"\n}\n"+minimalTail, Options{}).Cloud.Lock
	if got != "s3://locks/blog/apply.lock" {
		t.Errorf("lock = %q", got)
	}
	runBadCases(t, []badCase{
		{name: "not s3", src: "cloud {\n  lock = \"https://x/y\"\n}\n" + minimalTail, want: []string{"bad.hcl:2:10:", "Invalid lock"}},
		{name: "no key", src: "cloud {\n  lock = \"s3://bucket\"\n}\n" + minimalTail, want: []string{"bad.hcl:2:10:", "Invalid lock"}},
	})
}

// allocated runs f and returns the bytes it allocated. It is testkit.Allocated, copied:
// this package's tests are internal, and testkit imports specs (an import cycle).
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// The inputs that crashed or exhausted memory give a positioned error, in bounded memory.
func TestHostileInputsAreBounded(t *testing.T) {
	const memLimit = 256 << 20
	deep := strings.Repeat("(", 100000) + "1" + strings.Repeat(")", 100000)
	cases := []badCase{
		{name: "100000 parentheses", src: "locals {\n  x = " + deep + "\n}\n" + minimalTail,
			want: []string{"bad.hcl:2:106:", "Expression nested too deeply"}},
		{name: "nested lists", src: "locals {\n  x = " + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + "\n}\n" + minimalTail,
			want: []string{"bad.hcl:2:106:", "nested too deeply"}},
		{name: "nested templates", src: "locals {\n  x = " + strings.Repeat(`"${`, 3000) + "1" + strings.Repeat(`}"`, 3000) + "\n}\n" + minimalTail,
			want: []string{"bad.hcl:2:", "nested too deeply"}},
		{name: "unary chain", src: "locals {\n  x = " + strings.Repeat("!", 100000) + "true\n}\n" + minimalTail,
			want: []string{"bad.hcl:2:106:", "nested too deeply"}},
		{name: "conditional chain", src: "locals {\n  x = " + strings.Repeat("true ? 1 : ", 100000) + "2\n}\n" + minimalTail,
			want: []string{"bad.hcl:2:", "nested too deeply"}},
		{name: "setproduct", src: "locals {\n  x = setproduct(range(100), range(100), range(100), range(100))\n}\n" + minimalTail,
			want: []string{"bad.hcl:2:7:", `Call to function "setproduct" failed`, "limit is 100000"}},
		{name: "format width", src: "locals {\n  x = format(\"%999999999d\", 1)\n}\n" + minimalTail,
			want: []string{"bad.hcl:2:7:", `"format" failed`}},
		{name: "replace blow-up", src: "locals {\n  a = join(\"\", [for i in range(1000) : \"aaaaaaaaaa\"])\n  x = replace(local.a, \"/(?:)/\", local.a)\n}\n" + minimalTail,
			want: []string{"bad.hcl:3:7:", `"replace" failed`}},
		{name: "doubling locals", src: "locals {\n  a = join(\"\", [for i in range(1000) : \"aaaaaaaaaa\"])\n  b = \"${local.a}${local.a}\"\n  c = \"${local.b}${local.b}\"\n  d = \"${local.c}${local.c}\"\n  e = \"${local.d}${local.d}\"\n}\n" + minimalTail,
			want: []string{"bad.hcl:6:7:", "Value too large", "local.e"}},
		{name: "deep jsondecode", src: "locals {\n  x = jsondecode(\"" + strings.Repeat("[", 100000) + "\")\n}\n" + minimalTail,
			want: []string{"bad.hcl:2:7:", "nested more than 100 levels"}},
		{name: "deep -var", src: "variable \"n\" {\n  type = number\n}\n" + minimalTail,
			opts: Options{Vars: []string{"n=" + deep}}, want: []string{"Invalid value for variable", "may nest at most 100 levels"}},
	}
	for _, tc := range cases {
		if n := allocated(func() { runBadCases(t, []badCase{tc}) }); n > memLimit {
			t.Errorf("%s: allocated %d MiB, more than %d MiB", tc.name, n>>20, memLimit>>20)
		}
	}
}

func TestDeepJSONVarFile(t *testing.T) {
	t.Parallel()
	dir := writeFiles(t, map[string]string{
		"spec.hcl": "variable \"v\" {}\n" + minimalTail,
		"x.json":   `{"v": ` + strings.Repeat("[", 100000) + `}`,
	})
	_, _, diags := Load(dir+"/spec.hcl", Options{VarFiles: []string{dir + "/x.json"}})
	if !diags.HasErrors() || !strings.Contains(diags.Error(), "x.json:1,106") || !strings.Contains(diags.Error(), "nested too deeply") {
		t.Fatalf("diags = %v", diags)
	}
}

// An ordinary spec stays well inside the bounds.
func TestBoundsLeaveRealSpecsAlone(t *testing.T) {
	t.Parallel()
	mustLoad(t, "locals {\n  zones = setproduct([\"a\", \"b\"], range(3))\n  s = format(\"%05d-%s\", 7, join(\",\", [\"x\", \"y\"]))\n  r = replace(\"web-1\", \"-\", \"_\")\n  j = jsondecode(\"[[1],[2]]\")\n  c = true ? (false ? 1 : 2) : -(-3)\n}\n"+minimalTail, Options{})
}
