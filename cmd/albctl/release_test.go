package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The release configuration is checked by `goreleaser check` in `make release-snapshot`;
// compiling goreleaser takes minutes, so `go test` checks the parts albctl depends on here,
// reading the file's block-style YAML by indentation (docs/release.md, "What checks it").

// yamlSection is the text of a top-level key of a block-style YAML file: from "key:" to the
// next line that starts in column 0.
func yamlSection(t *testing.T, text, key string) string {
	t.Helper()
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		if l != key+":" {
			continue
		}
		end := i + 1
		for end < len(lines) && (lines[end] == "" || strings.HasPrefix(lines[end], " ") || strings.HasPrefix(lines[end], "#")) {
			end++
		}
		return strings.Join(lines[i+1:end], "\n")
	}
	t.Fatalf("no top-level %q", key)
	return ""
}

// yamlValues is the value of key inside a section: a scalar, a flow list [a, b], or the
// "- item" lines indented under it. The key must occur once in the section.
func yamlValues(t *testing.T, section, key string) []string {
	t.Helper()
	keyRe := regexp.MustCompile(`^(\s*)(?:- )?` + regexp.QuoteMeta(key) + `:(.*)$`)
	lines := strings.Split(section, "\n")
	var found []string
	count := 0
	for i, l := range lines {
		m := keyRe.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		count++
		indent := len(m[1])
		if v := yamlScalar(m[2]); v != "" {
			if strings.HasPrefix(v, "[") && strings.HasSuffix(v, "]") {
				for _, item := range strings.Split(strings.Trim(v, "[]"), ",") {
					found = append(found, yamlScalar(item))
				}
			} else {
				found = append(found, v)
			}
			continue
		}
		for _, item := range lines[i+1:] {
			trimmed := strings.TrimSpace(item)
			if trimmed == "" || strings.HasPrefix(trimmed, "#") {
				continue
			}
			// A block list may sit at the key's own indentation (YAML allows it), not left of it.
			if !strings.HasPrefix(trimmed, "- ") || len(item)-len(strings.TrimLeft(item, " ")) < indent {
				break
			}
			found = append(found, yamlScalar(strings.TrimPrefix(trimmed, "- ")))
		}
	}
	if count != 1 {
		t.Fatalf("%q occurs %d times in the section, want once:\n%s", key, count, section)
	}
	return found
}

// yamlScalar strips a trailing comment and quotes.
func yamlScalar(s string) string {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, `"`) {
		if i := strings.Index(s, " #"); i >= 0 {
			s = strings.TrimSpace(s[:i])
		}
		return s
	}
	if end := strings.Index(s[1:], `"`); end >= 0 {
		return s[1 : end+1]
	}
	return s
}

func readRepoFile(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// goreleaserLdflags is the -ldflags of the albctl build in .goreleaser.yaml.
func goreleaserLdflags(t *testing.T) string {
	t.Helper()
	flags := yamlValues(t, yamlSection(t, readRepoFile(t, ".goreleaser.yaml"), "builds"), "ldflags")
	if len(flags) != 1 {
		t.Fatalf("ldflags = %q, want one line", flags)
	}
	return flags[0]
}

// TestGoreleaserConfig: the four archives the README and the composite action promise,
// static binaries, sha256 checksums, and the version stamped into the variable that
// 'albctl version' prints.
func TestGoreleaserConfig(t *testing.T) {
	text := readRepoFile(t, ".goreleaser.yaml")
	builds := yamlSection(t, text, "builds")
	want := map[string][]string{
		"main":   {"./cmd/albctl"},
		"binary": {"albctl"},
		"goos":   {"darwin", "linux"},
		"goarch": {"amd64", "arm64"},
		"env":    {"CGO_ENABLED=0"},
	}
	for key, w := range want {
		got := yamlValues(t, builds, key)
		slices.Sort(got)
		if !slices.Equal(got, w) {
			t.Errorf("builds.%s = %q, want %q", key, got, w)
		}
	}
	archives := yamlSection(t, text, "archives")
	if got := yamlValues(t, archives, "formats"); !slices.Equal(got, []string{"tar.gz"}) {
		t.Errorf("archives.formats = %q, want [tar.gz]", got)
	}
	if got, w := archiveName(t, "0.1.0", "linux", "arm64"), "albctl_0.1.0_linux_arm64"; got != w {
		t.Errorf("archive name for 0.1.0 linux/arm64 = %q, want %q (action/install.sh downloads that name)", got, w)
	}
	checksum := yamlSection(t, text, "checksum")
	if got := yamlValues(t, checksum, "name_template"); !slices.Equal(got, []string{"checksums.txt"}) {
		t.Errorf("checksum.name_template = %q, want checksums.txt (action/install.sh reads it)", got)
	}
	if got := yamlValues(t, checksum, "algorithm"); !slices.Equal(got, []string{"sha256"}) {
		t.Errorf("checksum.algorithm = %q, want sha256", got)
	}

	stamped := regexp.MustCompile(`-X main\.(\w+)=v\{\{ \.Version \}\}`).FindStringSubmatch(goreleaserLdflags(t))
	if stamped == nil {
		t.Fatalf("ldflags %q do not stamp -X main.NAME=v{{ .Version }}", goreleaserLdflags(t))
	}
	if !packageStringVar(t, stamped[1]) {
		t.Errorf("ldflags stamp main.%s, which is not a package-level string variable of cmd/albctl", stamped[1])
	}
}

// archiveName renders the archive name_template for one version and platform.
func archiveName(t *testing.T, version, goos, goarch string) string {
	t.Helper()
	names := yamlValues(t, yamlSection(t, readRepoFile(t, ".goreleaser.yaml"), "archives"), "name_template")
	if len(names) != 1 {
		t.Fatalf("archives.name_template = %q", names)
	}
	r := strings.NewReplacer("{{ .ProjectName }}", "albctl", "{{ .Version }}", version, "{{ .Os }}", goos, "{{ .Arch }}", goarch)
	name := r.Replace(names[0])
	if strings.Contains(name, "{{") {
		t.Fatalf("archive name_template %q uses more than ProjectName, Version, Os and Arch", names[0])
	}
	return name
}

// packageStringVar reports whether package main declares a package-level variable name
// initialised, if at all, with a string literal: what -X can set.
func packageStringVar(t *testing.T, name string) bool {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range file.Decls {
			gen, ok := decl.(*ast.GenDecl)
			if !ok || gen.Tok != token.VAR {
				continue
			}
			for _, spec := range gen.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if n.Name != name {
						continue
					}
					if ident, ok := vs.Type.(*ast.Ident); ok && ident.Name == "string" {
						return true
					}
					if i < len(vs.Values) {
						lit, ok := vs.Values[i].(*ast.BasicLit)
						return ok && lit.Kind == token.STRING
					}
				}
			}
		}
	}
	return false
}
