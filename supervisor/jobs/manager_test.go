package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/langserver/langserver/supervisor/callback"
)

// fakeExecutor runs jobs in memory: input "block" waits until released or
// cancelled, "fail" fails, "busy" is refused once with RetryLater.
type fakeExecutor struct {
	slots    int
	callback CallbackConfig

	mu      sync.Mutex
	runs    map[string]int
	started chan string
	release chan struct{}
	refused map[string]bool
}

func newFakeExecutor() *fakeExecutor {
	return &fakeExecutor{slots: 1, runs: map[string]int{}, started: make(chan string, 100), release: make(chan struct{}), refused: map[string]bool{}}
}

func (f *fakeExecutor) Slots(string, string) int { return f.slots }

func (f *fakeExecutor) Callback(string, string) CallbackConfig { return f.callback }

func (f *fakeExecutor) Run(ctx context.Context, req *Request, started func() bool) (Outcome, error) {
	f.mu.Lock()
	input, id := string(req.Input), req.ID
	if input == "busy" && !f.refused[id] {
		f.refused[id] = true
		f.mu.Unlock()
		return Outcome{}, &RetryLater{After: 10 * time.Millisecond, Reason: "pool full"}
	}
	f.mu.Unlock()
	if !started() {
		return Outcome{}, errors.New("not started")
	}
	f.mu.Lock()
	f.runs[id]++
	f.mu.Unlock()
	f.started <- id
	switch input {
	case "block":
		select {
		case <-f.release:
		case <-ctx.Done():
			return Outcome{}, ctx.Err()
		}
	case "fail":
		return Outcome{Envelope: []byte(`{"error":{"message":"bad"}}`)}, nil
	}
	return Outcome{Envelope: []byte(`{"result":"ok:` + input + `"}`), Succeeded: true}, nil
}

func (f *fakeExecutor) runCount(id string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.runs[id]
}

// running is a started Manager; stop ends its Run.
type running struct {
	*Manager
	stop func()
}

func start(t *testing.T, opts Options) *running {
	t.Helper()
	m, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	var once sync.Once
	r := &running{Manager: m, stop: func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	}}
	t.Cleanup(r.stop)
	return r
}

func submit(t *testing.T, m *running, req Request) string {
	t.Helper()
	if req.Algorithm == "" {
		req.Algorithm, req.Version = "demo/hello", "1.0.0"
	}
	id, existed, err := m.Submit(&req)
	if err != nil || existed {
		t.Fatalf("Submit = %q, %v, %v", id, existed, err)
	}
	return id
}

// waitFor polls the job until cond holds, for at most 10s.
func waitFor(t *testing.T, m *running, id string, what string, cond func(*Job) bool) *Job {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		j, err := m.Get(id)
		if err == nil && cond(j) {
			return j
		}
		if time.Now().After(deadline) {
			body, _ := json.Marshal(j)
			t.Fatalf("job %s: not %s within 10s (err %v): %s", id, what, err, body)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func finished(j *Job) bool { return Final(j.State) }

func TestSubmitRunsAndRecords(t *testing.T) {
	exec := newFakeExecutor()
	m := start(t, Options{DataDir: t.TempDir(), Executor: exec})
	ok := submit(t, m, Request{Input: []byte("x")})
	bad := submit(t, m, Request{Input: []byte("fail")})
	j := waitFor(t, m, ok, "finished", finished)
	if j.State != Succeeded || string(j.Response) != `{"result":"ok:x"}` || j.Attempts != 1 || j.StartedAt == nil || j.FinishedAt == nil || j.Callback != nil {
		t.Errorf("succeeded job: %+v", j)
	}
	j = waitFor(t, m, bad, "finished", finished)
	if j.State != Failed || !strings.Contains(string(j.Response), "bad") {
		t.Errorf("failed job: %+v", j)
	}
	if _, err := m.Get("req-nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get(unknown) = %v, want ErrNotFound", err)
	}
}

func TestRetryLaterDoesNotCountAnAttempt(t *testing.T) {
	exec := newFakeExecutor()
	m := start(t, Options{DataDir: t.TempDir(), Executor: exec})
	id := submit(t, m, Request{Input: []byte("busy")})
	j := waitFor(t, m, id, "finished", finished)
	if j.State != Succeeded || j.Attempts != 1 {
		t.Errorf("job refused once by its pool: %+v", j)
	}
}

func TestIdempotencyKeySurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	exec := newFakeExecutor()
	m := start(t, Options{DataDir: dir, Executor: exec})
	first := submit(t, m, Request{Input: []byte("x"), IdempotencyKey: "k1"})
	id, existed, err := m.Submit(&Request{Algorithm: "demo/hello", Version: "1.0.0", Input: []byte("y"), IdempotencyKey: "k1"})
	if err != nil || !existed || id != first {
		t.Errorf("resubmission = %q, %v, %v; want %q, true", id, existed, err, first)
	}
	waitFor(t, m, first, "finished", finished)
	m.stop()
	m = start(t, Options{DataDir: dir, Executor: exec})
	id, existed, err = m.Submit(&Request{Algorithm: "demo/hello", Version: "1.0.0", Input: []byte("z"), IdempotencyKey: "k1"})
	if err != nil || !existed || id != first {
		t.Errorf("resubmission after restart = %q, %v, %v; want %q, true", id, existed, err, first)
	}
	if n := exec.runCount(first); n != 1 {
		t.Errorf("the job ran %d times, want 1", n)
	}
}

func TestQueueFull(t *testing.T) {
	exec := newFakeExecutor()
	m := start(t, Options{DataDir: t.TempDir(), Executor: exec, MaxQueued: 2})
	blocker := submit(t, m, Request{Input: []byte("block"), IdempotencyKey: "blocker"})
	<-exec.started // running, so no longer queued
	submit(t, m, Request{Input: []byte("a")})
	submit(t, m, Request{Input: []byte("b")})
	if _, _, err := m.Submit(&Request{Algorithm: "demo/hello", Version: "1.0.0", Input: []byte("c")}); !errors.Is(err, ErrQueueFull) {
		t.Errorf("third queued job: %v, want ErrQueueFull", err)
	}
	// A resubmission is still answered with its id.
	if id, existed, err := m.Submit(&Request{Algorithm: "demo/hello", Version: "1.0.0", IdempotencyKey: "blocker"}); err != nil || !existed || id != blocker {
		t.Errorf("resubmission while full = %q, %v, %v", id, existed, err)
	}
	close(exec.release)
}

func TestCancel(t *testing.T) {
	exec := newFakeExecutor()
	m := start(t, Options{DataDir: t.TempDir(), Executor: exec})
	runningID := submit(t, m, Request{Input: []byte("block")})
	if got := <-exec.started; got != runningID {
		t.Fatalf("started %s, want %s", got, runningID)
	}
	queuedID := submit(t, m, Request{Input: []byte("never")})
	j, err := m.Cancel(queuedID)
	if err != nil || j.State != Cancelled {
		t.Fatalf("Cancel(queued) = %+v, %v", j, err)
	}
	j, err = m.Cancel(runningID)
	if err != nil || j.State != Cancelled {
		t.Fatalf("Cancel(running) = %+v, %v", j, err)
	}
	// The running call's context was cancelled; its end changes nothing.
	after := submit(t, m, Request{Input: []byte("after")})
	waitFor(t, m, after, "finished", finished)
	if j, _ := m.Get(runningID); j.State != Cancelled || j.Response != nil {
		t.Errorf("cancelled running job: %+v", j)
	}
	if n := exec.runCount(queuedID); n != 0 {
		t.Errorf("the cancelled queued job ran %d times", n)
	}
	if _, err := m.Cancel(after); !errors.Is(err, ErrFinished) {
		t.Errorf("Cancel(finished) = %v, want ErrFinished", err)
	}
	if _, err := m.Cancel("req-nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Cancel(unknown) = %v, want ErrNotFound", err)
	}
}

func TestList(t *testing.T) {
	exec := newFakeExecutor()
	m := start(t, Options{DataDir: t.TempDir(), Executor: exec})
	var ids []string
	for i := range 5 {
		algo := "demo/hello"
		if i%2 == 1 {
			algo = "demo/other"
		}
		ids = append(ids, submit(t, m, Request{Algorithm: algo, Version: "1.0.0", Input: []byte("x")}))
	}
	for _, id := range ids {
		waitFor(t, m, id, "finished", finished)
	}
	var got []string
	cursor := ""
	for pages := 0; ; pages++ {
		page, next, err := m.List(Filter{Algorithm: "demo/hello", State: Succeeded, Limit: 2, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, j := range page {
			got = append(got, j.ID)
		}
		if next == "" {
			break
		}
		if pages > 5 {
			t.Fatal("paging does not end")
		}
		cursor = next
	}
	if want := []string{ids[0], ids[2], ids[4]}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("listed %v, want %v", got, want)
	}
	if page, _, _ := m.List(Filter{State: Queued, Limit: 10}); len(page) != 0 {
		t.Errorf("queued jobs listed: %v", page)
	}
	if _, _, err := m.List(Filter{Limit: 10, Cursor: "x"}); !errors.Is(err, ErrBadCursor) {
		t.Errorf("bad cursor: %v", err)
	}
}

func TestRetentionPurge(t *testing.T) {
	exec := newFakeExecutor()
	m := start(t, Options{DataDir: t.TempDir(), Executor: exec, Retention: 100 * time.Millisecond})
	id := submit(t, m, Request{Input: []byte("x"), IdempotencyKey: "k"})
	waitFor(t, m, id, "finished", finished)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := m.Get(id); errors.Is(err, ErrNotFound) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the finished job was not purged")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Its idempotency key is free again.
	if _, existed, err := m.Submit(&Request{Algorithm: "demo/hello", Version: "1.0.0", IdempotencyKey: "k"}); err != nil || existed {
		t.Errorf("resubmission after the purge: existed %v, %v", existed, err)
	}
}

// TestRetentionKeepsPendingDeliveries: a job whose callback is still being
// retried is not purged, however old.
func TestRetentionKeepsPendingDeliveries(t *testing.T) {
	h := newHook(t, http.StatusInternalServerError)
	exec := newFakeExecutor()
	exec.callback = CallbackConfig{MaxAttempts: 3}
	m := start(t, Options{DataDir: t.TempDir(), Executor: exec, Retention: 50 * time.Millisecond, BackoffMin: 300 * time.Millisecond, BackoffMax: 300 * time.Millisecond})
	id := submit(t, m, Request{Input: []byte("x"), CallbackURL: h.URL})
	j := waitFor(t, m, id, "undeliverable", func(j *Job) bool { return j.Callback.State == DeliveryUndeliverable })
	// Between its tries, 150ms or more apart, purges ran every 50ms.
	if len(j.Callback.Attempts) != 3 {
		t.Errorf("delivery: %+v", j.Callback)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := m.Get(id); errors.Is(err, ErrNotFound) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the job was not purged once its delivery was over")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// hook is a callback receiver answering each try with the next status of
// statuses (the last repeats).
type hook struct {
	*httptest.Server
	mu       sync.Mutex
	statuses []int
	got      []*http.Request
	bodies   []string
}

func newHook(t *testing.T, statuses ...int) *hook {
	h := &hook{statuses: statuses}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.got = append(h.got, r)
		h.bodies = append(h.bodies, string(body))
		status := h.statuses[min(len(h.got), len(h.statuses))-1]
		h.mu.Unlock()
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "0")
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hook) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.got)
}

func TestCallbackDelivery(t *testing.T) {
	delivered := func(j *Job) bool {
		return j.Callback != nil && j.Callback.State != "" && j.Callback.State != DeliveryPending
	}
	fast := Options{BackoffMin: time.Millisecond, BackoffMax: 5 * time.Millisecond}

	t.Run("signed, with headers", func(t *testing.T) {
		h := newHook(t, http.StatusOK)
		exec := newFakeExecutor()
		exec.callback = CallbackConfig{Secret: "s3cret"}
		opts := fast
		opts.DataDir, opts.Executor = t.TempDir(), exec
		m := start(t, opts)
		id := submit(t, m, Request{Input: []byte("x"), CallbackURL: h.URL, Header: http.Header{"X-Trace": {"t1"}, "X-Request-Id": {"spoofed"}, callback.SignatureHeader: {"spoofed"}}})
		j := waitFor(t, m, id, "delivered", delivered)
		if j.Callback.State != DeliveryDelivered || len(j.Callback.Attempts) != 1 || j.Callback.Attempts[0].Status != 200 {
			t.Errorf("delivery: %+v", j.Callback)
		}
		r, body := h.got[0], h.bodies[0]
		if body != `{"result":"ok:x"}` || r.Header.Get("X-Trace") != "t1" || r.Header.Get("X-Request-Id") != id ||
			r.Header.Get(callback.SignatureHeader) != callback.Sign("s3cret", []byte(body)) {
			t.Errorf("delivered %q with %v", body, r.Header)
		}
	})
	t.Run("fails then recovers", func(t *testing.T) {
		h := newHook(t, 500, http.StatusTooManyRequests, 200)
		exec := newFakeExecutor()
		opts := fast
		opts.DataDir, opts.Executor = t.TempDir(), exec
		m := start(t, opts)
		id := submit(t, m, Request{Input: []byte("x"), CallbackURL: h.URL})
		j := waitFor(t, m, id, "delivered", delivered)
		if j.Callback.State != DeliveryDelivered || len(j.Callback.Attempts) != 3 || j.Callback.Attempts[0].Status != 500 || j.Callback.Attempts[0].Error == "" {
			t.Errorf("delivery: %+v", j.Callback)
		}
	})
	t.Run("never recovers", func(t *testing.T) {
		h := newHook(t, 503)
		exec := newFakeExecutor()
		exec.callback = CallbackConfig{MaxAttempts: 4}
		opts := fast
		opts.DataDir, opts.Executor = t.TempDir(), exec
		m := start(t, opts)
		id := submit(t, m, Request{Input: []byte("x"), CallbackURL: h.URL})
		j := waitFor(t, m, id, "undeliverable", delivered)
		if j.Callback.State != DeliveryUndeliverable || len(j.Callback.Attempts) != 4 || h.count() != 4 {
			t.Errorf("delivery after %d tries: %+v", h.count(), j.Callback)
		}
	})
}

// TestCrashRecovery builds the store a crash leaves (a job running, one
// queued, a callback pending with a try spent) and checks that a restart
// finishes all of it.
func TestCrashRecovery(t *testing.T) {
	dir := t.TempDir()
	h := newHook(t, http.StatusOK)
	s, err := openStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	records := []*record{
		{Job: Job{ID: "req-running", Algorithm: "demo/hello", Version: "1.0.0", State: Running, Attempts: 1, SubmittedAt: now, StartedAt: &now, Callback: &Delivery{URL: h.URL}}, Input: []byte("a")},
		{Job: Job{ID: "req-queued", Algorithm: "demo/hello", Version: "1.0.0", State: Queued, SubmittedAt: now}, Input: []byte("b")},
		{Job: Job{ID: "req-pending", Algorithm: "demo/hello", Version: "1.0.0", State: Succeeded, Attempts: 1, SubmittedAt: now, FinishedAt: &now,
			Response: json.RawMessage(`{"result":1}`), Callback: &Delivery{URL: h.URL, State: DeliveryPending, NextAttemptAt: &now, Attempts: []Try{{At: now, Status: 500}}}}},
	}
	for _, r := range records {
		if _, err := s.insert(r); err != nil {
			t.Fatal(err)
		}
	}
	s.close()

	exec := newFakeExecutor()
	m := start(t, Options{DataDir: dir, Executor: exec, BackoffMin: time.Millisecond})
	j := waitFor(t, m, "req-running", "delivered", func(j *Job) bool { return j.Callback.State == DeliveryDelivered })
	if j.State != Succeeded || j.Attempts != 2 {
		t.Errorf("interrupted job: %+v", j)
	}
	if j := waitFor(t, m, "req-queued", "finished", finished); j.Attempts != 1 {
		t.Errorf("queued job: %+v", j)
	}
	if j := waitFor(t, m, "req-pending", "delivered", func(j *Job) bool { return j.Callback.State == DeliveryDelivered }); len(j.Callback.Attempts) != 2 {
		t.Errorf("pending callback: %+v", j.Callback)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	m, err := Open(Options{DataDir: dir, Executor: newFakeExecutor()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(Options{DataDir: dir, Executor: newFakeExecutor()}); err == nil || !strings.Contains(err.Error(), "is in use by another langserver") {
		t.Errorf("second Open: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := m.Run(ctx); err != nil {
		t.Fatal(err)
	}

	corrupt := t.TempDir()
	if err := os.WriteFile(filepath.Join(corrupt, FileName), []byte(strings.Repeat("not a database\n", 2000)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(Options{DataDir: corrupt, Executor: newFakeExecutor()}); err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Errorf("Open of a corrupt file: %v", err)
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(Options{DataDir: file, Executor: newFakeExecutor()}); err == nil || !strings.Contains(err.Error(), "data dir") {
		t.Errorf("Open of a data dir that is a file: %v", err)
	}
}
