package specs

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// Stickiness types of an ALB target group.
const (
	StickinessLBCookie  = "lb_cookie"
	StickinessAppCookie = "app_cookie"
)

// DefaultStickinessDuration is the stickiness duration when none is given (AWS's default).
const DefaultStickinessDuration = 24 * time.Hour

var targetGroupSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "name", Required: true},
		{Name: "port"},
		{Name: "protocol"},
	},
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "health_check"},
		{Type: "stickiness"},
	},
}

var healthCheckSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "path"},
		{Name: "interval"},
		{Name: "timeout"},
		{Name: "healthy_threshold"},
		{Name: "unhealthy_threshold"},
		{Name: "matcher"},
	},
}

var stickinessSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "type", Required: true},
		{Name: "duration"},
		{Name: "cookie_name"},
	},
}

// resourceNamePattern is AWS's rule for target group and load balancer names: up to 32
// alphanumerics and hyphens, not beginning or ending with a hyphen.
var resourceNamePattern = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,30}[A-Za-z0-9])?$`)

// matcherPattern is a list of HTTP codes and code ranges: "200", "200-299", "200,302".
var matcherPattern = regexp.MustCompile(`^\d{3}(-\d{3})?(,\d{3}(-\d{3})?)*$`)

// cookieNamePattern is an RFC 6265 cookie-name token.
var cookieNamePattern = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")

// reservedCookiePrefixes are the prefixes AWS keeps for the load balancer's own cookies.
var reservedCookiePrefixes = []string{"AWSALBAPP", "AWSALBTG", "AWSALB"}

// checkResourceName reports a target group or load balancer name that AWS would reject.
func (l *loader) checkResourceName(attr *hcl.Attribute, ctx *hcl.EvalContext, summary, name string) bool {
	if !resourceNamePattern.MatchString(name) {
		l.exprErrorf(attr, ctx, summary,
			"%q is not a valid name: AWS allows 1 to 32 letters, digits and hyphens, not beginning or ending with a hyphen.", name)
		return false
	}
	return true
}

// targetGroup decodes a target_group block and returns it with the object that
// target_group.<label> stands for in expressions.
func (l *loader) targetGroup(b *hcl.Block, ctx *hcl.EvalContext) (TargetGroup, cty.Value) {
	tg := TargetGroup{Label: b.Labels[0], Protocol: "HTTP", Port: 80, DeclRange: b.DefRange, NameRange: b.DefRange}
	a, blocks := l.decodeBody(b.Body, targetGroupSchema, ctx)
	nameVal := cty.UnknownVal(cty.String)

	if s, attr, ok := a.str("name"); ok {
		tg.NameRange = attr.Expr.Range()
		if l.checkResourceName(attr, ctx, "Invalid target group name", s) {
			tg.Name = s
			nameVal = cty.StringVal(s)
		}
	}
	if n, _, ok := a.integer("port", 1, 65535, "Invalid port", "port"); ok {
		tg.Port = n
	}
	if s, attr, ok := a.str("protocol"); ok {
		if s != "HTTP" && s != "HTTPS" {
			l.exprErrorf(attr, ctx, "Invalid protocol",
				"An Application Load Balancer target group uses protocol \"HTTP\" or \"HTTPS\"; got %q.", s)
		} else {
			tg.Protocol = s
		}
	}
	if hb := l.singleBlock(blocks, "health_check"); hb != nil {
		tg.HealthCheck = l.healthCheck(hb, ctx)
	}
	if sb := l.singleBlock(blocks, "stickiness"); sb != nil {
		tg.Stickiness = l.stickiness(sb, ctx)
	}

	obj := cty.ObjectVal(map[string]cty.Value{
		"label":    cty.StringVal(tg.Label),
		"name":     nameVal,
		"port":     cty.NumberIntVal(int64(tg.Port)),
		"protocol": cty.StringVal(tg.Protocol),
	})
	return tg, obj
}

// healthCheck decodes a health_check block within AWS's limits for an ALB target group.
func (l *loader) healthCheck(b *hcl.Block, ctx *hcl.EvalContext) *HealthCheck {
	hc := &HealthCheck{DeclRange: b.DefRange}
	a, _ := l.decodeBody(b.Body, healthCheckSchema, ctx)

	if s, attr, ok := a.str("path"); ok {
		switch {
		case !strings.HasPrefix(s, "/"):
			l.exprErrorf(attr, ctx, "Invalid health check path", "The path must begin with \"/\"; got %q.", s)
		case len(s) > 1024:
			l.exprErrorf(attr, ctx, "Invalid health check path", "The path must be at most 1024 characters; it has %d.", len(s))
		default:
			hc.Path = s
		}
	}
	var intervalAttr *hcl.Attribute
	if d, attr, ok := a.duration("interval", "Invalid health check interval"); ok {
		if l.checkDuration(attr, ctx, "Invalid health check interval", d, 5*time.Second, 300*time.Second, "5s..300s",
			"health_check.interval_seconds 5-300") {
			hc.Interval, intervalAttr = d, attr
		}
	}
	if d, attr, ok := a.duration("timeout", "Invalid health check timeout"); ok {
		if l.checkDuration(attr, ctx, "Invalid health check timeout", d, 2*time.Second, 120*time.Second, "2s..120s",
			"health_check.timeout_seconds 2-120") {
			if intervalAttr != nil && d >= hc.Interval {
				l.exprErrorf(attr, ctx, "Invalid health check timeout",
					"The timeout (%s) must be less than the interval (%s).", d, hc.Interval)
			} else {
				hc.Timeout = d
			}
		}
	}
	if n, _, ok := a.integer("healthy_threshold", 2, 10, "Invalid healthy threshold", "healthy threshold"); ok {
		hc.HealthyThreshold = n
	}
	if n, _, ok := a.integer("unhealthy_threshold", 2, 10, "Invalid unhealthy threshold", "unhealthy threshold"); ok {
		hc.UnhealthyThreshold = n
	}
	if s, attr, ok := a.str("matcher"); ok {
		if err := checkMatcher(s); err != nil {
			l.exprErrorf(attr, ctx, "Invalid health check matcher", "%s", err)
		} else {
			hc.Matcher = s
		}
	}
	return hc
}

// checkDuration reports a duration outside [lo, hi] or not a whole number of seconds (AWS
// counts these in seconds).
func (l *loader) checkDuration(attr *hcl.Attribute, ctx *hcl.EvalContext, summary string, d, lo, hi time.Duration, bounds, awsName string) bool {
	if d < lo || d > hi {
		l.exprErrorf(attr, ctx, summary, "%s is outside %s (AWS: %s).", d, bounds, awsName)
		return false
	}
	if d%time.Second != 0 {
		l.exprErrorf(attr, ctx, summary, "%s is not a whole number of seconds (AWS: %s).", d, awsName)
		return false
	}
	return true
}

// checkMatcher checks an ALB success-code matcher: codes 200-499, single or as ranges,
// separated by commas.
func checkMatcher(s string) error {
	if !matcherPattern.MatchString(s) {
		return fmt.Errorf("%q is not a list of HTTP codes or code ranges, such as \"200\", \"200-299\" or \"200,302\"", s)
	}
	for part := range strings.SplitSeq(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		if !isRange {
			hi = lo
		}
		a, _ := strconv.Atoi(lo)
		b, _ := strconv.Atoi(hi)
		if a < 200 || b > 499 || a > b {
			return fmt.Errorf("%q: an ALB accepts success codes from 200 to 499, ranges low-high", part)
		}
	}
	return nil
}

// stickiness decodes a stickiness block as AWS would accept it on an ALB target group.
func (l *loader) stickiness(b *hcl.Block, ctx *hcl.EvalContext) *Stickiness {
	st := &Stickiness{Duration: DefaultStickinessDuration, DeclRange: b.DefRange}
	a, _ := l.decodeBody(b.Body, stickinessSchema, ctx)

	typ, typeAttr, typeOK := a.str("type")
	if typeOK {
		switch typ {
		case StickinessLBCookie, StickinessAppCookie:
			st.Type = typ
		case "source_ip":
			l.exprErrorf(typeAttr, ctx, "Invalid stickiness type",
				"source_ip is for Network Load Balancers; an Application Load Balancer target group uses \"lb_cookie\" or \"app_cookie\".")
		default:
			l.exprErrorf(typeAttr, ctx, "Invalid stickiness type",
				"The stickiness type must be \"lb_cookie\" (a cookie set by the load balancer) or \"app_cookie\" (your application's cookie); got %q.", typ)
		}
	}
	awsType := st.Type
	if awsType == "" {
		awsType = StickinessLBCookie
	}
	if d, attr, ok := a.duration("duration", "Invalid stickiness duration"); ok {
		if l.checkDuration(attr, ctx, "Invalid stickiness duration", d, time.Second, 7*Day, "1s..7d",
			"stickiness."+awsType+".duration_seconds 1-604800") {
			st.Duration = d
		}
	}
	name, nameAttr, nameOK := a.str("cookie_name")
	switch {
	case st.Type == StickinessLBCookie && nameAttr != nil:
		l.exprErrorf(nameAttr, ctx, "Unexpected cookie name",
			"With lb_cookie stickiness the load balancer sets its own cookie (AWSALB); cookie_name is only for app_cookie.")
	case st.Type == StickinessAppCookie && !nameOK && (nameAttr == nil || isNull(nameAttr, ctx)):
		l.errorf(&b.DefRange, "Missing cookie name",
			"app_cookie stickiness follows a cookie your application sets: give its name with cookie_name.")
	case nameOK:
		if err := checkCookieName(name); err != nil {
			l.exprErrorf(nameAttr, ctx, "Invalid cookie name", "%s", err)
		} else {
			st.CookieName = name
		}
	}
	return st
}

// checkCookieName checks an app_cookie name against the cookie syntax and AWS's reserved
// prefixes.
func checkCookieName(name string) error {
	for _, p := range reservedCookiePrefixes {
		if strings.HasPrefix(name, p) {
			return fmt.Errorf("%q begins with %s: AWS reserves the prefixes AWSALB, AWSALBAPP and AWSALBTG for the load balancer's own cookies", name, p)
		}
	}
	if !cookieNamePattern.MatchString(name) {
		return fmt.Errorf("%q is not a valid cookie name: use letters, digits and !#$%%&'*+-.^_`|~", name)
	}
	return nil
}

// isNull reports whether attr evaluates, without error, to null.
func isNull(attr *hcl.Attribute, ctx *hcl.EvalContext) bool {
	v, diags := attr.Expr.Value(ctx)
	return !diags.HasErrors() && v.IsKnown() && v.IsNull()
}
