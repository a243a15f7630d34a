package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The reliability suite: the server under concurrent load while runners
// are killed, time out, fail to load, flood their output, while the
// adapter dies, the configuration is reloaded, or the server shuts down.
// Each test checks every answer against its own request.

// loadResult is what happened to one request of a load.
type loadResult struct {
	client, seq int
	status      int
	retryAfter  string
	body        map[string]any
	raw         []byte
	err         error
}

// load sends clients × perClient JSON requests {"client": c, "seq": i} to
// url, each client one at a time, and returns every outcome. client is
// the HTTP client used; stop, when closed, ends the load early.
func load(t *testing.T, client *http.Client, url string, clients, perClient int, stop <-chan struct{}) []loadResult {
	t.Helper()
	var mu sync.Mutex
	var results []loadResult
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			for i := range perClient {
				select {
				case <-stop:
					return
				default:
				}
				res := loadResult{client: c, seq: i}
				body := fmt.Sprintf(`{"client":%d,"seq":%d,"pad":%q}`, c, i, strings.Repeat("x", rand.IntN(64)))
				resp, err := client.Post(url, "application/json", strings.NewReader(body))
				if err != nil {
					res.err = err
				} else {
					res.status = resp.StatusCode
					res.retryAfter = resp.Header.Get("Retry-After")
					res.raw, res.err = readAll(resp)
					if res.err == nil {
						res.err = json.Unmarshal(res.raw, &res.body)
					}
				}
				mu.Lock()
				results = append(results, res)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return results
}

func readAll(resp *http.Response) ([]byte, error) {
	defer resp.Body.Close()
	return io.ReadAll(resp.Body)
}

// ownAnswer reports whether a result is the echo of its own request.
func (r loadResult) ownAnswer() bool {
	res, ok := r.body["result"].(map[string]any)
	return r.err == nil && r.status == http.StatusOK && ok &&
		res["client"] == float64(r.client) && res["seq"] == float64(r.seq)
}

func (r loadResult) String() string {
	if r.err != nil {
		return fmt.Sprintf("client %d seq %d: %v", r.client, r.seq, r.err)
	}
	return fmt.Sprintf("client %d seq %d: %d %s", r.client, r.seq, r.status, r.raw)
}

// checkAnswers fails the test for each result that is neither its own
// answer nor accepted by allow, and checks that every request of the load
// got exactly one outcome.
func checkAnswers(t *testing.T, results []loadResult, clients, perClient int, allow func(loadResult) bool) (ok int) {
	t.Helper()
	seen := map[[2]int]int{}
	bad := 0
	for _, r := range results {
		seen[[2]int{r.client, r.seq}]++
		switch {
		case r.ownAnswer():
			ok++
		case allow != nil && allow(r):
		default:
			if bad++; bad <= 10 {
				t.Errorf("unexpected answer: %s", r)
			}
		}
	}
	if bad > 10 {
		t.Errorf("... %d unexpected answers in all", bad)
	}
	if perClient > 0 && len(seen) != clients*perClient {
		t.Errorf("%d distinct requests answered, want %d", len(seen), clients*perClient)
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("request %v answered %d times", k, n)
		}
	}
	return ok
}

// systemExit accepts an algorithm error of type SystemExit (HTTP 200).
func systemExit(r loadResult) bool {
	return r.err == nil && r.status == http.StatusOK && field(r.body, "error", "error_type") == "SystemExit"
}

// runnerPIDs lists the server's runner processes of a LangPack runner
// script ("pipe.py").
func runnerPIDs(s *server, script string) []int {
	var pids []int
	for _, pid := range descendants(s.cmd.Process.Pid) {
		if strings.Contains(cmdline(pid), script) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// echoTwoWorkers serves the Python echo algorithm on two runners.
const echoTwoWorkers = `
algorithm "demo/echo" {
  path = "{{examples}}/python/echo"
  workers {
    min = 2
    max = 2
  }
}
`

// httpClient has a generous deadline: a request that hangs fails the test.
var httpClient = &http.Client{Timeout: 60 * time.Second}

func TestReliabilityConcurrentLoad(t *testing.T) {
	s := serveServer(t, echoTwoWorkers)
	waitReady(t, s)
	const clients, perClient = 8, 250
	results := load(t, httpClient, s.URL+"/v1/algo/demo/echo", clients, perClient, nil)
	if ok := checkAnswers(t, results, clients, perClient, nil); ok != clients*perClient {
		t.Errorf("%d of %d requests answered with their own echo", ok, clients*perClient)
	}
	if n := len(runnerPIDs(s, "pipe.py")); n != 2 {
		t.Errorf("%d runners after the load, want max = 2", n)
	}
}

func TestReliabilityRandomRunnerKills(t *testing.T) {
	s := serveServer(t, echoTwoWorkers)
	waitReady(t, s)
	stop := make(chan struct{})
	killed := 0
	var killer sync.WaitGroup
	killer.Go(func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(time.Duration(50+rand.IntN(150)) * time.Millisecond):
			}
			if pids := runnerPIDs(s, "pipe.py"); len(pids) > 0 {
				if syscall.Kill(pids[rand.IntN(len(pids))], syscall.SIGKILL) == nil {
					killed++
				}
			}
		}
	})
	const clients, perClient = 8, 150
	results := load(t, httpClient, s.URL+"/v1/algo/demo/echo", clients, perClient, nil)
	close(stop)
	killer.Wait()
	ok := checkAnswers(t, results, clients, perClient, systemExit)
	t.Logf("%d runners killed; %d of %d requests succeeded, the rest got SystemExit", killed, ok, clients*perClient)
	if killed == 0 || ok == 0 {
		t.Errorf("the test did not exercise anything: %d kills, %d successes", killed, ok)
	}
	waitReady(t, s)
	if r := post(t, s.URL+"/v1/algo/demo/echo", "text/plain", "after"); r.Body["result"] != "after" {
		t.Errorf("after the kills: %s", r.Raw)
	}
}

func TestReliabilityTimeoutsDoNotDisturbOthers(t *testing.T) {
	s := serveServer(t, `
algorithm "demo/crash" {
  path    = "{{examples}}/python/crash"
  timeout = "1s"
  workers {
    min = 2
    max = 2
  }
}
`)
	waitReady(t, s)
	url := s.URL + "/v1/algo/demo/crash"
	slow := make(chan *reply, 1)
	go func() { slow <- post(t, url, "text/plain", "sleep:30") }()
	waitBusy(t, s, "demo/crash")
	// The other runner keeps answering while the slow call runs out of time.
	for i := 0; i < 20; i++ {
		if r := post(t, url, "text/plain", "x"); r.Body["result"] != "alive" {
			t.Errorf("a quick call during the slow one: %s", r.Raw)
		}
	}
	r := <-slow
	if r.Status != http.StatusOK || field(r.Body, "error", "error_type") != "TimeoutError" ||
		field(r.Body, "error", "message") != "algorithm did not complete within 1 seconds" {
		t.Errorf("the slow call: %d %s", r.Status, r.Raw)
	}
	eventually(t, 20*time.Second, func() string {
		if n := len(runnerPIDs(s, "pipe.py")); n != 2 {
			return fmt.Sprintf("%d runners after the timeout, want 2 (the killed one replaced)", n)
		}
		return ""
	})
}

// flakyAlgorithm writes a Python algorithm that fails to load while the
// file marker exists, and returns its folder.
func flakyAlgorithm(t *testing.T, marker string) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"algorithmia.conf": `{"algoname": "flaky", "language": "python3"}`,
		"src/flaky.py": fmt.Sprintf(`import os
if os.path.exists(%q):
    raise RuntimeError("the marker file is present")


def apply(input):
    return "loaded"
`, marker),
	}
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// algorithmEntry returns the /v1/algorithms entry of an algorithm.
func algorithmEntry(t *testing.T, s *server, algorithm string) map[string]any {
	t.Helper()
	list := do(t, http.MethodGet, s.URL+"/v1/algorithms", nil, nil)
	for _, a := range list.Body["algorithms"].([]any) {
		if e := a.(map[string]any); e["algorithm"] == algorithm {
			return e
		}
	}
	t.Fatalf("%s not in /v1/algorithms: %s", algorithm, list.Raw)
	return nil
}

// eventually retries check every 50ms until it returns "" or the deadline
// passes, then fails the test with its last message.
func eventually(t *testing.T, within time.Duration, check func() string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		msg := check()
		if msg == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", within, msg)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestReliabilityCrashLoopAndRecovery(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "broken")
	if err := os.WriteFile(marker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	s := serveServer(t, fmt.Sprintf(`
algorithm "demo/flaky" {
  path = %q
  workers {
    max_restart_delay = "1s"
  }
}
algorithm "demo/echo" {
  path = "{{examples}}/python/echo"
}
`, flakyAlgorithm(t, marker)))
	eventually(t, 30*time.Second, func() string {
		e := algorithmEntry(t, s, "demo/flaky")
		if e["state"] != "failed" || !strings.Contains(fmt.Sprint(e["last_load_error"]), "the marker file is present") {
			return fmt.Sprintf("demo/flaky is %v: %v", e["state"], e)
		}
		return ""
	})
	// Failed: not ready, and calls answered at once with the load error.
	if r := do(t, http.MethodGet, s.URL+"/readyz", nil, nil); r.Status != http.StatusServiceUnavailable || !strings.Contains(string(r.Raw), "demo/flaky@1.0.0 (failed)") {
		t.Errorf("readyz while failing: %d %s", r.Status, r.Raw)
	}
	for range 5 {
		began := time.Now()
		r := post(t, s.URL+"/v1/algo/demo/flaky", "text/plain", "x")
		msg, _ := field(r.Body, "error", "message").(string)
		if r.Status != http.StatusServiceUnavailable || r.Header.Get("Retry-After") == "" || !strings.Contains(msg, "algorithm failed to load") || !strings.Contains(msg, "the marker file is present") {
			t.Errorf("a call while failing: %d %v %s", r.Status, r.Header, r.Raw)
		}
		if d := time.Since(began); d > 5*time.Second {
			t.Errorf("a call while failing took %v: it should be answered at once", d)
		}
	}
	// The other algorithm is not affected.
	if r := post(t, s.URL+"/v1/algo/demo/echo", "text/plain", "fine"); r.Body["result"] != "fine" {
		t.Errorf("demo/echo while demo/flaky fails: %s", r.Raw)
	}
	// The cause goes away: it recovers by itself.
	if err := os.Remove(marker); err != nil {
		t.Fatal(err)
	}
	waitReady(t, s)
	if r := post(t, s.URL+"/v1/algo/demo/flaky", "text/plain", "x"); r.Body["result"] != "loaded" {
		t.Errorf("after recovery: %s", r.Raw)
	}
	if e := algorithmEntry(t, s, "demo/flaky"); e["state"] != "ready" {
		t.Errorf("after recovery: %v", e)
	}
}

func TestReliabilityAdapterKilledUnderLoad(t *testing.T) {
	s := serveServer(t, echoTwoWorkers)
	waitReady(t, s)
	s.recordChildren()
	go func() {
		time.Sleep(300 * time.Millisecond)
		killAdapter(t, s, "python")
	}()
	const clients, perClient = 8, 150
	results := load(t, httpClient, s.URL+"/v1/algo/demo/echo", clients, perClient, nil)
	// Calls in flight when the adapter died get a clear error; calls that
	// arrive while it restarts get a 503 to retry.
	ok := checkAnswers(t, results, clients, perClient, func(r loadResult) bool {
		return systemExit(r) || (r.err == nil && r.status == http.StatusServiceUnavailable && r.retryAfter != "" && field(r.body, "error", "message") != nil)
	})
	t.Logf("%d of %d requests succeeded across the adapter's death", ok, clients*perClient)
	waitReady(t, s)
	results = load(t, httpClient, s.URL+"/v1/algo/demo/echo", clients, 10, nil)
	if ok := checkAnswers(t, results, clients, 10, nil); ok != clients*10 {
		t.Errorf("after the relaunch: %d of %d succeeded", ok, clients*10)
	}
	// The killed adapter's runners died with it.
	for pid := range s.children {
		if strings.Contains(cmdline(pid), "pipe.py") && !slices.Contains(descendants(s.cmd.Process.Pid), pid) && alive(pid) {
			t.Errorf("runner %d of the killed adapter is still alive: %s", pid, cmdline(pid))
		}
	}
}

func TestReliabilityReloadUnderLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "langserver.hcl")
	write := func(config string) {
		t.Helper()
		config = strings.ReplaceAll(config, "{{examples}}", filepath.Join(repoRoot, "examples"))
		if err := os.WriteFile(path, []byte(config), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	const base = `
algorithm "demo/echo" {
  path = "{{examples}}/python/echo"
  env  = { GENERATION = "%s" }
}
algorithm "demo/still" {
  path = "{{examples}}/python/echo"
}
`
	write(fmt.Sprintf(base, "one"))
	s := startServer(t, nil, "serve", "--config", path)
	waitReady(t, s)
	stillPID := post(t, s.URL+"/v1/algo/demo/still", "text/plain", "x")
	stillRunners := runnerPIDs(s, "pipe.py")

	stop := make(chan struct{})
	var results []loadResult
	var loadDone sync.WaitGroup
	loadDone.Go(func() { results = load(t, httpClient, s.URL+"/v1/algo/demo/echo", 4, 100000, stop) })
	var stillResults []loadResult
	loadDone.Go(func() { stillResults = load(t, httpClient, s.URL+"/v1/algo/demo/still", 2, 100000, stop) })

	// A change of demo/echo, and a new algorithm, by POST /-/reload.
	time.Sleep(300 * time.Millisecond)
	write(fmt.Sprintf(base, "two") + `
algorithm "demo/added" {
  path = "{{examples}}/python/hello"
}
`)
	r := post(t, s.URL+"/-/reload", "application/json", "")
	want := map[string]any{"added": []any{"demo/added@1.0.0"}, "changed": []any{"demo/echo@1.0.0"}, "removed": []any{}, "unchanged": 1.0}
	if got := field(r.Body, "result"); r.Status != http.StatusOK || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("reload: %d %s, want result %v", r.Status, r.Raw, want)
	}
	// An invalid configuration, by SIGHUP, is refused; the old one serves.
	time.Sleep(300 * time.Millisecond)
	write(`algorithm "demo/echo" { path = 42 }`)
	if err := s.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, func() string {
		if !strings.Contains(s.output.String(), "reload refused") {
			return "no refusal in the log"
		}
		return ""
	})
	r = post(t, s.URL+"/-/reload", "application/json", "")
	if msg, _ := field(r.Body, "error", "diagnostics").(string); r.Status != http.StatusBadRequest || !strings.Contains(msg, "langserver.hcl line 1") {
		t.Errorf("reload of an invalid configuration: %d %s", r.Status, r.Raw)
	}
	time.Sleep(300 * time.Millisecond)
	close(stop)
	loadDone.Wait()

	checkAnswers(t, results, 4, 0, nil)
	checkAnswers(t, stillResults, 2, 0, nil)
	t.Logf("%d + %d requests during the reloads, none failed", len(results), len(stillResults))
	if r := post(t, s.URL+"/v1/algo/demo/added", "text/plain", "new"); r.Status != http.StatusOK || r.Body["error"] != nil {
		t.Errorf("the added algorithm: %s", r.Raw)
	}
	// The unchanged algorithm kept its runner; the changed one's old
	// runner was stopped once drained.
	if r := post(t, s.URL+"/v1/algo/demo/still", "text/plain", "x"); r.Body["result"] != stillPID.Body["result"] {
		t.Errorf("demo/still answered %s, want %s", r.Raw, stillPID.Raw)
	}
	eventually(t, 10*time.Second, func() string {
		left := 0
		now := runnerPIDs(s, "pipe.py")
		for _, pid := range stillRunners {
			if slices.Contains(now, pid) {
				left++
			}
		}
		if left != 1 {
			return fmt.Sprintf("%d of the first runners still alive, want 1 (demo/still's)", left)
		}
		return ""
	})
}

func TestReliabilityShutdownUnderLoad(t *testing.T) {
	s := serveServer(t, `
server {
  shutdown_grace = "20s"
}
`+echoTwoWorkers)
	waitReady(t, s)
	s.recordChildren()
	// No keep-alive: a request never races the close of an idle connection.
	client := &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	go func() {
		time.Sleep(500 * time.Millisecond)
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
	}()
	const clients = 8
	results := load(t, client, s.URL+"/v1/algo/demo/echo", clients, 100000, s.done)
	refused := 0
	checkAnswers(t, results, clients, 0, func(r loadResult) bool {
		switch {
		case r.err != nil && closedPort(r.err):
			refused++
			return true
		case r.err == nil && r.status == http.StatusServiceUnavailable && r.retryAfter != "" && field(r.body, "error", "message") == "the server is shutting down":
			return true
		}
		return false
	})
	t.Logf("%d requests: served, refused with 503 while draining, or refused at the closed port (%d)", len(results), refused)
	if code := s.waitExit(30 * time.Second); code != 0 {
		t.Errorf("exit status %d", code)
	}
	s.assertNoLeftovers()
}

// closedPort reports an error of a request that reached the server's port
// as it closed, after the drain: refused, or reset in the listen backlog.
func closedPort(err error) bool {
	for _, s := range []string{"connection refused", "connection reset by peer", ": EOF"} {
		if strings.Contains(err.Error(), s) {
			return true
		}
	}
	return false
}

func TestReliabilityStdoutFlood(t *testing.T) {
	s := serveServer(t, `
server {
  max_output = "64KiB"
}
algorithm "demo/chatty" {
  path = "{{examples}}/python/chatty"
}
algorithm "demo/echo" {
  path = "{{examples}}/python/echo"
}
`)
	waitReady(t, s)
	var wg sync.WaitGroup
	wg.Go(func() {
		// 50 MB of output, kept to 64 KiB with a marker.
		r := post(t, s.URL+"/v1/algo/demo/chatty?stdout=true", "application/json", `{"flood": 500000, "out": "last"}`)
		out, _ := field(r.Body, "metadata", "stdout").(string)
		if r.Status != http.StatusOK || field(r.Body, "result", "ok") != true || len(out) > 70<<10 || !strings.Contains(out, "truncated") {
			t.Errorf("the flood: %d, %d bytes of stdout, result %v", r.Status, len(out), r.Body["result"])
		}
	})
	results := load(t, httpClient, s.URL+"/v1/algo/demo/echo", 4, 100, nil)
	checkAnswers(t, results, 4, 100, nil)
	wg.Wait()
}
