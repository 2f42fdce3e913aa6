package simulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/albctl/albctl/internal/clock"
	"github.com/albctl/albctl/internal/safefile"
)

// World is the whole simulated state of one account in one region. It is plain data and
// serialises to the world file; see Marshal for the canonical form.
type World struct {
	AccountID string    `json:"account_id"`
	Region    string    `json:"region"`
	Now       time.Time `json:"now"`
	// Seed and Counter make new IDs: the Counter-th ID is derived from (Seed, kind, Counter),
	// so a reloaded world goes on handing out the same IDs as one never saved.
	Seed    uint64 `json:"seed"`
	Counter uint64 `json:"counter"`

	VPCs           []VPC           `json:"vpcs,omitempty"`
	Subnets        []Subnet        `json:"subnets,omitempty"`
	SecurityGroups []SecurityGroup `json:"security_groups,omitempty"`
	// NetworkACLs are the subnets' network ACLs. A subnet no ACL lists has its VPC's default
	// ACL (IsDefault); with none, nothing is filtered (the world does not record ACLs).
	NetworkACLs      []NetworkACL      `json:"network_acls,omitempty"`
	InstanceProfiles []InstanceProfile `json:"iam_instance_profiles,omitempty"`
	Images           []Image           `json:"images,omitempty"`
	Instances        []Instance        `json:"instances,omitempty"`
	LoadBalancers    []LoadBalancer    `json:"load_balancers,omitempty"`
	Listeners        []Listener        `json:"listeners,omitempty"`
	TargetGroups     []TargetGroup     `json:"target_groups,omitempty"`

	Snapshots []Snapshot `json:"snapshots,omitempty"`

	// ImageBehaviours say what becomes of images CreateImage makes, by name: the first
	// whose NameGlob matches wins. An image no rule matches inherits the app of the
	// instance it was made from.
	ImageBehaviours []ImageBehaviour `json:"image_behaviours,omitempty"`
	// InsufficientCapacity lists zones (and instance types) where RunInstances answers
	// InsufficientInstanceCapacity.
	InsufficientCapacity []CapacityShortage `json:"insufficient_capacity,omitempty"`
	// InstanceTypeOfferings lists, by Availability Zone, the instance types offered there;
	// a zone not listed offers every type.
	InstanceTypeOfferings map[string][]string `json:"instance_type_offerings,omitempty"`
	// ClientDNSCache is how long the simulated clients keep a DNS answer beyond its TTL (a
	// JVM's or an OS resolver's own cache): 0 to MaxClientDNSCache, 0 by default. A client
	// holding the address of a node that is gone gets connection errors until then
	// (docs/simulator.md, "DNS, node addresses and connection errors").
	ClientDNSCache clock.Duration `json:"client_dns_cache,omitzero"`
	// RequestRate is how many requests per second each listener gets in the metrics model
	// (DefaultRequestRate when 0; docs/simulator.md, "Metrics and alarms").
	RequestRate float64 `json:"request_rate,omitempty"`
	// Alarms are CloudWatch metric alarms on the simulated metrics, evaluated in virtual
	// time (DescribeAlarms).
	Alarms []Alarm `json:"alarms,omitempty"`

	Faults Faults `json:"faults,omitzero"`
}

// App is how the application on an instance behaves, as seen by health checks and clients.
// The zero value (or none) serves: every path answers 200.
type App struct {
	// Health is "serves" (the default), "fails" (answers StatusCode, 500 by default, to
	// every request: a broken build) or "timeout" (accepts no connection: the app is down).
	Health string `json:"health,omitempty"`
	// StatusCode is what a failing app answers.
	StatusCode int32 `json:"status_code,omitempty"`
	// HealthPath, when set, is the only path that answers 200: a health check on another
	// path gets 404 (a wrong health-check path), though clients are served.
	HealthPath string `json:"health_path,omitempty"`
	// BootTime is how long the app takes to answer after the instance starts or reboots.
	BootTime clock.Duration `json:"boot_time,omitzero"`
	// ErrorRate is the share of client requests (0 to 1) a serving app answers 500 while
	// its health checks pass: a build that fails one page in twenty (docs/simulator.md,
	// "Metrics and alarms").
	ErrorRate float64 `json:"error_rate,omitempty"`
	// Latency is how long the app takes to answer a request; zero: DefaultLatency.
	Latency Latency `json:"latency,omitzero"`
}

// Latency is an app's response-time distribution, given by two percentiles: the simulator
// draws response times from the log-normal distribution through them.
type Latency struct {
	P50 clock.Duration `json:"p50"`
	P95 clock.Duration `json:"p95"`
}

// ImageBehaviour is a world rule for images CreateImage makes whose name matches NameGlob
// (EC2 filter wildcards: * and ?).
type ImageBehaviour struct {
	NameGlob string `json:"name_glob"`
	// App is the app of instances launched from the image.
	App *App `json:"app,omitempty"`
	// Fail, when set, makes the image end "failed" with this state reason instead of
	// "available".
	Fail *StateReason `json:"fail,omitempty"`
}

// StateReason is an EC2 state reason.
type StateReason struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// CapacityShortage makes RunInstances fail with InsufficientInstanceCapacity in AZ, for
// InstanceTypes (every type if empty).
type CapacityShortage struct {
	AZ            string   `json:"az"`
	InstanceTypes []string `json:"instance_types,omitempty"`
}

// Snapshot is an EBS snapshot; CreateImage makes one per image (the root volume).
type Snapshot struct {
	ID          string            `json:"id"`
	State       string            `json:"state"` // pending, completed, error
	VolumeSize  int32             `json:"volume_size"`
	Description string            `json:"description,omitempty"`
	CreatedAt   time.Time         `json:"created_at"`
	CompletedAt time.Time         `json:"completed_at,omitzero"` // when pending ends
	Tags        map[string]string `json:"tags,omitempty"`
}

// VPC is a virtual private cloud.
type VPC struct {
	ID        string            `json:"id"`
	CIDR      string            `json:"cidr"`
	IsDefault bool              `json:"is_default,omitempty"`
	Tags      map[string]string `json:"tags,omitempty"`
}

// Subnet is a subnet of a VPC, in one Availability Zone.
type Subnet struct {
	ID   string            `json:"id"`
	VPC  string            `json:"vpc"`
	AZ   string            `json:"az"`
	CIDR string            `json:"cidr"`
	Tags map[string]string `json:"tags,omitempty"`
	// AvailableIPs, when set, is the subnet's free address count, kept up to date by
	// launches, terminations and load balancer nodes (a snapshot of a real account records
	// it). When absent, it is computed from the CIDR: AWS reserves 5 addresses per subnet.
	AvailableIPs *int32 `json:"available_ip_address_count,omitempty"`
}

// SecurityGroup is a security group of a VPC. Its inbound rules decide which load balancer
// nodes reach an instance (see docs/simulator.md, "Reachability"); outbound, every group
// allows everything (AWS's default egress rule).
type SecurityGroup struct {
	ID          string            `json:"id"`
	Name        string            `json:"name"`
	VPC         string            `json:"vpc"`
	Description string            `json:"description,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
	// Ingress are the inbound rules. Absent (nil): the world does not record them and the
	// group admits everything, as worlds from before rules were modelled expect; an empty
	// list admits nothing, as AWS's new groups do.
	Ingress *[]IngressRule `json:"ingress,omitempty"`
	// Egress are the outbound rules, in the same form. Absent (nil): AWS's default rule,
	// all traffic to 0.0.0.0/0, as every new group has.
	Egress *[]IngressRule `json:"egress,omitempty"`
}

// InstanceProfile is an IAM instance profile. It becomes usable by EC2 at CreatedAt plus
// Faults.ProfilePropagationDelay.
type InstanceProfile struct {
	Name      string    `json:"name"`
	ARN       string    `json:"arn"`
	ID        string    `json:"id,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// Image is an AMI.
type Image struct {
	ID             string            `json:"id"`
	Name           string            `json:"name"`
	State          string            `json:"state"` // pending, available, failed, deregistered, ...
	Owner          string            `json:"owner"`
	Description    string            `json:"description,omitempty"`
	SourceInstance string            `json:"source_instance,omitempty"`
	CreatedAt      time.Time         `json:"created_at"`
	AvailableAt    time.Time         `json:"available_at,omitzero"` // when pending turns available
	Tags           map[string]string `json:"tags,omitempty"`
	// Snapshots are the EBS snapshots of the image's block devices (root first).
	Snapshots []string `json:"snapshots,omitempty"`
	// App is the app of instances launched from the image (nil: serves).
	App *App `json:"app,omitempty"`
	// Fail, when set on a pending image, makes it end "failed" with this reason.
	Fail *StateReason `json:"fail,omitempty"`
	// DeregisteredAt is when DeregisterImage was called.
	DeregisteredAt time.Time `json:"deregistered_at,omitzero"`
}

// Instance is an EC2 instance. The *At fields are when a transition completes; State is the
// state as of World.Now (the simulator settles it before every call).
type Instance struct {
	ID             string            `json:"id"`
	State          string            `json:"state"`
	AZ             string            `json:"az"`
	Subnet         string            `json:"subnet"`
	VPC            string            `json:"vpc"`
	Image          string            `json:"image"`
	Type           string            `json:"type"`
	Key            string            `json:"key,omitempty"`
	SecurityGroups []string          `json:"security_groups,omitempty"`
	IAMProfileARN  string            `json:"iam_instance_profile_arn,omitempty"`
	IAMAssociation string            `json:"iam_association_id,omitempty"`
	Tags           map[string]string `json:"tags,omitempty"`
	LaunchTime     time.Time         `json:"launch_time"`
	LaunchIndex    int32             `json:"launch_index,omitempty"`
	Reservation    string            `json:"reservation_id"`
	ClientToken    string            `json:"client_token,omitempty"`
	// RequestDigest fingerprints the RunInstances parameters, to tell a retry with the same
	// ClientToken from a different request that reuses it.
	RequestDigest string `json:"request_digest,omitempty"`
	// App is the application's behaviour (nil: serves), copied from the image at launch.
	App *App `json:"app,omitempty"`

	RunningAt     time.Time `json:"running_at,omitzero"`     // pending -> running
	RebootAt      time.Time `json:"reboot_at,omitzero"`      // last reboot began
	RebootUntil   time.Time `json:"reboot_until,omitzero"`   // ... and ended
	TerminatingAt time.Time `json:"terminating_at,omitzero"` // TerminateInstances called
	TerminatedAt  time.Time `json:"terminated_at,omitzero"`  // shutting-down -> terminated
	// VisibleAt is when calls naming the instance stop answering InvalidInstanceID.NotFound
	// (Faults.InstanceVisibilityDelay at launch).
	VisibleAt time.Time `json:"visible_at,omitzero"`
}

// LoadBalancer is an Application Load Balancer.
type LoadBalancer struct {
	ARN            string     `json:"arn"`
	Name           string     `json:"name"`
	DNSName        string     `json:"dns"`
	Scheme         string     `json:"scheme"` // internet-facing or internal
	State          string     `json:"state"`  // provisioning, active, active_impaired, failed
	VPC            string     `json:"vpc"`
	CreatedAt      time.Time  `json:"created_at"`
	Subnets        []LBSubnet `json:"subnets"`
	SecurityGroups []string   `json:"security_groups,omitempty"`
	// Attributes are the load balancer attributes the world sets; the others have AWS's
	// defaults (DescribeLoadBalancerAttributes lists both). None changes the simulation.
	Attributes map[string]string `json:"attributes,omitempty"`
}

// LBSubnet is one enabled Availability Zone of a load balancer.
type LBSubnet struct {
	AZ        string    `json:"az"`
	Subnet    string    `json:"subnet"`
	EnabledAt time.Time `json:"enabled_at"`
}

// Listener forwards a port of a load balancer to a target group.
type Listener struct {
	ARN          string `json:"arn"`
	LoadBalancer string `json:"load_balancer_arn"`
	Port         int32  `json:"port"`
	Protocol     string `json:"protocol"`
	TargetGroup  string `json:"default_target_group_arn"`
}

// TargetGroup is an instance target group.
type TargetGroup struct {
	ARN         string            `json:"arn"`
	Name        string            `json:"name"`
	VPC         string            `json:"vpc"`
	Protocol    string            `json:"protocol"`
	Port        int32             `json:"port"`
	HealthCheck HealthCheck       `json:"health_check"`
	Attributes  map[string]string `json:"attributes"`
	Targets     []Target          `json:"targets,omitempty"`
	// Sessions says where the app behind the group keeps its sessions: "local" (on the
	// server's disk or memory, the default: a client sent to another server loses it) or
	// "shared" (a database or cache every server reads). AWS cannot know it; the client
	// model needs it.
	Sessions string `json:"sessions,omitempty"`
}

// HealthCheck holds a target group's health check settings.
type HealthCheck struct {
	Protocol           string         `json:"protocol"`
	Path               string         `json:"path"`
	Port               string         `json:"port"` // "traffic-port" or a number
	Interval           clock.Duration `json:"interval"`
	Timeout            clock.Duration `json:"timeout"`
	HealthyThreshold   int32          `json:"healthy_threshold"`
	UnhealthyThreshold int32          `json:"unhealthy_threshold"`
	Matcher            string         `json:"matcher"`
}

// Target is a registration of an instance (on a port) in a target group. A deregistered
// target drains until DrainUntil and is then removed.
type Target struct {
	ID             string    `json:"id"`
	Port           int32     `json:"port"`
	RegisteredAt   time.Time `json:"registered_at"`
	DeregisteredAt time.Time `json:"deregistered_at,omitzero"`
	DrainUntil     time.Time `json:"drain_until,omitzero"`
	// Mark is the target's health as of a moment when the inputs of its health checks
	// changed (settings modified, a reboot began): checks are replayed from it, not from
	// registration.
	Mark *HealthMark `json:"health_mark,omitempty"`
}

// HealthMark is a target's health-check state machine as of At.
type HealthMark struct {
	At          time.Time `json:"at"`
	State       string    `json:"state"` // initial, healthy, unhealthy
	Streak      int32     `json:"streak,omitempty"`
	Reason      string    `json:"reason,omitempty"`
	Description string    `json:"description,omitempty"`
}

// LoadWorld reads and validates a world file.
func LoadWorld(path string) (*World, error) {
	// Bounded: a wrong path (/dev/zero) fails at the limit instead of exhausting memory
	// (docs/security.md).
	data, err := safefile.ReadFileLimited(path, safefile.MaxWorldSize)
	if err != nil {
		return nil, fmt.Errorf("load world: %w", err)
	}
	w, err := ParseWorld(data)
	if err != nil {
		return nil, fmt.Errorf("world %s: %w", path, err)
	}
	return w, nil
}

// ParseWorld decodes and validates a world. Unknown fields are errors; target group
// attributes missing from the data get AWS's defaults.
func ParseWorld(data []byte) (*World, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	w := &World{}
	if err := dec.Decode(w); err != nil {
		return nil, jsonError(data, err)
	}
	if dec.More() {
		return nil, errors.New("unexpected data after the world object")
	}
	w.normalize()
	if err := w.validate(); err != nil {
		return nil, err
	}
	return w, nil
}

// jsonError adds the line and column to a JSON decoding error.
func jsonError(data []byte, err error) error {
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	if off < 0 || off > int64(len(data)) {
		return err
	}
	line := 1 + bytes.Count(data[:off], []byte("\n"))
	col := int(off) - bytes.LastIndexByte(data[:off], '\n')
	if msg := err.Error(); len(msg) > 4*safefile.ExcerptLength {
		// The decoder quotes a number it cannot store, however long the literal.
		return fmt.Errorf("line %d, column %d: %s", line, col, safefile.Shorten(msg))
	}
	return fmt.Errorf("line %d, column %d: %w", line, col, err)
}

// Marshal returns the canonical form of w: indented JSON, every list sorted by ID, times in
// UTC, a trailing newline. Marshal(ParseWorld(x)) == x for a canonical x.
func (w *World) Marshal() ([]byte, error) {
	w.normalize()
	b, err := json.MarshalIndent(w, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// LatestClock is the latest "now" a world file may have.
var LatestClock = time.Date(9000, 1, 1, 0, 0, 0, 0, time.UTC)

// Save writes the world to path atomically and durably (docs/security.md): a synced
// temporary file renamed over the real one, keeping the file's mode (0600 for a new file: a
// snapshot of an account is sensitive) and following a symlink instead of replacing it.
func (w *World) Save(path string) error {
	if !w.Now.IsZero() && (w.Now.Year() > 9999 || w.Now.Year() < 1) {
		return fmt.Errorf("world clock %s is outside the years 1-9999 a world file can hold", w.Now.UTC().Format(time.RFC3339))
	}
	b, err := w.Marshal()
	if err != nil {
		return err
	}
	return safefile.WriteFile(path, b)
}

// clone returns a deep copy of w.
func (w *World) clone() *World {
	b, err := json.Marshal(w)
	if err != nil {
		panic("simulator: world does not marshal: " + err.Error())
	}
	c := &World{}
	if err := json.Unmarshal(b, c); err != nil {
		panic("simulator: world does not unmarshal: " + err.Error())
	}
	return c
}

// normalize puts w in canonical order and fills defaults. It changes no meaning.
func (w *World) normalize() {
	w.Now = w.Now.UTC()
	w.normalizeVPCs()
	w.normalizeImages()
	w.normalizeInstances()
	w.normalizeLoadBalancing()
	w.Faults.normalize(w.Now)
	w.normalizeNetwork()
}

// normalizeVPCs sorts the VPCs, subnets and security groups by ID.
func (w *World) normalizeVPCs() {
	slices.SortFunc(w.VPCs, func(a, b VPC) int { return strings.Compare(a.ID, b.ID) })
	slices.SortFunc(w.Subnets, func(a, b Subnet) int { return strings.Compare(a.ID, b.ID) })
	slices.SortFunc(w.SecurityGroups, func(a, b SecurityGroup) int { return strings.Compare(a.ID, b.ID) })
	for i := range w.VPCs {
		w.VPCs[i].Tags = nilIfEmpty(w.VPCs[i].Tags)
	}
	for i := range w.Subnets {
		w.Subnets[i].Tags = nilIfEmpty(w.Subnets[i].Tags)
	}
	for i := range w.SecurityGroups {
		w.SecurityGroups[i].Tags = nilIfEmpty(w.SecurityGroups[i].Tags)
	}
}

// normalizeImages sorts instance profiles, images and snapshots, with their times in UTC.
func (w *World) normalizeImages() {
	slices.SortFunc(w.InstanceProfiles, func(a, b InstanceProfile) int { return strings.Compare(a.Name, b.Name) })
	for i := range w.InstanceProfiles {
		p := &w.InstanceProfiles[i]
		p.CreatedAt = p.CreatedAt.UTC()
	}
	slices.SortFunc(w.Images, func(a, b Image) int { return strings.Compare(a.ID, b.ID) })
	for i := range w.Images {
		im := &w.Images[i]
		im.CreatedAt, im.AvailableAt, im.DeregisteredAt = im.CreatedAt.UTC(), im.AvailableAt.UTC(), im.DeregisteredAt.UTC()
		im.Tags = nilIfEmpty(im.Tags)
		im.App = im.App.normal()
	}
	slices.SortFunc(w.Snapshots, func(a, b Snapshot) int { return strings.Compare(a.ID, b.ID) })
	for i := range w.Snapshots {
		sn := &w.Snapshots[i]
		sn.CreatedAt, sn.CompletedAt = sn.CreatedAt.UTC(), sn.CompletedAt.UTC()
		sn.Tags = nilIfEmpty(sn.Tags)
	}
}

// normalizeInstances sorts the instance type offerings and the instances, with each
// instance's security groups sorted and its times in UTC.
func (w *World) normalizeInstances() {
	for k, ts := range w.InstanceTypeOfferings {
		slices.Sort(ts)
		w.InstanceTypeOfferings[k] = slices.Compact(ts)
	}
	if len(w.InstanceTypeOfferings) == 0 {
		w.InstanceTypeOfferings = nil
	}
	slices.SortFunc(w.Instances, func(a, b Instance) int { return strings.Compare(a.ID, b.ID) })
	for i := range w.Instances {
		in := &w.Instances[i]
		slices.Sort(in.SecurityGroups)
		in.SecurityGroups = slices.Compact(in.SecurityGroups)
		in.Tags = nilIfEmpty(in.Tags)
		in.App = in.App.normal()
		for _, t := range []*time.Time{&in.LaunchTime, &in.RunningAt, &in.RebootAt, &in.RebootUntil, &in.TerminatingAt, &in.TerminatedAt, &in.VisibleAt} {
			*t = t.UTC()
		}
	}
}

// normalizeLoadBalancing sorts load balancers, listeners and target groups, fills the target
// group attributes AWS defaults, and sorts each group's targets.
func (w *World) normalizeLoadBalancing() {
	slices.SortFunc(w.LoadBalancers, func(a, b LoadBalancer) int { return strings.Compare(a.ARN, b.ARN) })
	for i := range w.LoadBalancers {
		lb := &w.LoadBalancers[i]
		lb.CreatedAt = lb.CreatedAt.UTC()
		slices.SortFunc(lb.Subnets, func(a, b LBSubnet) int { return strings.Compare(a.AZ, b.AZ) })
		for j := range lb.Subnets {
			lb.Subnets[j].EnabledAt = lb.Subnets[j].EnabledAt.UTC()
		}
		slices.Sort(lb.SecurityGroups)
		lb.Attributes = nilIfEmpty(lb.Attributes)
	}
	slices.SortFunc(w.Listeners, func(a, b Listener) int { return strings.Compare(a.ARN, b.ARN) })
	slices.SortFunc(w.TargetGroups, func(a, b TargetGroup) int { return strings.Compare(a.ARN, b.ARN) })
	for i := range w.TargetGroups {
		tg := &w.TargetGroups[i]
		if tg.Attributes == nil {
			tg.Attributes = map[string]string{}
		}
		for k, v := range defaultAttributes {
			if _, ok := tg.Attributes[k]; !ok {
				tg.Attributes[k] = v
			}
		}
		sortTargets(tg.Targets)
		for j := range tg.Targets {
			t := &tg.Targets[j]
			t.RegisteredAt, t.DeregisteredAt, t.DrainUntil = t.RegisteredAt.UTC(), t.DeregisteredAt.UTC(), t.DrainUntil.UTC()
			if t.Mark != nil {
				t.Mark.At = t.Mark.At.UTC()
			}
		}
	}
}

// normal returns nil for an app that behaves as the default one.
func (a *App) normal() *App {
	if a == nil || *a == (App{}) || *a == (App{Health: "serves"}) {
		return nil
	}
	return a
}

// clone returns a copy of a (nil for nil).
func (a *App) clone() *App {
	if a == nil {
		return nil
	}
	c := *a
	return &c
}

func sortTargets(ts []Target) {
	slices.SortFunc(ts, func(a, b Target) int {
		if c := strings.Compare(a.ID, b.ID); c != 0 {
			return c
		}
		return int(a.Port) - int(b.Port)
	})
}

func nilIfEmpty(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}

// instanceStates are the EC2 instance states and their codes.
var instanceStates = map[string]int32{
	"pending": 0, "running": 16, "shutting-down": 32, "terminated": 48, "stopping": 64, "stopped": 80,
}

var snapshotStates = []string{"pending", "completed", "error", "recoverable", "recovering"}

// check validates an app from a world file.
func (a *App) check() error {
	if a == nil {
		return nil
	}
	switch a.Health {
	case "", "serves", "fails", "timeout":
	default:
		return fmt.Errorf("app health %q is not serves, fails or timeout", a.Health)
	}
	if a.StatusCode != 0 && (a.StatusCode < 100 || a.StatusCode > 599) {
		return fmt.Errorf("app status_code %d is not an HTTP status", a.StatusCode)
	}
	if a.HealthPath != "" && !strings.HasPrefix(a.HealthPath, "/") {
		return fmt.Errorf("app health_path %q does not begin with /", a.HealthPath)
	}
	if a.BootTime < 0 {
		return fmt.Errorf("app boot_time is negative")
	}
	if a.ErrorRate < 0 || a.ErrorRate > 1 || a.ErrorRate != a.ErrorRate {
		return fmt.Errorf("app error_rate %v is not between 0 and 1", a.ErrorRate)
	}
	if l := a.Latency; l != (Latency{}) && (l.P50 <= 0 || l.P95 < l.P50) {
		return fmt.Errorf("app latency: p50 (%s) must be positive and p95 (%s) at least p50", l.P50, l.P95)
	}
	return nil
}

var imageStates = []string{"pending", "available", "invalid", "deregistered", "transient", "failed", "error", "disabled"}

// validate checks that w is complete and that every reference names something that exists.
// It walks the world in the order of its references (a subnet names a VPC, an instance a
// subnet, a target group its targets), so each section finds what it names already indexed.
func (w *World) validate() error {
	c := newWorldCheck()
	c.header(w)
	c.vpcsAndSubnets(w.VPCs, w.Subnets)
	c.securityGroups(w.SecurityGroups)
	c.instanceProfiles(w.InstanceProfiles)
	c.snapshotList(w.Snapshots)
	c.imageBehaviours(w.ImageBehaviours)
	c.instanceTypes(w.InsufficientCapacity, w.InstanceTypeOfferings)
	c.images(w.Images)
	c.instances(w.Instances)
	c.loadBalancers(w.LoadBalancers)
	c.targetGroups(w.TargetGroups)
	c.listeners(w.Listeners)
	c.uniqueNames(w.LoadBalancers, w.TargetGroups)
	if err := w.Faults.validate(); err != nil {
		c.errs = append(c.errs, err)
	}
	c.securityGroupRules(w.SecurityGroups)
	c.networkACLs(w.NetworkACLs)
	c.sessions(w.TargetGroups)
	c.metrics(w)
	if len(c.errs) > maxWorldErrors {
		n := len(c.errs) - maxWorldErrors
		c.errs = append(c.errs[:maxWorldErrors], fmt.Errorf("and %d more problems", n))
	}
	return errors.Join(c.errs...)
}

// maxWorldErrors bounds how many problems a world's error lists: a file of a million bad
// entries gets a readable error, not a million lines.
const maxWorldErrors = 20

// worldCheck collects the problems of one world as validate walks it, with the resources
// seen so far indexed by ID for the references of later sections.
type worldCheck struct {
	errs []error
	// seen holds every ID so far, of any kind: a world file must not reuse one.
	seen         map[string]bool
	vpcByID      map[string]bool
	subnetByID   map[string]Subnet
	sgByID       map[string]SecurityGroup
	snapshotByID map[string]bool
	instanceByID map[string]Instance
	lbByARN      map[string]LoadBalancer
	tgByARN      map[string]TargetGroup
}

func newWorldCheck() *worldCheck {
	return &worldCheck{
		seen: map[string]bool{}, vpcByID: map[string]bool{}, subnetByID: map[string]Subnet{},
		sgByID: map[string]SecurityGroup{}, snapshotByID: map[string]bool{},
		instanceByID: map[string]Instance{}, lbByARN: map[string]LoadBalancer{}, tgByARN: map[string]TargetGroup{},
	}
}

// bad records a problem. String arguments are values from the file: each is quoted at most
// safefile.ExcerptLength bytes long (docs/security.md).
func (c *worldCheck) bad(format string, args ...any) {
	for i, a := range args {
		if s, ok := a.(string); ok {
			args[i] = safefile.Shorten(s)
		}
	}
	c.errs = append(c.errs, fmt.Errorf(format, args...))
}

// unique reports a missing or reused ID.
func (c *worldCheck) unique(kind, id string) {
	if id == "" {
		c.bad("%s without an id", kind)
	} else if c.seen[id] {
		c.bad("%s %s appears twice", kind, id)
	}
	c.seen[id] = true
}

// header checks the account, the region and the clock.
func (c *worldCheck) header(w *World) {
	if !isAccountID(w.AccountID) {
		c.bad("account_id %q is not a 12-digit AWS account ID", w.AccountID)
	}
	if w.Region == "" {
		c.bad("region is missing")
	}
	if w.Now.IsZero() {
		c.bad("now is missing")
	} else if w.Now.After(LatestClock) {
		// Every later time is Now plus durations of at most a few days; a clock this late
		// would run past year 9999, which JSON cannot write, after the apply's steps ran.
		c.bad("now %s is too late: the simulator's clock must start by %s to leave room to run", w.Now.Format(time.RFC3339), LatestClock.Format(time.RFC3339))
	}
	if w.ClientDNSCache < 0 || w.ClientDNSCache.D() > MaxClientDNSCache {
		c.bad("client_dns_cache %s is out of range: 0s to %s", w.ClientDNSCache, MaxClientDNSCache)
	}
}

// vpcsAndSubnets checks that every subnet lies in a VPC of the world, in a zone, with a
// block that has addresses.
func (c *worldCheck) vpcsAndSubnets(vpcs []VPC, subnets []Subnet) {
	for _, v := range vpcs {
		c.unique("vpc", v.ID)
		c.vpcByID[v.ID] = true
	}
	for _, s := range subnets {
		c.unique("subnet", s.ID)
		c.subnetByID[s.ID] = s
		if !c.vpcByID[s.VPC] {
			c.bad("subnet %s: vpc %q does not exist", s.ID, s.VPC)
		}
		if s.AZ == "" {
			c.bad("subnet %s: az is missing", s.ID)
		}
		if _, err := subnetSize(s.CIDR); err != nil {
			c.bad("subnet %s: %v", s.ID, err)
		}
		if s.AvailableIPs != nil && *s.AvailableIPs < 0 {
			c.bad("subnet %s: negative available_ip_address_count", s.ID)
		}
	}
}

// securityGroups checks that every security group lies in a VPC of the world; its rules
// are checked by securityGroupRules, once every group is known.
func (c *worldCheck) securityGroups(groups []SecurityGroup) {
	for _, g := range groups {
		c.unique("security group", g.ID)
		c.sgByID[g.ID] = g
		if !c.vpcByID[g.VPC] {
			c.bad("security group %s: vpc %q does not exist", g.ID, g.VPC)
		}
	}
}

func (c *worldCheck) instanceProfiles(profiles []InstanceProfile) {
	for _, p := range profiles {
		c.unique("iam instance profile", p.Name)
		if !isProfileARN(p.ARN) {
			c.bad("iam instance profile %s: arn %q is not an instance profile ARN", p.Name, p.ARN)
		}
	}
}

// snapshotList checks each snapshot's state, and that a pending one says when it completes.
func (c *worldCheck) snapshotList(snapshots []Snapshot) {
	for _, sn := range snapshots {
		c.unique("snapshot", sn.ID)
		c.snapshotByID[sn.ID] = true
		if !slices.Contains(snapshotStates, sn.State) {
			c.bad("snapshot %s: unknown state %q", sn.ID, sn.State)
		}
		if sn.State == "pending" && sn.CompletedAt.IsZero() {
			c.bad("snapshot %s: pending without completed_at", sn.ID)
		}
	}
}

// imageBehaviours checks that each rule names the images it is for and what they do.
func (c *worldCheck) imageBehaviours(rules []ImageBehaviour) {
	for _, b := range rules {
		if b.NameGlob == "" {
			c.bad("image_behaviours: a rule without name_glob")
		}
		if b.App == nil && b.Fail == nil {
			c.bad("image_behaviours %q: neither app nor fail", b.NameGlob)
		}
		if err := b.App.check(); err != nil {
			c.bad("image_behaviours %q: %v", b.NameGlob, err)
		}
		if b.Fail != nil && b.Fail.Code == "" {
			c.bad("image_behaviours %q: fail needs a code", b.NameGlob)
		}
	}
}

// instanceTypes checks that capacity shortages and offerings name instance types the
// simulator knows.
func (c *worldCheck) instanceTypes(shortages []CapacityShortage, offerings map[string][]string) {
	for _, s := range shortages {
		if s.AZ == "" {
			c.bad("insufficient_capacity: an entry without az")
		}
		for _, t := range s.InstanceTypes {
			if !instanceTypes[t] {
				c.bad("insufficient_capacity %s: unknown instance type %q", s.AZ, t)
			}
		}
	}
	for az, ts := range offerings {
		for _, t := range ts {
			if !instanceTypes[t] {
				c.bad("instance_type_offerings %s: unknown instance type %q", az, t)
			}
		}
	}
}

// images checks each image's state, its snapshots and its app.
func (c *worldCheck) images(images []Image) {
	for _, im := range images {
		c.unique("image", im.ID)
		if !slices.Contains(imageStates, im.State) {
			c.bad("image %s: unknown state %q", im.ID, im.State)
		}
		if im.State == "pending" && im.AvailableAt.IsZero() {
			c.bad("image %s: pending without available_at", im.ID)
		}
		for _, sn := range im.Snapshots {
			// A deregistered image goes on naming the snapshots deleted with it or after it,
			// as the simulator keeps it (docs/simulator.md, "What a world file holds"); an
			// image that can still launch needs them.
			if !c.snapshotByID[sn] && im.State != "deregistered" {
				c.bad("image %s: snapshot %q does not exist", im.ID, sn)
			}
		}
		if err := im.App.check(); err != nil {
			c.bad("image %s: %v", im.ID, err)
		}
	}
}

// instances checks each instance's state and placement, and that a state in transition
// says when it ends.
func (c *worldCheck) instances(instances []Instance) {
	for _, in := range instances {
		c.unique("instance", in.ID)
		c.instanceByID[in.ID] = in
		if _, ok := instanceStates[in.State]; !ok {
			c.bad("instance %s: unknown state %q", in.ID, in.State)
		}
		c.instancePlacement(in)
		if in.Type == "" {
			c.bad("instance %s: type is missing", in.ID)
		}
		if in.Reservation == "" {
			c.bad("instance %s: reservation_id is missing", in.ID)
		}
		if in.State == "pending" && in.RunningAt.IsZero() {
			c.bad("instance %s: pending without running_at", in.ID)
		}
		if in.State == "shutting-down" && in.TerminatedAt.IsZero() {
			c.bad("instance %s: shutting-down without terminated_at", in.ID)
		}
		if err := in.App.check(); err != nil {
			c.bad("instance %s: %v", in.ID, err)
		}
	}
}

// instancePlacement checks that an instance's subnet, VPC, zone and security groups agree.
func (c *worldCheck) instancePlacement(in Instance) {
	s, ok := c.subnetByID[in.Subnet]
	switch {
	case !ok:
		c.bad("instance %s: subnet %q does not exist", in.ID, in.Subnet)
	case s.VPC != in.VPC:
		c.bad("instance %s: vpc %q is not the vpc of subnet %s (%s)", in.ID, in.VPC, s.ID, s.VPC)
	case s.AZ != in.AZ:
		c.bad("instance %s: az %q is not the az of subnet %s (%s)", in.ID, in.AZ, s.ID, s.AZ)
	}
	for _, g := range in.SecurityGroups {
		if sg, ok := c.sgByID[g]; !ok || sg.VPC != in.VPC {
			c.bad("instance %s: security group %q does not exist in %s", in.ID, g, in.VPC)
		}
	}
}

// loadBalancers checks each load balancer's VPC, its subnets (one per zone, in its VPC) and
// its security groups.
func (c *worldCheck) loadBalancers(lbs []LoadBalancer) {
	for _, lb := range lbs {
		c.unique("load balancer", lb.ARN)
		c.lbByARN[lb.ARN] = lb
		if lb.Name == "" {
			c.bad("load balancer %s: name is missing", lb.ARN)
		}
		if !c.vpcByID[lb.VPC] {
			c.bad("load balancer %s: vpc %q does not exist", lb.Name, lb.VPC)
		}
		azs := map[string]bool{}
		for _, z := range lb.Subnets {
			s, ok := c.subnetByID[z.Subnet]
			switch {
			case !ok:
				c.bad("load balancer %s: subnet %q does not exist", lb.Name, z.Subnet)
			case s.VPC != lb.VPC || s.AZ != z.AZ:
				c.bad("load balancer %s: subnet %s is in %s/%s, not %s/%s", lb.Name, s.ID, s.VPC, s.AZ, lb.VPC, z.AZ)
			}
			if azs[z.AZ] {
				c.bad("load balancer %s: two subnets in %s", lb.Name, z.AZ)
			}
			azs[z.AZ] = true
		}
		for _, g := range lb.SecurityGroups {
			if sg, ok := c.sgByID[g]; !ok || sg.VPC != lb.VPC {
				c.bad("load balancer %s: security group %q does not exist in %s", lb.Name, g, lb.VPC)
			}
		}
		for k := range lb.Attributes {
			if _, ok := defaultLBAttributes[k]; !ok {
				c.bad("load balancer %s: attribute %q is not an Application Load Balancer attribute", lb.Name, k)
			}
		}
	}
}

// targetGroups checks each target group's VPC, health check, attributes and targets.
func (c *worldCheck) targetGroups(tgs []TargetGroup) {
	for _, tg := range tgs {
		c.unique("target group", tg.ARN)
		c.tgByARN[tg.ARN] = tg
		if tg.Name == "" {
			c.bad("target group %s: name is missing", tg.ARN)
		}
		if !c.vpcByID[tg.VPC] {
			c.bad("target group %s: vpc %q does not exist", tg.Name, tg.VPC)
		}
		hc := tg.HealthCheck
		if hc.Interval <= 0 || hc.HealthyThreshold <= 0 {
			c.bad("target group %s: health_check needs a positive interval and healthy_threshold", tg.Name)
		}
		if err := checkAttributes(tg.Attributes); err != nil {
			c.bad("target group %s: %v", tg.Name, err)
		}
		c.targets(tg)
	}
}

// targets checks that a target group's targets are instances of its VPC, each once (the
// list is sorted by normalize), and that a deregistered one says when draining ends.
func (c *worldCheck) targets(tg TargetGroup) {
	for _, t := range tg.Targets {
		in, ok := c.instanceByID[t.ID]
		if !ok {
			c.bad("target group %s: target %s is not an instance of the world", tg.Name, t.ID)
		} else if in.VPC != tg.VPC {
			c.bad("target group %s: target %s is in %s, not %s", tg.Name, t.ID, in.VPC, tg.VPC)
		}
		if !t.DeregisteredAt.IsZero() && t.DrainUntil.IsZero() {
			c.bad("target group %s: target %s deregistered without drain_until", tg.Name, t.ID)
		}
	}
	for i := 1; i < len(tg.Targets); i++ {
		if tg.Targets[i].ID == tg.Targets[i-1].ID && tg.Targets[i].Port == tg.Targets[i-1].Port {
			c.bad("target group %s: target %s:%d appears twice", tg.Name, tg.Targets[i].ID, tg.Targets[i].Port)
		}
	}
}

// listeners checks that each listener joins a load balancer and a target group of one VPC.
func (c *worldCheck) listeners(listeners []Listener) {
	for _, l := range listeners {
		c.unique("listener", l.ARN)
		if _, ok := c.lbByARN[l.LoadBalancer]; !ok {
			c.bad("listener %s: load balancer %q does not exist", l.ARN, l.LoadBalancer)
		}
		if tg, ok := c.tgByARN[l.TargetGroup]; !ok {
			c.bad("listener %s: target group %q does not exist", l.ARN, l.TargetGroup)
		} else if lb, ok := c.lbByARN[l.LoadBalancer]; ok && lb.VPC != tg.VPC {
			c.bad("listener %s: target group %s is in another vpc than the load balancer", l.ARN, tg.Name)
		}
	}
}

// uniqueNames checks that load balancer names, and target group names, are unique in the
// account, as ELB requires.
func (c *worldCheck) uniqueNames(lbs []LoadBalancer, tgs []TargetGroup) {
	names := map[string]bool{}
	for _, lb := range lbs {
		if names["lb/"+lb.Name] {
			c.bad("two load balancers named %s", lb.Name)
		}
		names["lb/"+lb.Name] = true
	}
	for _, tg := range tgs {
		if names["tg/"+tg.Name] {
			c.bad("two target groups named %s", tg.Name)
		}
		names["tg/"+tg.Name] = true
	}
}

func (c *worldCheck) sessions(tgs []TargetGroup) {
	for _, tg := range tgs {
		switch tg.Sessions {
		case "", "local", "shared":
		default:
			c.bad("target group %s: sessions %q is not local or shared", tg.Name, tg.Sessions)
		}
	}
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// metrics checks the metrics model's settings and the alarms (docs/simulator.md, "Metrics
// and alarms").
func (c *worldCheck) metrics(w *World) {
	if w.RequestRate < 0 || w.RequestRate > 1e6 || w.RequestRate != w.RequestRate {
		c.bad("request_rate %v must be between 0 and 1000000 requests per second", w.RequestRate)
	}
	names := map[string]bool{}
	for _, a := range w.Alarms {
		if err := a.Check(); err != nil {
			c.errs = append(c.errs, err)
		}
		if names[a.Name] {
			c.bad("alarm %q is defined twice", a.Name)
		}
		names[a.Name] = true
	}
}
