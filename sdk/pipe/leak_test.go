package pipe

import (
	"context"
	"errors"
	"os"
	"runtime"
	"testing"
	"time"
)

// openFDs counts this process's open file descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	return len(entries)
}

// TestNoLeaks is not parallel: it counts the goroutines and file
// descriptors of the whole test process.
func TestNoLeaks(t *testing.T) {
	goroutines, fds := runtime.NumGoroutine(), openFDs(t)
	cfg := Config{Command: pyRunner(t, nil), StopGrace: time.Second}

	// Stopped after a request.
	r, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	mustCall(t, r, act{"out": "x\n"}, act{"result": 1})
	if _, err := r.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Dead during a request.
	r, err = Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := call(t, r, act{"exit": 1}); err == nil {
		t.Fatal("Call succeeded")
	}
	waitDone(t, r)
	// Failed to load.
	var le *LoadError
	if _, err := Start(context.Background(), Config{Command: []string{"false"}}); !errors.As(err, &le) {
		t.Fatalf("Start = %v", err)
	}

	waitFor(t, func() bool { return runtime.NumGoroutine() <= goroutines && openFDs(t) <= fds })
}
