package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// crashJobs is how many jobs the crash test submits.
const crashJobs = 300

// TestJobsSurviveKill9 submits a few hundred jobs with callbacks, kills
// the server with SIGKILL while they run, restarts it on the same data
// folder, and checks that every accepted job finished and every callback
// arrived at least once.
func TestJobsSurviveKill9(t *testing.T) {
	data := t.TempDir()
	config := strings.ReplaceAll(`
server {
  data_dir = "{{data}}"
}
jobs {
  callback_backoff_min = "50ms"
  callback_backoff_max = "500ms"
}
algorithm "demo/crash" {
  path = "{{examples}}/python/crash"
  workers {
    min = 2
    max = 2
  }
}
`, "{{data}}", data)

	h := newHook(t, always(http.StatusOK))
	// seen counts the callbacks of each request id.
	seen := func() map[string]int {
		out := map[string]int{}
		for _, c := range h.received() {
			out[c.Header.Get("X-Request-Id")]++
		}
		return out
	}
	delivered := func() int { return len(seen()) }

	s := serveServer(t, config)
	waitReady(t, s)
	ids := make([]string, crashJobs)
	var wg sync.WaitGroup
	errs := make(chan string, crashJobs)
	for w := range 4 {
		wg.Go(func() {
			for i := w; i < crashJobs; i += 4 {
				r := do(t, http.MethodPost, s.URL+"/v1/algo/demo/crash?output=void",
					map[string]string{"Content-Type": "text/plain", "X-Callback-Url": h.URL, "X-Job": fmt.Sprint(i)}, []byte("sleep:0.02"))
				id, _ := r.Body["request_id"].(string)
				if r.Status != http.StatusOK || id == "" {
					errs <- fmt.Sprintf("job %d: %d %s", i, r.Status, r.Raw)
					continue
				}
				ids[i] = id
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}

	// Kill it while the jobs run.
	deadline := time.Now().Add(60 * time.Second)
	for delivered() < 10 {
		if time.Now().After(deadline) {
			t.Fatalf("only %d callbacks within 60s", delivered())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := s.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	s.waitExit(10 * time.Second)
	before := delivered()
	t.Logf("killed with SIGKILL after %d of %d callbacks", before, crashJobs)
	if before == crashJobs {
		t.Log("every job had finished before the kill: the restart had nothing to resume")
	}

	s = serveServer(t, config)
	deadline = time.Now().Add(120 * time.Second)
	for delivered() < crashJobs {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d callbacks arrived within 120s of the restart", delivered(), crashJobs)
		}
		time.Sleep(20 * time.Millisecond)
	}
	arrived := seen()
	for i, id := range ids {
		if arrived[id] == 0 {
			t.Errorf("job %d (%s): no callback", i, id)
		}
	}

	// Every accepted job is final, delivered, and ran at least once.
	list := do(t, http.MethodGet, s.URL+"/v1/jobs?limit=1000", nil, nil)
	jobs, _ := list.Body["jobs"].([]any)
	byID := map[string]map[string]any{}
	for _, j := range jobs {
		byID[j.(map[string]any)["request_id"].(string)] = j.(map[string]any)
	}
	rerun := 0
	for i, id := range ids {
		j := byID[id]
		if j == nil {
			t.Errorf("job %d (%s) is not listed", i, id)
			continue
		}
		if j["state"] != "succeeded" || field(j, "response", "result") != "alive" || j["attempts"].(float64) < 1 {
			t.Errorf("job %d: %v", i, j)
		}
		if j["attempts"].(float64) > 1 {
			rerun++
		}
	}
	// Deliveries are recorded after they arrive: wait for the last records.
	for _, id := range ids {
		waitJob(t, s, id, "delivered", 30*time.Second, callbackState("delivered"))
	}
	twice := 0
	for _, n := range seen() {
		if n > 1 {
			twice++
		}
	}
	t.Logf("%d jobs ran again after the restart; %d callbacks arrived more than once", rerun, twice)
}

// TestJobsInterruptedRunRunsAgain kills the server while a job runs: after
// the restart the job runs again, and its attempt count shows it.
func TestJobsInterruptedRunRunsAgain(t *testing.T) {
	data := t.TempDir()
	s := jobsServer(t, data, "")
	h := newHook(t, always(http.StatusOK))
	id := submitJob(t, s, "/v1/algo/demo/crash", "sleep:2", map[string]string{"X-Callback-Url": h.URL})
	waitJob(t, s, id, "running", 20*time.Second, func(j map[string]any) bool { return j["state"] == "running" })
	if err := s.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	s.waitExit(10 * time.Second)

	s = jobsServer(t, data, "")
	j := waitJob(t, s, id, "delivered", 30*time.Second, callbackState("delivered"))
	if j["state"] != "succeeded" || j["attempts"] != 2.0 || field(j, "response", "result") != "alive" {
		t.Errorf("interrupted job after the restart: %v", j)
	}
	if calls := h.received(); len(calls) != 1 || calls[0].Header.Get("X-Request-Id") != id {
		t.Errorf("callbacks: %v", calls)
	}
}

// TestJobsShutdownLetsJobsFinish sends SIGTERM while a job runs: it
// finishes within the grace period and is recorded, so it does not run
// again after the restart; a queued job waits for the restart.
func TestJobsShutdownLetsJobsFinish(t *testing.T) {
	data := t.TempDir()
	s := jobsServer(t, data, "")
	running := submitJob(t, s, "/v1/algo/demo/crash", "sleep:1", nil)
	waitJob(t, s, running, "running", 20*time.Second, func(j map[string]any) bool { return j["state"] == "running" })
	// Two wait behind it: one in the pool's queue, one in the job queue.
	queued := []string{submitJob(t, s, "/v1/algo/demo/crash", "a", nil), submitJob(t, s, "/v1/algo/demo/crash", "b", nil)}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := s.waitExit(20 * time.Second); code != 0 {
		t.Errorf("exit status %d", code)
	}

	s = jobsServer(t, data, "")
	j := waitJob(t, s, running, "finished", time.Second, finalState)
	if j["state"] != "succeeded" || j["attempts"] != 1.0 {
		t.Errorf("the job running at SIGTERM: %v", j)
	}
	for _, id := range queued {
		if j := waitJob(t, s, id, "finished", 20*time.Second, finalState); j["state"] != "succeeded" || j["attempts"] != 1.0 {
			t.Errorf("a job queued at SIGTERM: %v", j)
		}
	}
}
