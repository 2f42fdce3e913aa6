package bench

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/albctl/albctl/internal/clock"
	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/plan"
	"github.com/albctl/albctl/internal/simulator"
	"github.com/albctl/albctl/internal/specs"
)

// The generated account, and the zones its instances are spread over.
const (
	AccountID = "123456789012"
	Region    = "ap-northeast-1"
)

// Zones are the three Availability Zones of a generated world.
var Zones = []string{"ap-northeast-1a", "ap-northeast-1c", "ap-northeast-1d"}

// FleetCapacity is the most instances Generate puts in one fleet (and so in one target
// group). It leaves MaxExtra of AWS's 1,000 targets per target group free, for More.
const FleetCapacity = 900

// MaxExtra is the most instances More may add to a fleet of a generated world.
const MaxExtra = simulator.MaxTargetsPerGroup - FleetCapacity

// ImageVersion is the image.version of every generated fleet.
const ImageVersion = "2024-01-15"

var (
	// now is the generated world's clock; everything in it happened well before.
	now      = time.Date(2024, 1, 15, 9, 0, 0, 0, time.UTC)
	launched = now.Add(-72 * time.Hour)
)

// Layout says how Generate divides n instances.
type Layout struct {
	Fleets        int // one target group per fleet
	LoadBalancers int // each forwards (through one listener per target group) to some fleets
}

// LayoutOf returns how Generate lays out n instances: ceil(n/FleetCapacity) fleets, at least
// two (one for n = 1), and half as many load balancers, at least two when there are two fleets.
func LayoutOf(n int) Layout {
	n = max(n, 1)
	f := min(n, max(2, (n+FleetCapacity-1)/FleetCapacity))
	return Layout{Fleets: f, LoadBalancers: min(f, max(2, (f+1)/2))}
}

// Generate returns a simulated world of n instances (n < 1 is taken as 1) and the stack under
// which it is converged: Build gives an empty plan. Every fleet has a source instance (named
// by ID in the spec) and members launched from the fleet's baked image, tagged as albctl
// tags what it launches, spread over the three zones, registered in the fleet's target group
// and healthy; every target group has stickiness on, as the spec asks, and is forwarded to by
// a listener of a load balancer enabled in the three zones. Same n and seed, same result.
func Generate(n int, seed uint64) (*simulator.World, *specs.Stack) {
	n = max(n, 1)
	b := &builder{
		g:     &gen{rng: rand.New(rand.NewPCG(seed, 0x616c6263746c)), used: map[string]bool{}},
		n:     n,
		lay:   LayoutOf(n),
		w:     &simulator.World{AccountID: AccountID, Region: Region, Now: now, Seed: seed},
		stack: &specs.Stack{Cloud: specs.Cloud{Target: "sim"}},
	}
	b.network()
	b.width = max(2, len(fmt.Sprint(b.lay.Fleets-1)))
	b.loadBalancers()
	b.sticky = &specs.Stickiness{Type: "lb_cookie", Duration: 24 * time.Hour}
	b.stickyAttrs = plan.StickinessAttributes(b.sticky)
	for f := range b.lay.Fleets {
		b.fleet(f)
	}
	// zones = "targets" where the fleets behind a load balancer fill the three zones (all but
	// the smallest worlds); otherwise the three zones by name, so that the world stays
	// converged.
	for i := range b.lbSpecs {
		if len(b.lbZones[i]) == len(Zones) {
			b.lbSpecs[i].ZonesFromTargets = true
		} else {
			b.lbSpecs[i].Zones = append([]string(nil), Zones...)
		}
	}
	b.stack.LoadBalancers = b.lbSpecs
	return b.w, b.stack
}

// builder is what Generate builds and what its parts share. The parts draw IDs from g in a
// fixed order (network, load balancers, then fleet by fleet): same seed, same world.
type builder struct {
	g     *gen
	n     int
	lay   Layout
	w     *simulator.World
	stack *specs.Stack

	vpc, webSG, albSG, profile, base string
	subnets                          map[string]string // by zone
	width                            int               // digits of the fleet and load balancer numbers

	lbARNs  []string
	lbSpecs []specs.LoadBalancer
	lbZones []map[string]bool // the zones each load balancer's fleets have members in

	sticky      *specs.Stickiness
	stickyAttrs map[string]string
}

func (b *builder) label(kind string, i int) string { return fmt.Sprintf("%s-%0*d", kind, b.width, i) }

// network makes the VPC, a subnet per zone, the security groups, the instance profile and the
// base image.
func (b *builder) network() {
	g, w := b.g, b.w
	b.vpc = g.id("vpc")
	w.VPCs = []simulator.VPC{{ID: b.vpc, CIDR: "10.0.0.0/16", Tags: map[string]string{"Name": "bench-vpc"}}}
	b.subnets = map[string]string{}
	for i, az := range Zones {
		id := g.id("subnet")
		b.subnets[az] = id
		w.Subnets = append(w.Subnets, simulator.Subnet{
			ID: id, VPC: b.vpc, AZ: az, CIDR: fmt.Sprintf("10.0.%d.0/18", 64*i),
			Tags: map[string]string{"Name": "bench-" + zoneSuffix(az)},
		})
	}
	b.webSG, b.albSG = g.id("sg"), g.id("sg")
	w.SecurityGroups = []simulator.SecurityGroup{
		{ID: b.webSG, Name: "web-sg", VPC: b.vpc, Description: "web servers"},
		{ID: b.albSG, Name: "alb-sg", VPC: b.vpc, Description: "load balancers"},
	}
	b.profile = fmt.Sprintf("arn:aws:iam::%s:instance-profile/web-app", AccountID)
	w.InstanceProfiles = []simulator.InstanceProfile{{Name: "web-app", ARN: b.profile, ID: "AIPA" + strings.ToUpper(g.hex(17)), CreatedAt: launched.Add(-24 * time.Hour)}}
	b.base = g.id("ami")
	w.Images = []simulator.Image{{ID: b.base, Name: "web-base", State: "available", Owner: AccountID, CreatedAt: launched.Add(-48 * time.Hour), Tags: map[string]string{"Name": "web-base"}}}
}

// loadBalancers makes the load balancers, enabled in the three zones, and their specs.
func (b *builder) loadBalancers() {
	n := b.lay.LoadBalancers
	b.lbARNs, b.lbSpecs, b.lbZones = make([]string, n), make([]specs.LoadBalancer, n), make([]map[string]bool, n)
	for i := range n {
		name := b.label("alb", i)
		hex := b.g.hex(16)
		b.lbARNs[i] = fmt.Sprintf("arn:aws:elasticloadbalancing:%s:%s:loadbalancer/app/%s/%s", Region, AccountID, name, hex)
		lb := simulator.LoadBalancer{
			ARN: b.lbARNs[i], Name: name, DNSName: fmt.Sprintf("%s-%d.%s.elb.amazonaws.com", name, b.g.rng.Uint32(), Region),
			Scheme: "internet-facing", State: "active", VPC: b.vpc, CreatedAt: launched.Add(-time.Hour),
			SecurityGroups: []string{b.albSG},
		}
		for _, az := range Zones {
			lb.Subnets = append(lb.Subnets, simulator.LBSubnet{AZ: az, Subnet: b.subnets[az], EnabledAt: lb.CreatedAt})
		}
		b.w.LoadBalancers = append(b.w.LoadBalancers, lb)
		b.lbSpecs[i] = specs.LoadBalancer{Label: name, Name: name}
		b.lbZones[i] = map[string]bool{}
	}
}

// fleet makes fleet f: its listener and target group, its baked image, its source and members.
func (b *builder) fleet(f int) {
	g, w := b.g, b.w
	fleet := b.label("web", f)
	tgName := fleet + "-tg"
	tgARN := fmt.Sprintf("arn:aws:elasticloadbalancing:%s:%s:targetgroup/%s/%s", Region, AccountID, tgName, g.hex(16))
	lb := f % b.lay.LoadBalancers
	w.Listeners = append(w.Listeners, simulator.Listener{
		ARN:          fmt.Sprintf("%s/%s", strings.Replace(b.lbARNs[lb], ":loadbalancer/", ":listener/", 1), g.hex(16)),
		LoadBalancer: b.lbARNs[lb], Port: int32(80 + f/b.lay.LoadBalancers), Protocol: "HTTP", TargetGroup: tgARN,
	})
	attrs := map[string]string{}
	for k, v := range b.stickyAttrs {
		attrs[k] = v
	}
	tg := simulator.TargetGroup{
		ARN: tgARN, Name: tgName, VPC: b.vpc, Protocol: "HTTP", Port: 80, Attributes: attrs,
		HealthCheck: simulator.HealthCheck{
			Protocol: "HTTP", Path: "/health", Port: "traffic-port",
			Interval: clock.Duration(30 * time.Second), Timeout: clock.Duration(6 * time.Second),
			HealthyThreshold: 5, UnhealthyThreshold: 2, Matcher: "200",
		},
	}
	b.stack.TargetGroups = append(b.stack.TargetGroups, specs.TargetGroup{
		Label: fleet, Name: tgName, Port: 80, Protocol: "HTTP",
		HealthCheck: &specs.HealthCheck{Path: "/health"}, Stickiness: b.sticky,
	})
	imageName := fleet + "-" + ImageVersion
	image := g.id("ami")
	w.Images = append(w.Images, simulator.Image{
		ID: image, Name: imageName, State: "available", Owner: AccountID, CreatedAt: launched.Add(-time.Hour),
		Tags: map[string]string{
			cloud.TagStack: tgName, cloud.TagFleet: fleet, cloud.TagImageVersion: ImageVersion, "Name": imageName,
		},
	})
	fs := b.members(f, fleet, tgName, image, &tg)
	fs.Image = specs.Image{Name: imageName, Version: ImageVersion}
	w.TargetGroups = append(w.TargetGroups, tg)
	b.stack.Fleets = append(b.stack.Fleets, fs)
}

// members launches fleet f's source and members, spread over the zones starting with the
// source's, registers them in tg, and returns the fleet's spec.
func (b *builder) members(f int, fleet, tgName, image string, tg *simulator.TargetGroup) specs.Fleet {
	size := b.n / b.lay.Fleets
	if f < b.n%b.lay.Fleets {
		size++
	}
	srcAZ := f % len(Zones)
	counts := map[string]int{}
	for k := range size {
		counts[Zones[(srcAZ+k)%len(Zones)]]++
	}
	src := b.instance(tg, Zones[srcAZ], fleet, b.base, map[string]string{}, launched)
	b.w.Instances = append(b.w.Instances, src)
	fs := specs.Fleet{Label: fleet, Source: src.ID, TargetGroup: fleet, Sessions: "local", IAMInstanceProfile: "inherit"}
	lb := f % b.lay.LoadBalancers
	for k, az := range Zones {
		c := counts[az]
		if c == 0 {
			continue
		}
		b.lbZones[lb][az] = true
		fs.Zones = append(fs.Zones, specs.FleetZone{AZ: az, Count: c})
		members := c
		if az == src.AZ {
			members-- // the source counts as a member of its zone, in no slot
		}
		for slot := 1; slot <= members; slot++ {
			at := launched.Add(time.Duration(k*FleetCapacity+slot) * time.Second)
			b.w.Instances = append(b.w.Instances, b.instance(tg, az, fmt.Sprintf("%s-%s-%d", fleet, zoneSuffix(az), slot), image, map[string]string{
				cloud.TagStack: tgName, cloud.TagFleet: fleet, cloud.TagImageVersion: ImageVersion,
				cloud.TagSlot: fmt.Sprintf("%s/%d", az, slot),
			}, at))
		}
	}
	return fs
}

// instance is a running instance launched at at, registered (and healthy) in tg.
func (b *builder) instance(tg *simulator.TargetGroup, az, name, image string, tags map[string]string, at time.Time) simulator.Instance {
	id := b.g.id("i")
	tags["Name"] = name
	tg.Targets = append(tg.Targets, simulator.Target{ID: id, Port: 80, RegisteredAt: at.Add(2 * time.Minute)})
	return simulator.Instance{
		ID: id, State: "running", AZ: az, Subnet: b.subnets[az], VPC: b.vpc, Image: image, Type: "t3.small",
		Key: "web-key", SecurityGroups: []string{b.webSG}, IAMProfileARN: b.profile, IAMAssociation: b.g.id("iip-assoc"),
		Tags: tags, LaunchTime: at, Reservation: b.g.id("r"), RunningAt: at.Add(40 * time.Second),
	}
}

// More returns a copy of stack whose first fleet asks for k more instances, spread over the
// three zones (the first zones get the remainder). k must be at most MaxExtra for a
// generated world, or the target group runs out of room.
func More(stack *specs.Stack, k int) *specs.Stack {
	out := *stack
	out.Fleets = append([]specs.Fleet(nil), stack.Fleets...)
	if len(out.Fleets) == 0 || k <= 0 {
		return &out
	}
	f := &out.Fleets[0]
	f.Zones = append([]specs.FleetZone(nil), f.Zones...)
	for i := range k {
		az := Zones[i%len(Zones)]
		j := slices.IndexFunc(f.Zones, func(z specs.FleetZone) bool { return z.AZ == az })
		if j < 0 {
			f.Zones = append(f.Zones, specs.FleetZone{AZ: az})
			j = len(f.Zones) - 1
		}
		f.Zones[j].Count++
	}
	slices.SortFunc(f.Zones, func(a, b specs.FleetZone) int { return strings.Compare(a.AZ, b.AZ) })
	return &out
}

func zoneSuffix(az string) string {
	if i := strings.LastIndex(az, "-"); i >= 0 {
		return az[i+1:]
	}
	return az
}

// gen hands out IDs in order from a seeded source, never the same twice.
type gen struct {
	rng  *rand.Rand
	used map[string]bool
}

func (g *gen) hex(n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[g.rng.IntN(16)]
	}
	return string(b)
}

func (g *gen) id(prefix string) string {
	for {
		id := prefix + "-" + g.hex(17)
		if !g.used[id] {
			g.used[id] = true
			return id
		}
	}
}
