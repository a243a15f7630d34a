package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/langserver/langserver/supervisor/callback"
	"github.com/langserver/langserver/supervisor/input"
	"github.com/langserver/langserver/supervisor/jobs"
)

// CallbackURLHeader names a request's own callback URL, instead of the
// algorithm's callback block's.
const CallbackURLHeader = "X-Callback-Url"

// IdempotencyKeyHeader makes a resubmission return the first job's id.
const IdempotencyKeyHeader = "Idempotency-Key"

// maxIdempotencyKey bounds the length of an Idempotency-Key.
const maxIdempotencyKey = 255

// Job listing page sizes.
const (
	defaultJobsLimit = 100
	maxJobsLimit     = 1000
)

// JobExecutor runs jobs on the pools of the server's algorithms, the way
// synchronous calls run, with the registry in force when each job starts
// (a reload may have replaced the one it was submitted to).
func (s *Server) JobExecutor() jobs.Executor { return executor{s} }

type executor struct{ s *Server }

func (e executor) resolve(algorithm, version string) (*Algorithm, bool) {
	owner, name, _ := strings.Cut(algorithm, "/")
	registry := e.s.options().Registry
	if registry == nil {
		return nil, false
	}
	return registry.Resolve(owner, name, version)
}

// Slots lets a job run on each runner of the pool and, when its queue has
// room, one more wait for each: the next job is then ready as soon as a
// runner is free, while the one before records its outcome. Synchronous
// callers find at most that many jobs ahead of them.
func (e executor) Slots(algorithm, version string) int {
	a, ok := e.resolve(algorithm, version)
	if !ok {
		return 1
	}
	runners, queue := a.Pool.Capacity()
	return runners + min(runners, queue)
}

func (e executor) Callback(algorithm, version string) jobs.CallbackConfig {
	if a, ok := e.resolve(algorithm, version); ok {
		return a.Callback
	}
	return jobs.CallbackConfig{}
}

func (e executor) Run(ctx context.Context, req *jobs.Request, started func() bool) (jobs.Outcome, error) {
	a, ok := e.resolve(req.Algorithm, req.Version)
	if !ok {
		return jobs.Outcome{}, fmt.Errorf("algorithm algo://%s/%s is no longer served", req.Algorithm, req.Version)
	}
	out := call(ctx, ctx, a, &input.Input{Line: req.Input}, query{timeout: req.Timeout, stdout: req.Stdout}, time.Now(), started)
	if out.retryAfter != "" {
		secs, _ := strconv.Atoi(out.retryAfter)
		return jobs.Outcome{}, &jobs.RetryLater{After: time.Duration(secs) * time.Second, Reason: out.message}
	}
	succeeded := out.resp != nil && out.resp.Error == nil && out.resp.Failure == nil
	return jobs.Outcome{Envelope: out.body, Succeeded: succeeded}, nil
}

// submit stores an output=void call as a job and answers with its id.
func (s *Server) submit(w http.ResponseWriter, r *http.Request, algo *Algorithm, in *input.Input, q query) {
	req := &jobs.Request{
		Algorithm: algo.Owner + "/" + algo.Name, Version: algo.Version.String(),
		Input: in.Line, Timeout: q.timeout, Stdout: q.stdout,
		CallbackURL:    algo.Callback.URL,
		Header:         callback.ForwardedHeaders(r.Header),
		IdempotencyKey: r.Header.Get(IdempotencyKeyHeader),
	}
	if len(req.IdempotencyKey) > maxIdempotencyKey {
		platformError(w, http.StatusBadRequest, fmt.Sprintf("%s longer than %d bytes", IdempotencyKeyHeader, maxIdempotencyKey))
		return
	}
	if v := r.Header.Get(CallbackURLHeader); v != "" {
		if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			platformError(w, http.StatusBadRequest, fmt.Sprintf("invalid %s %q: give an absolute http or https URL", CallbackURLHeader, v))
			return
		}
		req.CallbackURL = v
	}
	m := s.jobs(w)
	if m == nil {
		return
	}
	id, _, err := m.Submit(req)
	if errors.Is(err, jobs.ErrQueueFull) {
		unavailable(w, "1", err.Error())
		return
	}
	if jobsFailure(w, err) {
		return
	}
	writeJSON(w, http.StatusOK, fmt.Appendf(nil, `{"async":"void","request_id":%q}`, id))
}

// jobsFailure answers the errors every jobs route may meet; it reports
// whether err was one.
func jobsFailure(w http.ResponseWriter, err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, jobs.ErrClosed):
		unavailable(w, "1", "the server is shutting down")
	default:
		platformError(w, http.StatusInternalServerError, err.Error())
	}
	return true
}

// writeValue answers 200 with v as JSON.
func writeValue(w http.ResponseWriter, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		platformError(w, http.StatusInternalServerError, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, body)
}

// jobs returns the job manager, or answers 503 when there is none.
func (s *Server) jobs(w http.ResponseWriter) *jobs.Manager {
	m := s.options().Jobs
	if m == nil {
		unavailable(w, "5", "asynchronous calls are not available: the server has no job store")
	}
	return m
}

// withJobs serves a route of the job manager.
func (s *Server) withJobs(h func(http.ResponseWriter, *http.Request, *jobs.Manager)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if m := s.jobs(w); m != nil {
			h(w, r, m)
		}
	}
}

func getJob(w http.ResponseWriter, r *http.Request, m *jobs.Manager) {
	j, err := m.Get(r.PathValue("id"))
	writeJob(w, r, j, err)
}

func cancelJob(w http.ResponseWriter, r *http.Request, m *jobs.Manager) {
	j, err := m.Cancel(r.PathValue("id"))
	if errors.Is(err, jobs.ErrFinished) {
		platformError(w, http.StatusConflict, fmt.Sprintf("job %s has already %s", j.ID, j.State))
		return
	}
	writeJob(w, r, j, err)
}

func writeJob(w http.ResponseWriter, r *http.Request, j *jobs.Job, err error) {
	if errors.Is(err, jobs.ErrNotFound) {
		platformError(w, http.StatusNotFound, "job "+r.PathValue("id")+" not found")
		return
	}
	if !jobsFailure(w, err) {
		writeValue(w, j)
	}
}

var jobStates = []string{jobs.Queued, jobs.Running, jobs.Succeeded, jobs.Failed, jobs.Cancelled}

// listJobs answers GET /v1/jobs?algorithm=owner/name&state=S&limit=N&cursor=C.
func listJobs(w http.ResponseWriter, r *http.Request, m *jobs.Manager) {
	values := r.URL.Query()
	f := jobs.Filter{Algorithm: strings.TrimPrefix(values.Get("algorithm"), "algo://"), State: values.Get("state"), Limit: defaultJobsLimit, Cursor: values.Get("cursor")}
	if f.State != "" && !slices.Contains(jobStates, f.State) {
		platformError(w, http.StatusBadRequest, fmt.Sprintf("invalid state %q: use one of %s", f.State, strings.Join(jobStates, ", ")))
		return
	}
	if v := values.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxJobsLimit {
			platformError(w, http.StatusBadRequest, fmt.Sprintf("invalid limit %q: give a number from 1 to %d", v, maxJobsLimit))
			return
		}
		f.Limit = n
	}
	list, next, err := m.List(f)
	if errors.Is(err, jobs.ErrBadCursor) {
		platformError(w, http.StatusBadRequest, fmt.Sprintf("invalid cursor %q: pass the next_cursor of an earlier page", f.Cursor))
		return
	}
	if !jobsFailure(w, err) {
		writeValue(w, struct {
			Jobs       []*jobs.Job `json:"jobs"`
			NextCursor string      `json:"next_cursor,omitempty"`
		}{list, next})
	}
}

// methodNotAllowed answers the methods a route does not serve.
func methodNotAllowed(allowed ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		platformError(w, http.StatusMethodNotAllowed, "method "+r.Method+" not allowed here")
	}
}
