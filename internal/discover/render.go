package discover

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
)

// Render writes the proposal as a spec, formatted, every setting with the finding and the
// pitfall it answers above it (docs/init.md, "What the spec says").
func Render(p *Proposal) []byte {
	file := hclwrite.NewEmptyFile()
	root := file.Body()
	for _, block := range []func(*hclwrite.Body, *Proposal){
		renderHeader, renderVariable, renderCloud, renderTargetGroup, renderLoadBalancers, renderFleet,
	} {
		block(root, p)
	}
	return hclwrite.Format(file.Bytes())
}

func renderHeader(root *hclwrite.Body, p *Proposal) {
	comment(root, 0,
		fmt.Sprintf("Written by `albctl init` from %s.", p.Origin.Where),
		fmt.Sprintf("It scales instance %s%s from one Availability Zone to two, behind target group %s and load balancer %s. Every setting below says what init found and which of the four pitfalls it answers (stale copy, missing IAM role, broken sessions, empty zones). Review it, then run `albctl plan`. The language: docs/spec.md.",
			p.Source.ID, QuotedName(p.Source.Name), p.TargetGroup.Name, lbNames(p.LoadBalancers)))
	root.AppendNewline()
}

func renderVariable(root *hclwrite.Body, _ *Proposal) {
	comment(root, 0, "The version of the app the source runs. A new value bakes a new image and replaces the members with a rollout: raise it after you deploy a new version to the source.")
	v := root.AppendNewBlock("variable", []string{"app_version"}).Body()
	v.SetAttributeTraversal("type", ref("string"))
	v.SetAttributeValue("default", cty.StringVal("1"))
	v.SetAttributeValue("description", cty.StringVal("The version of the app deployed on the source instance."))
	root.AppendNewline()
}

func renderCloud(root *hclwrite.Body, p *Proposal) {
	if p.Origin.Kind == "aws" {
		comment(root, 0,
			fmt.Sprintf("Where plan and apply act: %s.", p.Origin.Where),
			"Two applies must never run on this stack at once: name an S3 object you own for the lock, e.g.",
			fmt.Sprintf(`  lock = "s3://BUCKET/albctl/%s.lock"`, p.TargetGroup.Name))
		c := root.AppendNewBlock("cloud", nil).Body()
		c.SetAttributeValue("target", cty.StringVal("aws"))
		c.SetAttributeValue("region", cty.StringVal(p.Origin.Region))
	} else {
		comment(root, 0, fmt.Sprintf(`No target: plan and apply run on the simulator (%s) until this says target = "aws".`, p.Origin.Where))
		c := root.AppendNewBlock("cloud", nil).Body()
		c.SetAttributeValue("region", cty.StringVal(p.Origin.Region))
	}
	root.AppendNewline()
}

func renderTargetGroup(root *hclwrite.Body, p *Proposal) {
	tg := p.TargetGroup
	comment(root, 0,
		fmt.Sprintf("Target group %s: %s port %d in %s.", tg.Name, tg.Protocol, tg.Port, tg.VPC),
		"  "+tg.ARN,
		fmt.Sprintf("Registered targets now: %s.", strings.Join(tg.Targets, ", ")))
	tgb := root.AppendNewBlock("target_group", []string{p.Label}).Body()
	tgb.SetAttributeValue("name", cty.StringVal(tg.Name))
	tgb.SetAttributeValue("port", cty.NumberIntVal(int64(tg.Port)))
	tgb.SetAttributeValue("protocol", cty.StringVal(tg.Protocol))
	tgb.AppendNewline()
	renderHealthCheck(tgb, tg)
	tgb.AppendNewline()
	renderStickiness(tgb, tg.Name, p.Stickiness)
	root.AppendNewline()
}

func renderHealthCheck(tgb *hclwrite.Body, tg TargetGroup) {
	hcPort := tg.HC.Port
	if hcPort == "" {
		hcPort = "traffic-port"
	}
	comment(tgb, 2, fmt.Sprintf("The health check %s has now (%s on %s): a new member must pass it before it takes traffic. plan reports any difference between the target group and this block as a step.",
		tg.Name, tg.HC.Protocol, hcPort))
	hc := tgb.AppendNewBlock("health_check", nil).Body()
	if tg.HC.Path != "" {
		hc.SetAttributeValue("path", cty.StringVal(tg.HC.Path))
	}
	if tg.HC.Interval > 0 {
		hc.SetAttributeValue("interval", cty.StringVal(strconv.Itoa(int(tg.HC.Interval))+"s"))
	}
	if tg.HC.Timeout > 0 {
		hc.SetAttributeValue("timeout", cty.StringVal(strconv.Itoa(int(tg.HC.Timeout))+"s"))
	}
	if tg.HC.Healthy > 0 {
		hc.SetAttributeValue("healthy_threshold", cty.NumberIntVal(int64(tg.HC.Healthy)))
	}
	if tg.HC.Unhealthy > 0 {
		hc.SetAttributeValue("unhealthy_threshold", cty.NumberIntVal(int64(tg.HC.Unhealthy)))
	}
	if tg.HC.Matcher != "" {
		hc.SetAttributeValue("matcher", cty.StringVal(tg.HC.Matcher))
	}
}

func renderStickiness(tgb *hclwrite.Body, tgName string, st Stickiness) {
	if st.On {
		comment(tgb, 2, fmt.Sprintf("Pitfall 3, broken sessions: stickiness is already on for %s (%s), and stays so. With sessions on each server's disk (sessions = \"local\" below) a client must stay on one server.",
			tgName, st.Summary()))
	} else {
		comment(tgb, 2, fmt.Sprintf("Pitfall 3, broken sessions: stickiness is off on %s now. With sessions on each server's disk (sessions = \"local\" below) a client must stay on one server: plan switches this on before a second target takes traffic.",
			tgName))
	}
	sb := tgb.AppendNewBlock("stickiness", nil).Body()
	sb.SetAttributeValue("type", cty.StringVal(st.Type))
	if st.Type == "app_cookie" {
		sb.SetAttributeValue("cookie_name", cty.StringVal(st.Cookie))
	}
	dur := "24h"
	if st.On && st.Seconds > 0 {
		dur = specDuration(st.Seconds)
	}
	sb.SetAttributeValue("duration", cty.StringVal(dur))
}

// renderLoadBalancers writes one load_balancer block per ALB the target group is attached to.
func renderLoadBalancers(root *hclwrite.Body, p *Proposal) {
	src, z := p.Source, p.Zone
	for i, lb := range p.LoadBalancers {
		var zones []string
		for _, lz := range lb.Zones {
			zones = append(zones, fmt.Sprintf("%s (%s)", lz.AZ, lz.Subnet))
		}
		comment(root, 0,
			fmt.Sprintf("Load balancer %s (%s) in %s.", lb.Name, lb.Scheme, lb.VPC),
			"  "+lb.ARN,
			fmt.Sprintf("Its zones now: %s.", strings.Join(zones, ", ")))
		var trimmed []string
		for _, az := range lb.ZoneNames() {
			if az != src.AZ && az != z.AZ {
				trimmed = append(trimmed, az)
			}
		}
		pit := fmt.Sprintf("Pitfall 4, empty zones: \"targets\" keeps %s in exactly the zones that hold targets (%s and %s, the zone blocks below). A load balancer node in a zone with no target sends its share of the clients across zones or answers 503/504.",
			lb.Name, src.AZ, z.AZ)
		if len(trimmed) > 0 {
			pit += fmt.Sprintf(" plan trims %s, only once the kept zones have healthy targets.", strings.Join(trimmed, ", "))
		}
		comment(root, 0, pit)
		lbl := p.Label
		if i > 0 {
			lbl = specLabel(lb.Name)
		}
		lbb := root.AppendNewBlock("load_balancer", []string{lbl}).Body()
		lbb.SetAttributeValue("name", cty.StringVal(lb.Name))
		lbb.SetAttributeValue("zones", cty.StringVal("targets"))
		root.AppendNewline()
	}
}

func lbNames(lbs []LoadBalancer) string {
	var names []string
	for _, lb := range lbs {
		names = append(names, lb.Name)
	}
	return strings.Join(names, " and ")
}
