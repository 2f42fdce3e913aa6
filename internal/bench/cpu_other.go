//go:build !unix

package bench

import "time"

// cpuTime is not measured on this system: plan_cpu_ns reads 0.
func cpuTime() time.Duration { return 0 }
