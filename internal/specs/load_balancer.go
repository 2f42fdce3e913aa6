package specs

import (
	"regexp"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// ZonesFromTargets is the zones value that makes a load balancer span exactly the AZs that
// hold targets.
const ZonesFromTargets = "targets"

var loadBalancerSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "name", Required: true},
		{Name: "zones", Required: true},
	},
}

// azPattern matches Availability Zone names such as ap-northeast-1a.
var azPattern = regexp.MustCompile(`^[a-z]{2}(-gov)?-[a-z]+-\d+[a-z]$`)

// subnetPattern matches subnet IDs.
var subnetPattern = regexp.MustCompile(`^subnet-[0-9a-f]{8,17}$`)

// loadBalancer decodes a load_balancer block and returns it with the object that
// load_balancer.<label> stands for in expressions.
func (l *loader) loadBalancer(b *hcl.Block, ctx *hcl.EvalContext, region string) (LoadBalancer, cty.Value) {
	lb := LoadBalancer{Label: b.Labels[0], DeclRange: b.DefRange, NameRange: b.DefRange, ZonesRange: b.DefRange}
	a, _ := l.decodeBody(b.Body, loadBalancerSchema, ctx)
	nameVal := cty.UnknownVal(cty.String)

	if s, attr, ok := a.str("name"); ok {
		lb.NameRange = attr.Expr.Range()
		switch {
		case strings.HasPrefix(s, "internal-"):
			l.exprErrorf(attr, ctx, "Invalid load balancer name", "%q: AWS does not allow a load balancer name to begin with \"internal-\".", s)
		case l.checkResourceName(attr, ctx, "Invalid load balancer name", s):
			lb.Name = s
			nameVal = cty.StringVal(s)
		}
	}
	if attr := a.attrs["zones"]; attr != nil {
		lb.ZonesRange = attr.Expr.Range()
		l.zones(a, attr, &lb, region)
	}

	obj := cty.ObjectVal(map[string]cty.Value{
		"label": cty.StringVal(lb.Label),
		"name":  nameVal,
	})
	return lb, obj
}

// zones decodes zones = "targets" or zones = [AZ or subnet, ...].
func (l *loader) zones(a attrs, attr *hcl.Attribute, lb *LoadBalancer, region string) {
	val, diags := attr.Expr.Value(a.ctx)
	l.diags = append(l.diags, diags...)
	if diags.HasErrors() {
		return
	}
	val, _ = val.UnmarkDeep()
	if !val.IsWhollyKnown() {
		l.unknown = true
		return
	}
	const want = "The zones must be \"targets\" (span exactly the Availability Zones that hold targets) or a list of at least two AZ names or subnet IDs"
	if val.IsNull() {
		l.exprErrorf(attr, a.ctx, "Missing required argument", "%s; got null.", want)
		return
	}
	ty := val.Type()
	if ty == cty.String {
		if s := val.AsString(); s != ZonesFromTargets {
			l.exprErrorf(attr, a.ctx, "Invalid zones", "%s; got %q.", want, s)
			return
		}
		lb.ZonesFromTargets = true
		return
	}
	if !ty.IsListType() && !ty.IsTupleType() && !ty.IsSetType() {
		l.exprErrorf(attr, a.ctx, "Invalid zones", "%s; got a value of type %s.", want, ty.FriendlyName())
		return
	}

	zones, ok := l.zoneList(attr, val, region)
	if !ok {
		return
	}
	if len(zones) < 2 {
		l.exprErrorf(attr, a.ctx, "Too few zones",
			"An Application Load Balancer must be enabled in at least two Availability Zones; the list has %d.", len(zones))
		return
	}
	slices.Sort(zones)
	lb.Zones = zones
}

// zoneList decodes the elements of a zones list: each an AZ of the region or a subnet ID,
// none twice. It reports every bad element, at the element where the list is written out.
func (l *loader) zoneList(attr *hcl.Attribute, val cty.Value, region string) ([]string, bool) {
	// Point at the element itself when the list is written out.
	var elems []hclsyntax.Expression
	if tup, ok := attr.Expr.(*hclsyntax.TupleConsExpr); ok && !val.Type().IsSetType() {
		elems = tup.Exprs
	}
	elemRange := func(i int) hcl.Range {
		if i < len(elems) {
			return elems[i].Range()
		}
		return attr.Expr.Range()
	}

	var zones []string
	ok := true
	i := 0
	for it := val.ElementIterator(); it.Next(); i++ {
		_, v := it.Element()
		rng := elemRange(i)
		if v.IsNull() || v.Type() != cty.String {
			l.errorf(&rng, "Invalid zones", "Each zone must be a string: an AZ name like \"ap-northeast-1a\" or a subnet ID like \"subnet-0123456789abcdef0\".")
			ok = false
			continue
		}
		s := v.AsString()
		switch {
		case subnetPattern.MatchString(s):
		case azPattern.MatchString(s):
			if !l.checkRegion(&rng, s, region) {
				ok = false
				continue
			}
		default:
			l.errorf(&rng, "Invalid zones", "%q is neither an Availability Zone name (like \"ap-northeast-1a\") nor a subnet ID (like \"subnet-0123456789abcdef0\").", s)
			ok = false
			continue
		}
		if slices.Contains(zones, s) {
			l.errorf(&rng, "Duplicate zone", "%q is listed twice.", s)
			ok = false
			continue
		}
		zones = append(zones, s)
	}
	return zones, ok
}

// checkRegion reports an AZ outside the stack's region (when the cloud block gives one).
func (l *loader) checkRegion(rng *hcl.Range, az, region string) bool {
	if region == "" || az[:len(az)-1] == region {
		return true
	}
	l.errorf(rng, "Availability Zone outside region", "Availability Zone %q is not in region %s (cloud.region).", az, region)
	return false
}
