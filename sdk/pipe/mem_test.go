package pipe

import (
	"runtime"
	"time"
)

// peakHeap samples the heap while f runs and returns its growth at the
// highest sample.
func peakHeap(f func()) (growth int64) {
	var s runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&s)
	base := int64(s.HeapAlloc)
	stop := make(chan struct{})
	peak := make(chan int64)
	go func() {
		var max int64
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			var s runtime.MemStats
			runtime.ReadMemStats(&s)
			max = maxOf(max, int64(s.HeapAlloc)-base)
			select {
			case <-stop:
				peak <- max
				return
			case <-tick.C:
			}
		}
	}()
	f()
	close(stop)
	return <-peak
}

func maxOf(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}
