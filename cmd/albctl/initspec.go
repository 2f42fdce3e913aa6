package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"

	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
)

// The pure half of init: what was read (initFacts), which second zone to propose
// (chooseZone) and the spec written from them (renderInitSpec). See docs/init.md.

// initFacts is what init read about one source, its target group and load balancers.
type initFacts struct {
	Header string // what was read: the backend's header line
	Where  string // the same, short: "the simulator's built-in seed world", "AWS account …"
	Kind   string // "sim" or "aws"
	Region string

	Source  sourceFact
	TG      tgFact
	LBs     []lbFact     // the application load balancers the target group is attached to
	Subnets []subnetFact // the source VPC's, by ID
	// Offered holds the load balancers' zones where the source's instance type is offered
	// (nil: not read).
	Offered map[string]bool
	// Groups are the source's security groups; GroupsUnread says why they could not be read.
	Groups       []ec2types.SecurityGroup
	GroupsUnread string

	choice zoneChoice
}

type sourceFact struct {
	ID, Name, AZ, Subnet, VPC, Type, Image, State string
	Profile                                       string // instance profile ARN ("" for none)
	Groups                                        []string
	NameUnique                                    bool // the Name tag names no other live source
}

type tgFact struct {
	ARN, Name, Protocol, VPC string
	Port                     int32
	HC                       hcFact
	Attributes               map[string]string
	Targets                  []string // "i-… (healthy)"
}

type hcFact struct {
	Protocol, Port, Path, Matcher         string
	Interval, Timeout, Healthy, Unhealthy int32
}

type lbFact struct {
	ARN, Name, Scheme, VPC string
	Groups                 []string
	Zones                  []lbZone // by AZ
}

type lbZone struct{ AZ, Subnet, CIDR string }

func (l lbFact) zoneNames() []string {
	var out []string
	for _, z := range l.Zones {
		out = append(out, z.AZ)
	}
	return out
}

func (l lbFact) zone(az string) (lbZone, bool) {
	for _, z := range l.Zones {
		if z.AZ == az {
			return z, true
		}
	}
	return lbZone{}, false
}

type subnetFact struct{ ID, AZ, CIDR, Name string }

func (s subnetFact) String() string {
	if s.Name == "" {
		return s.ID
	}
	return fmt.Sprintf("%s (%s)", s.ID, s.Name)
}

func (f *initFacts) subnet(id string) (subnetFact, bool) {
	for _, s := range f.Subnets {
		if s.ID == id {
			return s, true
		}
	}
	return subnetFact{}, false
}

func (f *initFacts) subnetsIn(az string) []subnetFact {
	var out []subnetFact
	for _, s := range f.Subnets {
		if s.AZ == az {
			out = append(out, s)
		}
	}
	return out
}

// zoneChoice is the second zone init proposes, with the reasons written above its block.
type zoneChoice struct {
	AZ     string
	Subnet string // set only when the AZ has several subnets of the VPC (plan needs one named)
	short  string // for the summary line
	why    []string
}

// chooseZone proposes the second zone: one of the load balancers' zones other than the
// source's, with a subnet in the source's VPC and the source's instance type on offer. Among
// them it prefers zones whose load balancer node the source's security groups admit on the
// target port (a member there gets the same groups, and after the trim that node serves half
// the clients), then the alphabetically first.
func chooseZone(f *initFacts) (zoneChoice, error) {
	if len(f.LBs) == 0 {
		return zoneChoice{}, fmt.Errorf("target group %s is attached to no Application Load Balancer", f.TG.Name)
	}
	var cands []string
	var notes []string
	for _, z := range f.LBs[0].Zones {
		if z.AZ == f.Source.AZ {
			continue
		}
		inAll := true
		for _, lb := range f.LBs[1:] {
			if _, ok := lb.zone(z.AZ); !ok {
				inAll = false
			}
		}
		switch {
		case !inAll:
			notes = append(notes, fmt.Sprintf("%s: not a zone of every load balancer of %s", z.AZ, f.TG.Name))
		case len(f.subnetsIn(z.AZ)) == 0:
			notes = append(notes, fmt.Sprintf("%s: no subnet of %s there", z.AZ, f.Source.VPC))
		case f.Offered != nil && !f.Offered[z.AZ]:
			notes = append(notes, fmt.Sprintf("%s: %s is not offered there", z.AZ, f.Source.Type))
		default:
			cands = append(cands, z.AZ)
		}
	}
	slices.Sort(cands)
	if len(cands) == 0 {
		return zoneChoice{}, fmt.Errorf("no second zone for %s: the load balancer %s has no other zone a member could go to (%s). Add a subnet of another zone to the load balancer first",
			f.Source.ID, f.LBs[0].Name, strings.Join(notes, "; "))
	}

	ports := []int32{f.TG.Port}
	if p, err := strconv.Atoi(f.TG.HC.Port); err == nil && int32(p) != f.TG.Port {
		ports = append(ports, int32(p))
	}
	// blocked explains why the source's groups keep a load balancer node in az from a member
	// ("" when they admit it, or when that cannot be told).
	blocked := func(az string) string {
		for _, lb := range f.LBs {
			z, _ := lb.zone(az)
			if z.CIDR == "" {
				continue
			}
			for _, port := range ports {
				if !slices.ContainsFunc(f.Groups, func(g ec2types.SecurityGroup) bool { return admits(g, port, z.CIDR, lb.Groups) }) {
					return fmt.Sprintf("%s: %s no TCP %d from %s, %s's subnet %s there, so its load balancer node could not reach a member",
						az, groupsAdmit(f.Source.Groups), port, z.CIDR, lb.Name, z.Subnet)
				}
			}
		}
		return ""
	}

	c := zoneChoice{}
	switch {
	case f.GroupsUnread != "":
		c.AZ = cands[0]
		c.short = "the first alphabetically; security groups not read"
		c.why = append(c.why, fmt.Sprintf("the first alphabetically of the load balancer's other zones a member can go to (%s). init %s, so it could not check that the load balancer's node in %s can reach a member on port %d: check the security groups before you apply.",
			strings.Join(cands, ", "), f.GroupsUnread, c.AZ, f.TG.Port))
	default:
		var admitted, refused []string
		for _, az := range cands {
			if why := blocked(az); why != "" {
				refused = append(refused, why)
			} else {
				admitted = append(admitted, az)
			}
		}
		switch {
		case len(admitted) == 0:
			c.AZ = cands[0]
			c.short = "the first alphabetically; no zone is admitted by the source's security groups"
			c.why = append(c.why, fmt.Sprintf("the first alphabetically of the load balancer's other zones a member can go to (%s). The source's security groups (%s) admit none of the load balancer's subnets on port %d by address block or security group (prefix lists are not read): check that the load balancer can reach a member in %s before you apply.",
				strings.Join(cands, ", "), strings.Join(f.Source.Groups, ", "), f.TG.Port, c.AZ))
		case len(refused) == 0:
			c.AZ = admitted[0]
			c.short = "the first alphabetically"
			c.why = append(c.why, fmt.Sprintf("the first alphabetically of the load balancer's other zones a member can go to (%s); the source's security groups admit the load balancer's node in each.",
				strings.Join(cands, ", ")))
		default:
			c.AZ = admitted[0]
			c.short = "its load balancer node can reach a member"
			c.why = append(c.why, fmt.Sprintf("the first alphabetically of the load balancer's other zones whose node the source's security groups (%s) admit on port %d (%s). Not chosen:",
				strings.Join(f.Source.Groups, ", "), f.TG.Port, strings.Join(admitted, ", ")))
			for _, r := range refused {
				c.why = append(c.why, "- "+r+".")
			}
		}
	}
	if len(notes) > 0 {
		c.why = append(c.why, "Not possible: "+strings.Join(notes, "; ")+".")
	}

	// The subnet: plan takes the only subnet of the VPC in the zone by itself; with several
	// it needs one named. Follow the source: in a load balancer subnet if the source is in
	// one, else in a subnet the load balancer does not use (an app subnet).
	subnets := f.subnetsIn(c.AZ)
	if len(subnets) == 1 {
		c.why = append(c.why, fmt.Sprintf("A member there goes into %s, the only subnet of %s in %s.", subnets[0], f.Source.VPC, c.AZ))
		return c, nil
	}
	lbSubnet := func(id string) bool {
		return slices.ContainsFunc(f.LBs, func(lb lbFact) bool {
			return slices.ContainsFunc(lb.Zones, func(z lbZone) bool { return z.Subnet == id })
		})
	}
	sourceInLB := lbSubnet(f.Source.Subnet)
	pick := subnets[0]
	for _, s := range subnets {
		if lbSubnet(s.ID) == sourceInLB {
			pick = s
			break
		}
	}
	c.Subnet = pick.ID
	var others []string
	for _, s := range subnets {
		if s.ID != pick.ID {
			others = append(others, s.String())
		}
	}
	where := "a subnet the load balancer does not use, as the source's"
	if sourceInLB {
		where = "the load balancer's subnet there, as the source is in the load balancer's"
	}
	c.why = append(c.why, fmt.Sprintf("%s has %d subnets of %s: init names %s, %s (the others: %s).",
		c.AZ, len(subnets), f.Source.VPC, pick, where, strings.Join(others, ", ")))
	return c, nil
}

// stickiness is a target group's stickiness as the spec writes it.
type stickiness struct {
	on          bool
	typ         string // lb_cookie or app_cookie
	seconds     int
	cookie      string
	unsupported string // a type the spec cannot express (source_ip, …)
}

func readStickiness(attrs map[string]string) stickiness {
	s := stickiness{on: attrs["stickiness.enabled"] == "true", typ: attrs["stickiness.type"]}
	switch s.typ {
	case "", "lb_cookie":
		s.typ = "lb_cookie"
		s.seconds, _ = strconv.Atoi(attrs["stickiness.lb_cookie.duration_seconds"])
	case "app_cookie":
		s.seconds, _ = strconv.Atoi(attrs["stickiness.app_cookie.duration_seconds"])
		s.cookie = attrs["stickiness.app_cookie.cookie_name"]
	default:
		s.unsupported = s.typ
	}
	return s
}

func stickinessSummary(attrs map[string]string) string {
	s := readStickiness(attrs)
	if !s.on {
		return "off"
	}
	if s.unsupported != "" {
		return s.unsupported
	}
	out := s.typ
	if s.cookie != "" {
		out += " " + strconv.Quote(s.cookie)
	}
	if s.seconds > 0 {
		out += " for " + specDuration(s.seconds)
	}
	return out
}

// specDuration writes seconds as the spec's duration strings do: the largest exact unit.
func specDuration(sec int) string {
	switch {
	case sec > 0 && sec%3600 == 0:
		return strconv.Itoa(sec/3600) + "h"
	case sec > 0 && sec%60 == 0:
		return strconv.Itoa(sec/60) + "m"
	}
	return strconv.Itoa(sec) + "s"
}

// maxLabel bounds the labels init derives. The fleet's label starts its image name,
// "LABEL-${var.app_version}", and an AMI name has at most 128 characters: 64 leave room for a
// version of 63 (docs/init.md).
const maxLabel = 64

// specLabel turns a name into a block label (a letter, then letters, digits, _ and -): every
// such character is one an AMI name allows too. A name longer than maxLabel is cut, and a
// short hash of the whole name ends the label, so that two long names that share a start
// still give two labels.
func specLabel(names ...string) string {
	for _, n := range names {
		l := strings.Map(func(r rune) rune {
			switch {
			case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-':
				return r
			}
			return '_'
		}, n)
		l = strings.TrimLeft(l, "0123456789_-")
		if len(l) > maxLabel {
			sum := sha256.Sum256([]byte(n))
			l = l[:maxLabel-9] + "-" + hex.EncodeToString(sum[:4])
		}
		if l != "" && hclsyntax.ValidIdentifier(l) {
			return l
		}
	}
	return "app"
}

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

func profileName(arn string) string {
	if i := strings.LastIndex(arn, "/"); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

// renderInitSpec writes the starting spec for f, formatted, every setting with the finding
// and the pitfall it answers above it.
func renderInitSpec(f *initFacts) ([]byte, error) {
	src, tg, z := f.Source, f.TG, f.choice
	if tg.Protocol != "HTTP" && tg.Protocol != "HTTPS" {
		return nil, fmt.Errorf("target group %s uses %s: albctl manages HTTP and HTTPS target groups of Application Load Balancers", tg.Name, tg.Protocol)
	}
	st := readStickiness(tg.Attributes)
	if st.on && st.unsupported != "" {
		return nil, fmt.Errorf("target group %s has stickiness of type %s, which a spec cannot express (lb_cookie or app_cookie)", tg.Name, st.unsupported)
	}
	label := specLabel(src.Name, tg.Name)

	file := hclwrite.NewEmptyFile()
	root := file.Body()
	comment(root, 0,
		fmt.Sprintf("Written by `albctl init` from %s.", f.Where),
		fmt.Sprintf("It scales instance %s%s from one Availability Zone to two, behind target group %s and load balancer %s. Every setting below says what init found and which of the four pitfalls it answers (stale copy, missing IAM role, broken sessions, empty zones). Review it, then run `albctl plan`. The language: docs/spec.md.",
			src.ID, quotedName(src.Name), tg.Name, lbNames(f.LBs)))
	root.AppendNewline()

	// variable "app_version"
	comment(root, 0, "The version of the app the source runs. A new value bakes a new image and replaces the members with a rollout: raise it after you deploy a new version to the source.")
	v := root.AppendNewBlock("variable", []string{"app_version"}).Body()
	v.SetAttributeTraversal("type", ref("string"))
	v.SetAttributeValue("default", cty.StringVal("1"))
	v.SetAttributeValue("description", cty.StringVal("The version of the app deployed on the source instance."))
	root.AppendNewline()

	// cloud
	if f.Kind == "aws" {
		comment(root, 0,
			fmt.Sprintf("Where plan and apply act: %s.", f.Where),
			"Two applies must never run on this stack at once: name an S3 object you own for the lock, e.g.",
			fmt.Sprintf(`  lock = "s3://BUCKET/albctl/%s.lock"`, tg.Name))
		c := root.AppendNewBlock("cloud", nil).Body()
		c.SetAttributeValue("target", cty.StringVal("aws"))
		c.SetAttributeValue("region", cty.StringVal(f.Region))
	} else {
		comment(root, 0, fmt.Sprintf(`No target: plan and apply run on the simulator (%s) until this says target = "aws".`, f.Where))
		c := root.AppendNewBlock("cloud", nil).Body()
		c.SetAttributeValue("region", cty.StringVal(f.Region))
	}
	root.AppendNewline()

	// target_group
	comment(root, 0,
		fmt.Sprintf("Target group %s: %s port %d in %s.", tg.Name, tg.Protocol, tg.Port, tg.VPC),
		"  "+tg.ARN,
		fmt.Sprintf("Registered targets now: %s.", strings.Join(tg.Targets, ", ")))
	tgb := root.AppendNewBlock("target_group", []string{label}).Body()
	tgb.SetAttributeValue("name", cty.StringVal(tg.Name))
	tgb.SetAttributeValue("port", cty.NumberIntVal(int64(tg.Port)))
	tgb.SetAttributeValue("protocol", cty.StringVal(tg.Protocol))
	tgb.AppendNewline()
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
	tgb.AppendNewline()
	if st.on {
		comment(tgb, 2, fmt.Sprintf("Pitfall 3, broken sessions: stickiness is already on for %s (%s), and stays so. With sessions on each server's disk (sessions = \"local\" below) a client must stay on one server.",
			tg.Name, stickinessSummary(tg.Attributes)))
	} else {
		comment(tgb, 2, fmt.Sprintf("Pitfall 3, broken sessions: stickiness is off on %s now. With sessions on each server's disk (sessions = \"local\" below) a client must stay on one server: plan switches this on before a second target takes traffic.",
			tg.Name))
	}
	sb := tgb.AppendNewBlock("stickiness", nil).Body()
	sb.SetAttributeValue("type", cty.StringVal(st.typ))
	if st.typ == "app_cookie" {
		sb.SetAttributeValue("cookie_name", cty.StringVal(st.cookie))
	}
	dur := "24h"
	if st.on && st.seconds > 0 {
		dur = specDuration(st.seconds)
	}
	sb.SetAttributeValue("duration", cty.StringVal(dur))
	root.AppendNewline()

	// load_balancer, one per ALB the target group is attached to
	for i, lb := range f.LBs {
		var zones []string
		for _, lz := range lb.Zones {
			zones = append(zones, fmt.Sprintf("%s (%s)", lz.AZ, lz.Subnet))
		}
		comment(root, 0,
			fmt.Sprintf("Load balancer %s (%s) in %s.", lb.Name, lb.Scheme, lb.VPC),
			"  "+lb.ARN,
			fmt.Sprintf("Its zones now: %s.", strings.Join(zones, ", ")))
		var trimmed []string
		for _, az := range lb.zoneNames() {
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
		lbl := label
		if i > 0 {
			lbl = specLabel(lb.Name)
		}
		lbb := root.AppendNewBlock("load_balancer", []string{lbl}).Body()
		lbb.SetAttributeValue("name", cty.StringVal(lb.Name))
		lbb.SetAttributeValue("zones", cty.StringVal("targets"))
		root.AppendNewline()
	}

	// fleet
	profile := "no IAM instance profile"
	if src.Profile != "" {
		profile = "IAM instance profile " + src.Profile
	}
	comment(root, 0,
		fmt.Sprintf("The source: instance %s%s, %s, %s in %s (subnet %s, %s), launched from %s, %s; security groups %s.",
			src.ID, quotedName(src.Name), src.State, src.Type, src.AZ, src.Subnet, src.VPC, src.Image, profile, strings.Join(src.Groups, ", ")))
	fb := root.AppendNewBlock("fleet", []string{label}).Body()
	switch {
	case src.Name != "" && src.NameUnique:
		comment(fb, 2, fmt.Sprintf("The Name tag of %s, the only live instance with it.", src.ID))
		fb.SetAttributeValue("source", cty.StringVal(src.Name))
	case src.Name != "":
		comment(fb, 2, fmt.Sprintf("The instance ID: other live instances share the Name tag %q.", src.Name))
		fb.SetAttributeValue("source", cty.StringVal(src.ID))
	default:
		comment(fb, 2, "The instance ID: the source has no Name tag.")
		fb.SetAttributeValue("source", cty.StringVal(src.ID))
	}
	fb.SetAttributeTraversal("target_group", ref("target_group", label))
	comment(fb, 2, `Sessions on each server's disk or memory: the safe assumption, since AWS cannot tell. If they live in a store every server shares (a database, Redis), say "shared".`)
	fb.SetAttributeValue("sessions", cty.StringVal("local"))
	fb.AppendNewline()

	noReboot := "no_reboot = false reboots the source for a consistent disk (EC2's default)"
	comment(fb, 2,
		fmt.Sprintf("Pitfall 1, stale copy: new members boot an image baked from %s as it runs now, not the AMI it was launched from, %s (\"launch more like this\" copies settings, not the disk).", src.ID, src.Image),
		noReboot+": while it is the only healthy target that is an outage, which plan marks OUTAGE. Set true to image it running instead.")
	ib := fb.AppendNewBlock("image", nil).Body()
	ib.SetAttributeRaw("name", templateWithVar(label+"-", "app_version"))
	ib.SetAttributeTraversal("version", ref("var", "app_version"))
	ib.SetAttributeValue("no_reboot", cty.False)
	fb.AppendNewline()

	if src.Profile != "" {
		comment(fb, 2, fmt.Sprintf("Pitfall 2, missing IAM role: new members get the source's instance profile, %s (%s), and a member without it gets it attached.", profileName(src.Profile), src.Profile))
	} else {
		comment(fb, 2, "Pitfall 2, missing IAM role: the source has no IAM instance profile, so new members get none either. If the app calls AWS APIs, name its profile here instead of \"inherit\".")
	}
	fb.SetAttributeValue("iam_instance_profile", cty.StringVal("inherit"))
	fb.AppendNewline()
	comment(fb, 2, fmt.Sprintf("instance_type is left out: members get the source's, %s. Set it to launch another type (the members are then replaced by a rollout).", src.Type))
	fb.AppendNewline()

	comment(fb, 2, fmt.Sprintf("The source's zone: %s counts as its member.", src.ID))
	z1 := fb.AppendNewBlock("zone", []string{src.AZ}).Body()
	z1.SetAttributeValue("count", cty.NumberIntVal(1))
	comment(fb, 2, append([]string{fmt.Sprintf("The second zone, %s: %s", z.AZ, z.why[0])}, z.why[1:]...)...)
	z2 := fb.AppendNewBlock("zone", []string{z.AZ}).Body()
	z2.SetAttributeValue("count", cty.NumberIntVal(1))
	if z.Subnet != "" {
		z2.SetAttributeValue("subnet", cty.StringVal(z.Subnet))
	}

	return hclwrite.Format(file.Bytes()), nil
}

// groupsAdmit is "security group X admits" or "security groups X, Y admit".
func groupsAdmit(groups []string) string {
	if len(groups) == 1 {
		return "security group " + groups[0] + " admits"
	}
	return "security groups " + strings.Join(groups, ", ") + " admit"
}

func lbNames(lbs []lbFact) string {
	var names []string
	for _, lb := range lbs {
		names = append(names, lb.Name)
	}
	return strings.Join(names, " and ")
}
