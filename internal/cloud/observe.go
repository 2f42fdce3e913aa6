package cloud

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// liveStates are the instance states that still count: a terminated or terminating instance is
// neither a source nor a member.
var liveStates = []string{"pending", "running", "stopping", "stopped"}

// filterChunk is the most values EC2 accepts in one filter.
const filterChunk = 200

// DefaultMaxInFlight is how many of Observe's calls may be in flight at once. The reads of a
// large stack are about two per target group plus one per fleet; 16 in flight keeps a plan of
// a dozen target groups within three or four round trips, far below the burst EC2 and ELBv2
// allow for Describe calls (docs/benchmarks.md, "Plan latency").
const DefaultMaxInFlight = 16

// ObserveOptions tune Observe. The zero value is what plan and apply use.
type ObserveOptions struct {
	// MaxInFlight bounds the calls in flight at once (default DefaultMaxInFlight). With 1,
	// calls are made one at a time in an order fixed by the stack and the answers: an
	// endpoint whose answers depend on the order of calls (the simulator's throttling
	// faults) then answers the same every run.
	MaxInFlight int
	// Stats, when set, receives what Observe did.
	Stats *ObserveStats
}

// ObserveStats says what one Observe did.
type ObserveStats struct {
	Calls int // API calls made (pages included)
	// Depth is the number of round trips on the longest chain of calls that each needed an
	// answer of the one before (a next page, a target group's health, a join): the least
	// number of round trips an Observe of this stack can take, however many calls may be in
	// flight.
	Depth int
}

// Observe reads what exists for stack. The number of calls depends on the number of target
// groups, fleets, load balancers and instance profiles in the stack and on result pages, never
// on the number of instances: members are found by tag filter, not one by one. World.Region is
// left for the caller, who knows which region its clients talk to.
//
// Reads that do not depend on each other run concurrently (at most MaxInFlight at once), and
// a read starts as soon as what it needs is known: a next page as soon as its token arrives,
// a target group's attributes and health as soon as the target group is found. The longest
// chain is two round trips (target groups → their health and attributes; instances → their
// subnets, offerings and image users), three when a target was registered by hand (its
// instance is read after the health that names it), plus pages. Whatever order the answers
// come in, the World is the same: everything is collected, then de-duplicated by a fixed
// precedence and sorted.
func Observe(ctx context.Context, api API, q Query) (*World, error) {
	return ObserveWith(ctx, api, q, ObserveOptions{})
}

// ObserveWith is Observe with options.
func ObserveWith(ctx context.Context, api API, q Query, opts ObserveOptions) (*World, error) {
	if opts.MaxInFlight <= 0 {
		opts.MaxInFlight = DefaultMaxInFlight
	}
	o := &observer{
		api: api, q: q,
		tgs: map[string]*TargetGroup{}, lbs: map[string]*LoadBalancer{},
		instances: map[string]ranked[Instance]{}, images: map[string]ranked[Image]{}, snapshots: map[string]Snapshot{},
		subnets: map[string]Subnet{}, vpcsRead: map[string]bool{},
		groups: map[string]SecurityGroup{}, acls: map[string]NetworkACL{}, groupsAsked: map[string]bool{},
	}
	err := o.start()
	if err == nil {
		err = o.run(ctx, opts.MaxInFlight)
	}
	if opts.Stats != nil {
		*opts.Stats = ObserveStats{Calls: o.calls, Depth: slices.Max(o.deepest[:])}
	}
	if err != nil {
		return nil, err
	}
	return o.world(), nil
}

// A call is one API request: do makes it (on a worker goroutine, writing only the call's
// own variables); then, back on Observe's goroutine, reads the answer and may queue the
// calls it makes possible.
type call struct {
	do   func(ctx context.Context)
	then func() error
	// kind is the kind of query the call belongs to; depth is the number of round trips on
	// the longest chain of calls that led to it (1: it needed only the stack).
	kind, depth int
}

// ranked is a value read by a query of some rank: when two queries return the same
// instance or image, the lower rank's copy is kept, whatever order they answered in.
type ranked[T any] struct {
	rank int
	v    T
}

// Kinds of queries, counted in observer.open.
const (
	kindTGs = iota
	kindLBs
	kindHealth // a target group's health and attributes
	kindInstances
	kindImages
	kindOther // users of images, targets by ID, subnets, offerings, profiles
	kinds
)

// Query ranks, in precedence order.
const (
	rankSource = iota
	rankMember
	rankTarget
	rankUser
)

type observer struct {
	api   API
	q     Query
	queue []*call
	calls int

	// depth is the depth of the call whose answer is being handled (or of the join being
	// made): calls queued now are one deeper. deepest is, by kind, the deepest call answered.
	depth   int
	deepest [kinds]int

	// open counts the queries of each kind not yet answered to the last page; a read that
	// depends on a kind starts when its count reaches zero (joins).
	open [kinds]int

	tgs       map[string]*TargetGroup // by ARN
	lbs       map[string]*LoadBalancer
	instances map[string]ranked[Instance]
	images    map[string]ranked[Image]
	snapshots map[string]Snapshot
	subnets   map[string]Subnet
	groups    map[string]SecurityGroup
	acls      map[string]NetworkACL
	profiles  []InstanceProfile
	offerings []Offering
	missing   []string

	offeringsRead                                  bool
	offeringsStarted, usersStarted, targetsStarted bool
	subnetsStarted, lateSubnetsDone                bool
	vpcsRead, groupsAsked                          map[string]bool
	imageIDsAsked                                  []string
	alarms                                         []string // the names DescribeAlarms listed
	alarmsRead                                     bool
}

// run makes the queued calls, at most max at once, until none is left and no join can
// queue more. The first error (in the order the answers are handled) ends the run once the
// calls in flight have answered.
func (o *observer) run(ctx context.Context, max int) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if max == 1 {
		for {
			o.joins()
			if len(o.queue) == 0 {
				return nil
			}
			c := o.queue[0]
			o.queue = o.queue[1:]
			o.calls++
			c.do(ctx)
			if err := o.handle(c); err != nil {
				return err
			}
		}
	}
	done := make(chan *call, max)
	inFlight := 0
	var first error
	for {
		for first == nil && inFlight < max && len(o.queue) > 0 {
			c := o.queue[0]
			o.queue = o.queue[1:]
			inFlight++
			o.calls++
			go func() {
				c.do(ctx)
				done <- c
			}()
		}
		if inFlight == 0 {
			if first != nil {
				return first
			}
			o.joins()
			if len(o.queue) == 0 {
				return nil
			}
			continue
		}
		c := <-done
		inFlight--
		if first != nil {
			continue // draining: the answers of the calls in flight are not used
		}
		if err := o.handle(c); err != nil {
			first = err
			cancel()
			continue
		}
		o.joins()
	}
}

// handle hands c's answer to its then, at c's depth.
func (o *observer) handle(c *call) error {
	o.depth = c.depth
	o.deepest[c.kind] = max(o.deepest[c.kind], c.depth)
	return c.then()
}

// at sets the depth of the calls a join queues: one more than the deepest answered call of
// the kinds it waited for.
func (o *observer) at(kinds ...int) {
	o.depth = 0
	for _, k := range kinds {
		o.depth = max(o.depth, o.deepest[k])
	}
}

// single queues one call whose answer then handles.
func single[O any](o *observer, k int, fetch func(ctx context.Context) (O, error), then func(O, error) error) {
	var out O
	var err error
	o.queue = append(o.queue, &call{
		do:    func(ctx context.Context) { out, err = fetch(ctx) },
		then:  func() error { return then(out, err) },
		kind:  k,
		depth: o.depth + 1,
	})
}

// pager is a paginated Describe: fetch asks for the page after token (nil: the first),
// next reads the answer's token, page takes a page in, fail decides about an error (nil:
// handled, the query ends) and done, if set, runs once, after the last page or a handled
// error.
type pager[O any] struct {
	fetch func(ctx context.Context, token *string) (O, error)
	next  func(O) *string
	page  func(O)
	fail  func(error) error
	done  func()
}

// paginate queues the first page; each page queues the next as soon as its token is known.
func paginate[O any](o *observer, k int, p pager[O]) {
	closeQuery := o.opened(k)
	finish := func() {
		closeQuery()
		if p.done != nil {
			p.done()
		}
	}
	var ask func(token *string)
	ask = func(token *string) {
		single(o, k, func(ctx context.Context) (O, error) { return p.fetch(ctx, token) }, func(out O, err error) error {
			if err != nil {
				if err := p.fail(err); err != nil {
					return err
				}
				finish()
				return nil
			}
			p.page(out)
			// A repeated token would loop forever (the SDK's paginators stop on it too).
			if t := p.next(out); aws.ToString(t) != "" && (token == nil || *t != *token) {
				ask(t)
				return nil
			}
			finish()
			return nil
		})
	}
	ask(nil)
}

// start queues every read that needs nothing but the stack.
func (o *observer) start() error {
	o.targetGroups()
	o.loadBalancers()
	o.sourcesAndMembers()
	o.readImages()
	if err := o.readProfiles(); err != nil {
		return err
	}
	if err := o.readAlarms(); err != nil {
		return err
	}
	o.joins()
	return nil
}

// joins queues the reads whose inputs are now complete. Each looks only at kinds of
// queries that have all answered, so what it asks does not depend on the order of answers.
func (o *observer) joins() {
	sourcesKnown := o.open[kindInstances] == 0
	if !o.offeringsStarted && !o.offeringsNeedSources() {
		o.offeringsStarted = true
		o.at()
		o.readOfferings()
	}
	if !o.offeringsStarted && sourcesKnown {
		o.offeringsStarted = true
		o.at(kindInstances)
		o.readOfferings()
	}
	if !o.usersStarted && o.open[kindImages] == 0 {
		o.usersStarted = true
		o.at(kindImages)
		o.imageUsers()
		o.readSnapshots()
	}
	if !o.subnetsStarted && o.open[kindLBs] == 0 && sourcesKnown {
		o.subnetsStarted = true
		o.at(kindLBs, kindInstances)
		o.readSubnets()
		o.readGroups()
	}
	if !o.targetsStarted && o.open[kindTGs] == 0 && o.open[kindHealth] == 0 && sourcesKnown {
		o.targetsStarted = true
		o.at(kindTGs, kindHealth, kindInstances)
		o.unknownTargets()
	}
	// Instances found late (registered by hand, or running an old image) may sit in a VPC
	// not read yet: read those subnets once everything else has answered.
	if len(o.queue) == 0 && o.subnetsStarted && !o.lateSubnetsDone && o.quiet() {
		o.lateSubnetsDone = true
		o.at(kindTGs, kindLBs, kindHealth, kindInstances, kindImages, kindOther)
		o.readSubnets()
		o.readGroups()
	}
}

// quiet reports whether every read but the subnets' has started and answered.
func (o *observer) quiet() bool {
	for _, n := range o.open {
		if n > 0 {
			return false
		}
	}
	return o.offeringsStarted && o.usersStarted && o.targetsStarted
}

// opened counts a query of kind k as open and returns the function that closes it.
func (o *observer) opened(k int) func() {
	o.open[k]++
	return func() { o.open[k]-- }
}

// byName describes things by name in one query. ELBv2 fails the whole call when one name is
// unknown (notFound), so then it asks name by name, concurrently, to learn which ones are
// missing (missing gets each).
func byName[O any](o *observer, k int, names []string, notFound string, fetch func(ctx context.Context, names []string, token *string) (O, error), next func(O) *string, page func(O), missing func(string)) {
	var query func(names []string, fallback bool)
	query = func(names []string, fallback bool) {
		paginate(o, k, pager[O]{
			fetch: func(ctx context.Context, token *string) (O, error) { return fetch(ctx, names, token) },
			next:  next,
			page:  page,
			fail: func(err error) error {
				if ErrorCode(err) != notFound {
					return err
				}
				if !fallback || len(names) == 1 {
					missing(names[0])
					return nil
				}
				for _, n := range names {
					query([]string{n}, false)
				}
				return nil
			},
		})
	}
	query(names, true)
}

func (o *observer) targetGroups() {
	var names []string
	names = append(names, o.q.TargetGroups...)
	if len(names) == 0 {
		return
	}
	byName(o, kindTGs, names, "TargetGroupNotFound",
		func(ctx context.Context, names []string, token *string) (*elbv2.DescribeTargetGroupsOutput, error) {
			out, err := o.api.ELBV2.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{Names: names, Marker: token})
			if err != nil {
				return nil, fmt.Errorf("describe target groups %v: %w", names, err)
			}
			return out, nil
		},
		func(out *elbv2.DescribeTargetGroupsOutput) *string { return out.NextMarker },
		func(out *elbv2.DescribeTargetGroupsOutput) {
			for _, tg := range out.TargetGroups {
				o.targetGroup(tg)
			}
		},
		func(n string) { o.missing = append(o.missing, "target group "+n) })
}

// targetGroup takes in a target group and queues its attributes and health.
func (o *observer) targetGroup(tg elbtypes.TargetGroup) {
	arn := aws.ToString(tg.TargetGroupArn)
	if _, seen := o.tgs[arn]; seen {
		return
	}
	t := new(TargetGroup)
	*t = TargetGroupFrom(tg)
	o.tgs[arn] = t
	done := o.opened(kindHealth)
	single(o, kindHealth, func(ctx context.Context) (*elbv2.DescribeTargetGroupAttributesOutput, error) {
		return o.api.ELBV2.DescribeTargetGroupAttributes(ctx, &elbv2.DescribeTargetGroupAttributesInput{TargetGroupArn: aws.String(arn)})
	}, func(out *elbv2.DescribeTargetGroupAttributesOutput, err error) error {
		if err != nil {
			return fmt.Errorf("target group %s: attributes: %w", t.Name, err)
		}
		done()
		t.Attributes = TargetGroupAttributesFrom(out.Attributes)
		return nil
	})
	done2 := o.opened(kindHealth)
	single(o, kindHealth, func(ctx context.Context) (*elbv2.DescribeTargetHealthOutput, error) {
		return o.api.ELBV2.DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(arn)})
	}, func(out *elbv2.DescribeTargetHealthOutput, err error) error {
		if err != nil {
			return fmt.Errorf("target group %s: target health: %w", t.Name, err)
		}
		done2()
		t.Targets = slices.Grow(t.Targets, len(out.TargetHealthDescriptions))
		for _, d := range out.TargetHealthDescriptions {
			t.Targets = append(t.Targets, TargetFrom(d))
		}
		return nil
	})
}

func (o *observer) loadBalancers() {
	var names []string
	names = append(names, o.q.LoadBalancers...)
	if len(names) == 0 {
		return
	}
	byName(o, kindLBs, names, "LoadBalancerNotFound",
		func(ctx context.Context, names []string, token *string) (*elbv2.DescribeLoadBalancersOutput, error) {
			out, err := o.api.ELBV2.DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{Names: names, Marker: token})
			if err != nil {
				return nil, fmt.Errorf("describe load balancers %v: %w", names, err)
			}
			return out, nil
		},
		func(out *elbv2.DescribeLoadBalancersOutput) *string { return out.NextMarker },
		func(out *elbv2.DescribeLoadBalancersOutput) {
			for _, lb := range out.LoadBalancers {
				o.loadBalancer(lb)
			}
		},
		func(n string) { o.missing = append(o.missing, "load balancer "+n) })
}

// sourcesAndMembers finds every fleet's source (by ID or Name tag) and every member albctl
// launched (by tag), one query per fleet: a fleet's members fit in one or two pages, and the
// fleets' queries run side by side instead of paging through every fleet one page at a time.
func (o *observer) sourcesAndMembers() {
	var ids, names, fleets []string
	for _, f := range o.q.Fleets {
		switch {
		case f.SourcePattern:
			names = appendNew(names, f.Source)
		case IsInstanceID(f.Source):
			ids = appendNew(ids, f.Source)
		default:
			// EC2 reads * and ? in a filter value as wildcards: escaped, a Name tag is exact.
			// World.Sources compares exactly again, whatever an endpoint makes of escapes.
			names = appendNew(names, EscapeWildcard(f.Source))
		}
		fleets = appendNew(fleets, f.Label)
	}
	states := ec2types.Filter{Name: aws.String("instance-state-name"), Values: liveStates}
	for _, chunk := range chunks(ids) {
		o.describeInstances(kindInstances, rankSource, []ec2types.Filter{{Name: aws.String("instance-id"), Values: chunk}, states})
	}
	for _, chunk := range chunks(names) {
		o.describeInstances(kindInstances, rankSource, []ec2types.Filter{{Name: aws.String("tag:Name"), Values: chunk}, states})
	}
	for _, f := range fleets {
		o.describeInstances(kindInstances, rankMember, []ec2types.Filter{{Name: aws.String("tag:" + TagFleet), Values: []string{f}}, states})
	}
}

// unknownTargets reads the registered targets that are not a source or member: targets
// registered by hand (or by an older tool) still hold traffic, so their zones matter.
func (o *observer) unknownTargets() {
	var unknown []string
	asked := map[string]bool{}
	for _, tg := range o.tgs {
		for _, t := range tg.Targets {
			if _, seen := o.instances[t.ID]; !seen && !asked[t.ID] && IsInstanceID(t.ID) {
				asked[t.ID] = true
				unknown = append(unknown, t.ID)
			}
		}
	}
	sort.Strings(unknown)
	for _, chunk := range chunks(unknown) {
		o.describeInstances(kindOther, rankTarget, []ec2types.Filter{{Name: aws.String("instance-id"), Values: chunk}})
	}
}

// describeInstances queues a paginated DescribeInstances; each page is converted as it
// arrives, so no more than a page of SDK values per query is held at a time.
func (o *observer) describeInstances(k, rank int, filters []ec2types.Filter) {
	paginate(o, k, pager[*ec2.DescribeInstancesOutput]{
		fetch: func(ctx context.Context, token *string) (*ec2.DescribeInstancesOutput, error) {
			return o.api.EC2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: filters, MaxResults: aws.Int32(1000), NextToken: token})
		},
		next: func(out *ec2.DescribeInstancesOutput) *string { return out.NextToken },
		page: func(out *ec2.DescribeInstancesOutput) {
			for _, r := range out.Reservations {
				for _, in := range r.Instances {
					id := aws.ToString(in.InstanceId)
					if have, ok := o.instances[id]; ok && have.rank <= rank {
						continue
					}
					o.instances[id] = ranked[Instance]{rank, InstanceFrom(in)}
				}
			}
		},
		fail: func(err error) error { return fmt.Errorf("describe instances: %w", err) },
	})
}

// readImages reads the images the stack names (by name, and by ID for `image { id = ... }`)
// and every image albctl baked for the stack's fleets (by tag), so that plan can replace
// members on an older version and deregister images beyond image.keep.
func (o *observer) readImages() {
	var names, ids, fleets, stacks []string
	for _, f := range o.q.Fleets {
		if f.ImageID != "" {
			ids = appendNew(ids, f.ImageID)
		} else if f.ImageName != "" {
			names = appendNew(names, f.ImageName)
		}
		fleets = appendNew(fleets, f.Label)
		if f.TargetGroup != "" {
			stacks = appendNew(stacks, f.TargetGroup)
		}
	}
	o.imageIDsAsked = ids
	for _, chunk := range chunks(names) {
		o.describeImages(&ec2.DescribeImagesInput{
			Owners:  []string{"self"},
			Filters: []ec2types.Filter{{Name: aws.String("name"), Values: chunk}},
		}, fmt.Sprintf("describe images %v", chunk))
	}
	// By filter, not ImageIds: one unknown ID would fail the whole call. Any owner: a team
	// may launch from an image shared with the account.
	for _, chunk := range chunks(ids) {
		o.describeImages(&ec2.DescribeImagesInput{
			Filters: []ec2types.Filter{{Name: aws.String("image-id"), Values: chunk}},
		}, fmt.Sprintf("describe images %v", chunk))
	}
	if len(stacks) > 0 {
		for _, chunk := range chunks(fleets) {
			o.describeImages(&ec2.DescribeImagesInput{
				Owners: []string{"self"},
				Filters: []ec2types.Filter{
					{Name: aws.String("tag:" + TagFleet), Values: chunk},
					{Name: aws.String("tag:" + TagStack), Values: stacks},
				},
				MaxResults: aws.Int32(1000),
			}, fmt.Sprintf("describe images of fleets %v", chunk))
		}
	}
}

// describeImages queues a DescribeImages; without MaxResults (and with no ImageIds) EC2
// answers in one page, so only a query with MaxResults is paginated.
func (o *observer) describeImages(in *ec2.DescribeImagesInput, what string) {
	paginate(o, kindImages, pager[*ec2.DescribeImagesOutput]{
		fetch: func(ctx context.Context, token *string) (*ec2.DescribeImagesOutput, error) {
			q := *in
			q.NextToken = token
			return o.api.EC2.DescribeImages(ctx, &q)
		},
		next: func(out *ec2.DescribeImagesOutput) *string {
			if in.MaxResults == nil {
				return nil
			}
			return out.NextToken
		},
		page: func(out *ec2.DescribeImagesOutput) {
			for _, im := range out.Images {
				id := aws.ToString(im.ImageId)
				if _, ok := o.images[id]; !ok {
					o.images[id] = ranked[Image]{0, ImageFrom(im)}
				}
			}
		},
		fail: func(err error) error { return fmt.Errorf("%s: %w", what, err) },
	})
}

// imageUsers finds the live instances that run an image plan may deregister (one albctl
// baked for a fleet of the stack, other than the image the fleet's spec names) and that
// were not found as a source, member or target: launched by hand, or by another stack. Plan
// never deregisters an image something still runs. Each image is its own query, so the
// users of a dozen old images are read side by side; the spec's own images are not asked
// about, as plan never removes them (a converged fleet of any size costs no call here).
func (o *observer) imageUsers() {
	var ids []string
	for id, im := range o.images {
		if o.removable(&im.v) {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	states := ec2types.Filter{Name: aws.String("instance-state-name"), Values: liveStates}
	for _, id := range ids {
		o.describeInstances(kindOther, rankUser, []ec2types.Filter{{Name: aws.String("image-id"), Values: []string{id}}, states})
	}
}

// removable reports whether im is an image plan may deregister: baked for a fleet of the
// stack (by its tags) and not the image that fleet's spec names.
func (o *observer) removable(im *Image) bool {
	for _, f := range o.q.Fleets {
		if f.TargetGroup == "" || im.Tags[TagFleet] != f.Label || im.Tags[TagStack] != f.TargetGroup {
			continue
		}
		if im.Name != f.ImageName && im.ID != f.ImageID {
			return true
		}
	}
	return false
}

// readProfiles reads the IAM instance profiles the stack names explicitly (not "inherit"),
// side by side. A name IAM does not know is Missing: plan reports it before any side effect.
func (o *observer) readProfiles() error {
	var names []string
	for _, f := range o.q.Fleets {
		if p := f.InstanceProfile; p != "" && p != "inherit" {
			names = appendNew(names, ProfileName(p))
		}
	}
	if len(names) == 0 {
		return nil
	}
	sort.Strings(names)
	if o.api.IAM == nil {
		return fmt.Errorf("instance profiles %v: no IAM client to read them with", names)
	}
	for _, n := range names {
		done := o.opened(kindOther)
		single(o, kindOther, func(ctx context.Context) (*iam.GetInstanceProfileOutput, error) {
			return o.api.IAM.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String(n)})
		}, func(out *iam.GetInstanceProfileOutput, err error) error {
			if ErrorCode(err) == "NoSuchEntity" {
				o.missing = append(o.missing, "instance profile "+n)
				done()
				return nil
			}
			if err != nil {
				return fmt.Errorf("get instance profile %s: %w", n, err)
			}
			done()
			if p := out.InstanceProfile; p != nil {
				o.profiles = append(o.profiles, InstanceProfileFrom(*p))
			}
			return nil
		})
	}
	return nil
}

// ProfileName returns the name of an instance profile given by name or by ARN
// (arn:aws:iam::123456789012:instance-profile/path/name).
func ProfileName(p string) string {
	if !strings.HasPrefix(p, "arn:") {
		return p
	}
	if i := strings.LastIndex(p, "/"); i >= 0 {
		return p[i+1:]
	}
	return p
}

// offeringsNeedSources reports whether a fleet launches the source's instance type, which
// is known only once the sources are read.
func (o *observer) offeringsNeedSources() bool {
	return slices.ContainsFunc(o.q.Fleets, func(f FleetQuery) bool { return f.InstanceType == "" })
}

// readOfferings reads, in one paginated query, which of the instance types the stack
// launches (fleet.instance_type, else the source's) EC2 offers in the fleets' zones.
func (o *observer) readOfferings() {
	var types, zones []string
	var found *World
	for _, f := range o.q.Fleets {
		typ := f.InstanceType
		if typ == "" {
			if found == nil {
				found = &World{Instances: o.sortedInstances(rankSource)}
			}
			if src, ok := found.sourceFound(&f); ok {
				typ = src.InstanceType
			}
		}
		if typ == "" {
			continue
		}
		types = appendNew(types, typ)
		for _, z := range f.Zones {
			zones = appendNew(zones, z)
		}
	}
	if len(types) == 0 || len(zones) == 0 {
		return
	}
	sort.Strings(types)
	sort.Strings(zones)
	var got []Offering
	paginate(o, kindOther, pager[*ec2.DescribeInstanceTypeOfferingsOutput]{
		fetch: func(ctx context.Context, token *string) (*ec2.DescribeInstanceTypeOfferingsOutput, error) {
			return o.api.EC2.DescribeInstanceTypeOfferings(ctx, &ec2.DescribeInstanceTypeOfferingsInput{
				LocationType: ec2types.LocationTypeAvailabilityZone,
				Filters: []ec2types.Filter{
					{Name: aws.String("instance-type"), Values: types},
					{Name: aws.String("location"), Values: zones},
				},
				MaxResults: aws.Int32(1000),
				NextToken:  token,
			})
		},
		next: func(out *ec2.DescribeInstanceTypeOfferingsOutput) *string { return out.NextToken },
		page: func(out *ec2.DescribeInstanceTypeOfferingsOutput) {
			for _, of := range out.InstanceTypeOfferings {
				got = append(got, Offering{InstanceType: string(of.InstanceType), AZ: aws.ToString(of.Location)})
			}
		},
		fail: func(err error) error {
			return fmt.Errorf("describe instance type offerings %v in %v: %w", types, zones, err)
		},
		done: func() { o.offerings, o.offeringsRead = got, true },
	})
}

// readSubnets reads every subnet of the VPCs the load balancers and instances live in and
// that were not read yet: zones are added to an ALB, and members launched, by choosing
// among them.
func (o *observer) readSubnets() {
	vpcs := map[string]bool{}
	for _, lb := range o.lbs {
		vpcs[lb.VpcID] = true
	}
	for _, in := range o.instances {
		if in.v.VpcID != "" {
			vpcs[in.v.VpcID] = true
		}
	}
	var ids []string
	for _, v := range slices.Sorted(maps.Keys(vpcs)) {
		if !o.vpcsRead[v] {
			o.vpcsRead[v] = true
			ids = append(ids, v)
		}
	}
	for _, chunk := range chunks(ids) {
		paginate(o, kindOther, pager[*ec2.DescribeSubnetsOutput]{
			fetch: func(ctx context.Context, token *string) (*ec2.DescribeSubnetsOutput, error) {
				return o.api.EC2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{
					Filters:   []ec2types.Filter{{Name: aws.String("vpc-id"), Values: chunk}},
					NextToken: token,
				})
			},
			next: func(out *ec2.DescribeSubnetsOutput) *string { return out.NextToken },
			page: func(out *ec2.DescribeSubnetsOutput) {
				for _, s := range out.Subnets {
					sn := SubnetFrom(s)
					o.subnets[sn.ID] = sn
				}
			},
			fail: func(err error) error { return fmt.Errorf("describe subnets: %w", err) },
		})
	}
	o.readACLs(ids)
}

// sortedInstances returns the instances read by queries of rank at most maxRank, by ID.
func (o *observer) sortedInstances(maxRank int) []Instance {
	out := make([]Instance, 0, len(o.instances))
	for _, in := range o.instances {
		if in.rank <= maxRank {
			out = append(out, in.v)
		}
	}
	// slices.SortFunc, not sort.Slice: no reflection per swap, and World.sort then finds
	// the slice sorted in one linear pass.
	slices.SortFunc(out, func(a, b Instance) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// world assembles what was read, sorted, with what the stack names and was not found.
func (o *observer) world() *World {
	w := &World{Instances: o.sortedInstances(rankUser), InstanceProfiles: o.profiles, Offerings: o.offerings, OfferingsRead: o.offeringsRead, Missing: o.missing}
	for _, im := range o.images {
		w.Images = append(w.Images, im.v)
	}
	for _, s := range o.subnets {
		w.Subnets = append(w.Subnets, s)
	}
	for _, sn := range o.snapshots {
		w.Snapshots = append(w.Snapshots, sn)
	}
	for _, tg := range o.tgs {
		w.TargetGroups = append(w.TargetGroups, *tg)
	}
	for _, lb := range o.lbs {
		w.LoadBalancers = append(w.LoadBalancers, *lb)
	}
	for _, id := range o.imageIDsAsked {
		if _, ok := o.images[id]; !ok {
			w.Missing = append(w.Missing, "image "+id)
		}
	}
	for _, f := range o.q.Fleets {
		if _, ok := w.sourceFound(&f); !ok {
			w.Missing = append(w.Missing, fmt.Sprintf("instance %s (source of fleet %q)", f.Source, f.Label))
		}
	}
	o.network(w)
	o.alarmsWorld(w)
	w.sort()
	return w
}

func appendNew(list []string, v string) []string {
	if slices.Contains(list, v) {
		return list
	}
	return append(list, v)
}

func chunks(values []string) [][]string {
	var out [][]string
	for len(values) > 0 {
		n := min(filterChunk, len(values))
		out = append(out, values[:n])
		values = values[n:]
	}
	return out
}

func (w *World) sort() {
	slices.SortFunc(w.Instances, func(a, b Instance) int { return strings.Compare(a.ID, b.ID) })
	sort.Slice(w.Images, func(i, j int) bool { return w.Images[i].ID < w.Images[j].ID })
	sort.Slice(w.Subnets, func(i, j int) bool { return w.Subnets[i].ID < w.Subnets[j].ID })
	sort.Slice(w.TargetGroups, func(i, j int) bool { return w.TargetGroups[i].Name < w.TargetGroups[j].Name })
	sort.Slice(w.LoadBalancers, func(i, j int) bool { return w.LoadBalancers[i].Name < w.LoadBalancers[j].Name })
	for i := range w.TargetGroups {
		t := w.TargetGroups[i].Targets
		sort.Slice(t, func(a, b int) bool {
			if t[a].ID != t[b].ID {
				return t[a].ID < t[b].ID
			}
			return t[a].Port < t[b].Port
		})
	}
	sort.Slice(w.InstanceProfiles, func(i, j int) bool { return w.InstanceProfiles[i].Name < w.InstanceProfiles[j].Name })
	sort.Slice(w.Offerings, func(i, j int) bool {
		a, b := w.Offerings[i], w.Offerings[j]
		if a.InstanceType != b.InstanceType {
			return a.InstanceType < b.InstanceType
		}
		return a.AZ < b.AZ
	})
	sort.Strings(w.Missing)
	slices.SortFunc(w.VPCs, func(a, b VPC) int { return strings.Compare(a.ID, b.ID) })
	slices.SortFunc(w.SecurityGroups, func(a, b SecurityGroup) int { return strings.Compare(a.ID, b.ID) })
	slices.SortFunc(w.NetworkACLs, func(a, b NetworkACL) int { return strings.Compare(a.ID, b.ID) })
	slices.SortFunc(w.Snapshots, func(a, b Snapshot) int { return strings.Compare(a.ID, b.ID) })
}
