package specs

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/albctl/albctl/internal/safefile"
)

// Session storage of a fleet.
const (
	SessionsLocal  = "local"  // on the server's disk: a second target needs stickiness
	SessionsShared = "shared" // in a store all targets share (database, cache)
)

// InheritProfile is the iam_instance_profile value that copies the source's profile.
const InheritProfile = "inherit"

var fleetSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "source"},
		{Name: "source_pattern"},
		{Name: "target_group", Required: true},
		{Name: "sessions"},
		{Name: "iam_instance_profile"},
		{Name: "instance_type"},
	},
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "image"},
		{Type: "rollout"},
		{Type: "zone", LabelNames: []string{"az"}},
	},
}

var imageSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "name"},
		{Name: "version"},
		{Name: "no_reboot"},
		{Name: "id"},
		{Name: "keep"},
	},
}

var rolloutSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "min_healthy_percent"},
		{Name: "max_surge"},
		{Name: "bake_time"},
		{Name: "health_timeout"},
		{Name: "auto_rollback"},
		{Name: "alarms"},
		{Name: "max_5xx_percent"},
		{Name: "max_p95_latency"},
		{Name: "checkpoints"},
		{Name: "keep_old"},
	},
}

// Rollout defaults: as safe as EC2 Auto Scaling's instance refresh can be made — no capacity
// lost at any moment, one extra member at a time, a broken image rolled back.
const (
	DefaultMinHealthyPercent = 100
	DefaultMaxSurge          = 1
	DefaultHealthTimeout     = 10 * time.Minute
	// DefaultImageKeep is how many baked images of a fleet are kept (the current one and the
	// one before it, to roll back to).
	DefaultImageKeep = 2
)

var zoneSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "count", Required: true},
		{Name: "subnet"},
	},
}

var (
	instanceIDPattern = regexp.MustCompile(`^i-([0-9a-f]{8}|[0-9a-f]{17})$`)
	imageIDPattern    = regexp.MustCompile(`^ami-([0-9a-f]{8}|[0-9a-f]{17})$`)
	// instanceTypePattern is the shape of an EC2 instance type: family, generation and
	// options, a dot, a size ("t3.small", "m7i-flex.large", "u-6tb1.metal").
	instanceTypePattern = regexp.MustCompile(`^[a-z][a-z0-9-]*\.[a-z0-9-]+$`)
	imageNamePattern    = regexp.MustCompile(`^[A-Za-z0-9()\[\] ./\-'@_]{3,128}$`)
	profileNamePattern  = regexp.MustCompile(`^[\w+=,.@-]{1,128}$`)
	profileARNPattern   = regexp.MustCompile(`^arn:aws[a-z-]*:iam::\d{12}:instance-profile/[\w+=,.@/-]{1,512}$`)
)

const (
	// maxTagValueLength is AWS's limit on a tag value (Name tags, albctl:image-version).
	maxTagValueLength = 256
	// maxZoneCount bounds zone counts: AWS allows 1000 targets per target group behind an
	// ALB by default, so a larger count is a typo rather than a plan.
	maxZoneCount = 1000
)

// fleetDecl is a decoded fleet and what the checks across fleets need to know about it.
type fleetDecl struct {
	Fleet
	zonesOK   bool // every zone block decoded without error
	tgOK      bool // TargetGroup names a declared target_group
	firstZone *hcl.Block
}

// fleet decodes a fleet block. ctx has target_group.* and load_balancer.* besides var.* and
// local.*; stack has the target groups and the cloud block decoded already.
func (l *loader) fleet(b *hcl.Block, ctx *hcl.EvalContext, stack *Stack) fleetDecl {
	f := newFleetDecl(b)
	a, blocks := l.decodeBody(b.Body, fleetSchema, ctx)

	l.fleetSource(&f.Fleet, a, b)
	if attr := a.attrs["target_group"]; attr != nil {
		f.TargetGroupRange = attr.Expr.Range()
		f.TargetGroup, f.tgOK = l.targetGroupRef(a, attr, f.Label, stack)
	}
	l.fleetInstance(&f.Fleet, a, ctx)
	if rb := l.singleBlock(blocks, "rollout"); rb != nil {
		l.rollout(rb, ctx, &f.Rollout)
	}

	if ib := l.singleBlock(blocks, "image"); ib != nil {
		f.Image = l.image(ib, ctx)
	} else {
		l.errorf(&b.DefRange, "Missing image block",
			"A fleet needs an image block: new instances boot an image baked from the source, never the source's original AMI, so that they run the code deployed since.")
	}
	l.fleetZones(&f, b, blocks, ctx, stack.Cloud.Region)
	return f
}

// newFleetDecl is a fleet with every default set and every range on its label, for the
// attributes it does not set.
func newFleetDecl(b *hcl.Block) fleetDecl {
	return fleetDecl{
		Fleet: Fleet{
			Label:                   b.Labels[0],
			Sessions:                SessionsLocal,
			IAMInstanceProfile:      InheritProfile,
			DeclRange:               b.DefRange,
			SourceRange:             b.DefRange,
			TargetGroupRange:        b.DefRange,
			SessionsRange:           b.DefRange,
			IAMInstanceProfileRange: b.DefRange,
			Rollout: Rollout{
				MinHealthyPercent: DefaultMinHealthyPercent,
				MaxSurge:          DefaultMaxSurge,
				HealthTimeout:     DefaultHealthTimeout,
				AutoRollback:      true,
				DeclRange:         b.DefRange,
			},
		},
		zonesOK: true,
	}
}

// fleetInstance decodes what a fleet's new instances are: sessions, iam_instance_profile
// and instance_type.
func (l *loader) fleetInstance(f *Fleet, a attrs, ctx *hcl.EvalContext) {
	if s, attr, ok := a.str("sessions"); ok {
		f.SessionsRange = attr.Expr.Range()
		if s != SessionsLocal && s != SessionsShared {
			l.exprErrorf(attr, ctx, "Invalid sessions value",
				"sessions must be %q (sessions on the server's local disk) or %q (sessions in a store every target shares); got %q.",
				SessionsLocal, SessionsShared, s)
		} else {
			f.Sessions = s
		}
	}
	if s, attr, ok := a.str("iam_instance_profile"); ok {
		f.IAMInstanceProfileRange = attr.Expr.Range()
		if err := checkProfile(s); err != nil {
			l.exprErrorf(attr, ctx, "Invalid IAM instance profile", "%s", err)
		} else {
			f.IAMInstanceProfile = s
		}
	}

	if s, attr, ok := a.str("instance_type"); ok {
		if !instanceTypePattern.MatchString(s) || len(s) > 64 {
			l.exprErrorf(attr, ctx, "Invalid instance type", "%q is not an EC2 instance type such as \"t3.small\" or \"m7i.large\".", s)
		} else {
			f.InstanceType = s
		}
	}
}

// fleetZones decodes the zone blocks of the fleet block b into f, sorted by AZ; a duplicate
// or broken zone, or none at all, clears f.zonesOK.
func (l *loader) fleetZones(f *fleetDecl, b *hcl.Block, blocks []*hcl.Block, ctx *hcl.EvalContext, region string) {
	seen := map[string]hcl.Range{}
	for _, zb := range blocks {
		if zb.Type != "zone" {
			continue
		}
		if f.firstZone == nil {
			f.firstZone = zb
		}
		az := zb.Labels[0]
		if first, dup := seen[az]; dup {
			l.errorf(&zb.LabelRanges[0], "Duplicate zone block",
				"The zone %q is already declared at %s.", az, first)
			f.zonesOK = false
			continue
		}
		seen[az] = zb.DefRange
		z, ok := l.zone(zb, ctx, region)
		if !ok {
			f.zonesOK = false
			continue
		}
		f.Zones = append(f.Zones, z)
	}
	if f.firstZone == nil {
		l.errorf(&b.DefRange, "Missing zone block",
			"A fleet needs at least one zone \"<availability zone>\" { count = N } block.")
		f.zonesOK = false
	}
	slices.SortFunc(f.Zones, func(a, b FleetZone) int { return strings.Compare(a.AZ, b.AZ) })
}

// targetGroupRef decodes fleet.target_group: a reference target_group.<label>, or a string
// holding the label.
func (l *loader) targetGroupRef(a attrs, attr *hcl.Attribute, fleet string, stack *Stack) (string, bool) {
	var label string
	if tr, diags := hcl.AbsTraversalForExpr(attr.Expr); !diags.HasErrors() && tr.RootName() == blockTargetGroup {
		ok := len(tr) == 2
		if ok {
			switch step := tr[1].(type) {
			case hcl.TraverseAttr:
				label = step.Name
			case hcl.TraverseIndex:
				if step.Key.Type() == cty.String && step.Key.IsKnown() && !step.Key.IsNull() {
					label = step.Key.AsString()
				} else {
					ok = false
				}
			default:
				ok = false
			}
		}
		if !ok {
			l.exprErrorf(attr, a.ctx, "Invalid target group reference",
				"target_group must refer to a whole target_group block, as in target_group = target_group.web.")
			return "", false
		}
	} else {
		s, _, ok := a.str("target_group")
		if !ok {
			return "", false
		}
		label = s
	}
	if _, ok := stack.TargetGroupByLabel(label); !ok {
		var declared []string
		for _, tg := range stack.TargetGroups {
			declared = append(declared, "target_group."+tg.Label)
		}
		hint := "No target_group block is declared."
		if len(declared) > 0 {
			sort.Strings(declared)
			hint = "Declared: " + strings.Join(declared, ", ") + "."
		}
		l.exprErrorf(attr, a.ctx, "Reference to undeclared target group",
			"fleet %q refers to target_group.%s, which is not declared. %s", fleet, label, hint)
		return "", false
	}
	return label, true
}

// rollout decodes a fleet's rollout block over the defaults in r.
func (l *loader) rollout(b *hcl.Block, ctx *hcl.EvalContext, r *Rollout) {
	r.DeclRange = b.DefRange
	a, _ := l.decodeBody(b.Body, rolloutSchema, ctx)
	if n, _, ok := a.integer("min_healthy_percent", 0, 100, "Invalid min_healthy_percent", "minimum healthy percentage"); ok {
		r.MinHealthyPercent = n
	}
	surgeAttr := a.attrs["max_surge"]
	if n, _, ok := a.integer("max_surge", 0, maxZoneCount, "Invalid max_surge", "surge"); ok {
		r.MaxSurge = n
	}
	if d, attr, ok := a.duration("bake_time", "Invalid bake_time"); ok {
		if d < 0 || d > 24*time.Hour {
			l.exprErrorf(attr, ctx, "Invalid bake_time", "bake_time must be between 0s and 24h; got %s.", d)
		} else {
			r.BakeTime = d
		}
	}
	if d, attr, ok := a.duration("health_timeout", "Invalid health_timeout"); ok {
		if d < 30*time.Second || d > 2*time.Hour {
			l.exprErrorf(attr, ctx, "Invalid health_timeout", "health_timeout must be between 30s and 2h (a new target needs at least one health-check interval); got %s.", d)
		} else {
			r.HealthTimeout = d
		}
	}
	if v, _, ok := a.boolean("auto_rollback"); ok {
		r.AutoRollback = v
	}
	l.gates(a, ctx, &r.Gates)
	if r.MaxSurge == 0 && r.MinHealthyPercent == 100 {
		rng := b.DefRange
		if surgeAttr != nil {
			rng = surgeAttr.Expr.Range()
		}
		l.errorf(&rng, "Rollout cannot make progress",
			"max_surge = 0 with min_healthy_percent = 100 leaves no room to replace a member: allow a surge (max_surge >= 1) or a lower min_healthy_percent.")
	}
}

// image decodes a fleet's image block: name (and version, no_reboot) for an image albctl
// bakes, or id for one baked elsewhere.
func (l *loader) image(b *hcl.Block, ctx *hcl.EvalContext) Image {
	img := Image{DeclRange: b.DefRange, NameRange: b.DefRange, Keep: DefaultImageKeep}
	a, _ := l.decodeBody(b.Body, imageSchema, ctx)
	if s, attr, ok := a.str("id"); ok {
		img.NameRange = attr.Expr.Range()
		if !imageIDPattern.MatchString(s) {
			l.exprErrorf(attr, ctx, "Invalid image ID", "%q is not an AMI ID such as \"ami-0123456789abcdef0\".", s)
		} else {
			img.ID = s
		}
		for _, other := range []string{"name", "no_reboot"} {
			if o := a.attrs[other]; o != nil {
				l.errorf(o.NameRange.Ptr(), "Conflicting image settings",
					"%s applies to an image albctl bakes from the source; with id = %q the image is baked elsewhere. Remove one of them.", other, s)
			}
		}
	} else if a.attrs["name"] == nil {
		l.errorf(&b.DefRange, "Missing image name or id",
			"An image block needs name (albctl bakes an image of the source under that name) or id (an existing AMI, baked elsewhere).")
	}
	if n, _, ok := a.integer("keep", 1, 100, "Invalid keep", "number of images to keep"); ok {
		img.Keep = n
	}
	if s, attr, ok := a.str("name"); ok {
		img.NameRange = attr.Expr.Range()
		if !imageNamePattern.MatchString(s) {
			l.exprErrorf(attr, ctx, "Invalid image name",
				"%q is not a valid AMI name: AWS allows 3 to 128 letters, digits and ( ) [ ] space . / - ' @ _.", s)
		} else {
			img.Name = s
		}
	}
	if s, attr, ok := a.str("version"); ok {
		if len(s) > maxTagValueLength {
			l.exprErrorf(attr, ctx, "Invalid image version",
				"The version is stored in a tag, whose value can have at most %d characters; it has %d.", maxTagValueLength, len(s))
		} else {
			img.Version = s
		}
	}
	if v, _, ok := a.boolean("no_reboot"); ok {
		img.NoReboot = v
	}
	if a.attrs["version"] == nil {
		// Members record the version they run, and a new version replaces them: without a
		// version, the image itself (its name, or its ID) is the version.
		img.Version = img.Name
		if img.ID != "" {
			img.Version = img.ID
		}
	}
	return img
}

// zone decodes a zone "<az>" block; ok is false if anything in it was wrong.
func (l *loader) zone(b *hcl.Block, ctx *hcl.EvalContext, region string) (FleetZone, bool) {
	z := FleetZone{AZ: b.Labels[0], DeclRange: b.DefRange, CountRange: b.DefRange}
	before := len(l.diags)
	a, _ := l.decodeBody(b.Body, zoneSchema, ctx)
	if !azPattern.MatchString(z.AZ) {
		l.errorf(&b.LabelRanges[0], "Invalid Availability Zone",
			"unknown AZ name %q: expected an Availability Zone name such as \"ap-northeast-1a\".", z.AZ)
	} else {
		l.checkRegion(&b.LabelRanges[0], z.AZ, region)
	}
	n, attr, ok := a.integer("count", 0, maxZoneCount, "Invalid count", "count")
	if attr != nil {
		z.CountRange = attr.Expr.Range()
	}
	if ok {
		z.Count = n
	}
	if s, attr, ok := a.str("subnet"); ok {
		if !subnetPattern.MatchString(s) {
			l.exprErrorf(attr, ctx, "Invalid subnet ID", "%q is not a subnet ID; expected one like \"subnet-0123456789abcdef0\".", s)
		} else {
			z.Subnet = s
		}
	}
	return z, !l.diags[before:].HasErrors()
}

// checkSource checks a fleet's source: an instance ID, or the value of a Name tag.
// fleetSource decodes source (an instance ID or an exact Name tag) or source_pattern (a Name
// tag pattern with EC2's wildcards): exactly one of them. A name is exact unless the spec says
// source_pattern, so that "*" or "?" in a Name tag never selects another instance
// (docs/spec.md, "Block fleet").
func (l *loader) fleetSource(f *Fleet, a attrs, b *hcl.Block) {
	src, pat := a.attrs["source"], a.attrs["source_pattern"]
	switch {
	case src != nil && pat != nil:
		l.errorf(pat.NameRange.Ptr(), "Conflicting fleet source",
			"source names the instance exactly (an ID or its Name tag) and source_pattern by a Name tag pattern: give one of them.")
		return
	case src == nil && pat == nil:
		l.errorf(&b.DefRange, "Missing fleet source",
			"A fleet needs source (an instance ID, or the exact value of the source instance's Name tag) or source_pattern (a Name tag pattern such as \"web-*\").")
		return
	}
	if s, attr, ok := a.str("source"); ok {
		f.SourceRange = attr.Expr.Range()
		if err := checkSource(s); err != nil {
			l.exprErrorf(attr, a.ctx, "Invalid fleet source", "%s", err)
		} else {
			f.Source = s
		}
	}
	if s, attr, ok := a.str("source_pattern"); ok {
		f.SourceRange = attr.Expr.Range()
		if err := checkSourcePattern(s); err != nil {
			l.exprErrorf(attr, a.ctx, "Invalid fleet source_pattern", "%s", err)
		} else {
			f.Source, f.SourceIsPattern = s, true
		}
	}
}

// maxSourcePattern bounds source_pattern: an EC2 filter value is at most a tag value long
// (256 characters), plus a backslash per escaped character.
const maxSourcePattern = 2 * maxTagValueLength

// checkSourcePattern checks a source_pattern: not empty, not only wildcards (that would be
// "any instance"), not longer than a Name tag could need.
func checkSourcePattern(s string) error {
	switch {
	case strings.Trim(s, "*?") == "":
		return fmt.Errorf("source_pattern must say something of the Name tag besides wildcards: %s matches every named instance", safefile.Quote(s))
	case len(s) > maxSourcePattern:
		return fmt.Errorf("source_pattern has %d characters; a pattern for a Name tag (at most %d characters) needs at most %d", len(s), maxTagValueLength, maxSourcePattern)
	}
	return nil
}

func checkSource(s string) error {
	switch {
	case strings.TrimSpace(s) == "":
		return fmt.Errorf("source must name the instance to copy: an instance ID (\"i-0123456789abcdef0\") or the value of its Name tag")
	case strings.HasPrefix(s, "i-") && !instanceIDPattern.MatchString(s):
		return fmt.Errorf("%s begins with \"i-\" but is not an instance ID (i- and 8 or 17 lowercase hexadecimal digits)", safefile.Quote(s))
	case len(s) > maxTagValueLength:
		return fmt.Errorf("source is neither an instance ID nor a possible Name tag value (at most %d characters)", maxTagValueLength)
	}
	return nil
}

// checkProfile checks iam_instance_profile: "inherit", a profile name or an instance-profile ARN.
func checkProfile(s string) error {
	switch {
	case s == InheritProfile:
		return nil
	case strings.HasPrefix(s, "arn:"):
		if !profileARNPattern.MatchString(s) {
			return fmt.Errorf("%q is not an instance profile ARN like \"arn:aws:iam::123456789012:instance-profile/web\"", s)
		}
	case !profileNamePattern.MatchString(s):
		return fmt.Errorf("%q is not %q, an instance profile name (1 to 128 letters, digits and +=,.@_-) or an instance profile ARN", s, InheritProfile)
	}
	return nil
}

// checkFleets runs the checks that span fleets and target groups. fleets are in source order.
func (l *loader) checkFleets(stack *Stack, fleets []fleetDecl) {
	if len(fleets) == 0 {
		return
	}

	// A fleet behind an ALB needs a target somewhere. Two targets in two zones are not
	// required: the ALB's two zones must each be able to serve, which the plan checks against
	// the security groups and network ACLs (docs/design.md, "Zones and reachability").
	spanTargets := len(fleets) == 1
	for _, lb := range stack.LoadBalancers {
		spanTargets = spanTargets || lb.ZonesFromTargets
	}
	zonesOK := true
	count := 0
	for _, f := range fleets {
		zonesOK = zonesOK && f.zonesOK
		for _, z := range f.Zones {
			count += z.Count
		}
	}
	if spanTargets && zonesOK && count == 0 {
		first := fleets[0]
		rng := first.DeclRange
		if first.firstZone != nil {
			rng = first.firstZone.DefRange
		}
		l.errorf(&rng, "No targets",
			"A fleet behind an ALB needs at least one target: no zone has a count above 0, so every request would get 503. Give a zone block a count above 0.")
	}

	// Pitfall 3: sessions on local disk break as soon as a second target takes traffic,
	// unless the target group's stickiness keeps each client on its server.
	targets := map[string]int{}
	for _, f := range fleets {
		if f.tgOK {
			for _, z := range f.Zones {
				targets[f.TargetGroup] += z.Count
			}
		}
	}
	for _, f := range fleets {
		if !f.tgOK || f.Sessions != SessionsLocal {
			continue
		}
		tg, _ := stack.TargetGroupByLabel(f.TargetGroup)
		if n := targets[f.TargetGroup]; n > 1 && tg.Stickiness == nil {
			rng := f.SessionsRange
			l.errorf(&rng, "Sticky sessions required",
				"fleet %q keeps sessions on the server's local disk (sessions = \"local\") and puts %d targets behind target_group.%s, which has no stickiness block: a second target would get requests for sessions it does not know. Add stickiness { type = \"lb_cookie\" } to target_group %q, or set sessions = \"shared\" if sessions live in a shared store.",
				f.Label, n, f.TargetGroup, f.TargetGroup)
		}
	}
}
