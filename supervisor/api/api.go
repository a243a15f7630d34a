package api

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/langserver/langserver/sdk"
	"github.com/langserver/langserver/supervisor/envelope"
	"github.com/langserver/langserver/supervisor/input"
	"github.com/langserver/langserver/supervisor/jobs"
	"github.com/langserver/langserver/supervisor/pool"
)

// TimeoutError is the error_type of a request that ran out of time.
const TimeoutError = "TimeoutError"

// Algorithm is one served version of an algorithm.
type Algorithm struct {
	Owner, Name string
	Version     Version
	// BuildHash identifies the algorithm's files; a request may name the
	// version by a prefix of it.
	BuildHash string
	LangPack  string
	// Timeout is the default time limit of a call.
	Timeout time.Duration
	Pool    *pool.Pool
	// Callback is the callback block of its asynchronous calls.
	Callback jobs.CallbackConfig
}

// Options configures the API.
type Options struct {
	Registry *Registry
	// APIKeys, when not empty, are required on every route but /healthz
	// and /readyz.
	APIKeys []string
	// MaxBody bounds a request body.
	MaxBody int64
	// MaxTimeout caps the ?timeout= of a request.
	MaxTimeout time.Duration
	// Jobs stores and runs the asynchronous calls (output=void) and
	// serves /v1/jobs; its Executor is the server's JobExecutor.
	Jobs *jobs.Manager
	// Reload, when set, serves POST /-/reload: it loads the configuration
	// again and applies it, or returns why it did not.
	Reload func(context.Context) (*ReloadResult, error)
	Logger hclog.Logger
}

// ReloadResult is the answer of a successful reload.
type ReloadResult struct {
	// Added, Changed and Removed list the algorithm versions
	// ("owner/name@1.0.0") that got a pool, got a new pool, or lost theirs.
	Added   []string `json:"added"`
	Changed []string `json:"changed"`
	Removed []string `json:"removed"`
	// Unchanged counts the versions whose pools were kept as they were.
	Unchanged int `json:"unchanged"`
	// Warnings are the new configuration's warnings.
	Warnings string `json:"warnings,omitempty"`
}

// InvalidConfigError is a reload refused because the new configuration has
// errors; the old one keeps serving.
type InvalidConfigError struct {
	// Diagnostics is the rendered diagnostics, with file, line and column.
	Diagnostics string
}

func (e *InvalidConfigError) Error() string {
	return "the new configuration is not valid; the old one keeps serving"
}

// Server is the HTTP API.
type Server struct {
	// opts is swapped whole by Configure.
	opts atomic.Pointer[Options]
	mux  *http.ServeMux

	mu sync.Mutex
	// inflight counts the calls running.
	inflight int
	// draining is set by Drain: new calls are refused, /readyz says no.
	draining bool
}

// New returns the API server.
func New(opts Options) *Server {
	s := &Server{mux: http.NewServeMux()}
	s.opts.Store(&opts)
	s.mux.HandleFunc("/v1/algo/{owner}/{name}", s.algo)
	s.mux.HandleFunc("/v1/algo/{owner}/{name}/{version}", s.algo)
	s.mux.HandleFunc("GET /v1/algorithms", s.algorithms)
	s.mux.HandleFunc("GET /v1/jobs", s.withJobs(listJobs))
	s.mux.HandleFunc("GET /v1/jobs/{id}", s.withJobs(getJob))
	s.mux.HandleFunc("DELETE /v1/jobs/{id}", s.withJobs(cancelJob))
	s.mux.HandleFunc("/v1/jobs", methodNotAllowed(http.MethodGet))
	s.mux.HandleFunc("/v1/jobs/{id}", methodNotAllowed(http.MethodGet, http.MethodDelete))
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
	s.mux.HandleFunc("POST /-/reload", s.reload)
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		platformError(w, http.StatusNotFound, fmt.Sprintf("no such endpoint: %s %s", r.Method, r.URL.Path))
	})
	return s
}

// Configure replaces the options, as after a reload: requests that have
// begun keep the algorithm they resolved.
func (s *Server) Configure(opts Options) { s.opts.Store(&opts) }

// options returns the options in force.
func (s *Server) options() *Options { return s.opts.Load() }

// Drain turns the server away from new work: /readyz answers 503 and new
// calls get 503 with Retry-After. It returns once the calls in flight
// have finished, or when ctx is done.
func (s *Server) Drain(ctx context.Context) {
	s.mu.Lock()
	s.draining = true
	s.mu.Unlock()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		s.mu.Lock()
		n := s.inflight
		s.mu.Unlock()
		if n == 0 {
			return
		}
		select {
		case <-ctx.Done():
			s.options().Logger.Warn("shutdown grace over with calls in flight", "calls", n)
			return
		case <-tick.C:
		}
	}
}

// begin counts a call in, unless the server is draining.
func (s *Server) begin() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.draining {
		return false
	}
	s.inflight++
	return true
}

func (s *Server) end() {
	s.mu.Lock()
	s.inflight--
	s.mu.Unlock()
}

// unavailable writes a 503 that asks the caller to retry later.
func unavailable(w http.ResponseWriter, retryAfter, message string) {
	w.Header().Set("Retry-After", retryAfter)
	platformError(w, http.StatusServiceUnavailable, message)
}

// ServeHTTP normalises the path (a trailing slash, a leftover algo://) so
// that the ServeMux patterns match it, and checks the API key.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if rest, ok := strings.CutPrefix(r.URL.Path, "/v1/algo/"); ok {
		rest = strings.TrimPrefix(strings.TrimPrefix(rest, "algo://"), "algo:/")
		r.URL.Path = "/v1/algo/" + strings.Trim(rest, "/")
		r.URL.RawPath = ""
	}
	if r.URL.Path != "/healthz" && r.URL.Path != "/readyz" && !s.authorized(r) {
		message := "authorization required: send Authorization: Simple <api key>"
		if r.Header.Get("Authorization") != "" {
			message = "invalid API key"
		}
		platformError(w, http.StatusUnauthorized, message)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// authorized accepts "Simple <key>", "Bearer <key>" and a bare key.
func (s *Server) authorized(r *http.Request) bool {
	keys := s.options().APIKeys
	if len(keys) == 0 {
		return true
	}
	given := strings.TrimSpace(r.Header.Get("Authorization"))
	for _, scheme := range []string{"Simple ", "Bearer "} {
		if len(given) > len(scheme) && strings.EqualFold(given[:len(scheme)], scheme) {
			given = strings.TrimSpace(given[len(scheme):])
			break
		}
	}
	ok := false
	for _, key := range keys {
		if subtle.ConstantTimeCompare([]byte(given), []byte(key)) == 1 {
			ok = true
		}
	}
	return ok
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// platformError writes {"error":{"message":...}} with a 4xx/5xx status.
func platformError(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, envelope.Failure(envelope.Error{Message: message}, nil))
}

// query holds a call's query options.
type query struct {
	timeout time.Duration
	stdout  bool
	output  string
}

func (s *Server) parseQuery(r *http.Request, algo *Algorithm) (query, error) {
	q := query{timeout: algo.Timeout}
	values := r.URL.Query()
	if t := values.Get("timeout"); t != "" {
		secs, err := strconv.ParseFloat(t, 64)
		if err != nil || !(secs > 0) || math.IsInf(secs, 1) {
			return q, fmt.Errorf("invalid timeout %q: give a positive number of seconds", t)
		}
		q.timeout = s.options().MaxTimeout
		if secs < q.timeout.Seconds() {
			q.timeout = time.Duration(secs * float64(time.Second))
		}
	}
	if v := values.Get("stdout"); v != "" {
		switch strings.ToLower(v) {
		case "true", "1":
			q.stdout = true
		case "false", "0":
		default:
			return q, fmt.Errorf("invalid stdout %q: use true or false", v)
		}
	}
	switch q.output = strings.ToLower(values.Get("output")); q.output {
	case "", "default", "raw", "void":
	default:
		return q, fmt.Errorf("invalid output %q: use raw, void or default", values.Get("output"))
	}
	return q, nil
}

func (s *Server) algo(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		platformError(w, http.StatusMethodNotAllowed, "method "+r.Method+" not allowed: call an algorithm with POST")
		return
	}
	began := time.Now()
	if !s.begin() {
		unavailable(w, "1", "the server is shutting down")
		return
	}
	defer s.end()
	owner, name, version := r.PathValue("owner"), r.PathValue("name"), r.PathValue("version")
	opts := s.options()
	algo, ok := opts.Registry.Resolve(owner, name, version)
	if !ok {
		ref := "algo://" + owner + "/" + name
		if version != "" {
			ref += "/" + version
		}
		platformError(w, http.StatusNotFound, "algorithm "+ref+" not found")
		return
	}
	q, err := s.parseQuery(r, algo)
	if err != nil {
		platformError(w, http.StatusBadRequest, err.Error())
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, opts.MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			platformError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body larger than the server's max_body of %d bytes", tooBig.Limit))
			return
		}
		platformError(w, http.StatusBadRequest, "reading the request body: "+err.Error())
		return
	}
	in, ierr := input.Decode(r.Header, body, input.Options{})
	if ierr != nil {
		status := http.StatusBadRequest
		if ierr.Kind == input.UnsupportedContentType {
			status = http.StatusUnsupportedMediaType
		}
		platformError(w, status, ierr.Message)
		return
	}
	if q.output == "void" {
		s.submit(w, r, algo, in, q)
		return
	}
	// A caller that goes away does not kill the runner mid-request.
	out := call(r.Context(), context.WithoutCancel(r.Context()), algo, in, q, began, nil)
	switch {
	case out.retryAfter != "":
		unavailable(w, out.retryAfter, out.message)
	case q.output == "raw" && out.resp != nil && out.resp.Error == nil && out.resp.Failure == nil:
		writeRaw(w, out.resp)
	default:
		writeJSON(w, out.status, out.body)
	}
}

// outcome is the answer to a call.
type outcome struct {
	status int
	// resp is the runner's response; nil for timeouts and platform errors.
	resp *sdk.CallResponse
	body []byte
	// retryAfter and message are set, instead of body, for a 503.
	retryAfter, message string
}

// call runs a request on the algorithm's pool. waitCtx bounds the wait in
// the queue (a caller that goes away leaves it); runCtx bounds the call
// once it has started (a synchronous call runs to its end, or its
// timeout, and its result is dropped; a cancelled job's runner is
// killed). Time queued counts against the timeout. acquired, when set, is
// pool.CallAcquired's hook.
func call(waitCtx, runCtx context.Context, algo *Algorithm, in *input.Input, q query, began time.Time, acquired func() bool) outcome {
	deadline := began.Add(q.timeout)
	waitCtx, cancelWait := context.WithDeadline(waitCtx, deadline)
	defer cancelWait()
	ctx, cancel := context.WithDeadline(runCtx, deadline)
	defer cancel()
	resp, err := algo.Pool.CallAcquired(waitCtx, ctx, &sdk.CallRequest{Input: in.Line}, nil, acquired)
	md := envelope.Metadata{Duration: time.Since(began).Seconds()}
	var loadErr *pool.LoadError
	// The deadline may surface as the context's error or, when the adapter
	// answered first, as a runner failure.
	timedOut := errors.Is(err, context.DeadlineExceeded) || (err == nil && resp.Failure != nil && errors.Is(ctx.Err(), context.DeadlineExceeded))
	switch {
	case timedOut:
		message := fmt.Sprintf("algorithm did not complete within %s seconds", strconv.FormatFloat(q.timeout.Seconds(), 'f', -1, 64))
		return outcome{status: http.StatusOK, body: envelope.Failure(envelope.Error{Message: message, ErrorType: TimeoutError}, &md)}
	case errors.As(err, &loadErr):
		// It retries loading with backoff: ask for a later retry.
		return outcome{status: http.StatusServiceUnavailable, retryAfter: "5", message: loadErr.Error()}
	case errors.Is(err, pool.ErrOverloaded), errors.Is(err, pool.ErrStopped):
		return outcome{status: http.StatusServiceUnavailable, retryAfter: "1", message: err.Error()}
	case err != nil:
		return outcome{status: http.StatusInternalServerError, body: envelope.Failure(envelope.Error{Message: err.Error()}, nil)}
	}
	if q.stdout {
		out := string(resp.Stdout)
		md.Stdout = &out
	}
	return outcome{status: http.StatusOK, resp: resp, body: envelope.Outcome(resp, md)}
}

// writeRaw writes the bare result of output=raw.
func writeRaw(w http.ResponseWriter, resp *sdk.CallResponse) {
	switch resp.ContentType {
	case input.Text:
		var text string
		if err := json.Unmarshal(resp.Result, &text); err == nil {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			_, _ = io.WriteString(w, text)
			return
		}
	case input.Binary:
		var encoded string
		if err := json.Unmarshal(resp.Result, &encoded); err == nil {
			if data, err := base64.StdEncoding.DecodeString(encoded); err == nil {
				w.Header().Set("Content-Type", "application/octet-stream")
				_, _ = w.Write(data)
				return
			}
		}
	}
	writeJSON(w, http.StatusOK, resp.Result)
}

// algorithmInfo is one entry of GET /v1/algorithms.
type algorithmInfo struct {
	Algorithm     string `json:"algorithm"`
	Version       string `json:"version"`
	BuildHash     string `json:"build_hash"`
	LangPack      string `json:"langpack"`
	State         string `json:"state"`
	Runners       int    `json:"runners"`
	Busy          int    `json:"busy"`
	Starting      int    `json:"starting"`
	Queued        int    `json:"queued"`
	LastLoadError string `json:"last_load_error,omitempty"`
}

func (s *Server) algorithms(w http.ResponseWriter, _ *http.Request) {
	all := s.options().Registry.All()
	out := make([]algorithmInfo, 0, len(all))
	for _, a := range all {
		st := a.Pool.Status()
		out = append(out, algorithmInfo{
			Algorithm: a.Owner + "/" + a.Name, Version: a.Version.String(), BuildHash: a.BuildHash,
			LangPack: a.LangPack, State: st.State, Runners: st.Ready, Busy: st.Busy, Starting: st.Starting, Queued: st.Queued,
			LastLoadError: st.LastLoadError,
		})
	}
	body, err := json.Marshal(map[string]any{"algorithms": out})
	if err != nil {
		platformError(w, http.StatusInternalServerError, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, []byte(`{"status":"alive"}`))
}

// readyz is ready when every algorithm has a warm runner, and the server
// is not shutting down.
func (s *Server) readyz(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	draining := s.draining
	s.mu.Unlock()
	if draining {
		writeJSON(w, http.StatusServiceUnavailable, []byte(`{"status":"shutting down"}`))
		return
	}
	var waiting []string
	for _, a := range s.options().Registry.All() {
		if st := a.Pool.Status(); st.State != pool.StateReady {
			waiting = append(waiting, fmt.Sprintf("%s/%s@%s (%s)", a.Owner, a.Name, a.Version, st.State))
		}
	}
	if len(waiting) > 0 {
		body, _ := json.Marshal(map[string]any{"status": "not ready", "waiting": waiting})
		writeJSON(w, http.StatusServiceUnavailable, body)
		return
	}
	writeJSON(w, http.StatusOK, []byte(`{"status":"ready"}`))
}

// reload serves POST /-/reload.
func (s *Server) reload(w http.ResponseWriter, r *http.Request) {
	load := s.options().Reload
	if load == nil {
		platformError(w, http.StatusNotFound, "reload is not available: the server was not started from a configuration")
		return
	}
	// A reload runs to its end even if its caller goes away.
	res, err := load(context.WithoutCancel(r.Context()))
	var invalid *InvalidConfigError
	switch {
	case errors.As(err, &invalid):
		body, _ := json.Marshal(map[string]any{"error": map[string]string{"message": invalid.Error(), "diagnostics": invalid.Diagnostics}})
		writeJSON(w, http.StatusBadRequest, body)
	case err != nil:
		platformError(w, http.StatusInternalServerError, "reload failed; the old configuration keeps serving: "+err.Error())
	default:
		body, _ := json.Marshal(map[string]any{"status": "reloaded", "result": res})
		writeJSON(w, http.StatusOK, body)
	}
}
