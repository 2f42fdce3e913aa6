package specs

import (
	"fmt"
	"math/big"
	"regexp"
	"slices"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// Gates are what a rollout watches besides target health: CloudWatch alarms that must not be
// in ALARM, and built-in guards on the target group's metrics, judged at checkpoints
// (docs/plans.md, "Gates, checkpoints and rollback").
type Gates struct {
	// Alarms are CloudWatch alarm names.
	Alarms []string `json:"alarms,omitempty"`
	// AlarmsRange is where the spec lists them, for a plan that does not find one.
	AlarmsRange hcl.Range `json:"-"`
	// Max5xxPercent bounds the share of 5xx answers (the targets' and the load balancer's)
	// over the requests, in percent; nil: no such guard.
	Max5xxPercent *float64 `json:"max_5xx_percent,omitempty"`
	// MaxP95Latency bounds the targets' p95 response time; 0: no such guard.
	MaxP95Latency time.Duration `json:"max_p95_latency,omitempty"`
	// Checkpoints are percentages of the members replaced at which the rollout pauses for
	// bake_time and the gates; with gates and none given, [100].
	Checkpoints []int `json:"checkpoints,omitempty"`
	// KeepOld is "until_done" to keep old members running, out of service, until the
	// rollout ends, so a rollback registers them again at once; "" terminates them as they
	// are replaced.
	KeepOld string `json:"keep_old,omitempty"`
}

// Any reports whether the rollout has a gate.
func (g Gates) Any() bool {
	return len(g.Alarms) > 0 || g.Max5xxPercent != nil || g.MaxP95Latency > 0
}

// KeepOldUntilDone is the keep_old value that keeps old members until the rollout ends.
const KeepOldUntilDone = "until_done"

// alarmNamePattern is CloudWatch's rule for alarm names: 1 to 255 printable characters.
var alarmNamePattern = regexp.MustCompile(`^[\x20-\x7E]{1,255}$`)

// gates decodes the gate attributes of a rollout block.
func (l *loader) gates(a attrs, ctx *hcl.EvalContext, g *Gates) {
	if val, attr, ok := a.value("alarms", cty.List(cty.String)); ok {
		g.AlarmsRange = attr.Expr.Range()
		for _, v := range val.AsValueSlice() {
			name := v.AsString()
			switch {
			case !alarmNamePattern.MatchString(name):
				l.exprErrorf(attr, ctx, "Invalid alarms", "An alarm name has 1 to 255 printable ASCII characters; got %q.", name)
			case slices.Contains(g.Alarms, name):
				l.exprErrorf(attr, ctx, "Invalid alarms", "Alarm %q is listed twice.", name)
			default:
				g.Alarms = append(g.Alarms, name)
			}
		}
	}
	if val, attr, ok := a.value("max_5xx_percent", cty.Number); ok {
		f, _ := val.AsBigFloat().Float64()
		if f < 0 || f >= 100 {
			l.exprErrorf(attr, ctx, "Invalid max_5xx_percent", "max_5xx_percent must be at least 0 and below 100; got %s.", val.AsBigFloat().Text('g', -1))
		} else {
			g.Max5xxPercent = &f
		}
	}
	if d, attr, ok := a.duration("max_p95_latency", "Invalid max_p95_latency"); ok {
		if d < time.Millisecond || d > time.Hour {
			l.exprErrorf(attr, ctx, "Invalid max_p95_latency", "max_p95_latency must be between 1ms and 1h; got %s.", d)
		} else {
			g.MaxP95Latency = d
		}
	}
	l.checkpoints(a, ctx, g)
	if s, attr, ok := a.str("keep_old"); ok {
		if s != KeepOldUntilDone && s != "none" {
			l.exprErrorf(attr, ctx, "Invalid keep_old", "keep_old is \"until_done\" (old members keep running, out of service, until the rollout ends) or \"none\"; got %q.", s)
		} else if s == KeepOldUntilDone {
			g.KeepOld = s
		}
	}
}

// checkpoints decodes the checkpoints list: whole percentages, increasing, ending at 100.
func (l *loader) checkpoints(a attrs, ctx *hcl.EvalContext, g *Gates) {
	val, attr, ok := a.value("checkpoints", cty.List(cty.Number))
	if !ok {
		return
	}
	var cps []int
	for _, v := range val.AsValueSlice() {
		bf := v.AsBigFloat()
		n, acc := bf.Int64()
		if !bf.IsInt() || acc != big.Exact || n < 1 || n > 100 {
			l.exprErrorf(attr, ctx, "Invalid checkpoints", "A checkpoint is a whole percentage of the members replaced, 1 to 100; got %s.", bf.Text('g', -1))
			return
		}
		if len(cps) > 0 && int(n) <= cps[len(cps)-1] {
			l.exprErrorf(attr, ctx, "Invalid checkpoints", "Checkpoints must increase; %d follows %d.", n, cps[len(cps)-1])
			return
		}
		cps = append(cps, int(n))
	}
	if len(cps) == 0 || cps[len(cps)-1] != 100 {
		l.exprErrorf(attr, ctx, "Invalid checkpoints", "The last checkpoint must be 100 (the whole fleet replaced); got %s.", fmt.Sprint(cps))
		return
	}
	g.Checkpoints = cps
}
