package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/albctl/albctl/internal/backend"
	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/safefile"
	"github.com/albctl/albctl/internal/specs"
)

// init observes an account (or a simulator world) and writes a starting spec for an existing
// source instance, its target group and its load balancer: the shell here reads (Describe
// calls only), initspec.go decides and renders. See docs/init.md.

// initEC2 and initELBV2 are all init may call: read-only by construction.
type initEC2 interface {
	DescribeInstances(ctx context.Context, in *ec2.DescribeInstancesInput, optFns ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error)
	DescribeSubnets(ctx context.Context, in *ec2.DescribeSubnetsInput, optFns ...func(*ec2.Options)) (*ec2.DescribeSubnetsOutput, error)
	DescribeSecurityGroups(ctx context.Context, in *ec2.DescribeSecurityGroupsInput, optFns ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupsOutput, error)
	DescribeInstanceTypeOfferings(ctx context.Context, in *ec2.DescribeInstanceTypeOfferingsInput, optFns ...func(*ec2.Options)) (*ec2.DescribeInstanceTypeOfferingsOutput, error)
}

type initELBV2 interface {
	DescribeLoadBalancers(ctx context.Context, in *elbv2.DescribeLoadBalancersInput, optFns ...func(*elbv2.Options)) (*elbv2.DescribeLoadBalancersOutput, error)
	DescribeTargetGroups(ctx context.Context, in *elbv2.DescribeTargetGroupsInput, optFns ...func(*elbv2.Options)) (*elbv2.DescribeTargetGroupsOutput, error)
	DescribeTargetGroupAttributes(ctx context.Context, in *elbv2.DescribeTargetGroupAttributesInput, optFns ...func(*elbv2.Options)) (*elbv2.DescribeTargetGroupAttributesOutput, error)
	DescribeTargetHealth(ctx context.Context, in *elbv2.DescribeTargetHealthInput, optFns ...func(*elbv2.Options)) (*elbv2.DescribeTargetHealthOutput, error)
}

type initAPI struct {
	EC2   initEC2
	ELBV2 initELBV2
}

// initClients are be's clients, as plan uses them (on the simulator behind the same retry
// policy; on AWS the SDK clients of the configuration openBackend built, with its endpoint
// guard and credential rules), narrowed to the reads init makes. cloud.EC2 has
// DescribeSecurityGroups since Observe reads security groups.
func initClients(be *backend.Backend) initAPI {
	return initAPI{EC2: be.API.EC2, ELBV2: be.API.ELBV2}
}

type initFlags struct {
	target      targetFlags
	out         string
	targetGroup string
}

func (m *Main) initCmd(ctx context.Context, args []string) error {
	var f initFlags
	fs := m.flagSet("init")
	f.target.register(fs)
	fs.StringVar(&f.out, "o", "alb.hcl", "write the spec to FILE (never overwritten)")
	fs.StringVar(&f.targetGroup, "target-group", "", "the target group to use when the source is registered in several behind an ALB (its name)")
	pos, err := m.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return &exitError{code: 1, err: fmt.Errorf("init takes at most one SOURCE (an instance ID or Name tag), got %q", pos)}
	}
	// Refuse before reading anything: init never overwrites (the write below refuses too,
	// should the file appear meanwhile).
	if err := refuseExisting(f.out); err != nil {
		return err
	}
	be, err := m.openBackend(ctx, f.target, nil, false)
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "albctl: %s\n\n", be.Header)
	r := &initReader{api: initClients(be)}
	source := ""
	if len(pos) == 1 {
		source = pos[0]
	} else {
		if source, err = m.askSource(ctx, r, be); err != nil {
			return err
		}
	}
	facts, err := r.read(ctx, source, f.targetGroup)
	if err != nil {
		return err
	}
	facts.Header, facts.Kind, facts.Region = be.Header, be.Kind, be.Region
	facts.Where = be.Header
	if be.Kind == "sim" {
		facts.Where = "the simulator's built-in seed world"
		if be.WorldPath != "" {
			facts.Where = "the simulator world " + be.WorldPath
		}
	}
	spec, err := renderInitSpec(facts)
	if err != nil {
		return err
	}
	if err := checkGenerated(spec, f.out); err != nil {
		return err
	}
	if err := writeNew(f.out, spec); err != nil {
		return err
	}
	writeInitSummary(m.Stdout, facts, f)
	return nil
}

// refuseExisting fails when path exists: init writes a new file or nothing.
func refuseExisting(path string) error {
	if _, err := os.Lstat(path); err == nil {
		return &exitError{code: 1, err: fmt.Errorf("%s already exists: init never overwrites a file. Move it away, or write elsewhere with -o FILE", path)}
	} else if !errors.Is(err, os.ErrNotExist) {
		return &exitError{code: 1, err: fmt.Errorf("%s: %w", path, err)}
	}
	return nil
}

// writeNew creates path with data, failing if it exists (O_EXCL: no race with another writer).
func writeNew(path string, data []byte) error {
	fh, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, os.ErrExist) {
		return refuseExisting(path)
	}
	if err != nil {
		return fmt.Errorf("write the spec: %w", err)
	}
	if _, err := fh.Write(data); err != nil {
		fh.Close()
		return fmt.Errorf("write the spec %s: %w", path, err)
	}
	if err := fh.Close(); err != nil {
		return fmt.Errorf("write the spec %s: %w", path, err)
	}
	return nil
}

// checkGenerated loads the generated spec the way plan will, in a scratch directory, so that
// init never leaves behind a file that does not validate.
func checkGenerated(spec []byte, out string) error {
	dir, err := os.MkdirTemp("", "albctl-init-")
	if err != nil {
		return fmt.Errorf("check the generated spec: %w", err)
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, filepath.Base(out)), spec, 0o644); err != nil {
		return fmt.Errorf("check the generated spec: %w", err)
	}
	_, _, diags := specs.Load(dir, specs.Options{})
	if diags.HasErrors() {
		return fmt.Errorf("the spec init generated does not validate (a bug in albctl init; nothing was written): %s", diags.Error())
	}
	return nil
}

// askSource lists the candidate sources and, on a terminal, asks for one; otherwise it fails
// with the list, so a script sees what to pass.
func (m *Main) askSource(ctx context.Context, r *initReader, be *backend.Backend) (string, error) {
	cands, err := r.candidates(ctx)
	if err != nil {
		return "", err
	}
	if len(cands) == 0 {
		return "", fmt.Errorf("no instance in %s is a registered target of a target group behind an Application Load Balancer: albctl scales what already sits behind one (create the target group and the load balancer, register the instance, then run init again)", be.Region)
	}
	if m.IsTerminal == nil || !m.IsTerminal() {
		var b strings.Builder
		fmt.Fprintf(&b, "init needs a SOURCE, the instance to scale out (by ID or Name tag); stdin is not a terminal, so it cannot ask. %s:\n", candidatesTitle(len(cands)))
		writeCandidates(&b, cands)
		b.WriteString("Run: albctl init [flags] SOURCE")
		return "", &exitError{code: 1, err: errors.New(b.String())}
	}
	fmt.Fprintf(m.Stdout, "%s:\n", candidatesTitle(len(cands)))
	writeCandidates(m.Stdout, cands)
	fmt.Fprint(m.Stdout, "\nWhich instance is the source to scale out?\n  Enter its number, ID or Name tag.\n\n  Enter a value: ")
	answer := make(chan readResult, 1)
	go func() {
		line, err := readLine(m.Stdin, maxAnswer)
		answer <- readResult{line, err}
	}()
	var res readResult
	select {
	case <-ctx.Done():
		fmt.Fprintln(m.Stdout)
		return "", &exitError{code: 1, err: errors.New("init cancelled")}
	case res = <-answer:
	}
	fmt.Fprintln(m.Stdout)
	if res.err != nil && !errors.Is(res.err, io.EOF) {
		return "", fmt.Errorf("read the source: %w", res.err)
	}
	v := strings.TrimSpace(res.line)
	if v == "" {
		return "", &exitError{code: 1, err: errors.New("init cancelled: no source given")}
	}
	if n, err := strconv.Atoi(v); err == nil {
		if n < 1 || n > len(cands) {
			return "", fmt.Errorf("no candidate number %d: enter 1 to %d, an instance ID or a Name tag", n, len(cands))
		}
		return cands[n-1].ID, nil
	}
	return v, nil
}

func candidatesTitle(int) string {
	return "Candidates (registered targets of a target group behind an Application Load Balancer)"
}

func writeCandidates(w io.Writer, cands []initCandidate) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for i, c := range cands {
		name := "(no Name tag)"
		if c.Name != "" {
			name = strconv.Quote(c.Name)
		}
		fmt.Fprintf(tw, "  %d.\t%s\t%s\t%s\t%s\t%s\t%s\n", i+1, c.ID, name, c.AZ, c.Type, c.State, strings.Join(c.Via, ", "))
	}
	tw.Flush()
}

// writeInitSummary says what init found and what to run next.
func writeInitSummary(w io.Writer, f *initFacts, fl initFlags) {
	src := f.Source
	fmt.Fprintf(w, "Found:\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  source\t%s%s, %s in %s (%s)\n", src.ID, quotedName(src.Name), src.Type, src.AZ, src.Subnet)
	fmt.Fprintf(tw, "  target group\t%s (%s %d), stickiness %s\n", f.TG.Name, f.TG.Protocol, f.TG.Port, stickinessSummary(f.TG.Attributes))
	for _, lb := range f.LBs {
		fmt.Fprintf(tw, "  load balancer\t%s, zones %s\n", lb.Name, strings.Join(lb.zoneNames(), ", "))
	}
	z := f.choice
	fmt.Fprintf(tw, "  second zone\t%s (%s)\n", z.AZ, z.short)
	tw.Flush()
	dir := filepath.Dir(fl.out)
	next := "albctl plan"
	for _, fv := range []struct{ name, v string }{{"--world", fl.target.world}, {"--endpoint", fl.target.endpoint}, {"--profile", fl.target.profile}} {
		if fv.v != "" {
			next += " " + fv.name + " " + fv.v
		}
	}
	if dir != "." {
		next += " " + dir
	}
	fmt.Fprintf(w, "\nWrote %s. Review it (every setting says why it is there), then run:\n    %s\n", fl.out, next)
	if others := otherSpecFiles(dir, filepath.Base(fl.out)); len(others) > 0 {
		fmt.Fprintf(w, "\nNote: %s also holds %s; plan reads every *.hcl file of a directory together.\n", dir, strings.Join(others, ", "))
	}
}

func otherSpecFiles(dir, self string) []string {
	matches, _ := filepath.Glob(filepath.Join(dir, "*.hcl"))
	var out []string
	for _, p := range matches {
		if filepath.Base(p) != self {
			out = append(out, filepath.Base(p))
		}
	}
	return out
}

func quotedName(name string) string {
	if name == "" {
		return ""
	}
	return " " + strconv.Quote(name)
}

// initReader reads what init needs through read-only calls.
type initReader struct {
	api initAPI
	// cached reads: the load balancers and target groups of the account
	lbs map[string]elbtypes.LoadBalancer // by ARN, application load balancers only
	tgs []elbtypes.TargetGroup
}

// initCandidate is an instance that could be a source.
type initCandidate struct {
	ID, Name, AZ, Type, State string
	Via                       []string // "target-group -> load-balancer"
}

// loadTopology reads every application load balancer and target group once.
func (r *initReader) loadTopology(ctx context.Context) error {
	if r.lbs != nil {
		return nil
	}
	r.lbs = map[string]elbtypes.LoadBalancer{}
	lp := elbv2.NewDescribeLoadBalancersPaginator(r.api.ELBV2, &elbv2.DescribeLoadBalancersInput{})
	for lp.HasMorePages() {
		page, err := lp.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe load balancers: %w", err)
		}
		for _, lb := range page.LoadBalancers {
			if lb.Type == elbtypes.LoadBalancerTypeEnumApplication || lb.Type == "" {
				r.lbs[aws.ToString(lb.LoadBalancerArn)] = lb
			}
		}
	}
	tp := elbv2.NewDescribeTargetGroupsPaginator(r.api.ELBV2, &elbv2.DescribeTargetGroupsInput{})
	for tp.HasMorePages() {
		page, err := tp.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe target groups: %w", err)
		}
		r.tgs = append(r.tgs, page.TargetGroups...)
	}
	slices.SortFunc(r.tgs, func(a, b elbtypes.TargetGroup) int {
		return strings.Compare(aws.ToString(a.TargetGroupName), aws.ToString(b.TargetGroupName))
	})
	return nil
}

// albsOf returns the application load balancers a target group is attached to, by name.
func (r *initReader) albsOf(tg elbtypes.TargetGroup) []elbtypes.LoadBalancer {
	var out []elbtypes.LoadBalancer
	for _, arn := range tg.LoadBalancerArns {
		if lb, ok := r.lbs[arn]; ok {
			out = append(out, lb)
		}
	}
	slices.SortFunc(out, func(a, b elbtypes.LoadBalancer) int {
		return strings.Compare(aws.ToString(a.LoadBalancerName), aws.ToString(b.LoadBalancerName))
	})
	return out
}

// registered maps each instance registered (not draining) in an instance target group behind
// an ALB to those target groups' ARNs. One DescribeTargetHealth per such target group.
func (r *initReader) registered(ctx context.Context) (map[string][]string, error) {
	if err := r.loadTopology(ctx); err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, tg := range r.tgs {
		if tg.TargetType != elbtypes.TargetTypeEnumInstance && tg.TargetType != "" {
			continue
		}
		if len(r.albsOf(tg)) == 0 {
			continue
		}
		arn := aws.ToString(tg.TargetGroupArn)
		th, err := r.api.ELBV2.DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(arn)})
		if err != nil {
			return nil, fmt.Errorf("describe target health of %s: %w", aws.ToString(tg.TargetGroupName), err)
		}
		for _, d := range th.TargetHealthDescriptions {
			if d.Target == nil || (d.TargetHealth != nil && d.TargetHealth.State == elbtypes.TargetHealthStateEnumDraining) {
				continue
			}
			id := aws.ToString(d.Target.Id)
			if !slices.Contains(out[id], arn) {
				out[id] = append(out[id], arn)
			}
		}
	}
	return out, nil
}

func (r *initReader) tgByARN(arn string) elbtypes.TargetGroup {
	for _, tg := range r.tgs {
		if aws.ToString(tg.TargetGroupArn) == arn {
			return tg
		}
	}
	return elbtypes.TargetGroup{}
}

// via names a target group and its load balancers: "web-tg -> web-alb".
func (r *initReader) via(arn string) string {
	tg := r.tgByARN(arn)
	var names []string
	for _, lb := range r.albsOf(tg) {
		names = append(names, aws.ToString(lb.LoadBalancerName))
	}
	return aws.ToString(tg.TargetGroupName) + " -> " + strings.Join(names, ", ")
}

// candidates lists the live instances, not launched by albctl, registered in a target group
// behind an ALB, by Name tag then ID.
func (r *initReader) candidates(ctx context.Context) ([]initCandidate, error) {
	reg, err := r.registered(ctx)
	if err != nil {
		return nil, err
	}
	ids := slices.Sorted(func(yield func(string) bool) {
		for id := range reg {
			if !yield(id) {
				return
			}
		}
	})
	var out []initCandidate
	for chunk := range slices.Chunk(ids, 200) {
		insts, err := r.describeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{
			{Name: aws.String("instance-id"), Values: chunk},
			{Name: aws.String("instance-state-name"), Values: initLiveStates},
		}})
		if err != nil {
			return nil, err
		}
		for _, in := range insts {
			if tag(in.Tags, cloud.TagFleet) != "" {
				continue // a member albctl launched, not a source
			}
			c := initCandidate{ID: aws.ToString(in.InstanceId), Name: tag(in.Tags, "Name"), Type: string(in.InstanceType)}
			if in.Placement != nil {
				c.AZ = aws.ToString(in.Placement.AvailabilityZone)
			}
			if in.State != nil {
				c.State = string(in.State.Name)
			}
			for _, arn := range reg[c.ID] {
				c.Via = append(c.Via, r.via(arn))
			}
			slices.Sort(c.Via)
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b initCandidate) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// initLiveStates are the states of an instance that can be a source (as plan counts them).
var initLiveStates = []string{"pending", "running", "stopping", "stopped"}

func (r *initReader) describeInstances(ctx context.Context, in *ec2.DescribeInstancesInput) ([]ec2types.Instance, error) {
	var out []ec2types.Instance
	p := ec2.NewDescribeInstancesPaginator(r.api.EC2, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describe instances: %w", err)
		}
		for _, res := range page.Reservations {
			out = append(out, res.Instances...)
		}
	}
	slices.SortFunc(out, func(a, b ec2types.Instance) int {
		return strings.Compare(aws.ToString(a.InstanceId), aws.ToString(b.InstanceId))
	})
	return out, nil
}

func tag(tags []ec2types.Tag, key string) string {
	for _, t := range tags {
		if aws.ToString(t.Key) == key {
			return aws.ToString(t.Value)
		}
	}
	return ""
}

// namedLive returns the live instances not launched by albctl whose Name tag is exactly name:
// the instances plan would take a fleet's source = name for. EC2 reads * and ? in a filter
// value as wildcards, so the value is escaped, and the answer compared exactly again
// (docs/init.md).
func (r *initReader) namedLive(ctx context.Context, name string) ([]ec2types.Instance, error) {
	insts, err := r.describeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{
		{Name: aws.String("tag:Name"), Values: []string{cloud.EscapeWildcard(name)}},
		{Name: aws.String("instance-state-name"), Values: initLiveStates},
	}})
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(insts, func(in ec2types.Instance) bool {
		return tag(in.Tags, cloud.TagFleet) != "" || !hasTag(in.Tags, "Name", name)
	}), nil
}

// hasTag reports whether tags has key with exactly value.
func hasTag(tags []ec2types.Tag, key, value string) bool {
	return slices.ContainsFunc(tags, func(t ec2types.Tag) bool { return aws.ToString(t.Key) == key && aws.ToString(t.Value) == value })
}

// unknownSource is the error for a source that names nothing usable, with the candidates.
func (r *initReader) unknownSource(ctx context.Context, msg string) error {
	var b strings.Builder
	b.WriteString(msg)
	cands, err := r.candidates(ctx)
	if err == nil && len(cands) > 0 {
		fmt.Fprintf(&b, ". %s:\n", candidatesTitle(len(cands)))
		writeCandidates(&b, cands)
		b.WriteString("Run: albctl init [flags] SOURCE")
	} else if err == nil {
		b.WriteString("; and no instance is a registered target of a target group behind an Application Load Balancer")
	}
	return &exitError{code: 1, err: errors.New(strings.TrimRight(b.String(), "\n"))}
}

// resolveSource finds the one live instance source names (an ID, or a Name tag).
func (r *initReader) resolveSource(ctx context.Context, source string) (ec2types.Instance, error) {
	var insts []ec2types.Instance
	var err error
	if cloud.IsInstanceID(source) {
		insts, err = r.describeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{
			{Name: aws.String("instance-id"), Values: []string{source}},
			{Name: aws.String("instance-state-name"), Values: initLiveStates},
		}})
		if err != nil {
			return ec2types.Instance{}, err
		}
		if len(insts) == 1 && tag(insts[0].Tags, cloud.TagFleet) != "" {
			return ec2types.Instance{}, fmt.Errorf("%s was launched by albctl (fleet %q of target group %s): it is a member, not a source; name the instance it was copied from",
				source, tag(insts[0].Tags, cloud.TagFleet), tag(insts[0].Tags, cloud.TagStack))
		}
	} else {
		insts, err = r.namedLive(ctx, source)
		if err != nil {
			return ec2types.Instance{}, err
		}
	}
	switch len(insts) {
	case 0:
		return ec2types.Instance{}, r.unknownSource(ctx, fmt.Sprintf("no live instance has the ID or exact Name tag %s", safefile.Quote(source)))
	case 1:
		return insts[0], nil
	}
	var list []string
	for _, in := range insts {
		list = append(list, fmt.Sprintf("%s (%s)", aws.ToString(in.InstanceId), aws.ToString(in.Placement.AvailabilityZone)))
	}
	return ec2types.Instance{}, fmt.Errorf("%d live instances have the Name tag %s: %s. Give the source's instance ID instead", len(insts), safefile.Quote(source), strings.Join(list, ", "))
}

// read gathers everything the spec is written from.
func (r *initReader) read(ctx context.Context, source, wantTG string) (*initFacts, error) {
	in, err := r.resolveSource(ctx, source)
	if err != nil {
		return nil, err
	}
	f := &initFacts{Source: sourceFacts(in)}
	if f.Source.Name != "" {
		same, err := r.namedLive(ctx, f.Source.Name)
		if err != nil {
			return nil, err
		}
		f.Source.NameUnique = len(same) == 1
	}

	reg, err := r.registered(ctx)
	if err != nil {
		return nil, err
	}
	arns := reg[f.Source.ID]
	if len(arns) == 0 {
		return nil, r.unknownSource(ctx, fmt.Sprintf("%s%s is not a registered target of any target group behind an Application Load Balancer: albctl scales what already sits behind one", f.Source.ID, quotedName(f.Source.Name)))
	}
	var tg elbtypes.TargetGroup
	var names []string
	for _, arn := range arns {
		t := r.tgByARN(arn)
		names = append(names, aws.ToString(t.TargetGroupName))
		if wantTG != "" && aws.ToString(t.TargetGroupName) == wantTG {
			tg = t
		}
	}
	slices.Sort(names)
	switch {
	case wantTG != "" && tg.TargetGroupArn == nil:
		return nil, fmt.Errorf("-target-group %s: %s is not registered in it; it is in %s", wantTG, f.Source.ID, strings.Join(names, ", "))
	case wantTG == "" && len(arns) > 1:
		return nil, fmt.Errorf("%s is a registered target of %d target groups behind an Application Load Balancer (%s): choose one with -target-group NAME", f.Source.ID, len(arns), strings.Join(names, ", "))
	case wantTG == "":
		tg = r.tgByARN(arns[0])
	}
	if f.TG, err = r.targetGroupFacts(ctx, tg); err != nil {
		return nil, err
	}
	for _, lb := range r.albsOf(tg) {
		f.LBs = append(f.LBs, lbFacts(lb))
	}
	if err := r.network(ctx, f); err != nil {
		return nil, err
	}
	if f.choice, err = chooseZone(f); err != nil {
		return nil, err
	}
	return f, nil
}

func sourceFacts(in ec2types.Instance) sourceFact {
	s := sourceFact{
		ID:     aws.ToString(in.InstanceId),
		Name:   tag(in.Tags, "Name"),
		Type:   string(in.InstanceType),
		Subnet: aws.ToString(in.SubnetId),
		VPC:    aws.ToString(in.VpcId),
		Image:  aws.ToString(in.ImageId),
	}
	if in.Placement != nil {
		s.AZ = aws.ToString(in.Placement.AvailabilityZone)
	}
	if in.State != nil {
		s.State = string(in.State.Name)
	}
	if in.IamInstanceProfile != nil {
		s.Profile = aws.ToString(in.IamInstanceProfile.Arn)
	}
	for _, g := range in.SecurityGroups {
		s.Groups = append(s.Groups, aws.ToString(g.GroupId))
	}
	slices.Sort(s.Groups)
	return s
}

func (r *initReader) targetGroupFacts(ctx context.Context, tg elbtypes.TargetGroup) (tgFact, error) {
	t := tgFact{
		ARN:      aws.ToString(tg.TargetGroupArn),
		Name:     aws.ToString(tg.TargetGroupName),
		Protocol: string(tg.Protocol),
		Port:     aws.ToInt32(tg.Port),
		VPC:      aws.ToString(tg.VpcId),
		HC: hcFact{
			Protocol:  string(tg.HealthCheckProtocol),
			Port:      aws.ToString(tg.HealthCheckPort),
			Path:      aws.ToString(tg.HealthCheckPath),
			Interval:  aws.ToInt32(tg.HealthCheckIntervalSeconds),
			Timeout:   aws.ToInt32(tg.HealthCheckTimeoutSeconds),
			Healthy:   aws.ToInt32(tg.HealthyThresholdCount),
			Unhealthy: aws.ToInt32(tg.UnhealthyThresholdCount),
		},
		Attributes: map[string]string{},
	}
	if tg.Matcher != nil {
		t.HC.Matcher = aws.ToString(tg.Matcher.HttpCode)
	}
	attrs, err := r.api.ELBV2.DescribeTargetGroupAttributes(ctx, &elbv2.DescribeTargetGroupAttributesInput{TargetGroupArn: tg.TargetGroupArn})
	if err != nil {
		return t, fmt.Errorf("describe the attributes of target group %s: %w", t.Name, err)
	}
	for _, a := range attrs.Attributes {
		t.Attributes[aws.ToString(a.Key)] = aws.ToString(a.Value)
	}
	th, err := r.api.ELBV2.DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: tg.TargetGroupArn})
	if err != nil {
		return t, fmt.Errorf("describe target health of %s: %w", t.Name, err)
	}
	for _, d := range th.TargetHealthDescriptions {
		state := "unknown"
		if d.TargetHealth != nil {
			state = string(d.TargetHealth.State)
		}
		t.Targets = append(t.Targets, aws.ToString(d.Target.Id)+" ("+state+")")
	}
	slices.Sort(t.Targets)
	return t, nil
}

func lbFacts(lb elbtypes.LoadBalancer) lbFact {
	l := lbFact{
		ARN:    aws.ToString(lb.LoadBalancerArn),
		Name:   aws.ToString(lb.LoadBalancerName),
		Scheme: string(lb.Scheme),
		VPC:    aws.ToString(lb.VpcId),
		Groups: slices.Sorted(slices.Values(lb.SecurityGroups)),
	}
	for _, z := range lb.AvailabilityZones {
		l.Zones = append(l.Zones, lbZone{AZ: aws.ToString(z.ZoneName), Subnet: aws.ToString(z.SubnetId)})
	}
	slices.SortFunc(l.Zones, func(a, b lbZone) int { return strings.Compare(a.AZ, b.AZ) })
	return l
}

// network reads the subnets of the source's VPC, the instance type's offerings in the load
// balancers' zones, and the source's security groups: what the second zone is chosen by.
func (r *initReader) network(ctx context.Context, f *initFacts) error {
	sp := ec2.NewDescribeSubnetsPaginator(r.api.EC2, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{
		{Name: aws.String("vpc-id"), Values: []string{f.Source.VPC}},
	}})
	for sp.HasMorePages() {
		page, err := sp.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe the subnets of %s: %w", f.Source.VPC, err)
		}
		for _, s := range page.Subnets {
			f.Subnets = append(f.Subnets, subnetFact{
				ID: aws.ToString(s.SubnetId), AZ: aws.ToString(s.AvailabilityZone),
				CIDR: aws.ToString(s.CidrBlock), Name: tag(s.Tags, "Name"),
			})
		}
	}
	slices.SortFunc(f.Subnets, func(a, b subnetFact) int { return strings.Compare(a.ID, b.ID) })
	for i := range f.LBs {
		for j := range f.LBs[i].Zones {
			z := &f.LBs[i].Zones[j]
			if s, ok := f.subnet(z.Subnet); ok {
				z.CIDR = s.CIDR
			}
		}
	}

	var zones []string
	for _, lb := range f.LBs {
		for _, z := range lb.Zones {
			if !slices.Contains(zones, z.AZ) {
				zones = append(zones, z.AZ)
			}
		}
	}
	slices.Sort(zones)
	if f.Source.Type != "" && len(zones) > 0 {
		f.Offered = map[string]bool{}
		p := ec2.NewDescribeInstanceTypeOfferingsPaginator(r.api.EC2, &ec2.DescribeInstanceTypeOfferingsInput{
			LocationType: ec2types.LocationTypeAvailabilityZone,
			Filters: []ec2types.Filter{
				{Name: aws.String("instance-type"), Values: []string{f.Source.Type}},
				{Name: aws.String("location"), Values: zones},
			},
		})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return fmt.Errorf("describe instance type offerings of %s: %w", f.Source.Type, err)
			}
			for _, o := range page.InstanceTypeOfferings {
				f.Offered[aws.ToString(o.Location)] = true
			}
		}
	}

	// Security groups decide which load balancer nodes can reach a new member. A role that
	// may not read them (the plan policy of docs/iam-policy-plan.json does not grant
	// ec2:DescribeSecurityGroups) still gets a spec: the zone is then chosen by name alone.
	if len(f.Source.Groups) > 0 {
		out, err := r.api.EC2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: f.Source.Groups})
		switch {
		case err == nil:
			f.Groups = out.SecurityGroups
			slices.SortFunc(f.Groups, func(a, b ec2types.SecurityGroup) int {
				return strings.Compare(aws.ToString(a.GroupId), aws.ToString(b.GroupId))
			})
		case isAccessDenied(err):
			f.GroupsUnread = fmt.Sprintf("could not read security groups %s (%s)", strings.Join(f.Source.Groups, ", "), cloud.ErrorCode(err))
		default:
			return fmt.Errorf("describe security groups %s: %w", strings.Join(f.Source.Groups, ", "), err)
		}
	}
	return nil
}

func isAccessDenied(err error) bool {
	switch cloud.ErrorCode(err) {
	case "UnauthorizedOperation", "AccessDenied", "AccessDeniedException":
		return true
	}
	return false
}

// admits reports whether a security group admits TCP port from a load balancer node in a
// subnet with block cidr, or from one of the load balancer's security groups. Prefix lists
// and IPv6 rules are not read (a rule must cover the whole subnet, as AWS advises for rules
// that name load balancer subnets).
func admits(g ec2types.SecurityGroup, port int32, cidr string, lbGroups []string) bool {
	for _, p := range g.IpPermissions {
		proto := aws.ToString(p.IpProtocol)
		if proto != "-1" && proto != "tcp" && proto != "6" {
			continue
		}
		if proto != "-1" && (port < aws.ToInt32(p.FromPort) || port > aws.ToInt32(p.ToPort)) {
			continue
		}
		for _, rng := range p.IpRanges {
			if coversBlock(aws.ToString(rng.CidrIp), cidr) {
				return true
			}
		}
		for _, pair := range p.UserIdGroupPairs {
			if slices.Contains(lbGroups, aws.ToString(pair.GroupId)) {
				return true
			}
		}
	}
	return false
}

// coversBlock reports whether rule holds every address of block.
func coversBlock(rule, block string) bool {
	r, err1 := netip.ParsePrefix(rule)
	b, err2 := netip.ParsePrefix(block)
	if err1 != nil || err2 != nil {
		return false
	}
	return r.Bits() <= b.Bits() && r.Contains(b.Masked().Addr())
}
