package pipe

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// equateEmpty treats nil and empty output alike.
var equateEmpty = cmpopts.EquateEmpty()

// equalBytes compares byte slices at once, even megabytes (nil and empty
// alike), where cmp would walk them byte by byte.
var equalBytes = cmp.Comparer(func(a, b []byte) bool { return bytes.Equal(a, b) })

func TestPreInitOutputGoesToFirstRequest(t *testing.T) {
	t.Parallel()
	r := startPy(t, map[string]any{"pre": []act{{"out": "loading\n"}, {"err": "warning\n"}}})
	got := mustCall(t, r, act{"result": 1})
	// Lines of different streams written at once may arrive in either
	// order.
	lines := strings.SplitAfter(string(got.Stdout), "\n")
	slices.Sort(lines)
	if diff := cmp.Diff([]string{"", "loading\n", "warning\n"}, lines); diff != "" {
		t.Errorf("first response's stdout (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff("warning\n", string(got.Stderr)); diff != "" {
		t.Errorf("first response's stderr (-want +got):\n%s", diff)
	}
	got = mustCall(t, r, act{"out": InitMarker + " is ordinary output now\n"}, act{"result": 2})
	if diff := cmp.Diff(InitMarker+" is ordinary output now\n", string(got.Stdout)); diff != "" {
		t.Errorf("second response's stdout (-want +got):\n%s", diff)
	}
}

func TestInitMarkerIsASubstring(t *testing.T) {
	t.Parallel()
	r := start(t, Config{Command: shellRunner(t, `
echo before
echo '[1] "PIPE_INIT_COMPLETE"'
while read -r line; do
	echo "got request"
	printf '{"result": "ok", "metadata": {"content_type": "text"}}' > "$ALGOOUT"
done
`)})
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	got, err := r.Call(ctx, []byte(`{"content_type":"text","data":"x"}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := &Response{Result: json.RawMessage(`"ok"`), ContentType: "text", Stdout: []byte("before\ngot request\n")}
	if diff := cmp.Diff(want, got, equateEmpty); diff != "" {
		t.Errorf("response (-want +got):\n%s", diff)
	}
}

func TestLoadFailure(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cfg     Config
		want    *LoadError
		message string
	}{{
		name: "exits",
		cfg: Config{Command: pyRunner(t, map[string]any{"pre": []act{
			{"err": "loading\n"}, {"err": "ImportError: no module\n"}, {"exit": 3},
		}})},
		want:    &LoadError{ExitCode: 3, Output: []byte("loading\nImportError: no module\n")},
		message: "runner exited with code 3 before printing PIPE_INIT_COMPLETE; output:\nloading\nImportError: no module",
	}, {
		name:    "killed by a signal",
		cfg:     Config{Command: shellRunner(t, "echo dying\nkill -9 $$\n")},
		want:    &LoadError{ExitCode: -99, Output: []byte("dying\n")},
		message: "runner exited with code -99 before printing PIPE_INIT_COMPLETE; output:\ndying",
	}, {
		name:    "times out",
		cfg:     Config{Command: shellRunner(t, "echo loading forever\nsleep 60\n"), LoadTimeout: time.Second},
		want:    &LoadError{ExitCode: -99, TimedOut: true, Timeout: time.Second, Output: []byte("loading forever\n")},
		message: "runner did not print PIPE_INIT_COMPLETE within the load timeout (1s); output:\nloading forever",
	}, {
		name:    "no output",
		cfg:     Config{Command: []string{"false"}},
		want:    &LoadError{ExitCode: 1},
		message: "runner exited with code 1 before printing PIPE_INIT_COMPLETE (no output)",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := Start(context.Background(), tt.cfg)
			var got *LoadError
			if !errors.As(err, &got) {
				t.Fatalf("Start = %v, %v; want a *LoadError", r, err)
			}
			if diff := cmp.Diff(tt.want, got, equateEmpty); diff != "" {
				t.Errorf("LoadError (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.message, got.Error()); diff != "" {
				t.Errorf("message (-want +got):\n%s", diff)
			}
		})
	}
}

func TestStartErrors(t *testing.T) {
	t.Parallel()
	t.Run("context ends", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		_, err := Start(ctx, Config{Command: []string{"sleep", "60"}})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Start = %v, want DeadlineExceeded", err)
		}
	})
	t.Run("no such command", func(t *testing.T) {
		t.Parallel()
		_, err := Start(context.Background(), Config{Command: []string{"no-such-runner-anywhere"}})
		if err == nil || !strings.Contains(err.Error(), "no-such-runner-anywhere") {
			t.Errorf("Start = %v, want a not found error", err)
		}
	})
	t.Run("empty command", func(t *testing.T) {
		t.Parallel()
		if _, err := Start(context.Background(), Config{}); err == nil {
			t.Error("Start succeeded")
		}
	})
}

func TestEnvironmentAndDirectory(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	r := start(t, Config{
		Command: shellRunner(t, `
echo PIPE_INIT_COMPLETE
while read -r line; do
	printf '{"result": "%s %s %s", "metadata": {"content_type": "text"}}' "$PWD" "$GREETING" "$ALGOOUT" > "$ALGOOUT"
done
`),
		Dir: dir,
		Env: []string{"GREETING=hello", "ALGOOUT=/wrong", "PATH=" + os.Getenv("PATH")},
	})
	resp := mustCall(t, r)
	var got string
	if err := json.Unmarshal(resp.Result, &got); err != nil {
		t.Fatal(err)
	}
	fields := strings.Fields(got)
	if len(fields) != 3 || fields[0] != dir || fields[1] != "hello" || !strings.HasSuffix(fields[2], "/algoout") || fields[2] == "/wrong" {
		t.Errorf("runner saw %q, want %q, GREETING and a private ALGOOUT", got, dir)
	}
	fi, err := os.Stat(strings.TrimSuffix(fields[2], "/algoout"))
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("FIFO directory: %v, %v; want mode 0700", fi, err)
	}
	if _, err := r.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(fields[2]); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("FIFO left behind: %v", err)
	}
}

func TestRequestsShareTheRunner(t *testing.T) {
	t.Parallel()
	r := startPy(t, nil)
	for i := range 5 {
		resp := mustCall(t, r, act{"pid": true})
		if got, want := string(resp.Result), strconv.Itoa(r.PID()); got != want {
			t.Fatalf("request %d served by pid %s, want %s", i, got, want)
		}
	}
	resp := mustCall(t, r, act{"echo": true})
	var echoed map[string]any
	if err := json.Unmarshal(resp.Result, &echoed); err != nil || echoed["content_type"] != "json" {
		t.Errorf("runner received %s, %v", resp.Result, err)
	}
}

func TestResponseForms(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("0123456789abcdef", 5<<20/16) // 5 MiB
	tests := []struct {
		name    string
		actions []act
		want    *Response
	}{
		{"open and close", []act{{"result": "a"}}, &Response{Result: json.RawMessage(`"a"`), ContentType: "json"}},
		{"kept open", []act{{"mode": "keep"}, {"result": "a"}, {"mode": "close"}}, &Response{Result: json.RawMessage(`"a"`), ContentType: "json"}},
		{"kept open without newline", []act{{"mode": "keep-nonl"}, {"result": "a"}, {"mode": "close"}}, &Response{Result: json.RawMessage(`"a"`), ContentType: "json"}},
		{"in chunks", []act{{"mode": "chunks"}, {"result": map[string]any{"x": []any{1, "}{\\\""}}}, {"mode": "close"}}, &Response{Result: json.RawMessage(`{"x": [1, "}{\\\""]}`), ContentType: "json"}},
		{"without newline", []act{{"mode": "nonl"}, {"result": "a"}, {"mode": "close"}}, &Response{Result: json.RawMessage(`"a"`), ContentType: "json"}},
		{"multi-megabyte", []act{{"result": big}}, &Response{Result: json.RawMessage(`"` + big + `"`), ContentType: "json"}},
		{"null result", []act{{"raw": `{"result": null, "metadata": {"content_type": "json"}}`}}, &Response{Result: json.RawMessage(`null`), ContentType: "json"}},
		{"unknown content type", []act{{"raw": ` {"metadata": {"content_type": "image/png"}, "result": "aGk="} `}}, &Response{Result: json.RawMessage(`"aGk="`), ContentType: "image/png"}},
		{"algorithm error", []act{{"respond": map[string]any{"error": map[string]any{"message": "boom", "error_type": "ValueError", "stacktrace": "line 1"}}}},
			&Response{Error: &AlgorithmError{Message: "boom", ErrorType: "ValueError", Stacktrace: "line 1"}}},
		{"algorithm error defaults", []act{{"raw": `{"error": {"message": {"code": 7}, "error_type": 3}}`}},
			&Response{Error: &AlgorithmError{Message: `{"code": 7}`, ErrorType: "AlgorithmError"}}},
	}
	r := startPy(t, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustCall(t, r, tt.actions...)
			if diff := cmp.Diff(tt.want, got, equalBytes); diff != "" {
				if len(diff) > 2000 {
					diff = diff[:2000]
				}
				t.Errorf("response (-want +got):\n%s", diff)
			}
		})
	}
}

func TestOutputCapture(t *testing.T) {
	t.Parallel()
	// The runner waits for the test to see each line before it prints the
	// next, so the merged order is certain.
	dir := t.TempDir()
	r := startPy(t, nil)
	var lines []Line
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	got, err := r.Call(ctx, requestLine(t,
		act{"out": "one\n"}, act{"await": dir + "/one"},
		act{"err": "two\n"}, act{"await": dir + "/two"},
		act{"out": "three\nunfinished"}, act{"result": 1},
		act{"await": dir + "/answered"}, act{"out": "between\n"},
		act{"await": dir + "/between"}, act{"err": "requests\n"},
	), func(l Line) {
		lines = append(lines, l)
		touch(t, dir+"/"+string(l.Text))
	})
	if err != nil {
		t.Fatal(err)
	}
	want := &Response{
		Result:      json.RawMessage("1"),
		ContentType: "json",
		Stdout:      []byte("one\ntwo\nthree\nunfinished"),
		Stderr:      []byte("two\n"),
	}
	if diff := cmp.Diff(want, got, equateEmpty); diff != "" {
		t.Errorf("response (-want +got):\n%s", diff)
	}
	wantLines := []Line{{Stdout, []byte("one")}, {Stderr, []byte("two")}, {Stdout, []byte("three")}, {Stdout, []byte("unfinished")}}
	if diff := cmp.Diff(wantLines, lines); diff != "" {
		t.Errorf("lines (-want +got):\n%s", diff)
	}

	touch(t, dir+"/answered")
	waitFor(t, func() bool { out, _ := r.PendingOutput(); return len(out) == len("between\n") })
	touch(t, dir+"/between")
	waitFor(t, func() bool { out, _ := r.PendingOutput(); return len(out) == len("between\nrequests\n") })
	stdout, stderr := r.PendingOutput()
	if got, want := string(stdout)+"|"+string(stderr), "between\nrequests\n|requests\n"; got != want {
		t.Errorf("PendingOutput = %q, want %q", got, want)
	}
	got = mustCall(t, r, act{"out": "next\n"}, act{"result": 2})
	if diff := cmp.Diff("between\nrequests\nnext\n", string(got.Stdout)); diff != "" {
		t.Errorf("next request's stdout (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff("requests\n", string(got.Stderr)); diff != "" {
		t.Errorf("next request's stderr (-want +got):\n%s", diff)
	}
}

// waitFor polls cond until it holds.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition never met")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestOutputBeforeResponseIsNeverLate(t *testing.T) {
	t.Parallel()
	r := startPy(t, map[string]any{})
	for i := range 200 {
		resp := mustCall(t, r, act{"out": fmt.Sprintf("out %d\n", i)}, act{"err": fmt.Sprintf("err %d\n", i)}, act{"result": i})
		lines := strings.SplitAfter(string(resp.Stdout), "\n")
		slices.Sort(lines)
		want := []string{"", fmt.Sprintf("err %d\n", i), fmt.Sprintf("out %d\n", i)}
		if diff := cmp.Diff(want, lines); diff != "" {
			t.Fatalf("request %d stdout (-want +got):\n%s", i, diff)
		}
		if got, want := string(resp.Stderr), fmt.Sprintf("err %d\n", i); got != want {
			t.Fatalf("request %d stderr = %q, want %q", i, got, want)
		}
	}
}

func TestConcurrentCallsTakeTurns(t *testing.T) {
	t.Parallel()
	r := startPy(t, nil)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 10 {
				id := fmt.Sprintf("%d-%d", g, i)
				resp, err := call(t, r, act{"out": id + "\n"}, act{"result": id})
				if err != nil {
					t.Error(err)
					return
				}
				if string(resp.Result) != `"`+id+`"` || string(resp.Stdout) != id+"\n" {
					t.Errorf("call %s got %s, %q", id, resp.Result, resp.Stdout)
				}
			}
		})
	}
	wg.Wait()
}

// TestBoundedCapture is not parallel: it measures allocations.
func TestBoundedCapture(t *testing.T) {
	const maxOutput = 64 << 10
	const flood = 50 << 20
	r := start(t, Config{Command: pyRunner(t, nil), MaxOutput: maxOutput})
	marker := fmt.Sprintf("[langserver: output truncated, %d bytes dropped]\n", flood-maxOutput)
	tests := []struct {
		name    string
		actions []act
		want    string
	}{
		{"many lines", []act{{"flood": flood}, {"result": 1}}, strings.Repeat(strings.Repeat("x", 99)+"\n", maxOutput/100) + strings.Repeat("x", maxOutput%100) + "\n" + marker},
		{"one huge line", []act{{"flood_line": flood}, {"result": 1}}, strings.Repeat("x", maxOutput) + "\n" + marker},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lines := 0
			var resp *Response
			var err error
			grew := peakHeap(func() {
				ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
				defer cancel()
				resp, err = r.Call(ctx, requestLine(t, tt.actions...), func(Line) { lines++ })
			})
			if err != nil {
				t.Fatal(err)
			}
			// The flood is 50 MiB; the capture keeps 64 KiB and
			// onLine's copies are garbage at once.
			if grew > 16<<20 {
				t.Errorf("heap grew by %d bytes", grew)
			}
			if diff := cmp.Diff(tt.want, string(resp.Stdout)); diff != "" {
				t.Errorf("stdout (-want +got):\n%.2000s", diff)
			}
			if lines == 0 {
				t.Error("onLine never called")
			}
		})
	}
}

func TestExitDuringRequest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		command []string
		actions []act
		want    *ExitError
	}{{
		name:    "exit status",
		command: pyRunner(t, nil),
		actions: []act{{"out": "about to fail\n"}, {"err": "partial"}, {"exit": 3}},
		want:    &ExitError{Code: 3, Stdout: []byte("about to fail\npartial"), Stderr: []byte("partial")},
	}, {
		name:    "killed",
		command: shellRunner(t, "echo PIPE_INIT_COMPLETE\nread -r line\necho bye\nkill -9 $$\n"),
		want:    &ExitError{Code: -99, Stdout: []byte("bye\n")},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := start(t, Config{Command: tt.command})
			_, err := call(t, r, tt.actions...)
			var got *ExitError
			if !errors.As(err, &got) {
				t.Fatalf("Call = %v, want *ExitError", err)
			}
			if diff := cmp.Diff(tt.want, got, equateEmpty); diff != "" {
				t.Errorf("ExitError (-want +got):\n%s", diff)
			}
			if got, want := err.Error(), fmt.Sprintf("exited with code %d", tt.want.Code); got != want {
				t.Errorf("message %q, want %q", got, want)
			}
			waitDone(t, r)
			if got := r.ExitCode(); got != tt.want.Code {
				t.Errorf("ExitCode = %d, want %d", got, tt.want.Code)
			}
			if _, err := call(t, r); !errors.Is(err, ErrStopped) {
				t.Errorf("Call after exit = %v, want ErrStopped", err)
			}
		})
	}
}

func TestExitBetweenRequests(t *testing.T) {
	t.Parallel()
	answered := filepath.Join(t.TempDir(), "answered")
	r := startPy(t, nil)
	mustCall(t, r, act{"result": 1}, act{"await": answered}, act{"out": "last words"}, act{"exit": 4})
	touch(t, answered)
	waitDone(t, r)
	stdout, _ := r.PendingOutput()
	if r.ExitCode() != 4 || string(stdout) != "last words" {
		t.Errorf("exit code %d, pending output %q", r.ExitCode(), stdout)
	}
	if _, err := call(t, r); !errors.Is(err, ErrStopped) {
		t.Errorf("Call after exit = %v, want ErrStopped", err)
	}
}

func TestFault(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		raw    string
		reason string
	}{
		{"garbage", "hello world\n", `expected {"result":..., "metadata":{"content_type":...}} or {"error":{...}}, got hello world`},
		{"bare result", `{"result": 1}`, `expected {"result":..., "metadata":{"content_type":...}} or {"error":{...}}, got {"result": 1} (no "metadata" object with a string "content_type")`},
		{"flat content type", `{"result": 1, "content_type": "json"}`, `expected {"result":..., "metadata":{"content_type":...}} or {"error":{...}}, got {"result": 1, "content_type": "json"} (no "metadata" object with a string "content_type")`},
		{"array", `[1, 2]`, `expected {"result":..., "metadata":{"content_type":...}} or {"error":{...}}, got [1, 2]`},
		{"invalid JSON", `{"result": tru}`, `not valid JSON (invalid character '}' in literal true (expecting 'e')), got {"result": tru}`},
		{"error not an object", `{"error": "boom"}`, `expected {"result":..., "metadata":{"content_type":...}} or {"error":{...}}, got {"error": "boom"} ("error" is not an object)`},
		{"both", `{"error": {}, "result": 1, "metadata": {"content_type": "json"}}`, `expected {"result":..., "metadata":{"content_type":...}} or {"error":{...}}, got {"error": {}, "result": 1, "metadata": {"content_type": "json"}} (both "result" and "error")`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := startPy(t, nil)
			_, err := call(t, r, act{"out": "printed\n"}, act{"raw": tt.raw}, act{"sleep": 60})
			var got *FaultError
			if !errors.As(err, &got) {
				t.Fatalf("Call = %v, want *FaultError", err)
			}
			want := &FaultError{Reason: tt.reason, Stdout: []byte("printed\n")}
			if diff := cmp.Diff(want, got, equateEmpty); diff != "" {
				t.Errorf("FaultError (-want +got):\n%s", diff)
			}
			if !strings.HasPrefix(err.Error(), "runner wrote an invalid response to its FIFO: ") {
				t.Errorf("message %q", err)
			}
			waitDone(t, r)
		})
	}
}

func TestFaultQuotesLittle(t *testing.T) {
	t.Parallel()
	r := startPy(t, nil)
	_, err := call(t, r, act{"raw": "\x01" + strings.Repeat("é", 1000)})
	var fault *FaultError
	if !errors.As(err, &fault) {
		t.Fatalf("Call = %v, want *FaultError", err)
	}
	if len(fault.Reason) > 400 || !strings.Contains(fault.Reason, `got "\x01éé`) || !strings.HasSuffix(fault.Reason, "... (2001 bytes)") {
		t.Errorf("reason %q", fault.Reason)
	}
}

func TestFIFOWrittenBetweenRequests(t *testing.T) {
	t.Parallel()
	answered := filepath.Join(t.TempDir(), "answered")
	r := startPy(t, nil)
	mustCall(t, r, act{"result": 1}, act{"await": answered}, act{"raw": `{"result": 2}`})
	touch(t, answered)
	waitDone(t, r)
	_, err := call(t, r)
	var fault *FaultError
	if !errors.Is(err, ErrStopped) || !errors.As(err, &fault) {
		t.Fatalf("Call = %v, want ErrStopped wrapping a *FaultError", err)
	}
	if want := `data while no request was in flight, got {"result": 2}`; fault.Reason != want {
		t.Errorf("reason %q, want %q", fault.Reason, want)
	}
}

func TestCallContextKillsProcessGroup(t *testing.T) {
	t.Parallel()
	r := startPy(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	child := make(chan int, 1)
	_, err := r.Call(ctx, requestLine(t, act{"spawn": []string{"sleep", "60"}}, act{"sleep": 60}), func(l Line) {
		if pid, ok := strings.CutPrefix(string(l.Text), "child "); ok {
			n, _ := strconv.Atoi(pid)
			child <- n
		}
	})
	var canceled *CanceledError
	if !errors.Is(err, context.DeadlineExceeded) || !errors.As(err, &canceled) {
		t.Fatalf("Call = %v, want a CanceledError for DeadlineExceeded", err)
	}
	if !bytes.HasPrefix(canceled.Stdout, []byte("child ")) {
		t.Errorf("output of the abandoned request %q", canceled.Stdout)
	}
	waitDone(t, r)
	if r.ExitCode() != -99 {
		t.Errorf("ExitCode = %d, want -99", r.ExitCode())
	}
	var pid int
	select {
	case pid = <-child:
	default:
		t.Fatal("onLine did not get the grandchild's pid")
	}
	waitFor(t, func() bool { return !alive(pid) })
	if _, err := call(t, r); !errors.Is(err, ErrStopped) {
		t.Errorf("Call after the kill = %v, want ErrStopped", err)
	}
}

// alive reports whether pid is a process that has not exited; a zombie
// waiting for its new parent to reap it is dead.
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(stat, ')')
	return i < 0 || !bytes.HasPrefix(stat[i:], []byte(") Z"))
}

func TestStop(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		settings map[string]any
		want     int
		minTime  time.Duration
	}{
		{"exits on EOF", map[string]any{"eof_exit": 7}, 7, 0},
		{"ignores EOF", map[string]any{"ignore_eof": true}, -99, 300 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := Start(context.Background(), Config{Command: pyRunner(t, tt.settings), StopGrace: 300 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			began := time.Now()
			code, err := r.Stop(context.Background())
			took := time.Since(began)
			if err != nil || code != tt.want {
				t.Errorf("Stop = %d, %v; want %d", code, err, tt.want)
			}
			if took < tt.minTime || took > 3*time.Second {
				t.Errorf("Stop took %v", took)
			}
			if code, err := r.Stop(context.Background()); err != nil || code != tt.want {
				t.Errorf("second Stop = %d, %v; want %d", code, err, tt.want)
			}
			if _, err := call(t, r); !errors.Is(err, ErrStopped) {
				t.Errorf("Call after Stop = %v, want ErrStopped", err)
			}
		})
	}
}

func TestStopDuringCall(t *testing.T) {
	t.Parallel()
	r, err := Start(context.Background(), Config{Command: pyRunner(t, nil), StopGrace: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			_, err := call(t, r, act{"sleep": 60})
			errs <- err
		}()
	}
	time.Sleep(100 * time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if code, err := r.Stop(ctx); err != nil || code != -99 {
		t.Errorf("Stop = %d, %v; want -99", code, err)
	}
	for range 2 {
		err := <-errs
		var exit *ExitError
		if !errors.Is(err, ErrStopped) && !errors.As(err, &exit) {
			t.Errorf("Call = %v, want ErrStopped or *ExitError", err)
		}
	}
}

func TestCallContextAlreadyDone(t *testing.T) {
	t.Parallel()
	r := startPy(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := r.Call(ctx, requestLine(t, act{"result": 1}), nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("Call = %v, want Canceled", err)
	}
	// The request never reached the runner: it still serves.
	mustCall(t, r, act{"result": 1})
}

func TestLegacyFIFO(t *testing.T) {
	if _, err := os.Stat("/tmp"); err != nil {
		t.Skip("no /tmp")
	}
	t.Parallel()
	script := shellRunner(t, `
echo "ALGOOUT=$ALGOOUT"
echo PIPE_INIT_COMPLETE
while read -r line; do
	printf '{"result": %d, "metadata": {"content_type": "json"}}' $$ > /tmp/algoout
done
`)
	cfg := Config{Command: script, LegacyFIFO: true, StopGrace: time.Second}
	first := start(t, cfg)
	resp := mustCall(t, first)
	if got, want := string(resp.Result), strconv.Itoa(first.PID()); got != want {
		t.Errorf("result %s, want %s", got, want)
	}
	if got := string(resp.Stdout); got != "ALGOOUT=/tmp/algoout\n" {
		t.Errorf("stdout %q", got)
	}

	second := make(chan *Runner, 1)
	go func() {
		r, err := Start(context.Background(), cfg)
		if err != nil {
			t.Error(err)
		}
		second <- r
	}()
	select {
	case <-second:
		t.Fatal("a second legacy runner started while the first runs")
	case <-time.After(300 * time.Millisecond):
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := Start(ctx, cfg); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Start waiting for the lock = %v, want DeadlineExceeded", err)
	}
	if _, err := first.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	r := <-second
	if r == nil {
		return
	}
	defer r.Stop(context.Background())
	resp = mustCall(t, r)
	if got, want := string(resp.Result), strconv.Itoa(r.PID()); got != want {
		t.Errorf("second runner's result %s, want %s", got, want)
	}
}

func TestResponseTooLarge(t *testing.T) {
	t.Parallel()
	// Larger than the pipe holds (the runner blocks writing it), and small
	// enough to arrive whole in one read.
	for _, size := range []int{1 << 20, 4000} {
		t.Run(strconv.Itoa(size), func(t *testing.T) {
			t.Parallel()
			r := start(t, Config{Command: pyRunner(t, nil), MaxResponse: 1024})
			_, err := call(t, r, act{"result": strings.Repeat("x", size)}, act{"sleep": 60})
			var fault *FaultError
			if !errors.As(err, &fault) || !strings.HasPrefix(fault.Reason, "response larger than the limit of 1024 bytes (max_result), got {") {
				t.Fatalf("Call = %v, want a *FaultError for the size", err)
			}
			waitDone(t, r)
		})
	}
}
