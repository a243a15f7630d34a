package e2e

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// runServer starts `langserver run` on an example algorithm.
func runServer(t testing.TB, env []string, dir string, flags ...string) *server {
	t.Helper()
	return startServer(t, env, append([]string{"run", dir}, flags...)...)
}

func TestRunContentTypes(t *testing.T) {
	s := runServer(t, nil, example("python", "echo"))
	binary := make([]byte, 256)
	for i := range binary {
		binary[i] = byte(i)
	}
	tests := []struct {
		name        string
		header      map[string]string
		body        []byte
		wantResult  any
		wantContent string
	}{
		{"text", map[string]string{"Content-Type": "text/plain"}, []byte("héllo"), "héllo", "text"},
		{"text with charset", map[string]string{"Content-Type": "text/plain; charset=utf-8"}, []byte("x"), "x", "text"},
		{"json object", map[string]string{"Content-Type": "application/json"}, []byte(`{"a": [1, 2, {"b": null}]}`), map[string]any{"a": []any{1.0, 2.0, map[string]any{"b": nil}}}, "json"},
		{"json multi-line", map[string]string{"Content-Type": "application/json"}, []byte("[\n 1,\n 2\n]"), []any{1.0, 2.0}, "json"},
		{"json string", map[string]string{"Content-Type": "application/json"}, []byte(`"quoted"`), "quoted", "text"},
		{"binary", map[string]string{"Content-Type": "application/octet-stream"}, binary, base64.StdEncoding.EncodeToString(binary), "binary"},
		{"binary base64", map[string]string{"Content-Type": "application/octet-stream", "Content-Encoding": "base64"}, []byte(base64.StdEncoding.EncodeToString(binary)), base64.StdEncoding.EncodeToString(binary), "binary"},
		{"any application type is binary", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, []byte("a=1"), base64.StdEncoding.EncodeToString([]byte("a=1")), "binary"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, http.MethodPost, s.URL, tt.header, tt.body)
			if r.Status != http.StatusOK {
				t.Fatalf("status %d: %s", r.Status, r.Raw)
			}
			if diff := cmp.Diff(tt.wantResult, r.Body["result"]); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
			if got := field(r.Body, "metadata", "content_type"); got != tt.wantContent {
				t.Errorf("content_type = %v, want %s", got, tt.wantContent)
			}
			for _, key := range []string{"duration", "stdout", "stderr"} {
				if _, ok := r.Body["metadata"].(map[string]any)[key]; !ok {
					t.Errorf("metadata.%s missing: %s", key, r.Raw)
				}
			}
			if ct := r.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
		})
	}
}

func TestRunMethodsAndBadRequests(t *testing.T) {
	s := runServer(t, nil, example("python", "echo"))
	r := do(t, http.MethodGet, s.URL+"/any/path", nil, nil)
	if diff := cmp.Diff(map[string]any{"result": "LangServer alive."}, r.Body); diff != "" || r.Status != 200 {
		t.Errorf("GET: status %d, body (-want +got):\n%s", r.Status, diff)
	}
	r = do(t, http.MethodPut, s.URL, nil, nil)
	if diff := cmp.Diff(map[string]any{"error": map[string]any{"type": "SystemError", "message": "Method not allowed"}}, r.Body); diff != "" || r.Status != 405 {
		t.Errorf("PUT: status %d, body (-want +got):\n%s", r.Status, diff)
	}
	prefix := "Failed to build algorithm input from request: "
	tests := []struct {
		name    string
		header  map[string]string
		body    string
		message string
	}{
		{"missing content type", nil, "x", "missing Content-Type header: use application/json, text/plain or application/octet-stream"},
		{"unsupported content type", map[string]string{"Content-Type": "image/png"}, "x", `unsupported Content-Type "image/png": use application/json, text/plain or application/octet-stream`},
		{"invalid json", map[string]string{"Content-Type": "application/json"}, `{"a":`, "invalid JSON in request body: unexpected end of JSON input"},
		{"invalid utf-8", map[string]string{"Content-Type": "text/plain"}, "\xff\xfe", "text body is not valid UTF-8: send binary data as application/octet-stream"},
		{"unsupported encoding", map[string]string{"Content-Type": "text/plain", "Content-Encoding": "gzip"}, "x", `unsupported Content-Encoding "gzip": only base64 is supported`},
		{"repeated encoding", map[string]string{"Content-Type": "text/plain", "Content-Encoding": "base64, base64"}, "x", "repeated Content-Encoding header: send at most one (base64)"},
		{"bad base64", map[string]string{"Content-Type": "application/octet-stream", "Content-Encoding": "base64"}, "!!!", "Content-Encoding is base64 but the body is not valid base64: illegal base64 data at input byte 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, http.MethodPost, s.URL, tt.header, []byte(tt.body))
			want := map[string]any{"error": map[string]any{"type": "SystemError", "message": prefix + tt.message}}
			if diff := cmp.Diff(want, r.Body); diff != "" || r.Status != 400 {
				t.Errorf("status %d, body (-want +got):\n%s", r.Status, diff)
			}
		})
	}
	// Nothing undecodable reached the runner: it still answers.
	if r := post(t, s.URL, "text/plain", "still here"); r.Body["result"] != "still here" {
		t.Errorf("after bad requests: %s", r.Raw)
	}
}

func TestRunBodyTooLarge(t *testing.T) {
	s := runServer(t, nil, example("python", "echo"), "--max-body", "1KiB")
	r := post(t, s.URL, "text/plain", strings.Repeat("x", 2000))
	if r.Status != http.StatusRequestEntityTooLarge || field(r.Body, "error", "message") != "request body larger than 1024 bytes (raise --max-body)" {
		t.Errorf("status %d: %s", r.Status, r.Raw)
	}
	if r := post(t, s.URL, "text/plain", "small"); r.Body["result"] != "small" {
		t.Errorf("after a large body: %s", r.Raw)
	}
}

func TestRunAlgorithmErrors(t *testing.T) {
	s := runServer(t, nil, example("python", "fail"))
	r := post(t, s.URL, "text/plain", "x")
	if r.Status != 200 || field(r.Body, "error", "message") != "boom" || field(r.Body, "error", "error_type") != "AlgorithmError" {
		t.Errorf("default error: status %d: %s", r.Status, r.Raw)
	}
	if st, _ := field(r.Body, "error", "stacktrace").(string); !strings.Contains(st, "Traceback") || !strings.Contains(st, "ValueError: boom") {
		t.Errorf("stacktrace = %q", st)
	}
	r = post(t, s.URL, "application/json", `{"error_type": "InputError", "message": "bad \"input\"\n"}`)
	if field(r.Body, "error", "error_type") != "InputError" || field(r.Body, "error", "message") != "bad \"input\"\n" {
		t.Errorf("custom error_type: %s", r.Raw)
	}
	if _, ok := field(r.Body, "metadata", "duration").(float64); !ok {
		t.Errorf("metadata.duration missing: %s", r.Raw)
	}
}

func TestRunStdoutAndStderr(t *testing.T) {
	for _, lang := range runnerLanguages {
		t.Run(lang, func(t *testing.T) {
			s := runServer(t, nil, example(lang, "chatty"))
			r := post(t, s.URL, "application/json", `{"out": "to stdout", "err": "to stderr"}`)
			stdout, _ := field(r.Body, "metadata", "stdout").(string)
			stderr, _ := field(r.Body, "metadata", "stderr").(string)
			// The first request also gets what the algorithm printed while
			// loading. Lines written to the two streams at the same instant
			// may arrive in either order.
			if stdout != "loading chatty\nto stdout\nto stderr\n" && stdout != "loading chatty\nto stderr\nto stdout\n" {
				t.Errorf("first stdout = %q", stdout)
			}
			if stderr != "to stderr\n" {
				t.Errorf("first stderr = %q", stderr)
			}
			r = post(t, s.URL, "application/json", `{"out": "second"}`)
			if got := field(r.Body, "metadata", "stdout"); got != "second\n" {
				t.Errorf("second stdout = %q", got)
			}
			if got := field(r.Body, "metadata", "stderr"); got != "" {
				t.Errorf("second stderr = %q", got)
			}
		})
	}
}

// runnerLanguages are the LangPacks whose crash example the runner
// lifecycle tests use.
var runnerLanguages = []string{"python", "node"}

func TestRunSameRunnerServesConsecutiveRequests(t *testing.T) {
	for _, lang := range runnerLanguages {
		t.Run(lang, func(t *testing.T) {
			s := runServer(t, nil, example(lang, "crash"))
			first := post(t, s.URL, "text/plain", "pid").Body["result"]
			if _, ok := first.(float64); !ok {
				t.Fatalf("pid = %v", first)
			}
			for range 5 {
				if pid := post(t, s.URL, "text/plain", "pid").Body["result"]; pid != first {
					t.Fatalf("runner changed from %v to %v", first, pid)
				}
			}
		})
	}
}

func TestRunCrashMidRequest(t *testing.T) {
	for _, lang := range runnerLanguages {
		t.Run(lang, func(t *testing.T) {
			s := runServer(t, nil, example(lang, "crash"))
			tests := []struct {
				input, message string
			}{
				{"exit:3", "exited with code 3"},
				{"kill", "exited with code -99"},
			}
			for _, tt := range tests {
				t.Run(tt.input, func(t *testing.T) {
					before := post(t, s.URL, "text/plain", "pid").Body["result"]
					r := post(t, s.URL, "text/plain", tt.input)
					want := map[string]any{"message": tt.message, "error_type": "SystemExit"}
					if diff := cmp.Diff(want, r.Body["error"]); diff != "" || r.Status != 200 {
						t.Errorf("status %d, error (-want +got):\n%s", r.Status, diff)
					}
					after := post(t, s.URL, "text/plain", "pid")
					if after.Body["result"] == before || after.Body["result"] == nil {
						t.Errorf("a new runner should serve after the crash: before %v, after %s", before, after.Raw)
					}
				})
			}
		})
	}
}

func TestRunGarbageOnFIFO(t *testing.T) {
	s := runServer(t, nil, example("python", "garbage"))
	r := post(t, s.URL, "text/plain", "x")
	msg, _ := field(r.Body, "error", "message").(string)
	if r.Status != 200 || field(r.Body, "error", "error_type") != "SystemExit" || !strings.Contains(msg, "this is not json") {
		t.Errorf("status %d: %s", r.Status, r.Raw)
	}
	// The faulty runner was replaced: the next request gets the same
	// precise error from a fresh runner rather than hanging.
	r = post(t, s.URL, "text/plain", "x")
	if field(r.Body, "error", "error_type") != "SystemExit" {
		t.Errorf("second request: %s", r.Raw)
	}
}

func TestRunLoadFailures(t *testing.T) {
	t.Run("exits before init", func(t *testing.T) {
		hook := newReceiver(t, 0)
		s := runServer(t, []string{"STATUS_UPDATE=" + hook.URL, "SLOT_ID=slot-7"}, example("python", "badload"))
		notice := hook.wait(t, 1, 30*time.Second)[0].Body
		if notice["status"] != "Failed" || notice["slot_id"] != "slot-7" || field(notice, "error", "error_type") != "SystemExit" {
			t.Errorf("status update: %v", notice)
		}
		if out, _ := field(notice, "metadata", "stdout").(string); !strings.Contains(out, "cannot load model") {
			t.Errorf("status update stdout = %q", out)
		}
		r := post(t, s.URL, "text/plain", "x")
		msg, _ := field(r.Body, "error", "message").(string)
		if r.Status != 200 || field(r.Body, "error", "error_type") != "LoadingError" || !strings.Contains(msg, "exited with code 1") {
			t.Errorf("call after load failure: %s", r.Raw)
		}
		if out, _ := field(r.Body, "metadata", "stdout").(string); !strings.Contains(out, "RuntimeError: cannot load model") {
			t.Errorf("load output not reported: %q", out)
		}
	})
	t.Run("no init within the load timeout", func(t *testing.T) {
		s := runServer(t, nil, example("python", "slowload"), "--load-timeout", "1s")
		r := post(t, s.URL, "text/plain", "x")
		msg, _ := field(r.Body, "error", "message").(string)
		if field(r.Body, "error", "error_type") != "LoadingError" || !strings.Contains(msg, "within the load timeout (1s)") {
			t.Errorf("call: %s", r.Raw)
		}
		s.recordChildren()
	})
	t.Run("exit on runner failure", func(t *testing.T) {
		s := runServer(t, nil, example("python", "badload"), "--exit-on-runner-failure")
		if code := s.waitExit(30 * time.Second); code != 1 {
			t.Errorf("exit status %d, want 1", code)
		}
		s.assertNoLeftovers()
	})
}

func TestRunExitOnRunnerFailure(t *testing.T) {
	s := runServer(t, nil, example("python", "crash"), "--exit-on-runner-failure")
	r := post(t, s.URL, "text/plain", "exit:4")
	if field(r.Body, "error", "message") != "exited with code 4" {
		t.Errorf("crash: %s", r.Raw)
	}
	if code := s.waitExit(20 * time.Second); code != 0 {
		t.Errorf("exit status %d, want 0", code)
	}
	s.assertNoLeftovers()
}

func TestRunDelete(t *testing.T) {
	s := runServer(t, nil, example("python", "echo"))
	post(t, s.URL, "text/plain", "warm")
	s.recordChildren()
	r := do(t, http.MethodDelete, s.URL, nil, nil)
	if diff := cmp.Diff(map[string]any{"result": "Runner exited: 0"}, r.Body); diff != "" {
		t.Errorf("DELETE (-want +got):\n%s", diff)
	}
	if code := s.waitExit(20 * time.Second); code != 0 {
		t.Errorf("exit status %d", code)
	}
	s.assertNoLeftovers()
}

func TestRunSignalLeavesNothingBehind(t *testing.T) {
	s := runServer(t, nil, example("python", "echo"))
	post(t, s.URL, "text/plain", "warm")
	s.recordChildren()
	if len(s.children) < 2 {
		t.Fatalf("expected an adapter and a runner below the server, saw %v", s.children)
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	if code := s.waitExit(20 * time.Second); code != 0 {
		t.Errorf("exit status %d", code)
	}
	s.assertNoLeftovers()
}

func TestRunAsyncCallbacks(t *testing.T) {
	hook := newReceiver(t, 2) // fails twice, accepts the third attempt
	s := runServer(t, []string{"REQUEST_COMPLETE=" + hook.URL}, example("python", "echo"))
	r := do(t, http.MethodPost, s.URL, map[string]string{"Content-Type": "text/plain", "X-Request-Id": "abc-123", "X-Custom": "kept", "Authorization": "secret"}, []byte("later"))
	if diff := cmp.Diff(map[string]any{"result": "Algorithm started."}, r.Body); diff != "" || r.Status != http.StatusAccepted {
		t.Fatalf("status %d (-want +got):\n%s", r.Status, diff)
	}
	got := hook.wait(t, 3, 30*time.Second)
	for i, req := range got {
		if req.Header.Get("X-Request-Id") != "abc-123" || req.Header.Get("X-Custom") != "kept" || req.Header.Get("Authorization") != "" {
			t.Errorf("attempt %d headers: %v", i+1, req.Header)
		}
		if req.Body["result"] != "later" || field(req.Body, "metadata", "content_type") != "text" {
			t.Errorf("attempt %d body: %v", i+1, req.Body)
		}
	}
	for i := 1; i < len(got); i++ {
		if gap := got[i].At.Sub(got[i-1].At); gap < 900*time.Millisecond {
			t.Errorf("attempts %d and %d only %v apart, want about 1s", i, i+1, gap)
		}
	}
}

func TestRunStatusUpdates(t *testing.T) {
	hook := newReceiver(t, 0)
	s := runServer(t, []string{"STATUS_UPDATE=" + hook.URL}, example("python", "crash"))
	loaded := hook.wait(t, 1, 30*time.Second)[0].Body
	if loaded["status"] != "Successful" || loaded["error"] != nil || loaded["slot_id"] != nil {
		t.Errorf("load notice: %v", loaded)
	}
	if _, ok := field(loaded, "metadata", "duration").(float64); !ok {
		t.Errorf("load notice has no duration: %v", loaded)
	}
	// Kill the runner between requests: a Failed notice, then a new runner.
	pid := int(post(t, s.URL, "text/plain", "pid").Body["result"].(float64))
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	notices := hook.wait(t, 3, 30*time.Second)
	died := notices[1].Body
	want := map[string]any{"message": "exited with code -99", "error_type": "SystemExit"}
	if diff := cmp.Diff(want, died["error"]); diff != "" || died["status"] != "Failed" {
		t.Errorf("death notice %v (-want +got):\n%s", died, diff)
	}
	if notices[2].Body["status"] != "Successful" {
		t.Errorf("reload notice: %v", notices[2].Body)
	}
	if got := post(t, s.URL, "text/plain", "pid").Body["result"]; got == float64(pid) || got == nil {
		t.Errorf("after the runner died: pid %v", got)
	}
}

func TestRunAdapterKilled(t *testing.T) {
	s := runServer(t, nil, example("python", "crash"))
	post(t, s.URL, "text/plain", "warm")
	runnerPID := int(post(t, s.URL, "text/plain", "pid").Body["result"].(float64))
	killAdapter(t, s, "python")
	// The runner dies with its adapter (parent-death signal).
	deadline := time.Now().Add(5 * time.Second)
	for alive(runnerPID) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if alive(runnerPID) {
		t.Errorf("runner %d outlived its adapter", runnerPID)
	}
	// Calls succeed again once the adapter is back.
	deadline = time.Now().Add(30 * time.Second)
	for {
		r := post(t, s.URL, "text/plain", "pid")
		if pid, ok := r.Body["result"].(float64); ok && int(pid) != runnerPID {
			break
		}
		if msg, _ := field(r.Body, "error", "message").(string); r.Body["result"] == nil && !strings.Contains(msg, "adapter") && !strings.Contains(msg, "shutting") {
			t.Errorf("unexpected error while the adapter restarts: %s", r.Raw)
		}
		if time.Now().After(deadline) {
			t.Fatalf("no successful call within 30s of killing the adapter: %s", r.Raw)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestRunGenericPipeLangPack(t *testing.T) {
	t.Run("legacy fifo", func(t *testing.T) {
		s := runServer(t, nil, example("python", "legacy"), "--legacy-fifo")
		for i := range 3 {
			in := fmt.Sprintf("call %d", i)
			if r := post(t, s.URL, "text/plain", in); r.Body["result"] != "legacy: "+in {
				t.Errorf("legacy runner: %s", r.Raw)
			}
		}
	})
	t.Run("adk", func(t *testing.T) {
		s := runServer(t, nil, example("python", "adk"))
		if r := post(t, s.URL, "text/plain", "hi"); r.Body["result"] != "adk: hi" {
			t.Errorf("adk runner: %s", r.Raw)
		}
	})
}

func TestRunHelloVector(t *testing.T) {
	s := runServer(t, nil, example("python", "hello"))
	r := post(t, s.URL, "text/plain", "algorithmia")
	if r.Body["result"] != "hello algorithmia" {
		t.Errorf("hello: %s", r.Raw)
	}
	if !bytes.Contains(r.Raw, []byte(`"content_type":"text"`)) {
		t.Errorf("hello content type: %s", r.Raw)
	}
}

// TestReadmeLangPackExample builds the adapter shown in the README, as a
// third party would, and serves an algorithm with it.
func TestReadmeLangPackExample(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	start := bytes.Index(readme, []byte("```go\npackage main"))
	if start < 0 {
		t.Fatal("README has no Go adapter example")
	}
	code := readme[start+len("```go\n"):]
	code = code[:bytes.Index(code, []byte("```"))]
	// A folder the ./... patterns skip, inside the module so it builds
	// against this checkout of the SDK.
	src := filepath.Join(repoRoot, ".cache", "readme-langpack")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "main.go"), code, 0o644); err != nil {
		t.Fatal(err)
	}
	plugins := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(plugins, "langpack-mini"), "./.cache/readme-langpack")
	build.Dir = repoRoot
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the README example: %v\n%s", err, out)
	}
	list := exec.Command(filepath.Join(binDir, "langserver"), "langpacks", "--plugin-dir", plugins)
	out, err := list.CombinedOutput()
	if err != nil || !regexp.MustCompile(`(?m)^mini\s+0\.1\.0\s+bin/pipe`).Match(out) {
		t.Errorf("langpacks: %v\n%s", err, out)
	}
	s := runServer(t, nil, example("python", "legacy"), "--plugin-dir", plugins, "--langpack", "mini", "--legacy-fifo")
	if r := post(t, s.URL, "text/plain", "hi"); r.Body["result"] != "legacy: hi" {
		t.Errorf("served by the README LangPack: %s", r.Raw)
	}
}

func TestRunFloodedOutputIsBounded(t *testing.T) {
	s := runServer(t, nil, example("python", "chatty"), "--max-output", "64KiB")
	post(t, s.URL, "application/json", `{}`) // takes the load-time output
	// 200,000 lines of 100 bytes: 20 MB printed, 64 KiB kept.
	r := post(t, s.URL, "application/json", `{"flood": 200000, "out": "last"}`)
	stdout, _ := field(r.Body, "metadata", "stdout").(string)
	if r.Body["result"] == nil || len(stdout) > 64<<10+200 || !strings.Contains(stdout, "[langserver: output truncated,") {
		t.Errorf("flooded call: %d bytes of stdout, ends %q, result %v", len(stdout), stdout[max(0, len(stdout)-120):], r.Body["result"])
	}
	if r := post(t, s.URL, "application/json", `{"out": "calm"}`); field(r.Body, "metadata", "stdout") != "calm\n" {
		t.Errorf("after the flood: %s", r.Raw)
	}
}

// TestRunAlgorithmZip serves an algorithm.zip, as the original's
// init-langserver unpacked /tmp/algorithm.zip.
func TestRunAlgorithmZip(t *testing.T) {
	archive := filepath.Join(t.TempDir(), "algorithm.zip")
	f, err := os.Create(archive)
	if err != nil {
		t.Fatal(err)
	}
	w := zip.NewWriter(f)
	src := example("python", "hello")
	err = filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		content, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		fw, err := w.Create(filepath.ToSlash(rel))
		if err != nil {
			return err
		}
		_, err = fw.Write(content)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	s := runServer(t, nil, archive)
	if r := post(t, s.URL, "text/plain", "zip"); r.Body["result"] != "hello zip" {
		t.Errorf("served from the zip: %s", r.Raw)
	}
}
