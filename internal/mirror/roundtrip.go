package mirror

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"github.com/albctl/albctl/internal/simulator"
)

// NotCarried is the one list of the world fields a copy does not carry over: those an
// emulator such as moto cannot hold (Seed cannot write them there), and those no account
// can tell (Snapshot cannot read them). Project leaves them out, and docs/simulator.md
// ("Snapshot") renders this table; TestNotCarriedIsDocumented holds the two together.
var NotCarried = []struct {
	Field, Lost, Why string
}{
	{"now, every time stamp", "account", "an account has no clock: the copy's clock is the latest time stamp read plus SettleMargin, and a state becomes a time stamp relative to it (Snapshot's doc)"},
	{"image app, fail", "account", "the account does not know how an image's app behaves: the copy infers it from the health of the instances running the image (an image nobody runs serves)"},
	{"instance app of an instance no target group checks", "account", "only health checks tell how an app answers"},
	{"app health_path, boot_time", "account", "a health check reports one code for the checked path; boot time is not recorded anywhere"},
	{"target group sessions", "account", "where an app keeps sessions is the app's business; the copy takes \"local\""},
	{"faults, image_behaviours, insufficient_capacity, instance_type_offerings", "account", "the simulator's own settings, not resources"},
	{"seed, and the IDs draws are keyed by", "account", "the copy's seed is a hash of the IDs it read, and the simulator keys its draws by seed and ID (a listener's clients by its ARN, an instance's or image's pending time by its ID): a copy draws otherwise than the world file unless both have the same seed and the same IDs (the world file renamed to the IDs the endpoint handed out)"},
	{"subnet free addresses taken by load balancer nodes", "moto", "moto does not count the addresses of load balancer nodes"},
	{"target health and instance apps", "moto", "moto reports every registered target healthy: it runs no health checks"},
	{"draining targets", "moto", "moto removes a deregistered target at once"},
	{"pending, shutting-down and stopping states", "moto", "moto makes instances running and images available at once"},
	{"load balancer attributes but deletion_protection.enabled and the access_logs.s3 keys", "moto", "moto keeps only these load balancer attributes"},
	{"target group attributes stickiness.app_cookie.*, load_balancing.algorithm.anomaly_mitigation, target_group_health.*", "moto", "moto does not list them"},
	{"an image's snapshots", "moto", "moto makes a snapshot of its own for every image registered, with or without block devices"},
}

// Behaviour is what a world's behaviour in the simulator depends on, without IDs an
// endpoint hands out (resources are named by world ID through a rename) and without what
// NotCarried lists. Two worlds with the same Behaviour rehearse alike.
type Behaviour struct {
	VPCs          []string            // id cidr default
	Subnets       []string            // id vpc az cidr
	FreeIPs       map[string]int32    // subnet -> free addresses as DescribeSubnets reports them (not for moto)
	Groups        map[string][]string // id -> "in|out proto ports source", sorted (flattened rules)
	SubnetACLs    map[string][]string // subnet -> "in|out number proto ports cidr action" of its effective ACL
	Profiles      []string
	Images        []string // id name state snapshots tags
	Instances     []string // id state az subnet image type groups profile tags
	Apps          map[string]string
	LoadBalancers []string // arn name scheme vpc zones groups attributes
	Listeners     []string // lb port protocol tg
	TargetGroups  []string // arn name protocol port health check attributes
	Targets       map[string]string
}

// Project returns w's Behaviour with every ID passed through rename (the identity for
// nil). moto drops the fields NotCarried lists for moto when forMoto is set.
func Project(w *simulator.World, rename func(string) string, forMoto bool) (*Behaviour, error) {
	if rename == nil {
		rename = func(s string) string { return s }
	}
	id := func(s string) string {
		if s == "" {
			return ""
		}
		return rename(s)
	}
	p := &projector{w: w, id: id, moto: forMoto, b: &Behaviour{Groups: map[string][]string{}, FreeIPs: map[string]int32{}, SubnetACLs: map[string][]string{}, Apps: map[string]string{}, Targets: map[string]string{}}}
	p.network()
	p.compute()
	if err := p.loadBalancing(); err != nil {
		return nil, err
	}
	b := p.b
	for _, l := range [][]string{b.VPCs, b.Subnets, b.Profiles, b.Images, b.Instances, b.LoadBalancers, b.Listeners, b.TargetGroups} {
		slices.Sort(l)
	}
	return b, nil
}

type projector struct {
	w    *simulator.World
	id   func(string) string
	moto bool
	b    *Behaviour
}

func (p *projector) ids(list []string) string {
	var out []string
	for _, s := range list {
		out = append(out, p.id(s))
	}
	slices.Sort(out)
	return strings.Join(out, ",")
}

func tags(m map[string]string) string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, k+"="+m[k])
	}
	return strings.Join(out, ",")
}

// allTraffic is what a group whose rules a world does not record does: everything.
var allTraffic = []simulator.IngressRule{{Protocol: "-1", CIDRs: []string{"0.0.0.0/0"}}}

func (p *projector) network() {
	for _, v := range p.w.VPCs {
		p.b.VPCs = append(p.b.VPCs, fmt.Sprintf("%s %s %t", p.id(v.ID), v.CIDR, v.IsDefault))
	}
	for _, s := range p.w.Subnets {
		p.b.Subnets = append(p.b.Subnets, fmt.Sprintf("%s %s %s %s", p.id(s.ID), p.id(s.VPC), s.AZ, s.CIDR))
	}
	for _, g := range p.w.SecurityGroups {
		in, out := allTraffic, allTraffic
		if g.Ingress != nil {
			in = *g.Ingress
		}
		if g.Egress != nil {
			out = *g.Egress
		}
		var flat []string
		for _, d := range []struct {
			dir   string
			rules []simulator.IngressRule
		}{{"in", in}, {"out", out}} {
			for _, r := range d.rules {
				pr := ports(r.FromPort, r.ToPort, r.Protocol)
				for _, c := range r.CIDRs {
					flat = append(flat, fmt.Sprintf("%s %s %s %s", d.dir, r.Protocol, pr, c))
				}
				for _, sg := range r.SourceGroups {
					flat = append(flat, fmt.Sprintf("%s %s %s %s", d.dir, r.Protocol, pr, p.id(sg)))
				}
			}
		}
		slices.Sort(flat)
		p.b.Groups[p.id(g.ID)+" "+g.Name+" "+p.id(g.VPC)] = slices.Compact(flat)
	}
	for _, s := range p.w.Subnets {
		p.b.SubnetACLs[p.id(s.ID)] = p.subnetACL(s)
	}
}

// subnetACL is the rules of the ACL that filters a subnet: its own, else its VPC's
// default, else none (everything passes: the rules of AWS's default ACL).
func (p *projector) subnetACL(s simulator.Subnet) []string {
	var acl *simulator.NetworkACL
	for i := range p.w.NetworkACLs {
		a := &p.w.NetworkACLs[i]
		if slices.Contains(a.Subnets, s.ID) {
			acl = a
			break
		}
		if a.IsDefault && a.VPC == s.VPC && acl == nil {
			acl = a
		}
	}
	all := []simulator.ACLRule{{Number: 100, Protocol: "-1", CIDR: "0.0.0.0/0", Action: "allow"}}
	in, out := all, all
	if acl != nil {
		in, out = acl.Inbound, acl.Outbound
	}
	var rules []string
	for _, d := range []struct {
		dir   string
		rules []simulator.ACLRule
	}{{"in", in}, {"out", out}} {
		for _, r := range d.rules {
			rules = append(rules, fmt.Sprintf("%s %05d %s %s %s %s", d.dir, r.Number, r.Protocol, ports(r.FromPort, r.ToPort, r.Protocol), r.CIDR, r.Action))
		}
	}
	slices.Sort(rules)
	return rules
}

func (p *projector) compute() {
	for _, ip := range p.w.InstanceProfiles {
		p.b.Profiles = append(p.b.Profiles, ip.Name+" "+p.id(ip.ARN))
	}
	for _, im := range p.w.Images {
		snaps := fmt.Sprint(len(im.Snapshots))
		if p.moto {
			snaps = "?"
		}
		p.b.Images = append(p.b.Images, fmt.Sprintf("%s %s %s snapshots=%s %s", p.id(im.ID), im.Name, im.State, snaps, tags(im.Tags)))
	}
	checked := map[string]bool{}
	for _, tg := range p.w.TargetGroups {
		for _, t := range tg.Targets {
			checked[t.ID] = true
		}
	}
	for _, in := range p.w.Instances {
		state := in.State
		if p.moto && (state == "pending" || state == "stopping") {
			state = map[string]string{"pending": "running", "stopping": "stopped"}[state]
		}
		p.b.Instances = append(p.b.Instances, fmt.Sprintf("%s %s %s %s %s %s %s %s %s", p.id(in.ID), state, in.AZ, p.id(in.Subnet), p.id(in.Image), in.Type, p.ids(in.SecurityGroups), p.id(in.IAMProfileARN), tags(in.Tags)))
		if checked[in.ID] && !p.moto {
			p.b.Apps[p.id(in.ID)] = appString(in.App)
		}
	}
}

func appString(a *simulator.App) string {
	if a == nil || a.Health == "" || a.Health == "serves" {
		return "serves"
	}
	if a.Health == "fails" {
		return fmt.Sprintf("fails %d", cmp.Or(a.StatusCode, 500))
	}
	return a.Health
}

// motoLBAttributes are the load balancer attributes moto keeps.
var motoLBAttributes = []string{"access_logs.s3.bucket", "access_logs.s3.enabled", "access_logs.s3.prefix", "deletion_protection.enabled"}

func (p *projector) loadBalancing() error {
	lbAttrs := simulator.DefaultLoadBalancerAttributes()
	for _, lb := range p.w.LoadBalancers {
		var zones []string
		for _, z := range lb.Subnets {
			zones = append(zones, z.AZ+"="+p.id(z.Subnet))
		}
		attrs := map[string]string{}
		for k, v := range lb.Attributes {
			if v != lbAttrs[k] && (!p.moto || slices.Contains(motoLBAttributes, k)) {
				attrs[k] = v
			}
		}
		p.b.LoadBalancers = append(p.b.LoadBalancers, fmt.Sprintf("%s %s %s %s %s %s %s", p.id(lb.ARN), lb.Name, lb.Scheme, p.id(lb.VPC), strings.Join(zones, ","), p.ids(lb.SecurityGroups), tags(attrs)))
	}
	for _, l := range p.w.Listeners {
		p.b.Listeners = append(p.b.Listeners, fmt.Sprintf("%s %d %s %s", p.id(l.LoadBalancer), l.Port, l.Protocol, p.id(l.TargetGroup)))
	}
	for _, tg := range p.w.TargetGroups {
		attrs := maps.Clone(tg.Attributes)
		if p.moto {
			for k := range attrs {
				if strings.HasPrefix(k, "stickiness.app_cookie.") || strings.HasPrefix(k, "target_group_health.") || k == "load_balancing.algorithm.anomaly_mitigation" {
					delete(attrs, k)
				}
			}
		}
		p.b.TargetGroups = append(p.b.TargetGroups, fmt.Sprintf("%s %s %s %d %+v %s", p.id(tg.ARN), tg.Name, tg.Protocol, tg.Port, tg.HealthCheck, tags(attrs)))
	}
	return p.health()
}

// health is each target's health as the simulator reports it on w at w's clock: state,
// reason and description (moto: registered or not), and the subnets' free addresses.
func (p *projector) health() error {
	sim := simulator.New(p.w)
	if !p.moto {
		out, err := sim.EC2().DescribeSubnets(context.Background(), &ec2.DescribeSubnetsInput{})
		if err != nil {
			return fmt.Errorf("project subnets: %w", err)
		}
		for _, s := range out.Subnets {
			p.b.FreeIPs[p.id(aws.ToString(s.SubnetId))] = aws.ToInt32(s.AvailableIpAddressCount)
		}
	}
	for _, tg := range p.w.TargetGroups {
		out, err := sim.ELBV2().DescribeTargetHealth(context.Background(), &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(tg.ARN)})
		if err != nil {
			return fmt.Errorf("project %s: %w", tg.Name, err)
		}
		for _, d := range out.TargetHealthDescriptions {
			key := fmt.Sprintf("%s %s:%d", p.id(tg.ARN), p.id(aws.ToString(d.Target.Id)), aws.ToInt32(d.Target.Port))
			h := d.TargetHealth
			switch {
			case p.moto && h.State == "draining":
				continue
			case p.moto:
				p.b.Targets[key] = "registered"
			default:
				p.b.Targets[key] = fmt.Sprintf("%s %s %s", h.State, h.Reason, aws.ToString(h.Description))
			}
		}
	}
	return nil
}
