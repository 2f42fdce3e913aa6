package mirror

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/simulator"
)

// SettleMargin is how far past the latest time stamp it reads Snapshot sets the world's
// clock. It exceeds the longest possible initial health check (10 x 300 s), so that targets
// the endpoint reports as settled are settled in the simulator too.
const SettleMargin = time.Hour

// emptyAccountNow is the clock of a snapshot that found no time stamp at all.
var emptyAccountNow = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// Assumption is something the copy of an account could not read and had to assume, or
// left out: what kind of thing, which resource, and what the copy does instead. Where the
// copy must guess, it guesses the failure (docs/simulator.md, "Snapshot").
type Assumption struct {
	Kind     string `json:"kind"`
	Resource string `json:"resource"`
	Text     string `json:"text"`
}

func (a Assumption) String() string { return a.Kind + " " + a.Resource + ": " + a.Text }

// Snapshot reads an endpoint's topology in one region into a world that simulator.ParseWorld
// accepts, and says what the copy assumed or left out (sorted). It reads through
// cloud.ReadRegion, with the converters Observe uses, and makes only Describe and List calls
// (and GetCallerIdentity when api.STS is set). The clients decide which region is read;
// region only labels the world, so pass theirs.
//
// Time: a world needs a clock, and the account has none to read, so the world's "now" is
// the latest time stamp read (launch, creation) plus SettleMargin, to the second. The same
// account state thus gives the same world, byte for byte. Health is carried over as the
// account reports it (see copyTargets): a healthy target stays healthy, an unhealthy one
// gets an app that fails its checks the same way, an initial one starts its checks at the
// clock, a draining one begins draining at the clock. The ID seed is a hash of every ID
// read, so that IDs the simulator hands out later do not collide with the snapshot's.
func Snapshot(ctx context.Context, api SnapshotAPI, region string) (*simulator.World, []Assumption, error) {
	if region == "" {
		return nil, nil, errors.New("snapshot: no region")
	}
	cw, err := cloud.ReadRegion(ctx, cloud.RegionAPI{EC2: api.EC2, ELBV2: api.ELBV2, IAM: api.IAM})
	if err != nil {
		return nil, nil, fmt.Errorf("snapshot: %w", err)
	}
	account, err := accountOf(ctx, api.STS, cw)
	if err != nil {
		return nil, nil, fmt.Errorf("snapshot: %w", err)
	}
	w, notes, err := Copy(cw, account, region)
	if err != nil {
		return nil, nil, fmt.Errorf("snapshot: %w", err)
	}
	return w, notes, nil
}

// Copy converts a region read by cloud.ReadRegion into a simulator world for account and
// region, with the assumptions it made, sorted. It is the functional core of Snapshot.
func Copy(cw *cloud.World, account, region string) (*simulator.World, []Assumption, error) {
	c := newCopier(cw, account, region)
	c.network()
	c.profilesAndImages()
	c.instances()
	c.loadBalancers()
	c.targetGroups()
	c.general()
	c.seed()
	data, err := c.w.Marshal()
	if err != nil {
		return nil, nil, err
	}
	w, err := simulator.ParseWorld(data)
	if err != nil {
		return nil, nil, fmt.Errorf("the world read does not validate: %w", err)
	}
	if err := c.verify(w); err != nil {
		return nil, nil, err
	}
	return w, c.assumptions(), nil
}

// accountOf names the account: STS when given, else the most common owner among the owner
// IDs and ARNs read.
func accountOf(ctx context.Context, s SnapshotSTS, cw *cloud.World) (string, error) {
	if s != nil {
		id, err := s.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			return "", fmt.Errorf("get caller identity: %w", err)
		}
		return aws.ToString(id.Account), nil
	}
	var owners []string
	for _, v := range cw.VPCs {
		owners = append(owners, v.OwnerID)
	}
	for _, p := range cw.InstanceProfiles {
		owners = append(owners, p.ARN)
	}
	for _, im := range cw.Images {
		owners = append(owners, im.OwnerID)
	}
	for _, in := range cw.Instances {
		owners = append(owners, in.OwnerID)
	}
	for _, lb := range cw.LoadBalancers {
		owners = append(owners, lb.ARN)
	}
	for _, tg := range cw.TargetGroups {
		owners = append(owners, tg.ARN)
	}
	count := map[string]int{}
	for _, o := range owners {
		if strings.HasPrefix(o, "arn:") {
			if parts := strings.SplitN(o, ":", 6); len(parts) == 6 {
				o = parts[4]
			}
		}
		if len(o) == 12 && strings.Trim(o, "0123456789") == "" {
			count[o]++
		}
	}
	best := ""
	for o, n := range count {
		if n > count[best] || (n == count[best] && o < best) {
			best = o
		}
	}
	if best == "" {
		return "", errors.New("cannot tell the account ID: nothing read names an owner (give an STS client)")
	}
	return best, nil
}

// seed sets the ID seed: a hash of every ID in the world.
func (c *copier) seed() {
	w := c.w
	var ids []string
	for _, v := range w.VPCs {
		ids = append(ids, v.ID)
	}
	for _, s := range w.Subnets {
		ids = append(ids, s.ID)
	}
	for _, g := range w.SecurityGroups {
		ids = append(ids, g.ID)
	}
	for _, im := range w.Images {
		ids = append(ids, im.ID)
	}
	for _, in := range w.Instances {
		ids = append(ids, in.ID, in.Reservation)
	}
	for _, lb := range w.LoadBalancers {
		ids = append(ids, lb.ARN)
	}
	for _, tg := range w.TargetGroups {
		ids = append(ids, tg.ARN)
	}
	for _, l := range w.Listeners {
		ids = append(ids, l.ARN)
	}
	slices.Sort(ids)
	h := fnv.New64a()
	for _, id := range ids {
		h.Write([]byte(id))
		h.Write([]byte{0})
	}
	w.Seed = h.Sum64() >> 11 // 53 bits: exact in any JSON reader
}
