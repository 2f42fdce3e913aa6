package discover

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/safefile"
)

// Account is a region as cloud.ReadRegion read it, and the client init reads the instance
// type offerings through (ReadRegion does not read them: docs/init.md, "Read-only").
type Account struct {
	World *cloud.World
	ec2   cloud.RegionEC2
}

// ReadAccount reads the region of api's clients once, through the read path a snapshot
// uses (cloud.ReadRegion: Describe and List calls only).
func ReadAccount(ctx context.Context, api cloud.RegionAPI) (*Account, error) {
	w, err := cloud.ReadRegion(ctx, api)
	if err != nil {
		return nil, err
	}
	return &Account{World: w, ec2: api.EC2}, nil
}

// live reports whether an instance in state can be a source (the states plan counts).
func live(state string) bool {
	switch state {
	case "pending", "running", "stopping", "stopped":
		return true
	}
	return false
}

// Candidate is an instance that could be a source.
type Candidate struct {
	ID, Name, AZ, Type, State string
	Via                       []string // "target-group -> load-balancer"
}

// isSource reports whether in can be a source: live, and not a member albctl launched.
func isSource(in cloud.Instance) bool {
	return live(in.State) && in.Tags[cloud.TagFleet] == ""
}

// albs are the application load balancers of the region, by ARN.
func (a *Account) albs() map[string]*cloud.LoadBalancer {
	out := map[string]*cloud.LoadBalancer{}
	for i, lb := range a.World.LoadBalancers {
		if lb.Type == "application" || lb.Type == "" {
			out[lb.ARN] = &a.World.LoadBalancers[i]
		}
	}
	return out
}

// albsOf returns the application load balancers tg is attached to, by name.
func (a *Account) albsOf(tg *cloud.TargetGroup) []*cloud.LoadBalancer {
	albs := a.albs()
	var out []*cloud.LoadBalancer
	for _, arn := range tg.LoadBalancerARNs {
		if lb, ok := albs[arn]; ok {
			out = append(out, lb)
		}
	}
	slices.SortFunc(out, func(x, y *cloud.LoadBalancer) int { return strings.Compare(x.Name, y.Name) })
	return out
}

// registered maps each instance registered (not draining) in an instance target group behind
// an ALB to those target groups, by name.
func (a *Account) registered() map[string][]*cloud.TargetGroup {
	out := map[string][]*cloud.TargetGroup{}
	for i := range a.World.TargetGroups {
		tg := &a.World.TargetGroups[i]
		if (tg.TargetType != "instance" && tg.TargetType != "") || len(a.albsOf(tg)) == 0 {
			continue
		}
		for _, t := range tg.Targets {
			if t.State != "draining" && !slices.Contains(out[t.ID], tg) {
				out[t.ID] = append(out[t.ID], tg)
			}
		}
	}
	return out
}

// via names a target group and its load balancers: "web-tg -> web-alb".
func (a *Account) via(tg *cloud.TargetGroup) string {
	var names []string
	for _, lb := range a.albsOf(tg) {
		names = append(names, lb.Name)
	}
	return tg.Name + " -> " + strings.Join(names, ", ")
}

// Candidates lists the live instances, not launched by albctl, registered in a target group
// behind an ALB, by Name tag then ID.
func (a *Account) Candidates() []Candidate {
	reg := a.registered()
	var out []Candidate
	for _, in := range a.World.Instances {
		if !isSource(in) || len(reg[in.ID]) == 0 {
			continue
		}
		c := Candidate{ID: in.ID, Name: in.Tags["Name"], AZ: in.AZ, Type: in.InstanceType, State: in.State}
		for _, tg := range reg[in.ID] {
			c.Via = append(c.Via, a.via(tg))
		}
		slices.Sort(c.Via)
		out = append(out, c)
	}
	slices.SortFunc(out, func(x, y Candidate) int {
		if c := strings.Compare(x.Name, y.Name); c != 0 {
			return c
		}
		return strings.Compare(x.ID, y.ID)
	})
	return out
}

// CandidatesTitle heads the list of candidates.
const CandidatesTitle = "Candidates (registered targets of a target group behind an Application Load Balancer)"

// WriteCandidates writes the numbered list of candidates, aligned.
func WriteCandidates(w io.Writer, cands []Candidate) {
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

// unknownSource is the error for a source that names nothing usable, with the candidates.
func (a *Account) unknownSource(msg string) error {
	var b strings.Builder
	b.WriteString(msg)
	if cands := a.Candidates(); len(cands) > 0 {
		fmt.Fprintf(&b, ". %s:\n", CandidatesTitle)
		WriteCandidates(&b, cands)
		b.WriteString("Run: albctl init [flags] SOURCE")
	} else {
		b.WriteString("; and no instance is a registered target of a target group behind an Application Load Balancer")
	}
	return errors.New(strings.TrimRight(b.String(), "\n"))
}

// namedLive returns the live instances not launched by albctl whose Name tag is exactly name:
// the instances plan would take a fleet's source = name for (no wildcards: docs/init.md).
func (a *Account) namedLive(name string) []cloud.Instance {
	var out []cloud.Instance
	for _, in := range a.World.Instances {
		if isSource(in) {
			if v, ok := in.Tags["Name"]; ok && v == name {
				out = append(out, in)
			}
		}
	}
	return out
}

// resolveSource finds the one live instance source names (an ID, or a Name tag).
func (a *Account) resolveSource(source string) (cloud.Instance, error) {
	var insts []cloud.Instance
	if cloud.IsInstanceID(source) {
		for _, in := range a.World.Instances {
			if in.ID == source && live(in.State) {
				insts = append(insts, in)
			}
		}
		if len(insts) == 1 && insts[0].Tags[cloud.TagFleet] != "" {
			return cloud.Instance{}, fmt.Errorf("%s was launched by albctl (fleet %q of target group %s): it is a member, not a source; name the instance it was copied from",
				source, insts[0].Tags[cloud.TagFleet], insts[0].Tags[cloud.TagStack])
		}
	} else {
		insts = a.namedLive(source)
	}
	switch len(insts) {
	case 0:
		return cloud.Instance{}, a.unknownSource(fmt.Sprintf("no live instance has the ID or exact Name tag %s", safefile.Quote(source)))
	case 1:
		return insts[0], nil
	}
	var list []string
	for _, in := range insts {
		list = append(list, fmt.Sprintf("%s (%s)", in.ID, in.AZ))
	}
	return cloud.Instance{}, fmt.Errorf("%d live instances have the Name tag %s: %s. Give the source's instance ID instead", len(insts), safefile.Quote(source), strings.Join(list, ", "))
}

// QuotedName is " \"name\"" for a Name tag, "" for none: how init names an instance after
// its ID.
func QuotedName(name string) string {
	if name == "" {
		return ""
	}
	return " " + strconv.Quote(name)
}
