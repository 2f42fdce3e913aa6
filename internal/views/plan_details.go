package views

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/albctl/albctl/internal/plan"
)

// Details says, in one line, exactly what the step will ask AWS to do.
func Details(s *plan.Step) string {
	switch {
	case s.Image != nil:
		reboot := "rebooting the source"
		if s.Image.NoReboot {
			reboot = "without a reboot"
		}
		return fmt.Sprintf("CreateImage of %s named %q, %s", s.Image.SourceInstanceID, s.Image.Name, reboot)
	case s.Launch != nil && s.Kind == plan.ValidateLaunch:
		return fmt.Sprintf("RunInstances with DryRun: %s from %s in %s (%s), %s", s.Launch.InstanceType, s.Launch.ImageID, s.Launch.SubnetID, s.Launch.AZ, profileText(s.Launch.IAMProfile))
	case s.Launch != nil:
		image := s.Launch.ImageID
		if image == "" {
			image = "the image of " + s.Launch.ImageStep
		}
		d := fmt.Sprintf("RunInstances %s from %s in %s (%s), %s", s.Launch.InstanceType, image, s.Launch.SubnetID, s.Launch.AZ, profileText(s.Launch.IAMProfile))
		if s.Launch.Replaces != "" {
			d += ", replacing " + s.Launch.Replaces
		}
		return d
	case s.Associate != nil:
		return fmt.Sprintf("AssociateIamInstanceProfile %s to %s", s.Associate.IAMProfile, s.Associate.InstanceID)
	case s.Stickiness != nil:
		var kv []string
		for _, k := range slices.Sorted(maps.Keys(s.Stickiness.Attributes)) {
			kv = append(kv, k+"="+s.Stickiness.Attributes[k])
		}
		return "ModifyTargetGroupAttributes " + strings.Join(kv, " ")
	case s.Zones != nil:
		d := "SetSubnets " + strings.Join(s.Zones.SubnetIDs, ", ") + " (" + strings.Join(s.Zones.AZs, ", ") + ")"
		if len(s.Zones.Removed) > 0 {
			d += "; removes " + strings.Join(s.Zones.Removed, ", ") + " once every kept zone has a healthy target"
		}
		return d
	case s.Target != nil && s.Kind == plan.RegisterTarget:
		id := s.Target.InstanceID
		if id == "" {
			id = "the instance of " + s.Target.InstanceStep
		}
		d := fmt.Sprintf("RegisterTargets %s port %d, then wait until healthy", id, s.Target.Port)
		if rb := s.Target.Rollback; rb != nil {
			d += " (at most " + rb.HealthTimeout.String()
			if rb.Auto {
				d += "; else deregister and terminate it, and stop"
			} else {
				d += "; else stop"
			}
			d += ")"
		}
		return d
	case s.Target != nil:
		return fmt.Sprintf("DeregisterTargets %s port %d (it drains for the deregistration delay)", s.Target.InstanceID, s.Target.Port)
	case s.Terminate != nil:
		if len(s.Terminate.DrainFrom) > 0 {
			return "TerminateInstances " + s.Terminate.InstanceID + " once it has drained"
		}
		return "TerminateInstances " + s.Terminate.InstanceID
	case s.HealthCheck != nil:
		return "ModifyTargetGroup " + healthCheckText(s.HealthCheck)
	case s.Wait != nil:
		return "wait " + s.Wait.Duration.String()
	case s.Gate != nil:
		return gateText(s.Gate)
	case s.Cleanup != nil:
		d := "DeregisterImage " + s.Cleanup.ImageID
		if len(s.Cleanup.SnapshotIDs) > 0 {
			d += ", then DeleteSnapshot " + strings.Join(s.Cleanup.SnapshotIDs, ", ")
		}
		return d
	}
	return ""
}

func profileText(p string) string {
	if p == "" {
		return "no IAM instance profile"
	}
	return "IAM instance profile " + p
}

// healthCheckText lists the health-check settings a modify_health_check step sets.
func healthCheckText(h *plan.HealthCheckParams) string {
	var kv []string
	if h.Path != nil {
		kv = append(kv, "path="+*h.Path)
	}
	if h.IntervalSeconds != nil {
		kv = append(kv, fmt.Sprintf("interval=%ds", *h.IntervalSeconds))
	}
	if h.TimeoutSeconds != nil {
		kv = append(kv, fmt.Sprintf("timeout=%ds", *h.TimeoutSeconds))
	}
	if h.HealthyThreshold != nil {
		kv = append(kv, fmt.Sprintf("healthy_threshold=%d", *h.HealthyThreshold))
	}
	if h.UnhealthyThreshold != nil {
		kv = append(kv, fmt.Sprintf("unhealthy_threshold=%d", *h.UnhealthyThreshold))
	}
	if h.Matcher != nil {
		kv = append(kv, "matcher="+*h.Matcher)
	}
	return strings.Join(kv, " ")
}

// gateText says what a gate step calls and what it undoes on a breach.
func gateText(g *plan.GateParams) string {
	d := "wait " + g.Bake.String()
	if len(g.Alarms) > 0 {
		d += " while DescribeAlarms " + strings.Join(g.Alarms, ", ") + " stay out of ALARM;"
	} else {
		d += ","
	}
	if g.Max5xxPercent != nil || g.MaxP95Latency > 0 {
		d += " then GetMetricData over the bake and the same time before the apply (" + strings.Join(g.Names(), ", ") + ", per zone and in all);"
	}
	back := fmt.Sprintf("RegisterTargets the %d old member(s) again", len(g.Rollback.Restore))
	if n := len(g.Rollback.Relaunch); n > 0 { // old members terminated: relaunched (docs/plans.md)
		back = fmt.Sprintf("RunInstances the %d terminated old member(s) anew from the image they ran and RegisterTargets them", n)
		if len(g.Rollback.Restore) > 0 {
			back = fmt.Sprintf("RegisterTargets the %d old member(s) again, RunInstances the %d terminated one(s) anew from the image they ran and register them", len(g.Rollback.Restore), n)
		}
	}
	return fmt.Sprintf("%s on a breach %s, wait until healthy, then deregister and terminate the %d new one(s), tag the image rolled back, and stop",
		d, back, len(g.Rollback.Remove))
}
