package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binDir holds the langserver binary and plugins/ built by TestMain.
var binDir string

// repoRoot is the repository's root folder.
var repoRoot string

func TestMain(m *testing.M) {
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	wd, err := os.Getwd()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	repoRoot = filepath.Dir(filepath.Dir(wd))
	binDir, err = os.MkdirTemp("", "langserver-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(binDir)
	builds := [][]string{{"-o", filepath.Join(binDir, "langserver"), "./cmd/langserver"}}
	plugins, _ := filepath.Glob(filepath.Join(repoRoot, "plugins", "*", "main.go"))
	for _, p := range plugins {
		name := filepath.Base(filepath.Dir(p))
		builds = append(builds, []string{"-o", filepath.Join(binDir, "plugins", "langpack-"+name), "./plugins/" + name})
	}
	for _, args := range builds {
		if raceEnabled {
			args = append([]string{"-race"}, args...)
		}
		cmd := exec.Command("go", append([]string{"build"}, args...)...)
		cmd.Dir = repoRoot
		if out, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "go build %v: %v\n%s", args, err, out)
			return 1
		}
	}
	return m.Run()
}

// example returns the path of an example algorithm.
func example(lang, name string) string {
	return filepath.Join(repoRoot, "examples", lang, name)
}

// syncBuffer collects a process's output safely across goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// server is a running langserver process.
type server struct {
	t      testing.TB
	URL    string
	cmd    *exec.Cmd
	output *syncBuffer
	done   chan struct{}
	// children are the process IDs of its descendants seen so far.
	children map[int]bool
}

func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startServer runs langserver with args (the listen address is added) and
// waits until GET answers. env adds environment variables.
func startServer(t testing.TB, env []string, args ...string) *server {
	t.Helper()
	addr := freeAddr(t)
	cmd := exec.Command(filepath.Join(binDir, "langserver"), append(args, "--listen", addr)...)
	// The default data dir, ./data, is then the test's own.
	cmd.Dir = t.TempDir()
	// Race reports of langserver and its adapters land in raceDir, whose
	// name leaves out the test's: GORACE splits its options at the commas
	// and spaces a subtest's name may hold.
	raceDir, err := os.MkdirTemp("", "langserver-race-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(raceDir) })
	cmd.Env = append(append(os.Environ(), "GORACE=log_path="+filepath.Join(raceDir, "race")), env...)
	s := &server{t: t, URL: "http://" + addr, cmd: cmd, output: &syncBuffer{}, done: make(chan struct{}), children: map[int]bool{}}
	cmd.Stdout, cmd.Stderr = s.output, s.output
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		_ = cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() {
		s.stop()
		if reports, _ := filepath.Glob(filepath.Join(raceDir, "race.*")); len(reports) > 0 {
			for _, r := range reports {
				report, _ := os.ReadFile(r)
				t.Errorf("the race detector fired in langserver or an adapter:\n%s", report)
			}
		}
		if t.Failed() {
			t.Logf("langserver output:\n%s", s.output.String())
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(s.URL)
		if err == nil {
			resp.Body.Close()
			break
		}
		select {
		case <-s.done:
			t.Fatalf("langserver exited before serving: %s", s.output.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("langserver did not serve within 30s: %s", s.output.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.recordChildren()
	return s
}

// recordChildren notes every descendant process, to check later that none
// outlives the server.
func (s *server) recordChildren() {
	for _, pid := range descendants(s.cmd.Process.Pid) {
		s.children[pid] = true
	}
}

// stop sends SIGTERM and waits for the exit (SIGKILL after 20s).
func (s *server) stop() {
	if s.cmd.ProcessState != nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(20 * time.Second):
		s.t.Errorf("langserver did not exit within 20s of SIGTERM")
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// waitExit waits for the server to exit by itself and returns its status.
func (s *server) waitExit(timeout time.Duration) int {
	s.t.Helper()
	select {
	case <-s.done:
		return s.cmd.ProcessState.ExitCode()
	case <-time.After(timeout):
		s.t.Fatalf("langserver did not exit within %v", timeout)
		return -1
	}
}

// assertNoLeftovers checks that no process the server started is alive.
func (s *server) assertNoLeftovers() {
	s.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for pid := range s.children {
		for alive(pid) {
			if time.Now().After(deadline) {
				s.t.Errorf("process %d (%s) outlived the server", pid, cmdline(pid))
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// descendants lists the process IDs below pid, from /proc.
func descendants(pid int) []int {
	parents := map[int][]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// The command name may hold spaces; fields resume after ")".
		fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(fields) < 2 {
			continue
		}
		ppid, _ := strconv.Atoi(fields[1])
		parents[ppid] = append(parents[ppid], child)
	}
	var out []int
	queue := []int{pid}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range parents[p] {
			out = append(out, c)
			queue = append(queue, c)
		}
	}
	return out
}

// alive reports whether pid exists and is not a zombie.
func alive(pid int) bool {
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	return len(fields) > 0 && fields[0] != "Z"
}

func cmdline(pid int) string {
	b, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
	return strings.ReplaceAll(string(b), "\x00", " ")
}

// killAdapter kills the server's adapter of a LangPack with SIGKILL.
func killAdapter(t *testing.T, s *server, langpack string) {
	t.Helper()
	for _, pid := range descendants(s.cmd.Process.Pid) {
		if strings.Contains(cmdline(pid), "langpack-"+langpack) {
			if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatalf("no langpack-%s process under the server", langpack)
}

// reply is an HTTP answer with its JSON body decoded.
type reply struct {
	Status int
	Header http.Header
	Raw    []byte
	Body   map[string]any
}

// do sends a request and decodes the JSON answer.
func do(t *testing.T, method, url string, header map[string]string, body []byte) *reply {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := &reply{Status: resp.StatusCode, Header: resp.Header, Raw: raw}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &r.Body); err != nil {
			t.Fatalf("%s %s: answer is not a JSON object: %v: %q", method, url, err, raw)
		}
	}
	return r
}

// post sends body with a Content-Type.
func post(t *testing.T, url, contentType string, body string) *reply {
	t.Helper()
	return do(t, http.MethodPost, url, map[string]string{"Content-Type": contentType}, []byte(body))
}

// field walks a decoded JSON object: field(m, "error", "message").
func field(m map[string]any, path ...string) any {
	var v any = m
	for _, p := range path {
		obj, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = obj[p]
	}
	return v
}

// receiver is a local HTTP server that records what is posted to it.
type receiver struct {
	URL string
	// failFirst answers 500 to that many requests before accepting.
	failFirst int

	mu       sync.Mutex
	requests []received
	arrived  chan struct{}
}

type received struct {
	Header http.Header
	Body   map[string]any
	At     time.Time
}

func newReceiver(t *testing.T, failFirst int) *receiver {
	t.Helper()
	r := &receiver{failFirst: failFirst, arrived: make(chan struct{}, 100)}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: r}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { srv.Close() })
	r.URL = "http://" + l.Addr().String() + "/hook"
	return r
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	raw, _ := io.ReadAll(req.Body)
	var body map[string]any
	_ = json.Unmarshal(raw, &body)
	r.mu.Lock()
	r.requests = append(r.requests, received{Header: req.Header.Clone(), Body: body, At: time.Now()})
	n := len(r.requests)
	r.mu.Unlock()
	if n <= r.failFirst {
		w.WriteHeader(http.StatusInternalServerError)
	}
	r.arrived <- struct{}{}
}

// wait returns once n requests have arrived.
func (r *receiver) wait(t *testing.T, n int, timeout time.Duration) []received {
	t.Helper()
	deadline := time.After(timeout)
	for {
		r.mu.Lock()
		got := append([]received(nil), r.requests...)
		r.mu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-r.arrived:
		case <-deadline:
			t.Fatalf("receiver got %d requests, want %d", len(got), n)
		}
	}
}
