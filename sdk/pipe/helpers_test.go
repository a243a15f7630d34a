package pipe

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// testTimeout bounds every wait in the tests.
const testTimeout = 10 * time.Second

// act is one action of testdata/runner.py.
type act map[string]any

// pyRunner returns the command running testdata/runner.py with settings.
func pyRunner(t testing.TB, settings map[string]any) []string {
	t.Helper()
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not found")
	}
	script, err := filepath.Abs("testdata/runner.py")
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(settings)
	if err != nil {
		t.Fatal(err)
	}
	return []string{python, script, string(b)}
}

// shellRunner writes script to a file in a temporary directory and returns
// the command running it with bash.
func shellRunner(t testing.TB, script string) []string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "runner.sh")
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return []string{"bash", path}
}

// start starts a runner and stops it when the test ends.
func start(t testing.TB, cfg Config) *Runner {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	r, err := Start(ctx, cfg)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if _, err := r.Stop(context.Background()); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return r
}

// startPy starts testdata/runner.py with settings.
func startPy(t testing.TB, settings map[string]any) *Runner {
	t.Helper()
	return start(t, Config{Command: pyRunner(t, settings), StopGrace: time.Second})
}

// requestLine encodes actions as a runner.py request.
func requestLine(t testing.TB, actions ...act) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"content_type": "json", "data": actions})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// call sends actions to a runner.py runner.
func call(t testing.TB, r *Runner, actions ...act) (*Response, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	return r.Call(ctx, requestLine(t, actions...), nil)
}

// mustCall is call that fails the test on error.
func mustCall(t testing.TB, r *Runner, actions ...act) *Response {
	t.Helper()
	resp, err := call(t, r, actions...)
	if err != nil {
		t.Fatalf("Call: %v", err)
	}
	return resp
}

// waitDone waits for the runner to be gone.
func waitDone(t testing.TB, r *Runner) {
	t.Helper()
	select {
	case <-r.Done():
	case <-time.After(testTimeout):
		t.Fatal("runner still running")
	}
}

// touch creates the file a runner.py "await" action waits for.
func touch(t testing.TB, path string) {
	t.Helper()
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
}
