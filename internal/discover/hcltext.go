package discover

import (
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
)

// commentWidth is where comment lines wrap, indentation included.
const commentWidth = 96

// comment appends "# " lines to body, wrapping each paragraph to commentWidth at indent.
func comment(body *hclwrite.Body, indent int, paragraphs ...string) {
	var toks hclwrite.Tokens
	for _, p := range paragraphs {
		for _, line := range wrapText(p, commentWidth-indent-2) {
			toks = append(toks, &hclwrite.Token{Type: hclsyntax.TokenComment, Bytes: []byte(strings.TrimRight("# "+line, " ") + "\n")})
		}
	}
	body.AppendUnstructuredTokens(toks)
}

// wrapText wraps s at width on spaces; a word longer than width (an ARN) gets its own line.
// Leading spaces of s (an indented list item) are kept on continuation lines.
func wrapText(s string, width int) []string {
	indent := len(s) - len(strings.TrimLeft(s, " "))
	if strings.HasPrefix(strings.TrimLeft(s, " "), "- ") {
		indent += 2
	}
	var lines []string
	line := ""
	for _, w := range strings.Fields(s) {
		switch {
		case line == "":
			line = strings.Repeat(" ", len(s)-len(strings.TrimLeft(s, " "))) + w
		case len(line)+1+len(w) > width:
			lines = append(lines, line)
			line = strings.Repeat(" ", indent) + w
		default:
			line += " " + w
		}
	}
	if line != "" || len(lines) == 0 {
		lines = append(lines, line)
	}
	return lines
}

func ref(parts ...string) hcl.Traversal {
	t := hcl.Traversal{hcl.TraverseRoot{Name: parts[0]}}
	for _, p := range parts[1:] {
		t = append(t, hcl.TraverseAttr{Name: p})
	}
	return t
}

// templateWithVar is the tokens of "<prefix>${var.<name>}".
func templateWithVar(prefix, name string) hclwrite.Tokens {
	return hclwrite.Tokens{
		{Type: hclsyntax.TokenOQuote, Bytes: []byte(`"`)},
		{Type: hclsyntax.TokenQuotedLit, Bytes: []byte(prefix)},
		{Type: hclsyntax.TokenTemplateInterp, Bytes: []byte(`${`)},
		{Type: hclsyntax.TokenIdent, Bytes: []byte("var")},
		{Type: hclsyntax.TokenDot, Bytes: []byte(".")},
		{Type: hclsyntax.TokenIdent, Bytes: []byte(name)},
		{Type: hclsyntax.TokenTemplateSeqEnd, Bytes: []byte(`}`)},
		{Type: hclsyntax.TokenCQuote, Bytes: []byte(`"`)},
	}
}
