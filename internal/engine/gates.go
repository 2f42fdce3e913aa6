package engine

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cw "github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/albctl/albctl/internal/cloud"
	"github.com/albctl/albctl/internal/plan"
)

// ErrGateTripped wraps the failure of a rollout gate: an alarm in ALARM or a metric guard
// exceeded during a bake. The fleet was rolled back before the step failed.
var ErrGateTripped = errors.New("gate tripped")

// Gates judge a rollout at its checkpoints (docs/plans.md, "Gates, checkpoints and
// rollback"): through the bake, DescribeAlarms every alarmPoll; at its end, GetMetricData
// over the bake and over the same length before the apply began.
const (
	alarmPoll = time.Minute
	// metricGrace is how long a gate waits past its window for CloudWatch to publish the
	// window's datapoints; with none by then, the guards have nothing to judge.
	metricGrace = 5 * time.Minute
)

// breach is what tripped a gate.
type breach struct {
	gate    string // "alarm web-5xx", "max_5xx_percent = 1"
	at      time.Time
	figures string
}

// gate is a rollout's checkpoint (plan.GateParams): it bakes, judges, and on a breach rolls
// the fleet back before it fails. A health timeout in a rollout with gates uses its rollback
// too (healthTimeoutRollback).
type gate struct {
	p     *plan.GateParams
	start time.Time // when the batch was in service: the step's start
	// window is the bake's whole minutes, once known.
	from, to  time.Time
	breach    *breach
	checkedAt time.Time // the last DescribeAlarms: once per alarmPoll, whatever the poll backoff
	// rollback progress
	restoreAt         time.Time // when the old members were registered again
	restored, removed bool
	relaunched        relaunchState // the old members launched anew (relaunch.go)
}

func (a *gate) advance(ctx context.Context, r *runner, t *task) (bool, string, error) {
	now := r.clock.Now()
	if a.start.IsZero() {
		a.start = now
		// The metrics are per minute: the bake's window is its whole minutes.
		a.from = now.Truncate(time.Minute)
		if a.from.Before(now) {
			a.from = a.from.Add(time.Minute)
		}
		a.to = a.from.Add(a.p.Bake.D().Truncate(time.Minute))
	}
	if a.breach != nil {
		return a.rollback(ctx, r, t)
	}
	end := a.to
	if end.Before(a.start.Add(a.p.Bake.D())) {
		end = a.start.Add(a.p.Bake.D())
	}
	// The alarms are read once a minute, and once more when the bake ends.
	due := a.checkedAt.IsZero() || !now.Before(a.checkedAt.Add(alarmPoll)) || (!now.Before(end) && a.checkedAt.Before(end))
	if len(a.p.Alarms) > 0 && due {
		b, err := a.alarms(ctx, r)
		if err != nil {
			return r.retry(ctx, t, "DescribeAlarms", err)
		}
		a.checkedAt = now
		if b != nil {
			a.breach = b
			return a.rollback(ctx, r, t)
		}
	}
	if now.Before(end) {
		t.wakeAt = end
		if len(a.p.Alarms) > 0 && now.Add(alarmPoll).Before(end) {
			t.wakeAt = now.Add(alarmPoll)
		}
		return false, fmt.Sprintf("the end of the bake at checkpoint %d%% (%s left; watching %s)", a.p.Checkpoint, end.Sub(now).Round(time.Second), strings.Join(a.p.Names(), ", ")), nil
	}
	if a.p.Max5xxPercent == nil && a.p.MaxP95Latency <= 0 {
		return true, "", nil
	}
	b, complete, err := a.guards(ctx, r)
	if err != nil {
		return r.retry(ctx, t, "GetMetricData", err)
	}
	switch {
	case b != nil:
		a.breach = b
		return a.rollback(ctx, r, t)
	case !complete && now.Before(a.to.Add(metricGrace)):
		t.wakeAt = now.Add(time.Minute)
		return false, "CloudWatch to publish the bake's datapoints", nil
	}
	return true, "", nil
}

// alarmSeen is an alarm as DescribeAlarms answered it.
type alarmSeen struct {
	state  cwtypes.StateValue
	reason string
	at     time.Time
}

// alarms returns the first of the gate's alarms in ALARM, or one the account does not have
// (a gate that cannot be read is not a gate that passed).
func (a *gate) alarms(ctx context.Context, r *runner) (*breach, error) {
	seen, err := r.alarmsNow(ctx, a.p.Alarms)
	if err != nil {
		return nil, err
	}
	for _, name := range a.p.Alarms {
		s, ok := seen[name]
		switch {
		case !ok:
			return &breach{gate: "alarm " + name, at: r.clock.Now(), figures: "DescribeAlarms does not list it: the account has no such alarm"}, nil
		case s.state == cwtypes.StateValueAlarm:
			return &breach{gate: "alarm " + name, at: s.at, figures: s.reason}, nil
		}
	}
	return nil, nil
}

// alarmsNow returns the alarms as of this pass. Gates due together share one DescribeAlarms
// (100 names a call): the names asked are those of every due gate still baking.
func (r *runner) alarmsNow(ctx context.Context, want []string) (map[string]alarmSeen, error) {
	if r.api.CW == nil {
		return nil, errors.New("no CloudWatch client to read the gate's alarms")
	}
	rd := r.round
	if rd.alarms == nil {
		rd.alarms, rd.alarmsAsked = map[string]alarmSeen{}, map[string]bool{}
	}
	var names []string
	add := func(n string) {
		if !rd.alarmsAsked[n] && !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	for _, n := range want {
		add(n)
	}
	if len(names) == 0 {
		return rd.alarms, nil
	}
	for _, t := range r.due() {
		if g, ok := t.action.(*gate); ok && g.breach == nil {
			for _, n := range g.p.Alarms {
				add(n)
			}
		}
	}
	slices.Sort(names)
	for start := 0; start < len(names); start += 100 {
		pages := cw.NewDescribeAlarmsPaginator(r.api.CW, &cw.DescribeAlarmsInput{AlarmNames: names[start:min(start+100, len(names))], AlarmTypes: cloud.AlarmTypes})
		for pages.HasMorePages() {
			out, err := pages.NextPage(ctx)
			if err != nil {
				return nil, err
			}
			for _, m := range out.MetricAlarms {
				rd.alarms[aws.ToString(m.AlarmName)] = alarmSeen{m.StateValue, aws.ToString(m.StateReason), aws.ToTime(m.StateUpdatedTimestamp)}
			}
			for _, c := range out.CompositeAlarms {
				rd.alarms[aws.ToString(c.AlarmName)] = alarmSeen{c.StateValue, aws.ToString(c.StateReason), aws.ToTime(c.StateUpdatedTimestamp)}
			}
		}
	}
	for _, n := range names {
		rd.alarmsAsked[n] = true
	}
	return rd.alarms, nil
}

// figures are one window's sums for one series (a zone, or "" for the whole group).
type figures struct {
	requests, errors5xx float64
	p95                 float64 // seconds; NaN: no response
	has                 bool
}

func (f figures) percent() float64 {
	if f.requests <= 0 {
		return 0
	}
	return f.errors5xx / f.requests * 100
}

// guards reads the bake's window and the baseline (the same length ending where the apply
// began) and judges max_5xx_percent and max_p95_latency per zone and in all. complete is
// false while the bake's window has no datapoint yet.
func (a *gate) guards(ctx context.Context, r *runner) (*breach, bool, error) {
	if r.api.CW == nil {
		return nil, false, errors.New("no CloudWatch client to read the gate's metrics")
	}
	length := a.to.Sub(a.from)
	baseTo := r.result.Started.Truncate(time.Minute)
	bake, err := a.read(ctx, r, a.from, a.to)
	if err != nil {
		return nil, false, err
	}
	base, err := a.read(ctx, r, baseTo.Add(-length), baseTo)
	if err != nil {
		return nil, false, err
	}
	complete := bake[""].has
	for _, zone := range append([]string{""}, a.p.Zones...) {
		got, before := bake[zone], base[zone]
		if !got.has {
			continue
		}
		where := "the target group"
		if zone != "" {
			where = zone
		}
		window := fmt.Sprintf("%s–%s", a.from.UTC().Format("15:04"), a.to.UTC().Format("15:04"))
		if m := a.p.Max5xxPercent; m != nil && got.percent() > *m && got.percent() > before.percent() {
			return &breach{gate: fmt.Sprintf("max_5xx_percent = %g", *m), at: a.to,
				figures: fmt.Sprintf("%.2f%% 5xx (%.0f of %.0f requests) in %s over %s; before the rollout %.2f%%", got.percent(), got.errors5xx, got.requests, where, window, before.percent())}, complete, nil
		}
		if m := a.p.MaxP95Latency.D(); m > 0 && !math.IsNaN(got.p95) && got.p95 > m.Seconds() && (math.IsNaN(before.p95) || got.p95 > before.p95) {
			return &breach{gate: "max_p95_latency = " + m.String(), at: a.to,
				figures: fmt.Sprintf("p95 %s in %s over %s; before the rollout %s", seconds(got.p95), where, window, seconds(before.p95))}, complete, nil
		}
	}
	return nil, complete, nil
}

func seconds(s float64) string {
	if math.IsNaN(s) {
		return "no responses"
	}
	return time.Duration(s * float64(time.Second)).Round(time.Millisecond).String()
}

// read sums, for every load balancer sending to the group, the window's requests and 5xx,
// and takes the largest p95, per zone and in all: one GetMetricData, one period. A count
// CloudWatch does not report was zero: the ALB publishes counts only when nonzero.
func (a *gate) read(ctx context.Context, r *runner, from, to time.Time) (map[string]figures, error) {
	period := int32(to.Sub(from) / time.Second)
	var queries []cwtypes.MetricDataQuery
	type ref struct {
		zone, metric string
	}
	refs := map[string]ref{}
	for i, lb := range a.p.LoadBalancerARNs {
		for j, zone := range append([]string{""}, a.p.Zones...) {
			for k, m := range []struct {
				name, stat string
				byGroup    bool
			}{
				{"RequestCount", "Sum", true}, {"HTTPCode_Target_5XX_Count", "Sum", true}, {"TargetResponseTime", "p95", true},
				// The load balancer's own 5xx have no TargetGroup dimension: they count for
				// every group of the load balancer.
				{"HTTPCode_ELB_5XX_Count", "Sum", false},
			} {
				dims := []cwtypes.Dimension{{Name: aws.String("LoadBalancer"), Value: aws.String(lbDimension(lb))}}
				if m.byGroup {
					dims = append(dims, cwtypes.Dimension{Name: aws.String("TargetGroup"), Value: aws.String(tgDimension(a.p.TargetGroupARN))})
				}
				if zone != "" {
					dims = append(dims, cwtypes.Dimension{Name: aws.String("AvailabilityZone"), Value: aws.String(zone)})
				}
				id := fmt.Sprintf("q%d_%d_%d", i, j, k)
				refs[id] = ref{zone, m.name}
				queries = append(queries, cwtypes.MetricDataQuery{Id: aws.String(id), MetricStat: &cwtypes.MetricStat{
					Metric: &cwtypes.Metric{Namespace: aws.String("AWS/ApplicationELB"), MetricName: aws.String(m.name), Dimensions: dims},
					Period: aws.Int32(period), Stat: aws.String(m.stat),
				}})
			}
		}
	}
	out := map[string]figures{}
	for start := 0; start < len(queries); start += 500 {
		res, err := r.api.CW.GetMetricData(ctx, &cw.GetMetricDataInput{StartTime: aws.Time(from), EndTime: aws.Time(to), MetricDataQueries: queries[start:min(start+500, len(queries))]})
		if err != nil {
			return nil, err
		}
		for _, d := range res.MetricDataResults {
			q := refs[aws.ToString(d.Id)]
			f, ok := out[q.zone]
			if !ok {
				f.p95 = math.NaN()
			}
			for _, v := range d.Values {
				switch q.metric {
				case "RequestCount":
					f.requests += v
					f.has = true
				case "TargetResponseTime":
					if math.IsNaN(f.p95) || v > f.p95 {
						f.p95 = v
					}
				default:
					f.errors5xx += v
				}
			}
			out[q.zone] = f
		}
	}
	return out, nil
}

// lbDimension is the LoadBalancer dimension of an ALB's metrics: "app/name/id".
func lbDimension(arn string) string {
	_, after, _ := strings.Cut(arn, ":loadbalancer/")
	return after
}

// tgDimension is the TargetGroup dimension: "targetgroup/name/id".
func tgDimension(arn string) string {
	return arn[strings.LastIndex(arn, ":")+1:]
}

// rollback restores the fleet after a breach: the old members are registered again and
// must be healthy before the new ones are deregistered and terminated, so capacity never
// drops below what served during the bake; then the image is tagged rolled back and the
// step fails naming the gate. Every call is idempotent, so a repeated advance is safe.
func (a *gate) rollback(ctx context.Context, r *runner, t *task) (bool, string, error) {
	rb := a.p.Rollback
	if !a.restored {
		waiting, op, err := a.restore(ctx, r)
		if err != nil {
			if op == "" {
				return false, "", err
			}
			return r.retry(ctx, t, op, err)
		}
		if waiting != "" {
			return false, waiting, nil
		}
		waiting, op, err = a.relaunch(ctx, r, t.step.ID)
		if err != nil {
			if op == "" {
				return false, "", err
			}
			return r.retry(ctx, t, op, err)
		}
		if waiting != "" {
			return false, waiting, nil
		}
		a.restored = true
	}
	if !a.removed {
		if op, err := a.remove(ctx, r); err != nil {
			return r.retry(ctx, t, op, err)
		}
		a.removed = true
	}
	tagNote := ""
	if op, err := a.tagImage(ctx, r); err != nil {
		if ok, _, _ := retryable(cloud.ErrorCode(err), op, facts{}, r.timeouts.Propagation); ok {
			return r.retry(ctx, t, op, err)
		}
		// An image albctl does not own (image { id }) may refuse the tag: the rollback
		// stands, and the report says the account will not remember it.
		tagNote = fmt.Sprintf(" (the image was not tagged %s: %v; a re-plan will not warn)", cloud.TagRolledBack, err)
	}
	var restored, removed []string
	for _, o := range rb.Restore {
		restored = append(restored, named(o.InstanceID, o.Name))
	}
	restored = append(restored, a.reusedNames()...)
	for _, n := range rb.Remove {
		id := n.InstanceID
		if n.InstanceStep != "" {
			id, _ = r.output(n.InstanceStep)
		}
		removed = append(removed, named(id, n.Name))
	}
	b := a.breach
	back := "registered " + orNone(restored) + " again"
	switch rl := a.relaunchedNames(); {
	case len(rl) > 0 && len(restored) == 0:
		back = "relaunched " + strings.Join(rl, ", ")
	case len(rl) > 0:
		back += " and relaunched " + strings.Join(rl, ", ")
	}
	undone := fmt.Sprintf("rolled back to the previous image: %s (healthy), then deregistered and terminated %s%s", back, orNone(removed), tagNote)
	if a.p.Checkpoint == 0 { // a new member's health timeout (healthTimeoutRollback)
		return false, "", fmt.Errorf("%w: fleet %s, batch %d: %s at %s: %s; %s", ErrRolledBack, a.p.Fleet, a.p.Batch, b.gate, b.at.UTC().Format(time.RFC3339), b.figures, undone)
	}
	return false, "", fmt.Errorf("%w at checkpoint %d%% of fleet %s (batch %d, %d of %d replaced): %s at %s: %s; %s",
		ErrGateTripped, a.p.Checkpoint, a.p.Fleet, a.p.Batch, a.p.Replaced, a.p.Total, b.gate, b.at.UTC().Format(time.RFC3339), b.figures, undone)
}

// healthTimeoutRollback is the rollback of a rollout with gates when a new member is not
// healthy in time: the whole fleet goes back to the previous image, as for a tripped gate
// (docs/plans.md, "Gates, checkpoints and rollback").
func healthTimeoutRollback(fr *plan.FleetRollback, at time.Time, why string) *gate {
	return &gate{
		p:      &plan.GateParams{Fleet: fr.Fleet, Batch: fr.Batch, Version: fr.Version, ImageID: fr.ImageID, ImageStep: fr.ImageStep, Rollback: fr.Rollback},
		breach: &breach{gate: "health_timeout", at: at, figures: why},
	}
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// restore registers the old members again and waits until every one is healthy.
func (a *gate) restore(ctx context.Context, r *runner) (waiting, op string, err error) {
	byGroup := map[string][]elbtypes.TargetDescription{}
	var groups []string
	for _, o := range a.p.Rollback.Restore {
		if _, ok := byGroup[o.TargetGroupARN]; !ok {
			groups = append(groups, o.TargetGroupARN)
		}
		byGroup[o.TargetGroupARN] = append(byGroup[o.TargetGroupARN], elbtypes.TargetDescription{Id: aws.String(o.InstanceID), Port: aws.Int32(o.Port)})
	}
	for _, g := range groups {
		all, err := r.groupHealth(ctx, g)
		if err != nil {
			return "", "DescribeTargetHealth", err
		}
		var todo []elbtypes.TargetDescription
		for _, d := range byGroup[g] {
			h, ok := all[targetKey(aws.ToString(d.Id), aws.ToInt32(d.Port))]
			if !ok || h.TargetHealth == nil || h.TargetHealth.State == elbtypes.TargetHealthStateEnumDraining {
				todo = append(todo, d)
			}
		}
		if len(todo) > 0 {
			if _, err := r.api.ELBV2.RegisterTargets(ctx, &elbv2.RegisterTargetsInput{TargetGroupArn: aws.String(g), Targets: todo}); err != nil {
				return "", "RegisterTargets", err
			}
			r.changed(g)
			if a.restoreAt.IsZero() {
				a.restoreAt = r.clock.Now()
			}
			return "the old members to pass health checks again (rollback)", "", nil
		}
	}
	var sick []string
	for _, o := range a.p.Rollback.Restore {
		d, ok, err := r.targetHealth(ctx, o.TargetGroupARN, o.InstanceID, o.Port)
		if err != nil {
			return "", "DescribeTargetHealth", err
		}
		if !ok || d.TargetHealth == nil || d.TargetHealth.State != elbtypes.TargetHealthStateEnumHealthy {
			sick = append(sick, named(o.InstanceID, o.Name))
		}
	}
	if len(sick) == 0 {
		return "", "", nil
	}
	what := "the old members to pass health checks again (rollback): " + strings.Join(sick, ", ")
	if a.restoreAt.IsZero() {
		a.restoreAt = r.clock.Now()
	}
	if err := r.timedOutSince(a.restoreAt, r.timeouts.TargetHealthy, what); err != nil {
		return "", "", fmt.Errorf("%w; the gate tripped (%s: %s) and the new members still serve", err, a.breach.gate, a.breach.figures)
	}
	return what, "", nil
}

// remove deregisters and terminates the new members launched so far.
func (a *gate) remove(ctx context.Context, r *runner) (string, error) {
	var ids []string
	for _, n := range a.p.Rollback.Remove {
		id := n.InstanceID // launched by an interrupted run
		if n.InstanceStep != "" {
			out, err := r.output(n.InstanceStep)
			if err != nil {
				continue // never launched: nothing to remove
			}
			id = out
		}
		_, err := r.api.ELBV2.DeregisterTargets(ctx, &elbv2.DeregisterTargetsInput{
			TargetGroupArn: aws.String(n.TargetGroupARN),
			Targets:        []elbtypes.TargetDescription{{Id: aws.String(id), Port: aws.Int32(n.Port)}},
		})
		if err != nil && cloud.ErrorCode(err) != "InvalidTarget" {
			return "DeregisterTargets", err
		}
		r.changed(n.TargetGroupARN)
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		return "", nil
	}
	slices.Sort(ids)
	_, err := r.api.EC2.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: ids})
	if err != nil && cloud.ErrorCode(err) != "InvalidInstanceID.NotFound" {
		return "TerminateInstances", err
	}
	return "", nil
}
