package simserve

import (
	"flag"
	"os"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the operations list in docs/sim-serve.md")

const docPath = "../../docs/sim-serve.md"

// docOps is the generated list between the markers of docs/sim-serve.md.
var docOps = regexp.MustCompile(`(?s)(<!-- operations:begin[^\n]*-->\n)(.*?)(<!-- operations:end -->)`)

// TestDocListsOperations: the list of served operations in docs/sim-serve.md is the list
// the code serves (go test -run TestDocListsOperations -update rewrites it).
func TestDocListsOperations(t *testing.T) {
	doc, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	m := docOps.FindSubmatchIndex(doc)
	if m == nil {
		t.Fatal("docs/sim-serve.md has no operations:begin/end markers")
	}
	var want strings.Builder
	for _, op := range Operations() {
		svc, name, _ := strings.Cut(op, ":")
		want.WriteString("- " + svc + ": " + name + "\n")
	}
	got := string(doc[m[4]:m[5]])
	if got == want.String() {
		return
	}
	if *update {
		out := string(doc[:m[4]]) + want.String() + string(doc[m[5]:])
		if err := os.WriteFile(docPath, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("docs/sim-serve.md lists other operations than the code serves; run go test ./internal/simserve -run TestDocListsOperations -update.\ndoc:\n%s\ncode:\n%s", got, want.String())
}
