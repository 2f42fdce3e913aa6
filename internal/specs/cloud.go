package specs

import (
	"net/url"
	"regexp"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// Cloud targets.
const (
	TargetSim = "sim" // the built-in simulator: the default, so a spec never reaches AWS by accident
	TargetAWS = "aws"
)

var cloudSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "target"},
		{Name: "region"},
		{Name: "profile"},
		{Name: "endpoint"},
		{Name: "lock"},
	},
}

// regionPattern matches AWS region names such as ap-northeast-1 and us-gov-west-1.
var regionPattern = regexp.MustCompile(`^[a-z]{2}(-gov)?-[a-z]+-\d+$`)

// cloud decodes the cloud block, if any: at most one is allowed.
func (l *loader) cloud(blocks []*hcl.Block, ctx *hcl.EvalContext) Cloud {
	c := Cloud{Target: TargetSim}
	if len(blocks) == 0 {
		return c
	}
	for _, b := range blocks[1:] {
		l.errorf(&b.DefRange, "Duplicate cloud block",
			"Only one cloud block is allowed in a stack; the first is at %s.", blocks[0].DefRange)
	}
	b := blocks[0]
	c.DeclRange = b.DefRange
	a, _ := l.decodeBody(b.Body, cloudSchema, ctx)

	if s, attr, ok := a.str("target"); ok {
		if s != TargetSim && s != TargetAWS {
			l.exprErrorf(attr, ctx, "Invalid cloud target",
				"The target must be %q (the built-in simulator) or %q; got %q.", TargetSim, TargetAWS, s)
		} else {
			c.Target = s
		}
	}
	if s, attr, ok := a.str("region"); ok {
		if !regionPattern.MatchString(s) {
			l.exprErrorf(attr, ctx, "Invalid region",
				"%q is not an AWS region name; expected a name like \"ap-northeast-1\".", s)
		} else {
			c.Region = s
		}
	}
	if s, attr, ok := a.str("profile"); ok {
		if s == "" {
			l.exprErrorf(attr, ctx, "Invalid profile", "The profile must name a profile of the shared AWS config; it must not be empty.")
		}
		c.Profile = s
	}
	if s, attr, ok := a.str("endpoint"); ok {
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			l.exprErrorf(attr, ctx, "Invalid endpoint",
				"The endpoint must be an http or https URL, such as \"http://localhost:5000\" for moto; got %q.", s)
		} else {
			c.Endpoint = s
		}
	}
	if s, attr, ok := a.str("lock"); ok {
		u, err := url.Parse(s)
		if err != nil || u.Scheme != "s3" || u.Host == "" || strings.Trim(u.Path, "/") == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			l.exprErrorf(attr, ctx, "Invalid lock",
				"The lock must be an S3 location where apply keeps its lock object, such as \"s3://my-bucket/albctl/blog.lock\"; got %q.", s)
		} else {
			c.Lock = s
		}
	}
	return c
}
