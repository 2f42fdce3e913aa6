package plan

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/specs"
)

// targetGroups plans the settings the spec manages on each target group: stickiness (when a
// stickiness block is given) and the health check (the fields the health_check block gives).
func (b *builder) targetGroups() {
	for i := range b.stack.TargetGroups {
		tg := &b.stack.TargetGroups[i]
		w, ok := b.world.TargetGroup(tg.Name)
		if !ok {
			continue // reported by preflight
		}
		b.healthCheck(tg, w)
		b.stickiness(tg, w)
	}
}

func (b *builder) stickiness(tg *specs.TargetGroup, w *cloud.TargetGroup) {
	if tg.Stickiness == nil {
		return // no block: the spec leaves stickiness alone
	}
	want := StickinessAttributes(tg.Stickiness)
	same := true
	for k, v := range want {
		same = same && w.Attributes[k] == v
	}
	if same {
		return
	}
	reason := fmt.Sprintf("stickiness is %s on %s; the spec wants %s", stickinessNow(w.Attributes), tg.Name, describeStickiness(tg.Stickiness))
	if b.localSessions(tg.Label) {
		reason += ": sessions live on each server's local disk, so it must be on before a second target takes traffic, or requests land on a server that does not know the session"
	}
	b.add(&Step{
		ID:         "enable_stickiness." + tg.Label,
		Kind:       EnableStickiness,
		Resource:   "target group " + tg.Name,
		Reason:     reason,
		Stickiness: &StickinessParams{TargetGroupARN: w.ARN, Attributes: want},
	})
}

// healthCheck plans ModifyTargetGroup for the health-check fields the spec gives that differ.
// albctl decides when a new target serves by these checks, so they are applied before any
// target is registered (rules.go).
func (b *builder) healthCheck(tg *specs.TargetGroup, w *cloud.TargetGroup) {
	hc := tg.HealthCheck
	if hc == nil {
		return
	}
	p := &HealthCheckParams{TargetGroupARN: w.ARN}
	var diff []string
	str := func(what, want, have string, dst **string) {
		if want != "" && want != have {
			diff = append(diff, fmt.Sprintf("%s is %s, the spec wants %s", what, orNone(have), want))
			*dst = &want
		}
	}
	secs := func(what string, want time.Duration, have int32, dst **int32) {
		if want != 0 && int32(want/time.Second) != have {
			v := int32(want / time.Second)
			diff = append(diff, fmt.Sprintf("%s is %s, the spec wants %s", what, time.Duration(have)*time.Second, want))
			*dst = &v
		}
	}
	count := func(what string, want int, have int32, dst **int32) {
		if want != 0 && int32(want) != have {
			v := int32(want)
			diff = append(diff, fmt.Sprintf("%s is %d, the spec wants %d", what, have, want))
			*dst = &v
		}
	}
	str("path", hc.Path, w.HealthCheck.Path, &p.Path)
	secs("interval", hc.Interval, w.HealthCheck.IntervalSeconds, &p.IntervalSeconds)
	secs("timeout", hc.Timeout, w.HealthCheck.TimeoutSeconds, &p.TimeoutSeconds)
	count("healthy threshold", hc.HealthyThreshold, w.HealthCheck.HealthyThreshold, &p.HealthyThreshold)
	count("unhealthy threshold", hc.UnhealthyThreshold, w.HealthCheck.UnhealthyThreshold, &p.UnhealthyThreshold)
	str("matcher", hc.Matcher, w.HealthCheck.Matcher, &p.Matcher)
	if len(diff) == 0 {
		return
	}
	b.add(&Step{
		ID:          "modify_health_check." + tg.Label,
		Kind:        ModifyHealthCheck,
		Resource:    "target group " + tg.Name,
		Reason:      "health check of " + tg.Name + ": " + strings.Join(diff, "; "),
		HealthCheck: p,
	})
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func (b *builder) localSessions(tgLabel string) bool {
	for _, f := range b.stack.Fleets {
		if f.TargetGroup == tgLabel && f.Sessions == specs.SessionsLocal {
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

// stickinessNow describes the stickiness a target group has, from its attributes.
func stickinessNow(attrs map[string]string) string {
	if attrs["stickiness.enabled"] != "true" {
		return "off"
	}
	typ := attrs["stickiness.type"]
	if typ == "app_cookie" {
		return fmt.Sprintf("app_cookie on cookie %s for %s", attrs["stickiness.app_cookie.cookie_name"], secondsText(attrs["stickiness.app_cookie.duration_seconds"]))
	}
	return fmt.Sprintf("%s for %s", typ, secondsText(attrs["stickiness.lb_cookie.duration_seconds"]))
}

func secondsText(s string) string {
	n, err := strconv.Atoi(s)
	if err != nil {
		return s + "s"
	}
	return humanDuration(time.Duration(n) * time.Second)
}

func describeStickiness(s *specs.Stickiness) string {
	d := humanDuration(s.Duration)
	if s.Type == "app_cookie" {
		return fmt.Sprintf("app_cookie on cookie %s for %s", s.CookieName, d)
	}
	return "lb_cookie for " + d
}

// humanDuration writes whole hours, minutes or seconds without Go's trailing zero units
// ("24h", "90m", "45s").
func humanDuration(d time.Duration) string {
	switch {
	case d >= time.Hour && d%time.Hour == 0:
		return strconv.Itoa(int(d/time.Hour)) + "h"
	case d >= time.Minute && d%time.Minute == 0:
		return strconv.Itoa(int(d/time.Minute)) + "m"
	case d%time.Second == 0:
		return strconv.Itoa(int(d/time.Second)) + "s"
	}
	return d.String()
}
