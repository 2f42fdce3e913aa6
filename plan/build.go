package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/albctl/albctl/cloud"
	"github.com/albctl/albctl/specs"
)

// Build compares the desired stack with the observed world and returns the steps that take one
// to the other. Problems that stop planning (a missing target group, an ambiguous source, a
// zone without a subnet) come back as hcl.Diagnostics pointing at the spec, naming the AWS
// resource; the plan is then nil.
func Build(stack *specs.Stack, world *cloud.World) (*Plan, error) {
	b := &builder{stack: stack, world: world, steps: map[string]*Step{}}
	b.targetGroups()
	b.fleets()
	b.loadBalancers()
	b.retire()
	if b.diags.HasErrors() {
		return nil, b.diags
	}
	p := &Plan{Steps: b.ordered(), Warnings: b.warnings}
	return p, nil
}

type builder struct {
	stack *specs.Stack
	world *cloud.World
	diags hcl.Diagnostics

	steps    map[string]*Step
	warnings []string
	// memberIndex[fleet, tg name] are the instances tagged as that fleet's members.
	memberIndex map[[2]string][]*cloud.Instance

	// stickiness[tg label] is the enable_stickiness step ID, if one is planned.
	stickiness map[string]string
	// zonesWanted[tg name] is the set of AZs where the target group will have targets.
	zonesWanted map[string]map[string]bool
	// registers[tg name] are the register_target step IDs for that target group.
	registers map[string][]string
	// removals are members to take out of service, in order of discovery.
	removals []removal
	// addZones[az][tg name] is the add_zones step that enables az for a load balancer that
	// serves tg; registers in that AZ wait for it. Filled by loadBalancers, then patched into
	// the register steps.
	addZones map[string]map[string][]string
	// registerAZ[step ID] is the AZ a register_target step puts a target in.
	registerAZ map[string]string
	// trims[tg name] are trim_zones steps of load balancers serving tg.
	trims map[string][]string
	// targets[tg ARN][instance ID] indexes registrations, so that planning stays linear in
	// the number of targets.
	targets map[string]map[string]*cloud.Target
}

// target returns tg's registration of instance id, if any.
func (b *builder) target(tg *cloud.TargetGroup, id string) (*cloud.Target, bool) {
	if b.targets == nil {
		b.targets = map[string]map[string]*cloud.Target{}
	}
	idx, ok := b.targets[tg.ARN]
	if !ok {
		idx = make(map[string]*cloud.Target, len(tg.Targets))
		for i := range tg.Targets {
			if _, dup := idx[tg.Targets[i].ID]; !dup {
				idx[tg.Targets[i].ID] = &tg.Targets[i]
			}
		}
		b.targets[tg.ARN] = idx
	}
	t, ok := idx[id]
	return t, ok
}

type removal struct {
	fleet    string
	tg       *cloud.TargetGroup
	instance *cloud.Instance
	reason   string
}

func (b *builder) errorf(rng hcl.Range, summary, detail string, args ...any) {
	r := rng
	b.diags = append(b.diags, &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   fmt.Sprintf(detail, args...),
		Subject:  &r,
	})
}

func (b *builder) add(s *Step) {
	if s.DependsOn == nil {
		s.DependsOn = []string{}
	}
	b.steps[s.ID] = s
}

// targetGroups plans stickiness for every target group that asks for it.
func (b *builder) targetGroups() {
	b.stickiness = map[string]string{}
	b.zonesWanted = map[string]map[string]bool{}
	b.registers = map[string][]string{}
	b.registerAZ = map[string]string{}
	b.trims = map[string][]string{}
	b.addZones = map[string]map[string][]string{}
	for i := range b.stack.TargetGroups {
		tg := &b.stack.TargetGroups[i]
		w, ok := b.world.TargetGroup(tg.Name)
		if !ok {
			b.errorf(tg.DeclRange, "Target group not found",
				"target group %q does not exist. albctl scales what sits behind an existing target group; it does not create one.", tg.Name)
			continue
		}
		b.healthCheckDrift(tg, w)
		if tg.Stickiness == nil {
			continue
		}
		want := StickinessAttributes(tg.Stickiness)
		var diff []string
		for _, k := range slices.Sorted(maps.Keys(want)) {
			if w.Attributes[k] != want[k] {
				diff = append(diff, fmt.Sprintf("%s %q -> %q", k, w.Attributes[k], want[k]))
			}
		}
		if len(diff) == 0 {
			continue
		}
		reason := fmt.Sprintf("stickiness is %s on %s; the spec wants %s", stickinessNow(w.Attributes), tg.Name, describeStickiness(tg.Stickiness))
		if b.localSessions(tg.Label) {
			reason = fmt.Sprintf("sessions live on each server's local disk: %s must be on before a second target takes traffic, or half the requests land on a server that does not know the session", describeStickiness(tg.Stickiness))
		}
		id := "enable_stickiness." + tg.Label
		b.add(&Step{
			ID:         id,
			Kind:       EnableStickiness,
			Resource:   "target group " + tg.Name,
			Reason:     reason,
			Stickiness: &StickinessParams{TargetGroupARN: w.ARN, Attributes: want},
		})
		b.stickiness[tg.Label] = id
	}
}

// healthCheckDrift warns where the target group's health check differs from the spec's:
// albctl relies on it to decide when a new target serves, but does not change it.
func (b *builder) healthCheckDrift(tg *specs.TargetGroup, w *cloud.TargetGroup) {
	hc := tg.HealthCheck
	if hc == nil {
		return
	}
	var diff []string
	check := func(what string, want, have any, given bool) {
		if given && fmt.Sprint(want) != fmt.Sprint(have) {
			diff = append(diff, fmt.Sprintf("%s is %v, the spec says %v", what, have, want))
		}
	}
	check("path", hc.Path, w.HealthCheck.Path, hc.Path != "")
	check("interval", hc.Interval, time.Duration(w.HealthCheck.IntervalSeconds)*time.Second, hc.Interval != 0)
	check("timeout", hc.Timeout, time.Duration(w.HealthCheck.TimeoutSeconds)*time.Second, hc.Timeout != 0)
	check("healthy threshold", hc.HealthyThreshold, w.HealthCheck.HealthyThreshold, hc.HealthyThreshold != 0)
	check("unhealthy threshold", hc.UnhealthyThreshold, w.HealthCheck.UnhealthyThreshold, hc.UnhealthyThreshold != 0)
	check("matcher", hc.Matcher, w.HealthCheck.Matcher, hc.Matcher != "")
	if len(diff) > 0 {
		b.warnings = append(b.warnings, fmt.Sprintf("target group %s: health check %s; albctl does not change health checks: fix the spec or the target group", tg.Name, strings.Join(diff, "; ")))
	}
}

func (b *builder) localSessions(tgLabel string) bool {
	for _, f := range b.stack.Fleets {
		if f.TargetGroup == tgLabel && f.Sessions == "local" {
			return true
		}
	}
	return false
}

// StickinessAttributes is the target group attribute set a stickiness block asks for.
func StickinessAttributes(s *specs.Stickiness) map[string]string {
	secs := strconv.Itoa(int(s.Duration / time.Second))
	m := map[string]string{
		"stickiness.enabled": "true",
		"stickiness.type":    s.Type,
	}
	if s.Type == "app_cookie" {
		m["stickiness.app_cookie.cookie_name"] = s.CookieName
		m["stickiness.app_cookie.duration_seconds"] = secs
	} else {
		m["stickiness.lb_cookie.duration_seconds"] = secs
	}
	return m
}

func stickinessNow(attrs map[string]string) string {
	if attrs["stickiness.enabled"] != "true" {
		return "off"
	}
	return "on (" + attrs["stickiness.type"] + ")"
}

func describeStickiness(s *specs.Stickiness) string {
	d := s.Duration.String()
	if s.Type == "app_cookie" {
		return fmt.Sprintf("app_cookie stickiness on cookie %s for %s", s.CookieName, d)
	}
	return "lb_cookie stickiness for " + d
}

// fleets plans images, launches, profiles and registrations for every fleet.
func (b *builder) fleets() {
	for i := range b.stack.Fleets {
		b.fleet(&b.stack.Fleets[i])
	}
}

func (b *builder) fleet(f *specs.Fleet) {
	tgSpec, ok := b.stack.TargetGroupByLabel(f.TargetGroup)
	if !ok {
		b.errorf(f.DeclRange, "Unknown target group", "fleet %q refers to target_group.%s, which is not declared", f.Label, f.TargetGroup)
		return
	}
	tg, ok := b.world.TargetGroup(tgSpec.Name)
	if !ok {
		return // reported once, by targetGroups
	}
	sources := b.world.Sources(f.Source)
	switch {
	case len(sources) == 0:
		b.errorf(f.SourceRange, "Source instance not found",
			"fleet %q: no live instance matches %q (an instance ID, or the Name tag of an instance albctl did not launch)", f.Label, f.Source)
		return
	case len(sources) > 1:
		var ids []string
		for _, s := range sources {
			ids = append(ids, s.ID)
		}
		b.errorf(f.SourceRange, "Ambiguous source instance",
			"fleet %q: %d live instances are named %q (%s); name the source by instance ID", f.Label, len(sources), f.Source, strings.Join(ids, ", "))
		return
	}
	src := sources[0]
	members := b.members(f.Label, tg.Name)

	profile := f.IAMInstanceProfile
	if profile == "inherit" {
		profile = src.IAMProfileARN
		if profile == "" {
			b.warnings = append(b.warnings, fmt.Sprintf("fleet %q: source %s has no IAM instance profile, so new instances get none (iam_instance_profile = \"inherit\")", f.Label, src.ID))
		}
	}

	wanted := map[string]int{}
	zoneRange := map[string]hcl.Range{}
	for _, z := range f.Zones {
		wanted[z.AZ] = z.Count
		zoneRange[z.AZ] = z.DeclRange
	}
	if wanted[src.AZ] < 1 {
		b.errorf(f.DeclRange, "Source zone must keep the source",
			"fleet %q: source %s is in %s, and the source counts as a member of its zone: declare zone %q with count >= 1 (albctl never terminates the source)", f.Label, src.ID, src.AZ, src.AZ)
		return
	}
	if b.zonesWanted[tg.Name] == nil {
		b.zonesWanted[tg.Name] = map[string]bool{}
	}
	for az, n := range wanted {
		if n > 0 {
			b.zonesWanted[tg.Name][az] = true
		}
	}

	// Members per AZ, the source first, then by slot and ID so that the newest go first when
	// a zone shrinks.
	byAZ := map[string][]*cloud.Instance{src.AZ: {src}}
	sortBySlot(members)
	for _, m := range members {
		byAZ[m.AZ] = append(byAZ[m.AZ], m)
	}

	var launches []string
	keep := map[string]bool{}
	for _, az := range slices.Sorted(maps.Keys(byAZ)) {
		have := byAZ[az]
		n := wanted[az]
		for k, in := range have {
			if k < n {
				keep[in.ID] = true
				continue
			}
			why := fmt.Sprintf("fleet %q wants %d in %s and has %d", f.Label, n, az, len(have))
			b.removals = append(b.removals, removal{fleet: f.Label, tg: tg, instance: in, reason: why})
		}
	}

	// Launch the missing members, slot by slot.
	var imageStep, imageID string
	for _, z := range f.Zones {
		missing := z.Count - len(byAZ[z.AZ])
		if missing <= 0 {
			continue
		}
		subnet := b.launchSubnet(f, z, src)
		if subnet == "" {
			continue
		}
		if imageStep == "" && imageID == "" {
			imageStep, imageID = b.image(f, src, tg)
		}
		taken := map[int]bool{}
		for _, m := range byAZ[z.AZ] {
			if n, ok := slotNumber(m, z.AZ); ok {
				taken[n] = true
			}
		}
		for slot := 1; missing > 0; slot++ {
			if taken[slot] {
				continue
			}
			missing--
			launches = append(launches, b.launch(f, z, slot, src, tg, subnet, profile, imageStep, imageID))
		}
	}

	// Members that exist but lack the profile (drift) get it attached.
	if profile != "" {
		for _, in := range append([]*cloud.Instance{src}, members...) {
			if !keep[in.ID] || profileMatches(in.IAMProfileARN, profile) {
				continue
			}
			if in.IAMProfileARN != "" {
				b.warnings = append(b.warnings, fmt.Sprintf("fleet %q: %s has IAM instance profile %s, not %s; albctl does not replace an existing association", f.Label, in.ID, in.IAMProfileARN, profile))
				continue
			}
			b.add(&Step{
				ID:        fmt.Sprintf("associate_instance_profile.%s.%s", f.Label, in.ID),
				Kind:      AssociateInstanceProfile,
				Resource:  "instance " + in.ID,
				Reason:    fmt.Sprintf("%s runs without the IAM instance profile %s the app needs", in.ID, profileName(profile)),
				Associate: &AssociateParams{InstanceID: in.ID, IAMProfile: profile},
			})
		}
	}

	// Register every kept member that is not serving yet, new ones after their launch.
	for _, in := range append([]*cloud.Instance{src}, members...) {
		if !keep[in.ID] {
			continue
		}
		if t, ok := b.target(tg, in.ID); ok && t.State != "draining" {
			continue
		}
		id := fmt.Sprintf("register_target.%s.%s", f.Label, in.ID)
		b.add(&Step{
			ID:       id,
			Kind:     RegisterTarget,
			Resource: fmt.Sprintf("instance %s in %s", in.ID, tg.Name),
			Reason:   fmt.Sprintf("%s is a member of fleet %q in %s but not a target of %s", in.ID, f.Label, in.AZ, tg.Name),
			Target:   &TargetParams{TargetGroupARN: tg.ARN, InstanceID: in.ID, Port: tg.Port, AZ: in.AZ},
		})
		b.registered(f, tg, id, in.AZ)
	}
	for _, l := range launches {
		ls := b.steps[l]
		id := "register_target." + strings.TrimPrefix(l, "launch_instance.")
		b.add(&Step{
			ID:        id,
			Kind:      RegisterTarget,
			Resource:  fmt.Sprintf("%s in %s", ls.Resource, tg.Name),
			Reason:    fmt.Sprintf("the new instance serves only once it is a healthy target of %s", tg.Name),
			DependsOn: []string{l},
			Target:    &TargetParams{TargetGroupARN: tg.ARN, InstanceStep: l, Port: tg.Port, AZ: ls.Launch.AZ},
		})
		b.registered(f, tg, id, ls.Launch.AZ)
	}
}

func (b *builder) registered(f *specs.Fleet, tg *cloud.TargetGroup, id, az string) {
	b.registers[tg.Name] = append(b.registers[tg.Name], id)
	b.registerAZ[id] = az
	if s, ok := b.stickiness[f.TargetGroup]; ok {
		b.steps[id].DependsOn = append(b.steps[id].DependsOn, s)
	}
}

// image returns the step that bakes the fleet's image, or the ID of the image that exists.
func (b *builder) image(f *specs.Fleet, src *cloud.Instance, tg *cloud.TargetGroup) (step, id string) {
	if im, ok := b.world.ImageByName(f.Image.Name); ok {
		return "", im.ID
	}
	s := &Step{
		ID:       "create_image." + f.Label,
		Kind:     CreateImage,
		Resource: "image " + f.Image.Name,
		Reason: fmt.Sprintf("new instances must boot what %s runs now, not its original AMI %s (\"launch more like this\" copies settings, not the disk)",
			src.ID, src.ImageID),
		Image: &ImageParams{
			SourceInstanceID: src.ID,
			Name:             f.Image.Name,
			NoReboot:         f.Image.NoReboot,
			Tags: map[string]string{
				cloud.TagStack:        tg.Name,
				cloud.TagFleet:        f.Label,
				cloud.TagImageVersion: f.Image.Version,
				"Name":                f.Image.Name,
			},
		},
	}
	if !f.Image.NoReboot && b.onlyHealthyTarget(tg, src.ID) {
		s.Warning = fmt.Sprintf("OUTAGE: CreateImage reboots %s (no_reboot = false), and it is the only healthy target of %s: requests fail until it passes its health checks again. Set no_reboot = true, or accept the outage.", src.ID, tg.Name)
		b.warnings = append(b.warnings, s.Warning)
	}
	b.add(s)
	return s.ID, ""
}

func (b *builder) onlyHealthyTarget(tg *cloud.TargetGroup, id string) bool {
	healthy := 0
	self := false
	for _, t := range tg.Targets {
		if t.State == "healthy" {
			healthy++
			self = self || t.ID == id
		}
	}
	return self && healthy == 1
}

func (b *builder) launchSubnet(f *specs.Fleet, z specs.FleetZone, src *cloud.Instance) string {
	if z.Subnet != "" {
		s, ok := b.world.Subnet(z.Subnet)
		if !ok {
			b.errorf(z.DeclRange, "Subnet not found", "fleet %q zone %q: subnet %s does not exist in %s", f.Label, z.AZ, z.Subnet, src.VpcID)
			return ""
		}
		if s.AZ != z.AZ {
			b.errorf(z.DeclRange, "Subnet in another zone", "fleet %q zone %q: subnet %s is in %s", f.Label, z.AZ, z.Subnet, s.AZ)
			return ""
		}
		return s.ID
	}
	if src.AZ == z.AZ {
		return src.SubnetID
	}
	subnets := b.world.SubnetsIn(src.VpcID, z.AZ)
	switch len(subnets) {
	case 0:
		b.errorf(z.DeclRange, "No subnet in zone", "fleet %q: VPC %s of source %s has no subnet in %s", f.Label, src.VpcID, src.ID, z.AZ)
		return ""
	case 1:
		return subnets[0].ID
	}
	var ids []string
	for _, s := range subnets {
		ids = append(ids, s.ID)
	}
	b.errorf(z.DeclRange, "Several subnets in zone", "fleet %q: VPC %s has %d subnets in %s (%s); choose one with subnet = \"...\" in this zone block", f.Label, src.VpcID, len(subnets), z.AZ, strings.Join(ids, ", "))
	return ""
}

func (b *builder) launch(f *specs.Fleet, z specs.FleetZone, slot int, src *cloud.Instance, tg *cloud.TargetGroup, subnet, profile, imageStep, imageID string) string {
	name := src.Tags["Name"]
	if name == "" {
		name = f.Label
	}
	suffix := z.AZ
	if i := strings.LastIndex(z.AZ, "-"); i >= 0 {
		suffix = z.AZ[i+1:]
	}
	tags := map[string]string{}
	for k, v := range src.Tags {
		if !strings.HasPrefix(k, "aws:") && !strings.HasPrefix(k, "albctl:") {
			tags[k] = v
		}
	}
	tags["Name"] = fmt.Sprintf("%s-%s-%d", name, suffix, slot)
	tags[cloud.TagStack] = tg.Name
	tags[cloud.TagFleet] = f.Label
	tags[cloud.TagImageVersion] = f.Image.Version
	tags[cloud.TagSlot] = fmt.Sprintf("%s/%d", z.AZ, slot)

	id := fmt.Sprintf("launch_instance.%s.%s.%d", f.Label, z.AZ, slot)
	s := &Step{
		ID:       id,
		Kind:     LaunchInstance,
		Resource: fmt.Sprintf("instance %s (%s #%d)", tags["Name"], z.AZ, slot),
		Reason:   fmt.Sprintf("fleet %q wants %d in %s", f.Label, z.Count, z.AZ),
		Launch: &LaunchParams{
			ImageID:          imageID,
			ImageStep:        imageStep,
			ImageName:        f.Image.Name,
			AZ:               z.AZ,
			SubnetID:         subnet,
			InstanceType:     src.InstanceType,
			KeyName:          src.KeyName,
			SecurityGroupIDs: slices.Clone(src.SecurityGroupIDs),
			IAMProfile:       profile,
			ClientToken:      clientToken(tg.Name, f.Label, z.AZ, slot, f.Image.Name),
			Tags:             tags,
		},
	}
	if profile != "" {
		s.Reason += fmt.Sprintf(", from the baked image, with IAM instance profile %s", profileName(profile))
	}
	if imageStep != "" {
		s.DependsOn = []string{imageStep}
	}
	b.add(s)
	return id
}

// clientToken is stable for one slot of one image, so a re-run after a crash gets back the
// instance the interrupted run launched instead of a second one.
func clientToken(tg, fleet, az string, slot int, image string) string {
	sum := sha256.Sum256([]byte(strings.Join([]string{tg, fleet, az, strconv.Itoa(slot), image}, "\x00")))
	return "albctl-" + hex.EncodeToString(sum[:16])
}

func slotNumber(in *cloud.Instance, az string) (int, bool) {
	s, ok := in.Tags[cloud.TagSlot]
	if !ok {
		return 0, false
	}
	prefix := az + "/"
	if !strings.HasPrefix(s, prefix) {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimPrefix(s, prefix))
	return n, err == nil
}

// sortBySlot sorts members as slotOrder does, parsing each slot tag once.
func sortBySlot(members []*cloud.Instance) {
	type keyed struct {
		in   *cloud.Instance
		slot int
		ok   bool
	}
	ks := make([]keyed, len(members))
	for i, m := range members {
		n, ok := slotNumber(m, m.AZ)
		ks[i] = keyed{m, n, ok}
	}
	slices.SortStableFunc(ks, func(a, b keyed) int {
		switch {
		case a.ok != b.ok:
			if a.ok {
				return -1
			}
			return 1
		case a.slot != b.slot:
			return a.slot - b.slot
		}
		return strings.Compare(a.in.ID, b.in.ID)
	})
	for i := range ks {
		members[i] = ks[i].in
	}
}

// members is world.Members(fleet, tgName), from an index of the world built on first use,
// so that planning F fleets reads the instances once, not F times.
func (b *builder) members(fleet, tgName string) []*cloud.Instance {
	if b.memberIndex == nil {
		b.memberIndex = map[[2]string][]*cloud.Instance{}
		for i := range b.world.Instances {
			in := &b.world.Instances[i]
			if f := in.Tags[cloud.TagFleet]; f != "" {
				k := [2]string{f, in.Tags[cloud.TagStack]}
				b.memberIndex[k] = append(b.memberIndex[k], in)
			}
		}
	}
	var out []*cloud.Instance
	for _, in := range b.memberIndex[[2]string{fleet, tgName}] {
		switch in.State {
		case "pending", "running", "stopping", "stopped":
			out = append(out, in)
		}
	}
	return out
}

func slotOrder(a, b *cloud.Instance) bool {
	na, oka := slotNumber(a, a.AZ)
	nb, okb := slotNumber(b, b.AZ)
	if oka != okb {
		return oka
	}
	if na != nb {
		return na < nb
	}
	return a.ID < b.ID
}

func profileMatches(arn, want string) bool {
	if arn == "" {
		return false
	}
	if strings.HasPrefix(want, "arn:") {
		return arn == want
	}
	return strings.HasSuffix(arn, "/"+want)
}

func profileName(p string) string {
	if i := strings.LastIndex(p, "/"); strings.HasPrefix(p, "arn:") && i >= 0 {
		return p[i+1:]
	}
	return p
}

// loadBalancers plans zone changes: add the AZs that will hold targets before registering
// there, and trim the ones that will not, after the kept zones have healthy targets.
func (b *builder) loadBalancers() {
	for i := range b.stack.LoadBalancers {
		b.loadBalancer(&b.stack.LoadBalancers[i])
	}
	// Registrations wait for their zone to be enabled.
	for id, az := range b.registerAZ {
		s := b.steps[id]
		for _, add := range b.addZones[az][tgNameOf(b, s)] {
			s.DependsOn = append(s.DependsOn, add)
		}
	}
}

func tgNameOf(b *builder, s *Step) string {
	for i := range b.world.TargetGroups {
		if b.world.TargetGroups[i].ARN == s.Target.TargetGroupARN {
			return b.world.TargetGroups[i].Name
		}
	}
	return ""
}

func (b *builder) loadBalancer(l *specs.LoadBalancer) {
	lb, ok := b.world.LoadBalancer(l.Name)
	if !ok {
		b.errorf(l.DeclRange, "Load balancer not found", "load balancer %q does not exist. albctl manages the zones of an existing ALB; it does not create one.", l.Name)
		return
	}
	var tgs []*cloud.TargetGroup
	for i := range b.world.TargetGroups {
		tg := &b.world.TargetGroups[i]
		if slices.Contains(tg.LoadBalancerARNs, lb.ARN) {
			tgs = append(tgs, tg)
		}
	}
	current := map[string]string{} // az -> subnet
	for _, z := range lb.Zones {
		current[z.AZ] = z.SubnetID
	}
	desired := map[string]string{}
	if l.ZonesFromTargets {
		served := false
		for _, tg := range tgs {
			if b.zonesWanted[tg.Name] == nil {
				continue
			}
			served = true
			for az := range b.zonesWanted[tg.Name] {
				desired[az] = ""
			}
		}
		if !served {
			b.errorf(l.ZonesRange, "No fleet behind this load balancer",
				"load_balancer %q: zones = \"targets\", but no fleet's target group is attached to %s (through a listener)", l.Label, l.Name)
			return
		}
	} else {
		for _, z := range l.Zones {
			if strings.HasPrefix(z, "subnet-") {
				s, ok := b.world.Subnet(z)
				if !ok {
					b.errorf(l.ZonesRange, "Subnet not found", "load_balancer %q: subnet %s does not exist in %s", l.Label, z, lb.VpcID)
					continue
				}
				desired[s.AZ] = s.ID
			} else {
				desired[z] = ""
			}
		}
	}
	for _, az := range slices.Sorted(maps.Keys(desired)) {
		if desired[az] != "" {
			continue
		}
		if s, ok := current[az]; ok {
			desired[az] = s
			continue
		}
		subnets := b.world.SubnetsIn(lb.VpcID, az)
		switch len(subnets) {
		case 0:
			b.errorf(l.ZonesRange, "No subnet in zone", "load_balancer %q: VPC %s of %s has no subnet in %s", l.Label, lb.VpcID, l.Name, az)
		case 1:
			desired[az] = subnets[0].ID
		default:
			var ids []string
			for _, s := range subnets {
				ids = append(ids, s.ID)
			}
			b.errorf(l.ZonesRange, "Several subnets in zone", "load_balancer %q: VPC %s has %d subnets in %s (%s); list the one to use in zones", l.Label, lb.VpcID, len(subnets), az, strings.Join(ids, ", "))
		}
	}
	if len(desired) < 2 {
		b.errorf(l.ZonesRange, "An ALB needs two zones", "load_balancer %q: %s would span %d Availability Zone(s) %v; AWS requires at least two", l.Label, l.Name, len(desired), slices.Sorted(maps.Keys(desired)))
		return
	}

	var tgARNs, tgNames []string
	for _, tg := range tgs {
		tgARNs = append(tgARNs, tg.ARN)
		tgNames = append(tgNames, tg.Name)
	}
	// Step 1: add the new AZs (keeping all current ones: SetSubnets replaces the set).
	var added []string
	afterAdd := maps.Clone(current)
	for _, az := range slices.Sorted(maps.Keys(desired)) {
		if _, ok := current[az]; !ok {
			added = append(added, az)
			afterAdd[az] = desired[az]
		}
	}
	var addID string
	if len(added) > 0 {
		addID = "add_zones." + l.Label
		// Enable the zone once its instances run: a zone's node gets its share of clients as
		// soon as it is enabled, and targets are health-checked only in an enabled zone, so
		// this keeps the zone empty for no longer than its first health checks.
		var launches []string
		for id, st := range b.steps {
			if st.Kind == LaunchInstance && slices.Contains(added, st.Launch.AZ) && slices.Contains(tgNames, st.Launch.Tags[cloud.TagStack]) {
				launches = append(launches, id)
			}
		}
		b.add(&Step{
			ID:        addID,
			Kind:      AddZones,
			Resource:  "load balancer " + l.Name,
			Reason:    fmt.Sprintf("targets will run in %s: the ALB must be enabled there, or they stay unused (Target.NotInUse); enabled once they run, so the new zone is empty only while they pass their first health checks", strings.Join(added, ", ")),
			DependsOn: launches,
			Zones:     zonesParams(lb.ARN, afterAdd, added, nil, nil),
		})
		for _, az := range added {
			if b.addZones[az] == nil {
				b.addZones[az] = map[string][]string{}
			}
			for _, n := range tgNames {
				b.addZones[az][n] = append(b.addZones[az][n], addID)
			}
		}
	}
	// Step 2: trim to exactly the desired set, once every kept zone serves.
	if maps.Equal(afterAdd, desired) {
		return
	}
	var removed []string
	for _, az := range slices.Sorted(maps.Keys(afterAdd)) {
		if desired[az] != afterAdd[az] {
			removed = append(removed, az)
		}
	}
	s := &Step{
		ID:       "trim_zones." + l.Label,
		Kind:     TrimZones,
		Resource: "load balancer " + l.Name,
		Reason:   trimReason(l, removed, desired),
		Zones:    zonesParams(lb.ARN, desired, nil, removed, tgARNs),
	}
	if addID != "" {
		s.DependsOn = append(s.DependsOn, addID)
	}
	for _, n := range tgNames {
		s.DependsOn = append(s.DependsOn, b.registers[n]...)
		b.trims[n] = append(b.trims[n], s.ID)
	}
	b.add(s)
}

func trimReason(l *specs.LoadBalancer, removed []string, desired map[string]string) string {
	var parts []string
	for _, az := range removed {
		if _, kept := desired[az]; kept {
			parts = append(parts, az+" moves to subnet "+desired[az])
		} else if l.ZonesFromTargets {
			parts = append(parts, az+" has no targets: requests routed there risk 503/504")
		} else {
			parts = append(parts, az+" is not in the spec's zones")
		}
	}
	return strings.Join(parts, "; ") + " (each enabled AZ gets a load balancer node and its share of DNS answers)"
}

func zonesParams(arn string, set map[string]string, added, removed, tgARNs []string) *ZonesParams {
	p := &ZonesParams{LoadBalancerARN: arn, Added: added, Removed: removed, TargetGroupARNs: tgARNs}
	for _, az := range slices.Sorted(maps.Keys(set)) {
		p.AZs = append(p.AZs, az)
		p.SubnetIDs = append(p.SubnetIDs, set[az])
	}
	sort.Strings(p.SubnetIDs)
	return p
}

// retire takes surplus members out of service: deregister only once every new target of the
// same group is healthy (capacity never drops), then terminate once draining is over.
func (b *builder) retire() {
	for _, r := range b.removals {
		tgName := r.tg.Name
		var term []string
		if t, ok := b.target(r.tg, r.instance.ID); ok && t.State != "draining" {
			id := fmt.Sprintf("deregister_target.%s.%s", r.fleet, r.instance.ID)
			s := &Step{
				ID:        id,
				Kind:      DeregisterTarget,
				Resource:  fmt.Sprintf("instance %s in %s", r.instance.ID, tgName),
				Reason:    r.reason + "; deregistered after every new target is healthy, then drained",
				DependsOn: append(slices.Clone(b.registers[tgName]), b.trims[tgName]...),
				Target:    &TargetParams{TargetGroupARN: r.tg.ARN, InstanceID: r.instance.ID, Port: t.Port, AZ: r.instance.AZ},
			}
			b.add(s)
			term = []string{id}
		} else {
			term = append(slices.Clone(b.registers[tgName]), b.trims[tgName]...)
		}
		if r.instance.Tags[cloud.TagFleet] == "" {
			continue // never terminate what albctl did not launch
		}
		b.add(&Step{
			ID:        fmt.Sprintf("terminate_instance.%s.%s", r.fleet, r.instance.ID),
			Kind:      TerminateInstance,
			Resource:  "instance " + r.instance.ID,
			Reason:    r.reason,
			DependsOn: term,
			Terminate: &TerminateParams{InstanceID: r.instance.ID},
		})
	}
}

var kindOrder = map[Kind]int{
	CreateImage: 0, LaunchInstance: 1, AssociateInstanceProfile: 2, EnableStickiness: 3, AddZones: 4,
	RegisterTarget: 5, TrimZones: 6, DeregisterTarget: 7, TerminateInstance: 8,
}

// ordered sorts the steps topologically, ties broken by kind then ID, so the order is both
// safe and stable.
func (b *builder) ordered() []Step {
	indeg := map[string]int{}
	next := map[string][]string{}
	for id, s := range b.steps {
		slices.Sort(s.DependsOn)
		s.DependsOn = slices.Compact(s.DependsOn)
		indeg[id] += 0
		for _, d := range s.DependsOn {
			indeg[id]++
			next[d] = append(next[d], id)
		}
	}
	less := func(x, y string) int {
		kx, ky := kindOrder[b.steps[x].Kind], kindOrder[b.steps[y].Kind]
		if kx != ky {
			return kx - ky
		}
		return strings.Compare(x, y)
	}
	var ready []string
	for id, n := range indeg {
		if n == 0 {
			ready = append(ready, id)
		}
	}
	var out []Step
	for len(ready) > 0 {
		slices.SortFunc(ready, less)
		id := ready[0]
		ready = ready[1:]
		out = append(out, *b.steps[id])
		for _, n := range next[id] {
			indeg[n]--
			if indeg[n] == 0 {
				ready = append(ready, n)
			}
		}
	}
	if len(out) != len(b.steps) {
		panic("plan: dependency cycle") // a planner bug, never an input error
	}
	return out
}
