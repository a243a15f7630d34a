package pipetest

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/langserver/langserver/sdk/pipe"
)

// Timeout bounds the wait for a runner to load in Start, and for each
// request of the Check functions.
const Timeout = time.Minute

// Folder writes files (contents by slash-separated path, relative to the
// folder) into a new temporary folder, removed when the test ends, and
// returns it.
func Folder(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// Start starts a runner with cfg, waiting at most Timeout for it to load,
// and stops it when the test ends. Its error is pipe.Start's: a
// *pipe.LoadError when the runner failed to load.
func Start(t testing.TB, cfg pipe.Config) (*pipe.Runner, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	r, err := pipe.Start(ctx, cfg)
	if err == nil {
		t.Cleanup(func() { _, _ = r.Stop(context.Background()) })
	}
	return r, err
}

// Text returns the request line that sends s as text.
func Text(s string) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(map[string]string{"content_type": "text", "data": s}) // a map of strings always encodes
	return strings.TrimSuffix(b.String(), "\n")
}

// Result is a request and the result a runner should answer it with.
type Result struct {
	// Request is one compact JSON line: {"content_type":...,"data":...}.
	Request string
	// Result is the result JSON, compared verbatim.
	Result      string
	ContentType string
}

// CheckResults sends each request to r in turn and reports each answer
// that is not the result wanted. A request that fails (the runner exits,
// breaks the protocol or times out) ends the test.
func CheckResults(t testing.TB, r *pipe.Runner, want []Result) {
	t.Helper()
	for _, w := range want {
		resp := call(t, r, w.Request)
		if resp.Error != nil || string(resp.Result) != w.Result || resp.ContentType != w.ContentType {
			t.Errorf("%s: got %s (%s), error %+v; want %s (%s)", w.Request, resp.Result, resp.ContentType, resp.Error, w.Result, w.ContentType)
		}
	}
}

// Error is a request and the algorithm error a runner should answer it
// with.
type Error struct {
	Request   string
	Message   string
	ErrorType string
}

// CheckErrors sends each request to r in turn and reports each answer that
// is not the algorithm error wanted. stack, when not nil, checks each
// error's stack trace and says what it wants of it, or "" when it will do.
// A request that fails ends the test.
func CheckErrors(t testing.TB, r *pipe.Runner, want []Error, stack func(stacktrace string) (problem string)) {
	t.Helper()
	for _, w := range want {
		e := call(t, r, w.Request).Error
		if e == nil || e.Message != w.Message || e.ErrorType != w.ErrorType {
			t.Errorf("%s: got error %+v; want %q of type %q", w.Request, e, w.Message, w.ErrorType)
		} else if problem := checkStack(stack, e.Stacktrace); problem != "" {
			t.Errorf("%s: stack trace %q; want %s", w.Request, e.Stacktrace, problem)
		}
	}
}

func checkStack(stack func(string) string, stacktrace string) string {
	if stack == nil {
		return ""
	}
	return stack(stacktrace)
}

func call(t testing.TB, r *pipe.Runner, request string) *pipe.Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	resp, err := r.Call(ctx, []byte(request), nil)
	if err != nil {
		t.Fatalf("%s: %v", request, err)
	}
	return resp
}

// LoadFailure is an algorithm that must fail to load, and a part of what
// its runner prints when it does.
type LoadFailure struct {
	// Name names the subtest.
	Name string
	// Source is the algorithm, handed to the start function.
	Source string
	// Output is a part of the runner's output.
	Output string
}

// CheckLoadFailures runs a subtest for each algorithm of want: start
// starts a runner on its Source (Start does the starting), which must fail
// to load with exitCode, printing Output.
func CheckLoadFailures(t *testing.T, start func(t *testing.T, source string) (*pipe.Runner, error), exitCode int, want []LoadFailure) {
	t.Helper()
	for _, w := range want {
		t.Run(w.Name, func(t *testing.T) {
			_, err := start(t, w.Source)
			var le *pipe.LoadError
			if !errors.As(err, &le) || le.ExitCode != exitCode || !strings.Contains(string(le.Output), w.Output) {
				t.Errorf("got %v; want exit code %d and output containing %q", err, exitCode, w.Output)
			}
		})
	}
}
