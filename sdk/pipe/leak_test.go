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

// runnerLives runs runners to each of their ends: stopped after a request,
// dead during a request, failed to load.
func runnerLives(t *testing.T) {
	t.Helper()
	cfg := Config{Command: pyRunner(t, nil), StopGrace: time.Second}
	r, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	mustCall(t, r, act{"out": "x\n"}, act{"result": 1})
	if _, err := r.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	r, err = Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := call(t, r, act{"exit": 1}); err == nil {
		t.Fatal("Call succeeded")
	}
	waitDone(t, r)
	var le *LoadError
	if _, err := Start(context.Background(), Config{Command: []string{"false"}}); !errors.As(err, &le) {
		t.Fatalf("Start = %v", err)
	}
}

// TestNoLeaks is not parallel: it counts the goroutines and file
// descriptors of the whole test process.
func TestNoLeaks(t *testing.T) {
	// The first run initialises what the runtime sets up once (the
	// poller's descriptors).
	runnerLives(t)
	goroutines, fds := runtime.NumGoroutine(), openFDs(t)
	runnerLives(t)
	deadline := time.Now().Add(testTimeout)
	for runtime.NumGoroutine() > goroutines || openFDs(t) > fds {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines (%d before), %d fds (%d before)\n%s",
				runtime.NumGoroutine(), goroutines, openFDs(t), fds, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(5 * time.Millisecond)
	}
}
