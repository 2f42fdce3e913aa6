package simulator

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// defaultAttributes are the attributes of a new ALB instance target group, as
// DescribeTargetGroupAttributes lists them.
var defaultAttributes = map[string]string{
	"stickiness.enabled":                                                             "false",
	"stickiness.type":                                                                "lb_cookie",
	"stickiness.lb_cookie.duration_seconds":                                          "86400",
	"stickiness.app_cookie.cookie_name":                                              "",
	"stickiness.app_cookie.duration_seconds":                                         "86400",
	"deregistration_delay.timeout_seconds":                                           "300",
	"slow_start.duration_seconds":                                                    "0",
	"load_balancing.algorithm.type":                                                  "round_robin",
	"load_balancing.algorithm.anomaly_mitigation":                                    "off",
	"load_balancing.cross_zone.enabled":                                              "use_load_balancer_configuration",
	"target_group_health.dns_failover.minimum_healthy_targets.count":                 "1",
	"target_group_health.dns_failover.minimum_healthy_targets.percentage":            "off",
	"target_group_health.unhealthy_state_routing.minimum_healthy_targets.count":      "1",
	"target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage": "off",
}

// errConfig is an InvalidConfigurationRequest with the given message.
func errConfig(format string, args ...any) error {
	return apiErr("InvalidConfigurationRequest", format, args...)
}

func intIn(v string, lo, hi int) bool {
	n, err := strconv.Atoi(v)
	return err == nil && n >= lo && n <= hi && strconv.Itoa(n) == v
}

// checkAttribute checks one attribute's value on its own.
func checkAttribute(k, v string) error {
	if _, ok := defaultAttributes[k]; !ok {
		return errConfig("The provided target group attribute is not supported")
	}
	bad := func(want string) error {
		return errConfig("The value of '%s' must be %s, not '%s'", k, want, v)
	}
	switch k {
	case "stickiness.enabled":
		if v != "true" && v != "false" {
			return bad("'true' or 'false'")
		}
	case "stickiness.type":
		switch v {
		case "lb_cookie", "app_cookie":
		case "source_ip":
			return errConfig("Stickiness type 'source_ip' is not supported for target groups of an Application Load Balancer")
		default:
			return bad("'lb_cookie' or 'app_cookie'")
		}
	case "stickiness.lb_cookie.duration_seconds", "stickiness.app_cookie.duration_seconds":
		if !intIn(v, 1, 604800) {
			return bad("an integer between 1 and 604800 seconds")
		}
	case "stickiness.app_cookie.cookie_name":
		if strings.HasPrefix(v, "AWSALB") {
			return errConfig("Application cookie names beginning with AWSALB, AWSALBAPP or AWSALBTG are reserved for use by the load balancer")
		}
		if len(v) > 255 {
			return bad("at most 255 characters")
		}
	case "deregistration_delay.timeout_seconds":
		if !intIn(v, 0, 3600) {
			return bad("an integer between 0 and 3600 seconds")
		}
	case "slow_start.duration_seconds":
		if v != "0" && !intIn(v, 30, 900) {
			return bad("0 or an integer between 30 and 900 seconds")
		}
	case "load_balancing.algorithm.type":
		switch v {
		case "round_robin", "least_outstanding_requests", "weighted_random":
		default:
			return bad("'round_robin', 'least_outstanding_requests' or 'weighted_random'")
		}
	case "load_balancing.algorithm.anomaly_mitigation":
		if v != "on" && v != "off" {
			return bad("'on' or 'off'")
		}
	case "load_balancing.cross_zone.enabled":
		switch v {
		case "true", "false", "use_load_balancer_configuration":
		default:
			return bad("'true', 'false' or 'use_load_balancer_configuration'")
		}
	case "target_group_health.dns_failover.minimum_healthy_targets.count",
		"target_group_health.unhealthy_state_routing.minimum_healthy_targets.count":
		if v != "off" && !intIn(v, 1, 1000) {
			return bad("'off' or a positive integer")
		}
	case "target_group_health.dns_failover.minimum_healthy_targets.percentage",
		"target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage":
		if v != "off" && !intIn(v, 1, 100) {
			return bad("'off' or an integer between 1 and 100")
		}
	}
	return nil
}

// checkCombination checks rules that tie attributes together, on the full set.
func checkCombination(a map[string]string) error {
	if a["stickiness.enabled"] == "true" {
		if a["stickiness.type"] == "app_cookie" && a["stickiness.app_cookie.cookie_name"] == "" {
			return errConfig("You must set an application cookie name to enable stickiness of type 'app_cookie'")
		}
		if a["load_balancing.cross_zone.enabled"] == "false" {
			return errConfig("Stickiness is not supported when cross-zone load balancing is turned off for the target group")
		}
	}
	if a["load_balancing.algorithm.anomaly_mitigation"] == "on" && a["load_balancing.algorithm.type"] != "weighted_random" {
		return errConfig("Anomaly mitigation is supported only with the 'weighted_random' load balancing algorithm")
	}
	return nil
}

// checkAttributes validates a whole attribute map (from a world file).
func checkAttributes(a map[string]string) error {
	var errs []error
	for _, k := range slices.Sorted(maps.Keys(a)) {
		if err := checkAttribute(k, a[k]); err != nil {
			errs = append(errs, fmt.Errorf("attribute %s: %w", k, err))
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	return checkCombination(a)
}
