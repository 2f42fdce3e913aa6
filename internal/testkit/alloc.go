package testkit

import "runtime"

// Allocated is how many bytes the process allocates on the heap while f runs, in all. It
// counts every goroutine's allocations, so a test that calls it must not call t.Parallel:
// sequential tests run before the parallel ones are resumed, so nothing else allocates then.
func Allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}
