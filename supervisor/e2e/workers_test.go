package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// Pools end to end: scaling between workers.min and max, idle runners
// retiring, cold starts, and the server's limits.

// runnerCount returns the runners of an algorithm in /v1/algorithms.
func runnerCount(t *testing.T, s *server, algorithm string) int {
	t.Helper()
	return int(algorithmEntry(t, s, algorithm)["runners"].(float64))
}

func TestServeWorkersScaleUpAndRetire(t *testing.T) {
	s := serveServer(t, `
algorithm "demo/crash" {
  path = "{{examples}}/python/crash"
  workers {
    min          = 1
    max          = 3
    idle_timeout = "1s"
  }
}
`)
	waitReady(t, s)
	if n := runnerCount(t, s, "demo/crash"); n != 1 {
		t.Fatalf("%d runners before any call, want min = 1", n)
	}
	// Five concurrent slow calls: the pool grows to max and two wait.
	var wg sync.WaitGroup
	for range 5 {
		wg.Go(func() {
			if r := post(t, s.URL+"/v1/algo/demo/crash", "text/plain", "sleep:1"); r.Body["result"] != "alive" {
				t.Errorf("a slow call: %s", r.Raw)
			}
		})
	}
	eventually(t, 20*time.Second, func() string {
		if n := runnerCount(t, s, "demo/crash"); n != 3 {
			return fmt.Sprintf("%d runners under load, want max = 3", n)
		}
		return ""
	})
	wg.Wait()
	if n := len(runnerPIDs(s, "pipe.py")); n != 3 {
		t.Errorf("%d runner processes, want 3", n)
	}
	// Idle for idle_timeout, the runners above min retire.
	eventually(t, 20*time.Second, func() string {
		if n, procs := runnerCount(t, s, "demo/crash"), len(runnerPIDs(s, "pipe.py")); n != 1 || procs != 1 {
			return fmt.Sprintf("%d runners (%d processes) after idling, want min = 1", n, procs)
		}
		return ""
	})
}

func TestServeColdStart(t *testing.T) {
	s := serveServer(t, `
algorithm "demo/echo" {
  path = "{{examples}}/python/echo"
  workers {
    min          = 0
    idle_timeout = "1s"
  }
}
`)
	// With min = 0 the server is ready with no runner at all.
	waitReady(t, s)
	if n := len(runnerPIDs(s, "pipe.py")); n != 0 {
		t.Fatalf("%d runners before the first call, want 0", n)
	}
	if e := algorithmEntry(t, s, "demo/echo"); e["state"] != "ready" || e["runners"] != 0.0 {
		t.Errorf("before the first call: %v", e)
	}
	// The first call starts one.
	if r := post(t, s.URL+"/v1/algo/demo/echo", "text/plain", "cold"); r.Body["result"] != "cold" {
		t.Fatalf("the cold call: %s", r.Raw)
	}
	if n := runnerCount(t, s, "demo/echo"); n != 1 {
		t.Errorf("%d runners after the cold call, want 1", n)
	}
	eventually(t, 20*time.Second, func() string {
		if procs := len(runnerPIDs(s, "pipe.py")); procs != 0 {
			return fmt.Sprintf("%d runners after idling, want 0", procs)
		}
		return ""
	})
	if r := post(t, s.URL+"/v1/algo/demo/echo", "text/plain", "again"); r.Body["result"] != "again" {
		t.Errorf("a call after the runner retired: %s", r.Raw)
	}
}

func TestServeLimits(t *testing.T) {
	s := serveServer(t, `
server {
  max_timeout = "2s"
}
algorithm "demo/crash" {
  path = "{{examples}}/python/crash"
}
algorithm "demo/echo" {
  path       = "{{examples}}/python/echo"
  max_result = "1KiB"
}
`)
	waitReady(t, s)
	t.Run("timeout capped by max_timeout", func(t *testing.T) {
		began := time.Now()
		r := post(t, s.URL+"/v1/algo/demo/crash?timeout=100", "text/plain", "sleep:30")
		if r.Status != http.StatusOK || field(r.Body, "error", "message") != "algorithm did not complete within 2 seconds" ||
			field(r.Body, "error", "error_type") != "TimeoutError" {
			t.Errorf("after %v: %d %s", time.Since(began), r.Status, r.Raw)
		}
	})
	t.Run("result larger than max_result", func(t *testing.T) {
		r := post(t, s.URL+"/v1/algo/demo/echo", "text/plain", strings.Repeat("x", 4096))
		msg, _ := field(r.Body, "error", "message").(string)
		if r.Status != http.StatusOK || field(r.Body, "error", "error_type") != "SystemExit" || !strings.Contains(msg, "larger than the limit of 1024 bytes (max_result)") {
			t.Errorf("%d %s", r.Status, r.Raw)
		}
		// A new runner serves the next call.
		eventually(t, 20*time.Second, func() string {
			if r := post(t, s.URL+"/v1/algo/demo/echo", "text/plain", "small"); r.Body["result"] != "small" {
				return "after the oversized result: " + string(r.Raw)
			}
			return ""
		})
	})
}
