package bench

import (
	"bufio"
	"os"
	"runtime"
	"strings"
	"time"
)

// Machine describes where the figures come from.
type Machine struct {
	OS, Arch, CPU, Go, Version, Date string
	NumCPU, MaxProcs                 int
	// Load is /proc/loadavg's 1-, 5- and 15-minute load averages when the run began, where
	// there is one: figures from a busy machine are slower and noisier.
	Load string
}

// ThisMachine describes the machine the process runs on, and albctl's version; call it before
// the run, for the load average.
func ThisMachine(version string) Machine {
	return Machine{
		OS: runtime.GOOS, Arch: runtime.GOARCH, CPU: cpuModel(), Go: runtime.Version(), Version: version,
		Date: time.Now().UTC().Format("2006-01-02 15:04 MST"), NumCPU: runtime.NumCPU(), MaxProcs: runtime.GOMAXPROCS(0),
		Load: loadAverage(),
	}
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	if f := strings.Fields(string(b)); len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "unknown"
}

// cpuModel reads the CPU's model name from /proc/cpuinfo, where there is one.
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}
