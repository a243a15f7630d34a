package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/hashicorp/go-hclog"

	"github.com/langserver/langserver/sdk"
	"github.com/langserver/langserver/supervisor/api"
	"github.com/langserver/langserver/supervisor/jobs"
	"github.com/langserver/langserver/supervisor/pool"
)

// guard bounds every wait of these tests; it is a deadline for a failing
// test, never a way to let something happen.
const guard = 5 * time.Second

// fakePack is an sdk.LangPack whose Call answers from the request: a JSON
// string names a command, anything else is echoed back with its content
// type.
type fakePack struct {
	sdk.LangPack

	tag string
	// gate, when not nil, holds every StartRunner until it is closed.
	gate chan struct{}
	// loadFailure, when not empty, fails every StartRunner.
	loadFailure string
	// held receives a value when a "hold" call starts; the call then
	// waits for release.
	held, release chan struct{}

	mu     sync.Mutex
	n      int
	inputs []string
}

func newFakePack(tag string) *fakePack {
	return &fakePack{tag: tag, held: make(chan struct{}, 1), release: make(chan struct{})}
}

func (f *fakePack) StartRunner(ctx context.Context, _ *sdk.StartRunnerRequest) (*sdk.StartRunnerResponse, error) {
	if f.gate != nil {
		select {
		case <-f.gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if f.loadFailure != "" {
		return &sdk.StartRunnerResponse{LoadFailure: &sdk.LoadFailure{Message: f.loadFailure, ExitCode: 1}}, nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	return &sdk.StartRunnerResponse{RunnerID: fmt.Sprintf("%s-r%d", f.tag, f.n)}, nil
}

func (f *fakePack) StopRunner(context.Context, *sdk.StopRunnerRequest) (*sdk.StopRunnerResponse, error) {
	return &sdk.StopRunnerResponse{}, nil
}

func (f *fakePack) Call(ctx context.Context, req *sdk.CallRequest, _ sdk.OutputFunc) (*sdk.CallResponse, error) {
	f.mu.Lock()
	f.inputs = append(f.inputs, string(req.Input))
	f.mu.Unlock()
	var in struct {
		ContentType string          `json:"content_type"`
		Data        json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(req.Input, &in); err != nil {
		return nil, fmt.Errorf("fake: bad input line %q: %v", req.Input, err)
	}
	var command string
	if in.ContentType == "json" {
		_ = json.Unmarshal(in.Data, &command)
	}
	switch command {
	case "whoami":
		return &sdk.CallResponse{Result: json.RawMessage(strconv.Quote(f.tag)), ContentType: "json"}, nil
	case "spaced":
		return &sdk.CallResponse{Result: json.RawMessage("{ \"n\" :  12345678901234567890,\n \"s\": \"\\u00e9\" }"), ContentType: "json"}, nil
	case "error":
		return &sdk.CallResponse{Error: &sdk.AlgorithmError{Message: "bad input", ErrorType: "ValueError", Stacktrace: "line 1"}, Stdout: []byte("before the error\n")}, nil
	case "crash":
		return &sdk.CallResponse{Failure: &sdk.RunnerFailure{Kind: sdk.FailureExited, Message: "runner exited with code 1", ExitCode: 1}}, nil
	case "block":
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(guard):
			return nil, errors.New("fake: the call's context was never done")
		}
	case "hold":
		f.held <- struct{}{}
		<-f.release
		return &sdk.CallResponse{Result: json.RawMessage(`"released"`), ContentType: "json"}, nil
	}
	return &sdk.CallResponse{Result: in.Data, ContentType: in.ContentType, Stdout: []byte("printed\n"), Stderr: []byte("warned\n")}, nil
}

func (f *fakePack) calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.inputs...)
}

// algoSpec describes one served algorithm version.
type algoSpec struct {
	owner, name, version, hash string
	timeout                    time.Duration
	queue                      int
	pack                       *fakePack
}

func newAlgorithm(t *testing.T, s algoSpec) *api.Algorithm {
	t.Helper()
	v, err := api.ParseVersion(s.version)
	if err != nil {
		t.Fatal(err)
	}
	if s.pack == nil {
		s.pack = newFakePack(s.version)
	}
	if s.timeout == 0 {
		s.timeout = guard
	}
	p := pool.New(pool.Options{
		Name: s.owner + "/" + s.name + "@" + s.version, LangPack: s.pack, Min: 1, Max: 1, Queue: s.queue,
		Logger: hclog.NewNullLogger(),
	})
	t.Cleanup(func() { p.Stop(context.Background()) })
	return &api.Algorithm{Owner: s.owner, Name: s.name, Version: v, BuildHash: s.hash, LangPack: "fake", Timeout: s.timeout, Pool: p}
}

// standardAlgos serves own/algo 1.0.0 and 2.0.0 and own/quick, whose
// default timeout is 40ms.
func standardAlgos(t *testing.T) []*api.Algorithm {
	return []*api.Algorithm{
		newAlgorithm(t, algoSpec{owner: "own", name: "algo", version: "1.0.0", hash: "abcdef0123", queue: 4}),
		newAlgorithm(t, algoSpec{owner: "own", name: "algo", version: "2.0.0", hash: "0123456789", queue: 4}),
		newAlgorithm(t, algoSpec{owner: "own", name: "quick", version: "1.0.0", hash: "fedcba9876", queue: 4, timeout: 40 * time.Millisecond}),
	}
}

func newServer(algos []*api.Algorithm, opts api.Options) *api.Server {
	opts.Registry = api.NewRegistry(algos)
	if opts.MaxBody == 0 {
		opts.MaxBody = 1 << 20
	}
	if opts.MaxTimeout == 0 {
		opts.MaxTimeout = guard
	}
	opts.Logger = hclog.NewNullLogger()
	return api.New(opts)
}

type request struct {
	method      string // POST when empty
	target      string
	contentType string
	body        string
	header      map[string]string
}

func serve(t *testing.T, h http.Handler, r request) *httptest.ResponseRecorder {
	t.Helper()
	method := r.method
	if method == "" {
		method = http.MethodPost
	}
	req := httptest.NewRequest(method, r.target, strings.NewReader(r.body))
	if r.contentType != "" {
		req.Header.Set("Content-Type", r.contentType)
	}
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

var durationRE = regexp.MustCompile(`"duration":([^,}]*)`)

// jsonAnswer checks that rec is a JSON answer and returns its body with
// the metadata's duration, once checked, replaced by 0.
func jsonAnswer(t *testing.T, rec *httptest.ResponseRecorder) string {
	t.Helper()
	if got := rec.Header().Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", got)
	}
	body := rec.Body.String()
	if !json.Valid([]byte(body)) {
		t.Errorf("invalid JSON body: %s", body)
	}
	return durationRE.ReplaceAllStringFunc(body, func(m string) string {
		d, err := strconv.ParseFloat(durationRE.FindStringSubmatch(m)[1], 64)
		if err != nil || d < 0 || d > guard.Seconds() {
			t.Errorf("bad duration in %s", m)
		}
		return `"duration":0`
	})
}

func TestCall(t *testing.T) {
	const algo = "/v1/algo/own/algo"
	tests := []struct {
		name       string
		req        request
		wantStatus int
		want       string
	}{
		{
			name:       "json result",
			req:        request{target: algo, contentType: "application/json", body: `{"a": [1, 2]}`},
			wantStatus: http.StatusOK,
			want:       `{"result":{"a":[1,2]},"metadata":{"content_type":"json","duration":0}}`,
		},
		{
			name:       "result is spliced verbatim",
			req:        request{target: algo, contentType: "application/json", body: `"spaced"`},
			wantStatus: http.StatusOK,
			want:       "{\"result\":{ \"n\" :  12345678901234567890,\n \"s\": \"\\u00e9\" },\"metadata\":{\"content_type\":\"json\",\"duration\":0}}",
		},
		{
			name:       "text result",
			req:        request{target: algo, contentType: "text/plain; charset=utf-8", body: "héllo"},
			wantStatus: http.StatusOK,
			want:       `{"result":"héllo","metadata":{"content_type":"text","duration":0}}`,
		},
		{
			name:       "binary result",
			req:        request{target: algo, contentType: "application/octet-stream", body: "\x00\x01\xff"},
			wantStatus: http.StatusOK,
			want:       `{"result":"AAH/","metadata":{"content_type":"binary","duration":0}}`,
		},
		{
			name:       "stdout=true",
			req:        request{target: algo + "?stdout=true", contentType: "application/json", body: `1`},
			wantStatus: http.StatusOK,
			want:       `{"result":1,"metadata":{"content_type":"json","duration":0,"stdout":"printed\n"}}`,
		},
		{
			name:       "stdout=1",
			req:        request{target: algo + "?stdout=1", contentType: "application/json", body: `1`},
			wantStatus: http.StatusOK,
			want:       `{"result":1,"metadata":{"content_type":"json","duration":0,"stdout":"printed\n"}}`,
		},
		{
			name:       "stdout=TRUE",
			req:        request{target: algo + "?stdout=TRUE", contentType: "application/json", body: `1`},
			wantStatus: http.StatusOK,
			want:       `{"result":1,"metadata":{"content_type":"json","duration":0,"stdout":"printed\n"}}`,
		},
		{
			name:       "stdout=false",
			req:        request{target: algo + "?stdout=false", contentType: "application/json", body: `1`},
			wantStatus: http.StatusOK,
			want:       `{"result":1,"metadata":{"content_type":"json","duration":0}}`,
		},
		{
			name:       "stdout=0",
			req:        request{target: algo + "?stdout=0", contentType: "application/json", body: `1`},
			wantStatus: http.StatusOK,
			want:       `{"result":1,"metadata":{"content_type":"json","duration":0}}`,
		},
		{
			name:       "output=default",
			req:        request{target: algo + "?output=default", contentType: "application/json", body: `1`},
			wantStatus: http.StatusOK,
			want:       `{"result":1,"metadata":{"content_type":"json","duration":0}}`,
		},
		{
			name:       "algorithm error",
			req:        request{target: algo, contentType: "application/json", body: `"error"`},
			wantStatus: http.StatusOK,
			want:       `{"error":{"message":"bad input","error_type":"ValueError","stacktrace":"line 1"},"metadata":{"duration":0}}`,
		},
		{
			name:       "algorithm error with stdout",
			req:        request{target: algo + "?stdout=true", contentType: "application/json", body: `"error"`},
			wantStatus: http.StatusOK,
			want:       `{"error":{"message":"bad input","error_type":"ValueError","stacktrace":"line 1"},"metadata":{"duration":0,"stdout":"before the error\n"}}`,
		},
		{
			name:       "algorithm error is not raw",
			req:        request{target: algo + "?output=raw", contentType: "application/json", body: `"error"`},
			wantStatus: http.StatusOK,
			want:       `{"error":{"message":"bad input","error_type":"ValueError","stacktrace":"line 1"},"metadata":{"duration":0}}`,
		},
		{
			name:       "runner failure",
			req:        request{target: algo, contentType: "application/json", body: `"crash"`},
			wantStatus: http.StatusOK,
			want:       `{"error":{"message":"runner exited with code 1","error_type":"SystemExit"},"metadata":{"duration":0}}`,
		},
		{
			name:       "timeout",
			req:        request{target: algo + "?timeout=0.05", contentType: "application/json", body: `"block"`},
			wantStatus: http.StatusOK,
			want:       `{"error":{"message":"algorithm did not complete within 0.05 seconds","error_type":"TimeoutError"},"metadata":{"duration":0}}`,
		},
		{
			name:       "timeout is capped by max_timeout",
			req:        request{target: "/v1/algo/own/quick?timeout=100", contentType: "application/json", body: `"block"`},
			wantStatus: http.StatusOK,
			want:       `{"error":{"message":"algorithm did not complete within 0.06 seconds","error_type":"TimeoutError"},"metadata":{"duration":0}}`,
		},
		{
			name:       "algorithm's own timeout",
			req:        request{target: "/v1/algo/own/quick", contentType: "application/json", body: `"block"`},
			wantStatus: http.StatusOK,
			want:       `{"error":{"message":"algorithm did not complete within 0.04 seconds","error_type":"TimeoutError"},"metadata":{"duration":0}}`,
		},
		{
			name:       "body of exactly max_body",
			req:        request{target: algo, contentType: "text/plain", body: strings.Repeat("x", 64)},
			wantStatus: http.StatusOK,
			want:       `{"result":"` + strings.Repeat("x", 64) + `","metadata":{"content_type":"text","duration":0}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(standardAlgos(t), api.Options{MaxBody: 64, MaxTimeout: 60 * time.Millisecond})
			rec := serve(t, srv, tt.req)
			if rec.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			if diff := cmp.Diff(tt.want, jsonAnswer(t, rec)); diff != "" {
				t.Errorf("body mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRunnerIsReplacedAfterFailure(t *testing.T) {
	tests := []struct{ name, target, body string }{
		{"runner failure", "/v1/algo/own/algo", `"crash"`},
		{"timeout", "/v1/algo/own/algo?timeout=0.01", `"block"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pack := newFakePack("2.0.0")
			srv := newServer([]*api.Algorithm{newAlgorithm(t, algoSpec{owner: "own", name: "algo", version: "2.0.0", queue: 1, pack: pack})}, api.Options{})
			if rec := serve(t, srv, request{target: tt.target, contentType: "application/json", body: tt.body}); rec.Code != http.StatusOK {
				t.Fatalf("first call: %d %s", rec.Code, rec.Body)
			}
			rec := serve(t, srv, request{target: "/v1/algo/own/algo", contentType: "application/json", body: `"whoami"`})
			if diff := cmp.Diff(`{"result":"2.0.0","metadata":{"content_type":"json","duration":0}}`, jsonAnswer(t, rec)); diff != "" {
				t.Errorf("call after the failure mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRouting(t *testing.T) {
	tests := []struct {
		name, target string
		want         string // the version that answered
	}{
		{"latest", "/v1/algo/own/algo", "2.0.0"},
		{"exact version", "/v1/algo/own/algo/1.0.0", "1.0.0"},
		{"version prefix", "/v1/algo/own/algo/1.*", "1.0.0"},
		{"build hash", "/v1/algo/own/algo/ABCDEF", "1.0.0"},
		{"numeric build hash", "/v1/algo/own/algo/012345", "2.0.0"},
		{"trailing slash", "/v1/algo/own/algo/", "2.0.0"},
		{"trailing slash after version", "/v1/algo/own/algo/1.0.0/", "1.0.0"},
		{"algo:// in the path", "/v1/algo/algo://own/algo/1.0.0", "1.0.0"},
		{"algo:/ in the path", "/v1/algo/algo:/own/algo", "2.0.0"},
		{"query string", "/v1/algo/own/algo/1.0.0?timeout=1", "1.0.0"},
	}
	srv := newServer(standardAlgos(t), api.Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := serve(t, srv, request{target: tt.target, contentType: "application/json", body: `"whoami"`})
			want := `{"result":"` + tt.want + `","metadata":{"content_type":"json","duration":0}}`
			if diff := cmp.Diff(want, jsonAnswer(t, rec)); diff != "" || rec.Code != http.StatusOK {
				t.Errorf("status %d, body mismatch (-want +got):\n%s", rec.Code, diff)
			}
		})
	}
}

func TestPlatformErrors(t *testing.T) {
	const algo = "/v1/algo/own/algo"
	tests := []struct {
		name       string
		req        request
		wantStatus int
		wantMsg    string
		wantAllow  string
	}{
		{
			name:       "GET on an algorithm",
			req:        request{method: http.MethodGet, target: algo},
			wantStatus: http.StatusMethodNotAllowed,
			wantMsg:    "method GET not allowed: call an algorithm with POST",
			wantAllow:  http.MethodPost,
		},
		{
			name:       "PUT on an algorithm version",
			req:        request{method: http.MethodPut, target: algo + "/1.0.0", contentType: "application/json", body: "1"},
			wantStatus: http.StatusMethodNotAllowed,
			wantMsg:    "method PUT not allowed: call an algorithm with POST",
			wantAllow:  http.MethodPost,
		},
		{
			name:       "unknown algorithm",
			req:        request{target: "/v1/algo/nobody/nothing", contentType: "application/json", body: "1"},
			wantStatus: http.StatusNotFound,
			wantMsg:    "algorithm algo://nobody/nothing not found",
		},
		{
			name:       "unknown version",
			req:        request{target: algo + "/9.9.9", contentType: "application/json", body: "1"},
			wantStatus: http.StatusNotFound,
			wantMsg:    "algorithm algo://own/algo/9.9.9 not found",
		},
		{
			name:       "unknown algorithm through algo://",
			req:        request{target: "/v1/algo/algo://nobody/nothing/", contentType: "application/json", body: "1"},
			wantStatus: http.StatusNotFound,
			wantMsg:    "algorithm algo://nobody/nothing not found",
		},
		{
			name:       "unknown path",
			req:        request{method: http.MethodGet, target: "/nope"},
			wantStatus: http.StatusNotFound,
			wantMsg:    "no such endpoint: GET /nope",
		},
		{
			name:       "too many path segments",
			req:        request{target: algo + "/1.0.0/extra", contentType: "application/json", body: "1"},
			wantStatus: http.StatusNotFound,
			wantMsg:    "no such endpoint: POST /v1/algo/own/algo/1.0.0/extra",
		},
		{
			name:       "no algorithm",
			req:        request{method: http.MethodGet, target: "/v1/algo"},
			wantStatus: http.StatusNotFound,
			wantMsg:    "no such endpoint: GET /v1/algo",
		},
		{
			name:       "invalid timeout",
			req:        request{target: algo + "?timeout=soon", contentType: "application/json", body: "1"},
			wantStatus: http.StatusBadRequest,
			wantMsg:    `invalid timeout "soon": give a positive number of seconds`,
		},
		{
			name:       "zero timeout",
			req:        request{target: algo + "?timeout=0", contentType: "application/json", body: "1"},
			wantStatus: http.StatusBadRequest,
			wantMsg:    `invalid timeout "0": give a positive number of seconds`,
		},
		{
			name:       "negative timeout",
			req:        request{target: algo + "?timeout=-1", contentType: "application/json", body: "1"},
			wantStatus: http.StatusBadRequest,
			wantMsg:    `invalid timeout "-1": give a positive number of seconds`,
		},
		{
			name:       "infinite timeout",
			req:        request{target: algo + "?timeout=inf", contentType: "application/json", body: "1"},
			wantStatus: http.StatusBadRequest,
			wantMsg:    `invalid timeout "inf": give a positive number of seconds`,
		},
		{
			name:       "NaN timeout",
			req:        request{target: algo + "?timeout=NaN", contentType: "application/json", body: "1"},
			wantStatus: http.StatusBadRequest,
			wantMsg:    `invalid timeout "NaN": give a positive number of seconds`,
		},
		{
			name:       "invalid stdout",
			req:        request{target: algo + "?stdout=yes", contentType: "application/json", body: "1"},
			wantStatus: http.StatusBadRequest,
			wantMsg:    `invalid stdout "yes": use true or false`,
		},
		{
			name:       "invalid output",
			req:        request{target: algo + "?output=XML", contentType: "application/json", body: "1"},
			wantStatus: http.StatusBadRequest,
			wantMsg:    `invalid output "XML": use raw, void or default`,
		},
		{
			name:       "body too large",
			req:        request{target: algo, contentType: "text/plain", body: strings.Repeat("x", 65)},
			wantStatus: http.StatusRequestEntityTooLarge,
			wantMsg:    "request body larger than the server's max_body of 64 bytes",
		},
		{
			name:       "unsupported content type",
			req:        request{target: algo, contentType: "image/png", body: "png"},
			wantStatus: http.StatusUnsupportedMediaType,
			wantMsg:    `unsupported Content-Type "image/png": use application/json, text/plain or application/octet-stream`,
		},
		{
			name:       "missing content type",
			req:        request{target: algo, body: "1"},
			wantStatus: http.StatusBadRequest,
			wantMsg:    "missing Content-Type header: use application/json, text/plain or application/octet-stream",
		},
		{
			name:       "invalid JSON",
			req:        request{target: algo, contentType: "application/json", body: "{"},
			wantStatus: http.StatusBadRequest,
			wantMsg:    "invalid JSON in request body: unexpected end of JSON input",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pack := newFakePack("2.0.0")
			srv := newServer([]*api.Algorithm{newAlgorithm(t, algoSpec{owner: "own", name: "algo", version: "2.0.0", queue: 1, pack: pack})}, api.Options{MaxBody: 64})
			rec := serve(t, srv, tt.req)
			if rec.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			want, _ := json.Marshal(map[string]any{"error": map[string]any{"message": tt.wantMsg}})
			if diff := cmp.Diff(string(want), jsonAnswer(t, rec)); diff != "" {
				t.Errorf("body mismatch (-want +got):\n%s", diff)
			}
			if got := rec.Header().Get("Allow"); got != tt.wantAllow {
				t.Errorf("Allow = %q, want %q", got, tt.wantAllow)
			}
			if got := pack.calls(); len(got) != 0 {
				t.Errorf("the algorithm was called with %q", got)
			}
		})
	}
}

func TestUnavailable(t *testing.T) {
	t.Run("load failure", func(t *testing.T) {
		pack := newFakePack("1.0.0")
		pack.loadFailure = "ImportError: no module named numpy"
		a := newAlgorithm(t, algoSpec{owner: "own", name: "broken", version: "1.0.0", queue: 1, pack: pack})
		srv := newServer([]*api.Algorithm{a}, api.Options{})
		rec := serve(t, srv, request{target: "/v1/algo/own/broken", contentType: "application/json", body: "1"})
		if rec.Code != http.StatusServiceUnavailable {
			t.Errorf("status = %d, want 503", rec.Code)
		}
		want := `{"error":{"message":"algorithm failed to load: ImportError: no module named numpy"}}`
		if diff := cmp.Diff(want, jsonAnswer(t, rec)); diff != "" {
			t.Errorf("body mismatch (-want +got):\n%s", diff)
		}
	})
	t.Run("overloaded", func(t *testing.T) {
		pack := newFakePack("1.0.0")
		a := newAlgorithm(t, algoSpec{owner: "own", name: "algo", version: "1.0.0", queue: 0, pack: pack})
		srv := newServer([]*api.Algorithm{a}, api.Options{})
		warmUnqueued(t, a)
		first := make(chan *httptest.ResponseRecorder, 1)
		go func() {
			first <- serve(t, srv, request{target: "/v1/algo/own/algo", contentType: "application/json", body: `"hold"`})
		}()
		recvOrFail(t, pack.held, "the held call")
		rec := serve(t, srv, request{target: "/v1/algo/own/algo", contentType: "application/json", body: "1"})
		if rec.Code != http.StatusServiceUnavailable {
			t.Errorf("status = %d, want 503", rec.Code)
		}
		if diff := cmp.Diff(`{"error":{"message":"too many requests queued for this algorithm"}}`, jsonAnswer(t, rec)); diff != "" {
			t.Errorf("body mismatch (-want +got):\n%s", diff)
		}
		close(pack.release)
		rec = recvOrFail(t, first, "the held call's answer")
		if diff := cmp.Diff(`{"result":"released","metadata":{"content_type":"json","duration":0}}`, jsonAnswer(t, rec)); diff != "" {
			t.Errorf("held call mismatch (-want +got):\n%s", diff)
		}
	})
	t.Run("stopped", func(t *testing.T) {
		a := newAlgorithm(t, algoSpec{owner: "own", name: "algo", version: "1.0.0", queue: 1})
		srv := newServer([]*api.Algorithm{a}, api.Options{})
		a.Pool.Stop(context.Background())
		rec := serve(t, srv, request{target: "/v1/algo/own/algo", contentType: "application/json", body: "1"})
		if rec.Code != http.StatusServiceUnavailable {
			t.Errorf("status = %d, want 503", rec.Code)
		}
		if diff := cmp.Diff(`{"error":{"message":"the algorithm is stopping"}}`, jsonAnswer(t, rec)); diff != "" {
			t.Errorf("body mismatch (-want +got):\n%s", diff)
		}
	})
}

func recvOrFail[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(guard):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// warm waits until the algorithm's pool has served a call, so a runner is up.
func warm(t *testing.T, a *api.Algorithm) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	if _, err := a.Pool.Call(ctx, &sdk.CallRequest{Input: []byte(`{"content_type":"json","data":"warm"}`)}, nil); err != nil {
		t.Fatalf("warming %s/%s: %v", a.Owner, a.Name, err)
	}
}

// warmUnqueued is warm for a pool without a queue, which refuses callers
// until its runner is idle: it retries, yielding, until a call is served.
func warmUnqueued(t *testing.T, a *api.Algorithm) {
	t.Helper()
	deadline := time.Now().Add(guard)
	for {
		_, err := a.Pool.Call(context.Background(), &sdk.CallRequest{Input: []byte(`{"content_type":"json","data":"warm"}`)}, nil)
		if err == nil {
			return
		}
		if !errors.Is(err, pool.ErrOverloaded) || time.Now().After(deadline) {
			t.Fatalf("warming %s/%s: %v", a.Owner, a.Name, err)
		}
		runtime.Gosched()
	}
}

// waitFailed waits until the algorithm's pool has recorded a load failure.
func waitFailed(t *testing.T, a *api.Algorithm) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	var le *pool.LoadError
	if _, err := a.Pool.Call(ctx, &sdk.CallRequest{Input: []byte(`{"content_type":"json","data":1}`)}, nil); !errors.As(err, &le) {
		t.Fatalf("Call on %s/%s = %v, want a load error", a.Owner, a.Name, err)
	}
}

func TestRawOutput(t *testing.T) {
	tests := []struct {
		name, contentType, body string
		wantContentType         string
		wantBody                string
	}{
		{"text", "text/plain", "plain wörds\n", "text/plain; charset=utf-8", "plain wörds\n"},
		{"json", "application/json", `{"a": [1, "x"]}`, "application/json", `{"a":[1,"x"]}`},
		{"json string", "application/json", `"text"`, "application/json", `"text"`},
		{"binary", "application/octet-stream", "\x00\x01\xfe\xff", "application/octet-stream", "\x00\x01\xfe\xff"},
		{"empty binary", "application/octet-stream", "", "application/octet-stream", ""},
	}
	srv := newServer(standardAlgos(t), api.Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := serve(t, srv, request{target: "/v1/algo/own/algo?output=RAW", contentType: tt.contentType, body: tt.body})
			if rec.Code != http.StatusOK {
				t.Errorf("status = %d, want 200", rec.Code)
			}
			if got := rec.Header().Get("Content-Type"); got != tt.wantContentType {
				t.Errorf("Content-Type = %q, want %q", got, tt.wantContentType)
			}
			if diff := cmp.Diff(tt.wantBody, rec.Body.String()); diff != "" {
				t.Errorf("body mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// withJobs returns a server over algos whose output=void calls are jobs in
// a fresh store.
func withJobs(t *testing.T, algos []*api.Algorithm) *api.Server {
	t.Helper()
	opts := api.Options{Registry: api.NewRegistry(algos), MaxBody: 1 << 20, MaxTimeout: guard, Logger: hclog.NewNullLogger()}
	srv := api.New(opts)
	m, err := jobs.Open(jobs.Options{DataDir: t.TempDir(), Executor: srv.JobExecutor(), MaxQueued: 2})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	opts.Jobs = m
	srv.Configure(opts)
	return srv
}

func TestVoidOutput(t *testing.T) {
	pack := newFakePack("1.0.0")
	srv := withJobs(t, []*api.Algorithm{newAlgorithm(t, algoSpec{owner: "own", name: "algo", version: "1.0.0", queue: 2, pack: pack})})
	ids := map[string]bool{}
	for _, body := range []string{`"first"`, `"second"`} {
		rec := serve(t, srv, request{target: "/v1/algo/own/algo?output=void", contentType: "application/json", body: body})
		if rec.Code != http.StatusOK {
			t.Errorf("status = %d, want 200", rec.Code)
		}
		var got struct {
			Async     string `json:"async"`
			RequestID string `json:"request_id"`
		}
		if err := json.Unmarshal([]byte(jsonAnswer(t, rec)), &got); err != nil {
			t.Fatal(err)
		}
		id, ok := strings.CutPrefix(got.RequestID, "req-")
		if _, err := uuid.Parse(id); got.Async != "void" || !ok || err != nil {
			t.Errorf("void answer %s: want async void and request_id req-<uuid>", rec.Body)
		}
		want := `{"async":"void","request_id":"` + got.RequestID + `"}`
		if diff := cmp.Diff(want, rec.Body.String()); diff != "" {
			t.Errorf("body mismatch (-want +got):\n%s", diff)
		}
		if ids[got.RequestID] {
			t.Errorf("request_id %s repeated", got.RequestID)
		}
		ids[got.RequestID] = true
	}
	// The calls run as jobs, in the background.
	for id := range ids {
		deadline := time.Now().Add(guard)
		for {
			rec := serve(t, srv, request{method: http.MethodGet, target: "/v1/jobs/" + id})
			var j jobs.Job
			if err := json.Unmarshal(rec.Body.Bytes(), &j); err != nil {
				t.Fatalf("GET /v1/jobs/%s: %s", id, rec.Body)
			}
			if j.State == jobs.Succeeded {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("job %s: %s", id, rec.Body)
			}
			time.Sleep(time.Millisecond)
		}
	}
	want := []string{`{"content_type":"json","data":"first"}`, `{"content_type":"json","data":"second"}`}
	// The two calls may run in either order.
	got := slices.Sorted(slices.Values(pack.calls()))
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("calls mismatch (-want +got):\n%s", diff)
	}
}

func TestJobRoutes(t *testing.T) {
	srv := withJobs(t, standardAlgos(t))
	tests := []struct {
		name   string
		req    request
		status int
		want   string
	}{
		{"unknown job", request{method: http.MethodGet, target: "/v1/jobs/req-nope"}, 404, `{"error":{"message":"job req-nope not found"}}`},
		{"cancel unknown job", request{method: http.MethodDelete, target: "/v1/jobs/req-nope"}, 404, `{"error":{"message":"job req-nope not found"}}`},
		{"post to a job", request{target: "/v1/jobs/req-nope"}, 405, `{"error":{"message":"method POST not allowed here"}}`},
		{"delete the list", request{method: http.MethodDelete, target: "/v1/jobs"}, 405, `{"error":{"message":"method DELETE not allowed here"}}`},
		{"empty list", request{method: http.MethodGet, target: "/v1/jobs"}, 200, `{"jobs":[]}`},
		{"bad state", request{method: http.MethodGet, target: "/v1/jobs?state=done"}, 400, `{"error":{"message":"invalid state \"done\": use one of queued, running, succeeded, failed, cancelled"}}`},
		{"bad limit", request{method: http.MethodGet, target: "/v1/jobs?limit=0"}, 400, `{"error":{"message":"invalid limit \"0\": give a number from 1 to 1000"}}`},
		{"bad cursor", request{method: http.MethodGet, target: "/v1/jobs?cursor=x"}, 400, `{"error":{"message":"invalid cursor \"x\": pass the next_cursor of an earlier page"}}`},
		{"bad callback URL", request{target: "/v1/algo/own/algo?output=void", contentType: "text/plain", body: "x", header: map[string]string{"X-Callback-Url": "ftp://x"}}, 400,
			`{"error":{"message":"invalid X-Callback-Url \"ftp://x\": give an absolute http or https URL"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := serve(t, srv, tt.req)
			if rec.Code != tt.status || jsonAnswer(t, rec) != tt.want {
				t.Errorf("%d %s, want %d %s", rec.Code, rec.Body, tt.status, tt.want)
			}
		})
	}
}

func TestAuthorization(t *testing.T) {
	const required = `{"error":{"message":"authorization required: send Authorization: Simple \u003capi key\u003e"}}`
	const invalid = `{"error":{"message":"invalid API key"}}`
	const result = `{"result":1,"metadata":{"content_type":"json","duration":0}}`
	tests := []struct {
		name       string
		method     string
		target     string
		auth       string // no header when empty
		wantStatus int
		want       string
	}{
		{"no key", "", "/v1/algo/own/algo", "", http.StatusUnauthorized, required},
		{"wrong key", "", "/v1/algo/own/algo", "Simple nope", http.StatusUnauthorized, invalid},
		{"bare wrong key", "", "/v1/algo/own/algo", "nope", http.StatusUnauthorized, invalid},
		{"key prefix", "", "/v1/algo/own/algo", "Simple secret", http.StatusUnauthorized, invalid},
		{"scheme without key", "", "/v1/algo/own/algo", "Simple", http.StatusUnauthorized, invalid},
		{"Simple", "", "/v1/algo/own/algo", "Simple secret-key", http.StatusOK, result},
		{"simple", "", "/v1/algo/own/algo", "simple secret-key", http.StatusOK, result},
		{"Bearer", "", "/v1/algo/own/algo", "Bearer secret-key", http.StatusOK, result},
		{"bare key", "", "/v1/algo/own/algo", "secret-key", http.StatusOK, result},
		{"extra spaces", "", "/v1/algo/own/algo", "  BEARER   secret-key ", http.StatusOK, result},
		{"second key", "", "/v1/algo/own/algo", "Simple other-key", http.StatusOK, result},
		{"algorithms needs a key", http.MethodGet, "/v1/algorithms", "", http.StatusUnauthorized, required},
		{"unknown path needs a key", http.MethodGet, "/nope", "", http.StatusUnauthorized, required},
		{"healthz needs none", http.MethodGet, "/healthz", "", http.StatusOK, `{"status":"alive"}`},
		{"readyz needs none", http.MethodGet, "/readyz", "", http.StatusOK, `{"status":"ready"}`},
		{"healthz ignores a wrong key", http.MethodGet, "/healthz", "Simple nope", http.StatusOK, `{"status":"alive"}`},
	}
	a := newAlgorithm(t, algoSpec{owner: "own", name: "algo", version: "1.0.0", queue: 2})
	warm(t, a)
	srv := newServer([]*api.Algorithm{a}, api.Options{APIKeys: []string{"secret-key", "other-key"}})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := request{method: tt.method, target: tt.target}
			if tt.method == "" {
				req.contentType, req.body = "application/json", "1"
			}
			if tt.auth != "" {
				req.header = map[string]string{"Authorization": tt.auth}
			}
			rec := serve(t, srv, req)
			if rec.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			if diff := cmp.Diff(tt.want, jsonAnswer(t, rec)); diff != "" {
				t.Errorf("body mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHealthAndReadiness(t *testing.T) {
	slow := newFakePack("1.0.0")
	slow.gate = make(chan struct{})
	broken := newFakePack("0.1.0")
	broken.loadFailure = "SyntaxError: invalid syntax"
	algos := []*api.Algorithm{
		newAlgorithm(t, algoSpec{owner: "own", name: "algo", version: "1.0.0", hash: "abcdef0123", queue: 1}),
		newAlgorithm(t, algoSpec{owner: "own", name: "algo", version: "2.0.0", hash: "0123456789", queue: 1}),
		newAlgorithm(t, algoSpec{owner: "own", name: "slow", version: "1.0.0", hash: "5555555555", queue: 1, pack: slow}),
		newAlgorithm(t, algoSpec{owner: "own", name: "broken", version: "0.1.0", hash: "6666666666", queue: 1, pack: broken}),
	}
	srv := newServer(algos, api.Options{})
	get := func(target string) *httptest.ResponseRecorder {
		return serve(t, srv, request{method: http.MethodGet, target: target})
	}
	warm(t, algos[0])
	warm(t, algos[1])
	waitFailed(t, algos[3])

	if rec := get("/healthz"); rec.Code != http.StatusOK || jsonAnswer(t, rec) != `{"status":"alive"}` {
		t.Errorf("/healthz = %d %s", rec.Code, rec.Body)
	}
	rec := get("/readyz")
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("/readyz status = %d, want 503", rec.Code)
	}
	want := `{"status":"not ready","waiting":["own/broken@0.1.0 (failed)","own/slow@1.0.0 (loading)"]}`
	if diff := cmp.Diff(want, jsonAnswer(t, rec)); diff != "" {
		t.Errorf("/readyz mismatch (-want +got):\n%s", diff)
	}

	rec = get("/v1/algorithms")
	if rec.Code != http.StatusOK {
		t.Errorf("/v1/algorithms status = %d, want 200", rec.Code)
	}
	want = `{"algorithms":[` +
		`{"algorithm":"own/algo","version":"2.0.0","build_hash":"0123456789","langpack":"fake","state":"ready","runners":1,"busy":0,"starting":0,"queued":0},` +
		`{"algorithm":"own/algo","version":"1.0.0","build_hash":"abcdef0123","langpack":"fake","state":"ready","runners":1,"busy":0,"starting":0,"queued":0},` +
		`{"algorithm":"own/broken","version":"0.1.0","build_hash":"6666666666","langpack":"fake","state":"failed","runners":0,"busy":0,"starting":1,"queued":0,"last_load_error":"SyntaxError: invalid syntax"},` +
		`{"algorithm":"own/slow","version":"1.0.0","build_hash":"5555555555","langpack":"fake","state":"loading","runners":0,"busy":0,"starting":1,"queued":0}]}`
	if diff := cmp.Diff(want, jsonAnswer(t, rec)); diff != "" {
		t.Errorf("/v1/algorithms mismatch (-want +got):\n%s", diff)
	}

	// Without the broken algorithm, readiness follows the slow one.
	srv = newServer(algos[:3], api.Options{})
	rec = get("/readyz")
	if diff := cmp.Diff(`{"status":"not ready","waiting":["own/slow@1.0.0 (loading)"]}`, jsonAnswer(t, rec)); diff != "" || rec.Code != http.StatusServiceUnavailable {
		t.Errorf("/readyz while loading: status %d, mismatch (-want +got):\n%s", rec.Code, diff)
	}
	close(slow.gate)
	warm(t, algos[2])
	rec = get("/readyz")
	if diff := cmp.Diff(`{"status":"ready"}`, jsonAnswer(t, rec)); diff != "" || rec.Code != http.StatusOK {
		t.Errorf("/readyz when ready: status %d, mismatch (-want +got):\n%s", rec.Code, diff)
	}

	// An empty server is ready and lists nothing.
	srv = newServer(nil, api.Options{})
	if rec := get("/readyz"); rec.Code != http.StatusOK || jsonAnswer(t, rec) != `{"status":"ready"}` {
		t.Errorf("/readyz of no algorithms = %d %s", rec.Code, rec.Body)
	}
	if rec := get("/v1/algorithms"); rec.Code != http.StatusOK || jsonAnswer(t, rec) != `{"algorithms":[]}` {
		t.Errorf("/v1/algorithms of no algorithms = %d %s", rec.Code, rec.Body)
	}
}

func TestJobsWithoutStore(t *testing.T) {
	srv := newServer(standardAlgos(t), api.Options{})
	for _, req := range []request{
		{method: http.MethodGet, target: "/v1/jobs"},
		{target: "/v1/algo/own/algo?output=void", contentType: "text/plain", body: "x"},
	} {
		rec := serve(t, srv, req)
		want := `{"error":{"message":"asynchronous calls are not available: the server has no job store"}}`
		if rec.Code != http.StatusServiceUnavailable || jsonAnswer(t, rec) != want {
			t.Errorf("%s: %d %s", req.target, rec.Code, rec.Body)
		}
	}
}
