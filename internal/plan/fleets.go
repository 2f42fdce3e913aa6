package plan

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/specs"
)

// fleetPlan is what planning one fleet works with.
type fleetPlan struct {
	f       *specs.Fleet
	tg      *cloud.TargetGroup
	src     *cloud.Instance
	profile string // name or ARN; "" for none
	typ     string // instance type of new members
	base    string // readable name prefix of new members ("web")
	// imageStep / imageID: where launches get their image (one of them, once resolved).
	imageStep, imageID string
	imageDone          bool
	// replacements are the slots whose members run an older image, in (AZ, slot) order.
	replacements []replacement
	// launches are the launch steps of this fleet (new slots and replacements).
	launches []string
	// resumed are the slots an interrupted rollout already replaced (gates.go).
	resumed []resumed
}

// slot is one numbered place of a fleet in a zone: the members tagged with it. Slot 0 is the
// source's.
type slot struct {
	az      string
	n       int
	current []*cloud.Instance // on the spec's image version
	stale   []*cloud.Instance // on an older one
}

// replacement is a slot whose members must be replaced by a member on the current image.
type replacement struct {
	az    string
	n     int
	stale []*cloud.Instance
	// filled by the rollout: the new member's launch and register steps.
	launch, register string
}

// fleets plans images, launches, replacements, profiles and registrations for every fleet,
// then checks the launches against what EC2 offers.
func (b *builder) fleets() {
	for i := range b.stack.Fleets {
		b.fleet(&b.stack.Fleets[i])
	}
	if !b.diags.HasErrors() {
		b.checkLaunches()
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
		return // reported by preflight
	}
	src, ok := b.source(f)
	if !ok {
		return
	}
	profile, ok := b.profile(f, src)
	if !ok {
		return
	}
	fp := &fleetPlan{f: f, tg: tg, src: src, profile: profile, typ: cmp.Or(f.InstanceType, src.InstanceType), base: cmp.Or(src.Tags["Name"], f.Label)}
	b.fleetTG[f.Label] = tg

	wanted := map[string]int{}
	for _, z := range f.Zones {
		wanted[z.AZ] = z.Count
	}
	if wanted[src.AZ] < 1 {
		b.errorf(f.DeclRange, "Source zone must keep the source",
			"fleet %q: source %s is in %s, and the source counts as a member of its zone: declare zone %q with count >= 1 (albctl never terminates the source)", f.Label, src.ID, src.AZ, src.AZ)
		return
	}
	if src.State == "stopped" {
		if wanted[src.AZ] == 1 {
			b.errorf(f.SourceRange, "Stopped source leaves its zone empty",
				"fleet %q: source %s is stopped, so it cannot be a target (RegisterTargets needs a running instance), and zone %s has count = 1: the ALB would have no target there. Start the source, or raise the zone's count.", f.Label, src.ID, src.AZ)
			return
		}
		b.warnf("fleet %q: source %s is stopped: it is imaged without a reboot, but it is not registered, so %s serves with %d of its %d member(s)", f.Label, src.ID, src.AZ, wanted[src.AZ]-1, wanted[src.AZ])
	}
	if b.zonesWanted[tg.Name] == nil {
		b.zonesWanted[tg.Name] = map[string]bool{}
	}
	for az, n := range wanted {
		if n > 0 {
			b.zonesWanted[tg.Name][az] = true
		}
	}

	members := b.idx.members[[2]string{f.Label, tg.Name}]
	byAZ := map[string][]*cloud.Instance{}
	for _, m := range members {
		if m.State == "stopping" || m.State == "stopped" {
			b.errorf(f.DeclRange, "Fleet member is stopped",
				"fleet %q: member %s (%s) is %s: it cannot be a target, and albctl does not start or replace stopped members. Start it, or terminate it so that albctl launches a replacement.", f.Label, nameOf(m), m.ID, m.State)
			continue
		}
		byAZ[m.AZ] = append(byAZ[m.AZ], m)
	}
	if b.diags.HasErrors() {
		return
	}
	azs := slices.Collect(maps.Keys(wanted))
	for az := range byAZ {
		if _, ok := wanted[az]; !ok {
			azs = append(azs, az)
		}
	}
	slices.Sort(azs)
	var keep []*cloud.Instance
	for _, az := range azs {
		keep = append(keep, b.zone(fp, az, wanted[az], byAZ[az])...)
	}
	b.rollout(fp)
	b.repairProfiles(fp, keep)
	b.registerKept(fp, keep)
	b.validateLaunches(fp)
}

// zone plans one AZ of a fleet: it keeps the first `want` slots (the source's first), plans a
// replacement for a kept slot whose members run an older image, retires the members of the
// other slots, and launches into free slots until the zone has `want`. It returns the members
// that stay as they are.
func (b *builder) zone(fp *fleetPlan, az string, want int, members []*cloud.Instance) (keep []*cloud.Instance) {
	f := fp.f
	slots := fp.slotsIn(az, members)
	for k, s := range slots {
		if k >= want {
			for _, in := range append(s.current, s.stale...) {
				b.removals = append(b.removals, removal{fleet: f.Label, tg: fp.tg, instance: in,
					reason: fmt.Sprintf("fleet %q wants %d in %s and has %d", f.Label, want, az, len(slots))})
			}
			continue
		}
		if len(s.current) == 0 {
			fp.replacements = append(fp.replacements, replacement{az: az, n: s.n, stale: s.stale})
			continue
		}
		keeper := b.pickKeeper(fp, s.current)
		keep = append(keep, keeper)
		for _, in := range s.current {
			if in != keeper {
				b.removals = append(b.removals, removal{fleet: f.Label, tg: fp.tg, instance: in, after: []string{},
					reason: fmt.Sprintf("%s and %s both fill slot %s/%d of fleet %q; %s stays", nameOf(in), keeper.ID, az, s.n, f.Label, keeper.ID)})
			}
		}
		for _, in := range s.stale {
			// An interrupted rollout: the replacement exists; the old member goes once it serves.
			b.removals = append(b.removals, removal{fleet: f.Label, tg: fp.tg, instance: in, rollout: true,
				after:  []string{b.registerStepOf(fp, keeper)},
				reason: fmt.Sprintf("%s; %s replaces it", fp.staleBecause(in), keeper.ID)})
			fp.resumed = append(fp.resumed, resumed{old: in, keeper: keeper, removal: len(b.removals) - 1})
		}
	}
	missing := want - min(want, len(slots))
	taken := map[int]bool{}
	for _, s := range slots {
		taken[s.n] = true
	}
	for n := 1; missing > 0; n++ {
		if taken[n] {
			continue
		}
		missing--
		b.launchNew(fp, az, n, want)
	}
	return keep
}

// slotsIn groups the fleet's members in az by slot, the source first as slot 0, then by slot
// number; members without a slot tag come last, each in a slot of its own.
func (fp *fleetPlan) slotsIn(az string, members []*cloud.Instance) []*slot {
	byN := map[int]*slot{}
	var untagged []*cloud.Instance
	if fp.src.AZ == az {
		byN[0] = &slot{az: az, n: 0, current: []*cloud.Instance{fp.src}}
	}
	for _, m := range members {
		n, ok := slotNumber(m, az)
		if !ok || n < 1 {
			untagged = append(untagged, m)
			continue
		}
		s := byN[n]
		if s == nil {
			s = &slot{az: az, n: n}
			byN[n] = s
		}
		if fp.current(m) {
			s.current = append(s.current, m)
		} else {
			s.stale = append(s.stale, m)
		}
	}
	out := make([]*slot, 0, len(byN)+len(untagged))
	for _, n := range slices.Sorted(maps.Keys(byN)) {
		out = append(out, byN[n])
	}
	slices.SortFunc(untagged, func(a, c *cloud.Instance) int { return strings.Compare(a.ID, c.ID) })
	next := 1
	if len(out) > 0 {
		next = out[len(out)-1].n + 1
	}
	for _, m := range untagged {
		s := &slot{az: az, n: next}
		if fp.current(m) {
			s.current = []*cloud.Instance{m}
		} else {
			s.stale = []*cloud.Instance{m}
		}
		out = append(out, s)
		next++
	}
	return out
}

// current reports whether a member runs the spec's image version (and instance type, when the
// spec names one).
func (fp *fleetPlan) current(in *cloud.Instance) bool {
	if in == fp.src {
		return true // the source is the image's origin; it is never replaced
	}
	return fp.staleBecause(in) == ""
}

// staleBecause says why a member must be replaced, or "" when it need not be.
func (fp *fleetPlan) staleBecause(in *cloud.Instance) string {
	f := fp.f
	if v := in.Tags[cloud.TagImageVersion]; v != f.Image.Version {
		return fmt.Sprintf("%s runs image version %q; the spec wants %q", nameOf(in), v, f.Image.Version)
	}
	if f.InstanceType != "" && in.InstanceType != f.InstanceType {
		return fmt.Sprintf("%s is a %s; the spec wants %s", nameOf(in), in.InstanceType, f.InstanceType)
	}
	return ""
}

// pickKeeper chooses which of several members on the current image keeps a slot: one that
// serves, else one that is registered, else the lowest ID.
func (b *builder) pickKeeper(fp *fleetPlan, ins []*cloud.Instance) *cloud.Instance {
	rank := func(in *cloud.Instance) int {
		t, ok := b.idx.registered(fp.tg, in.ID)
		switch {
		case ok && t.State == "healthy":
			return 0
		case ok:
			return 1
		}
		return 2
	}
	best := ins[0]
	for _, in := range ins[1:] {
		if r, rb := rank(in), rank(best); r < rb || (r == rb && in.ID < best.ID) {
			best = in
		}
	}
	return best
}

// launchNew plans a member for an empty slot, and its registration.
func (b *builder) launchNew(fp *fleetPlan, az string, n, want int) {
	id := b.launch(fp, az, n, fmt.Sprintf("fleet %q wants %d in %s", fp.f.Label, want, az), nil)
	if id == "" {
		return
	}
	b.registerNew(fp, id, nil)
}

// launch plans RunInstances for slot n of az; it returns "" when no subnet can be chosen
// (reported). replaces is the member this launch replaces, for people.
func (b *builder) launch(fp *fleetPlan, az string, n int, reason string, replaces *cloud.Instance) string {
	subnet := b.launchSubnet(fp, az)
	if subnet == "" {
		return ""
	}
	imageStep, imageID := b.image(fp)
	f := fp.f
	tags := map[string]string{}
	for k, v := range fp.src.Tags {
		if !strings.HasPrefix(k, "aws:") && !strings.HasPrefix(k, "albctl:") {
			tags[k] = v
		}
	}
	name := memberName(fp.base, az, n)
	tags["Name"] = name
	tags[cloud.TagStack] = fp.tg.Name
	tags[cloud.TagFleet] = f.Label
	tags[cloud.TagImageVersion] = f.Image.Version
	tags[cloud.TagSlot] = fmt.Sprintf("%s/%d", az, n)
	// The token covers what makes the launch different; the instance type only when the spec
	// names one, so that tokens of plans without it stay as they were.
	imageRef := cmp.Or(f.Image.Name, f.Image.ID)
	if f.InstanceType != "" {
		imageRef += "\x00" + f.InstanceType
	}
	if v := b.rolledBack(fp); v != "" {
		imageRef += "\x00rolled back " + v // a new attempt after a rollback (gates.go)
	}
	id := fmt.Sprintf("launch_instance.%s.%s.%d", f.Label, az, n)
	s := &Step{
		ID:       id,
		Kind:     LaunchInstance,
		Resource: fmt.Sprintf("instance %s (%s #%d)", name, az, n),
		Reason:   reason,
		Launch: &LaunchParams{
			ImageID:          imageID,
			ImageStep:        imageStep,
			ImageName:        f.Image.Name,
			AZ:               az,
			SubnetID:         subnet,
			InstanceType:     fp.typ,
			KeyName:          fp.src.KeyName,
			SecurityGroupIDs: slices.Clone(fp.src.SecurityGroupIDs),
			IAMProfile:       fp.profile,
			ClientToken:      clientToken(fp.tg.Name, f.Label, az, n, imageRef),
			Tags:             tags,
		},
	}
	if replaces != nil {
		s.Launch.Replaces = replaces.ID
	}
	if f.Image.ID == "" {
		s.Reason += ", from the image baked of " + fp.src.ID
	} else {
		s.Reason += ", from image " + f.Image.ID
	}
	if fp.profile != "" {
		s.Reason += fmt.Sprintf(", with IAM instance profile %s", profileName(fp.profile))
	}
	if fp.typ != fp.src.InstanceType {
		s.Reason += ", as " + fp.typ
	}
	s.dependOn(imageStep)
	b.add(s)
	fp.launches = append(fp.launches, id)
	return id
}

// registerNew plans the registration of a launched member; rollback bounds its wait for
// health during a rollout.
func (b *builder) registerNew(fp *fleetPlan, launch string, rollback *RollbackParams) string {
	ls := b.steps[launch]
	id := "register_target." + strings.TrimPrefix(launch, "launch_instance.")
	name := ls.Launch.Tags["Name"]
	b.add(&Step{
		ID:        id,
		Kind:      RegisterTarget,
		Resource:  fmt.Sprintf("instance %s in %s", name, fp.tg.Name),
		Reason:    fmt.Sprintf("the new instance serves only once it is a healthy target of %s", fp.tg.Name),
		DependsOn: []string{launch},
		Target:    &TargetParams{TargetGroupARN: fp.tg.ARN, InstanceStep: launch, Port: fp.tg.Port, AZ: ls.Launch.AZ, Name: name, Rollback: rollback},
	})
	return id
}

// registerStepOf returns the ID of the register step of a kept member, planned by
// registerKept; "" when it serves already.
func (b *builder) registerStepOf(fp *fleetPlan, in *cloud.Instance) string {
	if t, ok := b.idx.registered(fp.tg, in.ID); ok && t.State == "healthy" {
		return ""
	}
	return fmt.Sprintf("register_target.%s.%s", fp.f.Label, in.ID)
}

// registerKept registers every kept member that is not a target (or is draining), and waits
// for one that is still in its first health checks: a later step relies on it serving.
func (b *builder) registerKept(fp *fleetPlan, keep []*cloud.Instance) {
	for _, in := range keep {
		if in.State == "stopped" {
			continue // the source, stopped: reported in fleet
		}
		t, ok := b.idx.registered(fp.tg, in.ID)
		reason := fmt.Sprintf("%s is a member of fleet %q in %s but not a target of %s", nameOf(in), fp.f.Label, in.AZ, fp.tg.Name)
		switch {
		case ok && t.State == "initial":
			reason = fmt.Sprintf("%s is a target of %s still in its first health checks (%s); later steps need it serving", nameOf(in), fp.tg.Name, cmp.Or(t.Reason, "initial"))
		case ok:
			if t.State == "unhealthy" {
				b.warnf("fleet %q: %s is an unhealthy target of %s (%s)", fp.f.Label, nameOf(in), fp.tg.Name, cmp.Or(t.Reason, "failing its health checks"))
			}
			continue
		}
		b.add(&Step{
			ID:       fmt.Sprintf("register_target.%s.%s", fp.f.Label, in.ID),
			Kind:     RegisterTarget,
			Resource: fmt.Sprintf("instance %s in %s", displayName(in), fp.tg.Name),
			Reason:   reason,
			Target:   &TargetParams{TargetGroupARN: fp.tg.ARN, InstanceID: in.ID, Port: fp.tg.Port, AZ: in.AZ, Name: nameOf(in)},
		})
	}
}

// repairProfiles attaches the fleet's profile to kept members that run without one.
func (b *builder) repairProfiles(fp *fleetPlan, keep []*cloud.Instance) {
	if fp.profile == "" {
		return
	}
	for _, in := range keep {
		if profileMatches(in.IAMProfileARN, fp.profile) {
			continue
		}
		if in.IAMProfileARN != "" {
			b.errorf(fp.f.IAMInstanceProfileRange, "Member has another IAM instance profile",
				"fleet %q: %s (%s) has IAM instance profile %s, not %s; albctl does not replace an existing association (ReplaceIamInstanceProfileAssociation). Replace it by hand, or name that profile in the spec.", fp.f.Label, nameOf(in), in.ID, profileName(in.IAMProfileARN), profileName(fp.profile))
			continue
		}
		b.add(&Step{
			ID:        fmt.Sprintf("associate_instance_profile.%s.%s", fp.f.Label, in.ID),
			Kind:      AssociateInstanceProfile,
			Resource:  "instance " + displayName(in),
			Reason:    fmt.Sprintf("%s runs without the IAM instance profile %s the app needs", nameOf(in), profileName(fp.profile)),
			Associate: &AssociateParams{InstanceID: in.ID, IAMProfile: fp.profile},
		})
	}
}

// launchSubnet chooses the subnet of a launch into az: the zone block's, else the source's
// when it is in az, else the only subnet of the source's VPC there.
func (b *builder) launchSubnet(fp *fleetPlan, az string) string {
	f, src := fp.f, fp.src
	var z specs.FleetZone
	for _, c := range f.Zones {
		if c.AZ == az {
			z = c
		}
	}
	if z.Subnet != "" {
		s, ok := b.world.Subnet(z.Subnet)
		if !ok {
			b.errorf(z.DeclRange, "Subnet not found", "fleet %q zone %q: subnet %s does not exist in %s", f.Label, az, z.Subnet, src.VpcID)
			return ""
		}
		if s.AZ != az {
			b.errorf(z.DeclRange, "Subnet in another zone", "fleet %q zone %q: subnet %s is in %s", f.Label, az, z.Subnet, s.AZ)
			return ""
		}
		return s.ID
	}
	if src.AZ == az {
		return src.SubnetID
	}
	subnets := b.world.SubnetsIn(src.VpcID, az)
	switch len(subnets) {
	case 0:
		b.errorf(z.DeclRange, "No subnet in zone", "fleet %q: VPC %s of source %s has no subnet in %s", f.Label, src.VpcID, src.ID, az)
		return ""
	case 1:
		return subnets[0].ID
	}
	var ids []string
	for _, s := range subnets {
		ids = append(ids, s.ID)
	}
	b.errorf(z.DeclRange, "Several subnets in zone", "fleet %q: VPC %s has %d subnets in %s (%s); choose one with subnet = \"...\" in this zone block", f.Label, src.VpcID, len(subnets), az, strings.Join(ids, ", "))
	return ""
}

// memberName is the readable name of slot n of az: "web-1c-2" for web in ap-northeast-1c.
func memberName(base, az string, n int) string {
	suffix := az
	if i := strings.LastIndex(az, "-"); i >= 0 {
		suffix = az[i+1:]
	}
	return fmt.Sprintf("%s-%s-%d", base, suffix, n)
}

// nameOf is an instance's Name tag, or its ID.
func nameOf(in *cloud.Instance) string { return cmp.Or(in.Tags["Name"], in.ID) }

// displayName is "web-1d-1 (i-0123…)" when the instance has a Name, else its ID.
func displayName(in *cloud.Instance) string {
	if n := in.Tags["Name"]; n != "" && n != in.ID {
		return n + " (" + in.ID + ")"
	}
	return in.ID
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
	rest, ok := strings.CutPrefix(s, az+"/")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(rest)
	return n, err == nil
}
