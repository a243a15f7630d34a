package e2e

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// hookCall is one callback that reached a hook.
type hookCall struct {
	Header http.Header
	Body   []byte
}

// hook is a local callback receiver; status decides each answer from the
// number of calls so far (1 for the first).
type hook struct {
	*httptest.Server
	status func(n int) int

	mu    sync.Mutex
	calls []hookCall
}

func newHook(t *testing.T, status func(n int) int) *hook {
	t.Helper()
	h := &hook{status: status}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.calls = append(h.calls, hookCall{Header: r.Header.Clone(), Body: body})
		n := len(h.calls)
		h.mu.Unlock()
		w.WriteHeader(h.status(n))
	}))
	t.Cleanup(h.Close)
	return h
}

func always(status int) func(int) int { return func(int) int { return status } }

func (h *hook) received() []hookCall {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]hookCall(nil), h.calls...)
}

// submitJob posts an output=void call and returns its request id.
func submitJob(t *testing.T, s *server, path, body string, header map[string]string) string {
	t.Helper()
	h := map[string]string{"Content-Type": "text/plain"}
	for k, v := range header {
		h[k] = v
	}
	r := do(t, http.MethodPost, s.URL+path+"?output=void", h, []byte(body))
	id, _ := r.Body["request_id"].(string)
	if r.Status != http.StatusOK || r.Body["async"] != "void" || !strings.HasPrefix(id, "req-") {
		t.Fatalf("submitting to %s: %d %s", path, r.Status, r.Raw)
	}
	return id
}

// waitJob polls GET /v1/jobs/{id} until cond holds.
func waitJob(t *testing.T, s *server, id, what string, timeout time.Duration, cond func(map[string]any) bool) map[string]any {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		r := do(t, http.MethodGet, s.URL+"/v1/jobs/"+id, nil, nil)
		if r.Status == http.StatusOK && cond(r.Body) {
			return r.Body
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s not %s within %v: %d %s", id, what, timeout, r.Status, r.Raw)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func finalState(j map[string]any) bool {
	switch j["state"] {
	case "succeeded", "failed", "cancelled":
		return true
	}
	return false
}

func callbackState(state string) func(map[string]any) bool {
	return func(j map[string]any) bool { return field(j, "callback", "state") == state }
}

// signature is what a receiver computes to check a delivery.
func signature(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

const jobsConfig = `
server {
  data_dir = "{{data}}"
}
jobs {
  callback_backoff_min = "50ms"
  callback_backoff_max = "200ms"
  %s
}
algorithm "demo/hello" {
  path = "{{examples}}/python/hello"
  callback {
    secret       = "s3cret"
    max_attempts = 4
  }
}
algorithm "demo/crash" {
  path = "{{examples}}/python/crash"
}
`

// jobsServer serves jobsConfig with extra lines in its jobs block, on
// the data folder dataDir.
func jobsServer(t *testing.T, dataDir, jobsBlock string) *server {
	t.Helper()
	config := strings.ReplaceAll(fmt.Sprintf(jobsConfig, jobsBlock), "{{data}}", dataDir)
	s := serveServer(t, config)
	waitReady(t, s)
	return s
}

func TestJobsSubmitPollAndSignedCallback(t *testing.T) {
	s := jobsServer(t, t.TempDir(), "")
	h := newHook(t, always(http.StatusOK))
	id := submitJob(t, s, "/v1/algo/demo/hello", "jobs", map[string]string{"X-Callback-Url": h.URL + "/done", "X-Trace": "t-1"})
	j := waitJob(t, s, id, "delivered", 20*time.Second, callbackState("delivered"))
	if j["state"] != "succeeded" || j["attempts"] != 1.0 || j["algorithm"] != "demo/hello" || j["version"] != "1.0.0" ||
		field(j, "response", "result") != "hello jobs" || field(j, "response", "metadata", "content_type") != "text" {
		t.Errorf("job: %v", j)
	}
	for _, ts := range []string{"submitted_at", "started_at", "finished_at"} {
		if _, err := time.Parse(time.RFC3339Nano, fmt.Sprint(j[ts])); err != nil {
			t.Errorf("%s: %v", ts, err)
		}
	}
	calls := h.received()
	if len(calls) != 1 {
		t.Fatalf("the receiver got %d calls, want 1", len(calls))
	}
	c := calls[0]
	var envelope map[string]any
	if err := json.Unmarshal(c.Body, &envelope); err != nil || envelope["result"] != "hello jobs" || field(envelope, "metadata", "content_type") != "text" {
		t.Errorf("delivered body %s", c.Body)
	}
	if c.Header.Get("X-Request-Id") != id || c.Header.Get("X-Trace") != "t-1" || c.Header.Get("Content-Type") != "application/json" {
		t.Errorf("delivered headers %v", c.Header)
	}
	if got, want := c.Header.Get("X-Langserver-Signature-256"), signature("s3cret", c.Body); got != want {
		t.Errorf("signature %q, want %q", got, want)
	}
	log, _ := field(j, "callback", "attempts").([]any)
	if len(log) != 1 || field(log[0].(map[string]any), "status") != 200.0 {
		t.Errorf("delivery log %v", log)
	}

	// An algorithm error is a failed job; no callback asked, none made.
	failed := submitJob(t, s, "/v1/algo/demo/crash", "exit:3", nil)
	j = waitJob(t, s, failed, "finished", 20*time.Second, finalState)
	if j["state"] != "failed" || field(j, "response", "error", "error_type") != "SystemExit" || j["callback"] != nil {
		t.Errorf("failed job: %v", j)
	}
	// Listing filters by algorithm and state, and pages.
	list := do(t, http.MethodGet, s.URL+"/v1/jobs?algorithm=demo/crash&state=failed", nil, nil)
	if jobs, _ := list.Body["jobs"].([]any); len(jobs) != 1 || field(jobs[0].(map[string]any), "request_id") != failed {
		t.Errorf("list: %s", list.Raw)
	}
	page := do(t, http.MethodGet, s.URL+"/v1/jobs?limit=1", nil, nil)
	cursor, _ := page.Body["next_cursor"].(string)
	next := do(t, http.MethodGet, s.URL+"/v1/jobs?limit=1&cursor="+cursor, nil, nil)
	first, _ := page.Body["jobs"].([]any)
	second, _ := next.Body["jobs"].([]any)
	if len(first) != 1 || len(second) != 1 || field(first[0].(map[string]any), "request_id") != id ||
		field(second[0].(map[string]any), "request_id") != failed || next.Body["next_cursor"] != nil {
		t.Errorf("pages: %s then %s", page.Raw, next.Raw)
	}
}

func TestJobsCallbackRetries(t *testing.T) {
	s := jobsServer(t, t.TempDir(), "")
	// Fails twice (the second time asking to wait), then recovers.
	recovering := newHook(t, func(n int) int {
		switch n {
		case 1:
			return http.StatusInternalServerError
		case 2:
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	broken := newHook(t, always(http.StatusBadGateway))
	ok := submitJob(t, s, "/v1/algo/demo/hello", "a", map[string]string{"X-Callback-Url": recovering.URL})
	lost := submitJob(t, s, "/v1/algo/demo/hello", "b", map[string]string{"X-Callback-Url": broken.URL})

	j := waitJob(t, s, ok, "delivered", 20*time.Second, callbackState("delivered"))
	log, _ := field(j, "callback", "attempts").([]any)
	if len(log) != 3 || len(recovering.received()) != 3 {
		t.Fatalf("recovering receiver: %d calls, log %v", len(recovering.received()), log)
	}
	statuses := []any{field(log[0].(map[string]any), "status"), field(log[1].(map[string]any), "status"), field(log[2].(map[string]any), "status")}
	if fmt.Sprint(statuses) != "[500 503 200]" {
		t.Errorf("statuses %v", statuses)
	}
	// The same body every time, the tries spaced by the backoff.
	calls := recovering.received()
	for _, c := range calls[1:] {
		if string(c.Body) != string(calls[0].Body) || c.Header.Get("X-Request-Id") != ok {
			t.Errorf("retry differs: %s %v", c.Body, c.Header)
		}
	}
	var at []time.Time
	for _, entry := range log {
		ts, _ := time.Parse(time.RFC3339Nano, fmt.Sprint(field(entry.(map[string]any), "at")))
		at = append(at, ts)
	}
	if gap := at[1].Sub(at[0]); gap < 25*time.Millisecond {
		t.Errorf("second try %v after the first, want the backoff (50ms, jittered by up to half)", gap)
	}

	j = waitJob(t, s, lost, "undeliverable", 20*time.Second, callbackState("undeliverable"))
	log, _ = field(j, "callback", "attempts").([]any)
	if j["state"] != "succeeded" || len(log) != 4 || len(broken.received()) != 4 || field(j, "response", "result") != "hello b" {
		t.Errorf("undeliverable job after %d calls: %v", len(broken.received()), j)
	}
}

func TestJobsCancelAndQueueFull(t *testing.T) {
	s := jobsServer(t, t.TempDir(), "max_queued = 2")
	pid := runnerPID(t, s.URL+"/v1/algo/demo/crash")
	running := submitJob(t, s, "/v1/algo/demo/crash", "sleep:60", nil)
	waitJob(t, s, running, "running", 20*time.Second, func(j map[string]any) bool { return j["state"] == "running" })
	queued := submitJob(t, s, "/v1/algo/demo/crash", "exit:7", nil)
	last := submitJob(t, s, "/v1/algo/demo/crash", "x", nil)

	// Two jobs wait: the queue is full.
	r := do(t, http.MethodPost, s.URL+"/v1/algo/demo/crash?output=void", map[string]string{"Content-Type": "text/plain"}, []byte("x"))
	if r.Status != http.StatusServiceUnavailable || r.Header.Get("Retry-After") != "1" || field(r.Body, "error", "message") != "too many asynchronous jobs queued" {
		t.Errorf("submission to a full queue: %d %v %s", r.Status, r.Header, r.Raw)
	}

	// A queued job cancelled never runs.
	r = do(t, http.MethodDelete, s.URL+"/v1/jobs/"+queued, nil, nil)
	if r.Status != http.StatusOK || r.Body["state"] != "cancelled" || r.Body["attempts"] != 0.0 {
		t.Errorf("cancel queued: %d %s", r.Status, r.Raw)
	}
	// A running job cancelled has its runner killed and replaced.
	r = do(t, http.MethodDelete, s.URL+"/v1/jobs/"+running, nil, nil)
	if r.Status != http.StatusOK || r.Body["state"] != "cancelled" {
		t.Errorf("cancel running: %d %s", r.Status, r.Raw)
	}
	j := waitJob(t, s, last, "finished", 30*time.Second, finalState)
	if j["state"] != "succeeded" || field(j, "response", "result") != "alive" {
		t.Errorf("the job after the cancelled ones: %v", j)
	}
	if got := runnerPID(t, s.URL+"/v1/algo/demo/crash"); got == pid {
		t.Errorf("runner %v still serves: the cancelled job's runner was not replaced", got)
	}
	j = waitJob(t, s, queued, "cancelled", time.Second, finalState)
	if j["state"] != "cancelled" || j["started_at"] != nil || j["response"] != nil {
		t.Errorf("the cancelled queued job: %v", j)
	}
	// A finished job cannot be cancelled.
	r = do(t, http.MethodDelete, s.URL+"/v1/jobs/"+last, nil, nil)
	if r.Status != http.StatusConflict || field(r.Body, "error", "message") != "job "+last+" has already succeeded" {
		t.Errorf("cancel finished: %d %s", r.Status, r.Raw)
	}
}

func TestJobsIdempotentResubmission(t *testing.T) {
	data := t.TempDir()
	s := jobsServer(t, data, "")
	key := map[string]string{"Idempotency-Key": "order-42"}
	id := submitJob(t, s, "/v1/algo/demo/hello", "once", key)
	if again := submitJob(t, s, "/v1/algo/demo/hello", "twice", key); again != id {
		t.Errorf("resubmission got %s, want %s", again, id)
	}
	waitJob(t, s, id, "finished", 20*time.Second, finalState)
	s.stop()

	s = jobsServer(t, data, "")
	if again := submitJob(t, s, "/v1/algo/demo/hello", "thrice", key); again != id {
		t.Errorf("resubmission after a restart got %s, want %s", again, id)
	}
	j := waitJob(t, s, id, "finished", time.Second, finalState)
	if j["attempts"] != 1.0 || field(j, "response", "result") != "hello once" {
		t.Errorf("job: %v", j)
	}
	list := do(t, http.MethodGet, s.URL+"/v1/jobs", nil, nil)
	if jobs, _ := list.Body["jobs"].([]any); len(jobs) != 1 {
		t.Errorf("%d jobs stored, want 1: %s", len(jobs), list.Raw)
	}
}

func TestJobsRetentionPurge(t *testing.T) {
	s := jobsServer(t, t.TempDir(), `retention = "1s"`)
	id := submitJob(t, s, "/v1/algo/demo/hello", "x", nil)
	waitJob(t, s, id, "finished", 20*time.Second, finalState)
	deadline := time.Now().Add(20 * time.Second)
	for {
		r := do(t, http.MethodGet, s.URL+"/v1/jobs/"+id, nil, nil)
		if r.Status == http.StatusNotFound {
			if field(r.Body, "error", "message") != "job "+id+" not found" {
				t.Errorf("purged job: %s", r.Raw)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("job not purged 20s after it finished: %s", r.Raw)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestJobsDataDirInUse(t *testing.T) {
	data := t.TempDir()
	jobsServer(t, data, "")
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"second.hcl": strings.ReplaceAll(strings.ReplaceAll(fmt.Sprintf(jobsConfig, ""), "{{data}}", data), "{{examples}}", filepath.Join(repoRoot, "examples"))})
	out, code := langserver(t, nil, "serve", "--config", filepath.Join(dir, "second.hcl"), "--listen", freeAddr(t))
	if code != 1 || !strings.Contains(out, "data dir "+data+" is in use by another langserver") {
		t.Errorf("second server on one data dir: exit %d:\n%s", code, out)
	}
}

// TestJobsFollowReload: a job still in the durable queue when a reload
// changes its algorithm runs on the new pool.
func TestJobsFollowReload(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "langserver.hcl")
	write := func(folder string) {
		t.Helper()
		writeFiles(t, dir, map[string]string{"langserver.hcl": fmt.Sprintf(`
server {
  data_dir = %q
}
algorithm "demo/crash" {
  path = %q
  workers {
    min = 1
    max = 1
  }
}
`, filepath.Join(dir, "data"), filepath.Join(repoRoot, "examples", "python", folder))})
	}
	write("crash")
	s := startServer(t, nil, "serve", "--config", path)
	waitReady(t, s)
	// One job runs, one waits for the runner, one waits in the job queue.
	running := submitJob(t, s, "/v1/algo/demo/crash", "sleep:60", nil)
	waitJob(t, s, running, "running", 20*time.Second, func(j map[string]any) bool { return j["state"] == "running" })
	waiting := submitJob(t, s, "/v1/algo/demo/crash", "x", nil)
	queued := submitJob(t, s, "/v1/algo/demo/crash", "echoed", nil)

	write("echo")
	if r := post(t, s.URL+"/-/reload", "application/json", ""); r.Status != http.StatusOK {
		t.Fatalf("reload: %d %s", r.Status, r.Raw)
	}
	// The two taken from the job queue before the reload are cancelled:
	// the third is taken now.
	for _, id := range []string{running, waiting} {
		if r := do(t, http.MethodDelete, s.URL+"/v1/jobs/"+id, nil, nil); r.Status != http.StatusOK {
			t.Fatalf("cancel %s: %d %s", id, r.Status, r.Raw)
		}
	}
	if j := waitJob(t, s, queued, "finished", 20*time.Second, finalState); field(j, "response", "result") != "echoed" {
		t.Errorf("the job queued during the reload did not run on the new pool: %v", j)
	}
}
