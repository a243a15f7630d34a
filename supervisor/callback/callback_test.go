package callback

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// request is what the test server saw of one delivery attempt.
type request struct {
	Method string
	Body   string
	Header http.Header
}

// recorder is an httptest server that answers each attempt with the next
// status of statuses (the last one repeats) and records what it received.
type recorder struct {
	*httptest.Server
	mu       sync.Mutex
	requests []request
}

func newRecorder(t *testing.T, statuses ...int) *recorder {
	t.Helper()
	r := &recorder{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.requests = append(r.requests, request{Method: req.Method, Body: string(body), Header: req.Header.Clone()})
		n := len(r.requests)
		r.mu.Unlock()
		w.WriteHeader(statuses[min(n, len(statuses))-1])
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *recorder) received() []request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]request(nil), r.requests...)
}

func TestDeliverRetries(t *testing.T) {
	const body = `{"result":1}`
	tests := []struct {
		name         string
		statuses     []int
		attempts     int
		wantAttempts int
		// wantErr lists substrings of the error; nil means success.
		wantErr []string
	}{
		{name: "success first try", statuses: []int{http.StatusOK}, attempts: 3, wantAttempts: 1},
		{name: "any 2xx is success", statuses: []int{http.StatusNoContent}, attempts: 3, wantAttempts: 1},
		{name: "fails twice then succeeds", statuses: []int{500, 502, 200}, attempts: 3, wantAttempts: 3},
		{name: "fails once then succeeds with attempts to spare", statuses: []int{503, 201}, attempts: 5, wantAttempts: 2},
		{
			name:         "all attempts fail",
			statuses:     []int{http.StatusServiceUnavailable},
			attempts:     3,
			wantAttempts: 3,
			wantErr:      []string{"failed 3 times", "503 Service Unavailable"},
		},
		{
			name:         "last failure is reported",
			statuses:     []int{500, 404},
			attempts:     2,
			wantAttempts: 2,
			wantErr:      []string{"failed 2 times", "404 Not Found"},
		},
		{
			name:         "zero attempts means one",
			statuses:     []int{500},
			attempts:     0,
			wantAttempts: 1,
			wantErr:      []string{"failed 1 times", "500 Internal Server Error"},
		},
		{
			name:         "redirect status without location is a failure",
			statuses:     []int{http.StatusMultipleChoices},
			attempts:     2,
			wantAttempts: 2,
			wantErr:      []string{"failed 2 times", "300 Multiple Choices"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newRecorder(t, tt.statuses...)
			err := Deliver(context.Background(), srv.Client(), srv.URL, []byte(body), nil, Policy{Attempts: tt.attempts, Interval: 10 * time.Millisecond})
			if tt.wantErr == nil && err != nil {
				t.Fatalf("Deliver: %v", err)
			}
			if tt.wantErr != nil {
				if err == nil {
					t.Fatal("Deliver succeeded, want an error")
				}
				for _, s := range append(tt.wantErr, srv.URL) {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not mention %q", err, s)
					}
				}
			}
			got := srv.received()
			if len(got) != tt.wantAttempts {
				t.Fatalf("server saw %d attempts, want %d", len(got), tt.wantAttempts)
			}
			for i, r := range got {
				if r.Method != http.MethodPost || r.Body != body {
					t.Errorf("attempt %d: %s with body %q, want POST with %q", i+1, r.Method, r.Body, body)
				}
				if ct := r.Header.Get("Content-Type"); ct != "application/json" {
					t.Errorf("attempt %d: Content-Type %q, want application/json", i+1, ct)
				}
			}
		})
	}
}

func TestDeliverUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	err := Deliver(context.Background(), http.DefaultClient, url, []byte("{}"), nil, Policy{Attempts: 2, Interval: 10 * time.Millisecond})
	if err == nil {
		t.Fatal("Deliver to a closed server succeeded")
	}
	if !strings.Contains(err.Error(), "failed 2 times") {
		t.Errorf("error %q does not count the attempts", err)
	}
}

func TestForwardedHeaders(t *testing.T) {
	tests := []struct {
		name string
		in   http.Header
		want http.Header
	}{
		{
			name: "keeps X-* headers whatever their case, drops the rest",
			in: http.Header{
				"X-Foo":          {"a", "b"},
				"x-bar":          {"c"},
				"X-Request-Id":   {"42"},
				"Authorization":  {"Bearer secret"},
				"Content-Length": {"5"},
				"Content-Type":   {"text/plain"},
				"Cookie":         {"k=v"},
				"Xylophone":      {"not an X- header"},
			},
			want: http.Header{"X-Foo": {"a", "b"}, "x-bar": {"c"}, "X-Request-Id": {"42"}},
		},
		{name: "none", in: http.Header{"Accept": {"*/*"}}, want: http.Header{}},
		{name: "nil", in: nil, want: http.Header{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ForwardedHeaders(tt.in)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ForwardedHeaders mismatch (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("values are copied", func(t *testing.T) {
		in := http.Header{"X-Foo": {"a"}}
		got := ForwardedHeaders(in)
		in["X-Foo"][0] = "changed"
		if diff := cmp.Diff(http.Header{"X-Foo": {"a"}}, got); diff != "" {
			t.Errorf("result shares the request's values (-want +got):\n%s", diff)
		}
	})
}

func TestDeliverForwardsHeaders(t *testing.T) {
	srv := newRecorder(t, http.StatusOK)
	orig := http.Header{
		"X-Foo":         {"a", "b"},
		"x-bar":         {"c"},
		"Authorization": {"Bearer secret"},
		"Content-Type":  {"text/plain"},
	}
	header := ForwardedHeaders(orig)
	// A forwarded Content-Type must not win over application/json either.
	header["Content-Type"] = []string{"text/plain"}
	if err := Deliver(context.Background(), srv.Client(), srv.URL, []byte("{}"), header, Policy{Attempts: 1}); err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	got := srv.received()
	if len(got) != 1 {
		t.Fatalf("server saw %d requests, want 1", len(got))
	}
	h := got[0].Header
	checks := []struct {
		name string
		want []string
	}{
		{"X-Foo", []string{"a", "b"}},
		{"X-Bar", []string{"c"}},
		{"Authorization", nil},
		{"Content-Type", []string{"application/json"}},
		{"Content-Length", []string{"2"}},
	}
	for _, c := range checks {
		if diff := cmp.Diff(c.want, h.Values(c.name)); diff != "" {
			t.Errorf("header %s mismatch (-want +got):\n%s", c.name, diff)
		}
	}
}

func TestDeliverCancel(t *testing.T) {
	tests := []struct {
		name string
		// block makes the server hold the request until the client gives up.
		block bool
	}{
		{name: "while waiting between attempts"},
		{name: "during an attempt", block: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var mu sync.Mutex
			attempts := 0
			release := make(chan struct{})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				mu.Lock()
				attempts++
				mu.Unlock()
				// Cancel once the first attempt has arrived.
				cancel()
				if tt.block {
					select {
					case <-r.Context().Done():
					case <-release:
					}
					return
				}
				w.WriteHeader(http.StatusInternalServerError)
			}))
			defer srv.Close()
			defer close(release) // runs before srv.Close

			start := time.Now()
			// The interval is long: only cancellation can end Deliver quickly.
			err := Deliver(ctx, srv.Client(), srv.URL, []byte("{}"), nil, Policy{Attempts: 5, Interval: time.Minute})
			elapsed := time.Since(start)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("Deliver error = %v, want one wrapping context.Canceled", err)
			}
			if elapsed > 10*time.Second {
				t.Errorf("Deliver took %v after cancellation", elapsed)
			}
			mu.Lock()
			defer mu.Unlock()
			if attempts != 1 {
				t.Errorf("server saw %d attempts, want 1", attempts)
			}
		})
	}
}
