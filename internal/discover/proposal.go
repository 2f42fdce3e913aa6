package discover

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// Origin is what was read: the spec's first comment and its cloud block come from it.
type Origin struct {
	Kind   string // "sim" or "aws"
	Where  string // "the simulator's built-in seed world", "AWS account …"
	Region string
}

// Proposal is the spec init proposes, as a value: Render writes it as HCL.
type Proposal struct {
	Origin        Origin
	Label         string // the target group's, the first load balancer's and the fleet's block label
	Source        Source
	TargetGroup   TargetGroup
	Stickiness    Stickiness
	LoadBalancers []LoadBalancer
	// Zone is the second zone; the first is the source's.
	Zone ZoneChoice
	// Findings are what the source's security groups admit, per candidate zone (none when
	// the groups are not known).
	Findings []Finding
	// Warnings are what to check before applying: the spec's comments say them too.
	Warnings []string
}

// Propose decides the spec for f: the second zone, the stickiness to keep or switch on, the
// labels. It refuses a target group a spec cannot describe.
func Propose(f *Facts, o Origin) (*Proposal, error) {
	z, fds, err := chooseZone(f)
	if err != nil {
		return nil, err
	}
	tg := f.TG
	if tg.Protocol != "HTTP" && tg.Protocol != "HTTPS" {
		return nil, fmt.Errorf("target group %s uses %s: albctl manages HTTP and HTTPS target groups of Application Load Balancers", tg.Name, tg.Protocol)
	}
	st := readStickiness(tg.Attributes)
	if st.On && st.Unsupported != "" {
		return nil, fmt.Errorf("target group %s has stickiness of type %s, which a spec cannot express (lb_cookie or app_cookie)", tg.Name, st.Unsupported)
	}
	p := &Proposal{
		Origin: o, Label: specLabel(f.Source.Name, tg.Name), Source: f.Source, TargetGroup: tg,
		Stickiness: st, LoadBalancers: f.LBs, Zone: z, Findings: fds,
	}
	switch z.Rule {
	case RuleNoneReachable:
		p.Warnings = append(p.Warnings, fmt.Sprintf("the source's security groups admit no load balancer node on port %d: check that the load balancer can reach a member in %s", tg.Port, z.AZ))
	case RuleGroupsUnread:
		p.Warnings = append(p.Warnings, fmt.Sprintf("init %s: check that the load balancer can reach a member in %s", f.GroupsUnread, z.AZ))
	}
	return p, nil
}

// Stickiness is a target group's stickiness as the spec writes it.
type Stickiness struct {
	On          bool
	Type        string // lb_cookie or app_cookie
	Seconds     int
	Cookie      string
	Unsupported string // a type the spec cannot express (source_ip, …)
}

func readStickiness(attrs map[string]string) Stickiness {
	s := Stickiness{On: attrs["stickiness.enabled"] == "true", Type: attrs["stickiness.type"]}
	switch s.Type {
	case "", "lb_cookie":
		s.Type = "lb_cookie"
		s.Seconds, _ = strconv.Atoi(attrs["stickiness.lb_cookie.duration_seconds"])
	case "app_cookie":
		s.Seconds, _ = strconv.Atoi(attrs["stickiness.app_cookie.duration_seconds"])
		s.Cookie = attrs["stickiness.app_cookie.cookie_name"]
	default:
		s.Unsupported = s.Type
	}
	return s
}

// Summary is the stickiness in a few words: "off", "lb_cookie for 24h", …
func (s Stickiness) Summary() string {
	if !s.On {
		return "off"
	}
	if s.Unsupported != "" {
		return s.Unsupported
	}
	out := s.Type
	if s.Cookie != "" {
		out += " " + strconv.Quote(s.Cookie)
	}
	if s.Seconds > 0 {
		out += " for " + specDuration(s.Seconds)
	}
	return out
}

// specDuration writes seconds as the spec's duration strings do: the largest exact unit.
func specDuration(sec int) string {
	switch {
	case sec > 0 && sec%3600 == 0:
		return strconv.Itoa(sec/3600) + "h"
	case sec > 0 && sec%60 == 0:
		return strconv.Itoa(sec/60) + "m"
	}
	return strconv.Itoa(sec) + "s"
}

// maxLabel bounds the labels init derives. The fleet's label starts its image name,
// "LABEL-${var.app_version}", and an AMI name has at most 128 characters: 64 leave room for a
// version of 63 (docs/init.md).
const maxLabel = 64

// specLabel turns a name into a block label (a letter, then letters, digits, _ and -): every
// such character is one an AMI name allows too. A name longer than maxLabel is cut, and a
// short hash of the whole name ends the label, so that two long names that share a start
// still give two labels.
func specLabel(names ...string) string {
	for _, n := range names {
		l := strings.Map(func(r rune) rune {
			switch {
			case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-':
				return r
			}
			return '_'
		}, n)
		l = strings.TrimLeft(l, "0123456789_-")
		if len(l) > maxLabel {
			sum := sha256.Sum256([]byte(n))
			l = l[:maxLabel-9] + "-" + hex.EncodeToString(sum[:4])
		}
		if l != "" && hclsyntax.ValidIdentifier(l) {
			return l
		}
	}
	return "app"
}
