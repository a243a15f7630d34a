package e2e

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// serveServer writes config (with {{examples}} standing for the examples
// folder) and starts `langserver serve` on it.
func serveServer(t *testing.T, config string, env ...string) *server {
	t.Helper()
	path := filepath.Join(t.TempDir(), "langserver.hcl")
	config = strings.ReplaceAll(config, "{{examples}}", filepath.Join(repoRoot, "examples"))
	if err := os.WriteFile(path, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	return startServer(t, env, "serve", "--config", path)
}

// waitReady waits until /readyz answers 200.
func waitReady(t testing.TB, s *server) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(s.URL + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready after 60s: %s", body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

const versionsConfig = `
algorithm "demo/hello" {
  path    = "{{examples}}/python/hello"
  version = "1.0.0"
}
algorithm "demo/hello" {
  path    = "{{examples}}/python/echo"
  version = "1.2.0"
}
algorithm "demo/hello" {
  path    = "{{examples}}/python/chatty"
  version = "2.0.1"
}
algorithm "demo/echo" {
  langpack = "python"
  path     = "{{examples}}/python/echo"
}
algorithm "demo/fail" {
  path = "{{examples}}/python/fail"
}
algorithm "demo/crash" {
  path = "{{examples}}/python/crash"
  timeout = "20s"
}
`

func TestServeVersions(t *testing.T) {
	s := serveServer(t, versionsConfig)
	waitReady(t, s)
	list := do(t, http.MethodGet, s.URL+"/v1/algorithms", nil, nil)
	hashes := map[string]string{}
	for _, a := range list.Body["algorithms"].([]any) {
		entry := a.(map[string]any)
		if entry["state"] != "ready" || entry["langpack"] != "python" {
			t.Errorf("algorithm entry: %v", entry)
		}
		hashes[entry["algorithm"].(string)+"@"+entry["version"].(string)] = entry["build_hash"].(string)
	}
	// Which example answers tells which version served: hello greets, echo
	// echoes, chatty answers {"ok": true}.
	tests := []struct {
		path string
		want any
	}{
		{"/v1/algo/demo/hello", map[string]any{"ok": true}},
		{"/v1/algo/demo/hello/latest", map[string]any{"ok": true}},
		{"/v1/algo/demo/hello/1.0.0", "hello x"},
		{"/v1/algo/demo/hello/1.2.0", "x"},
		{"/v1/algo/demo/hello/1.*", "x"},
		{"/v1/algo/demo/hello/1.0", "hello x"},
		{"/v1/algo/demo/hello/1.0.*", "hello x"},
		{"/v1/algo/demo/hello/2", map[string]any{"ok": true}},
		{"/v1/algo/demo/hello/" + hashes["demo/hello@1.0.0"][:10], "hello x"},
		{"/v1/algo/demo/hello/1.0.0/", "hello x"},
		{"/v1/algo/algo://demo/hello/1.0.0", "hello x"},
		{"/v1/algo/demo/echo", "x"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			r := post(t, s.URL+tt.path, "text/plain", "x")
			if diff := cmp.Diff(tt.want, r.Body["result"]); diff != "" || r.Status != 200 {
				t.Errorf("status %d, result (-want +got):\n%s\n%s", r.Status, diff, r.Raw)
			}
		})
	}
	for _, path := range []string{"/v1/algo/demo/hello/3.0.0", "/v1/algo/demo/hello/1.3.*", "/v1/algo/demo/nope", "/v1/algo/other/hello"} {
		r := post(t, s.URL+path, "text/plain", "x")
		want := "algorithm algo://" + strings.TrimPrefix(path, "/v1/algo/") + " not found"
		if r.Status != 404 || field(r.Body, "error", "message") != want {
			t.Errorf("%s: status %d: %s", path, r.Status, r.Raw)
		}
	}
}

func TestServeEnvelopesAndOptions(t *testing.T) {
	s := serveServer(t, versionsConfig)
	waitReady(t, s)
	// Success: result and metadata, no stdout unless asked.
	r := post(t, s.URL+"/v1/algo/demo/hello/1.0.0", "text/plain; charset=utf-8", "algorithmia")
	if r.Body["result"] != "hello algorithmia" || field(r.Body, "metadata", "content_type") != "text" || field(r.Body, "metadata", "stdout") != nil {
		t.Errorf("success: %s", r.Raw)
	}
	if _, ok := field(r.Body, "metadata", "duration").(float64); !ok || r.Header.Get("Content-Type") != "application/json" {
		t.Errorf("success metadata or content type: %s %v", r.Raw, r.Header)
	}
	for _, v := range []string{"true", "TRUE", "1"} {
		r = post(t, s.URL+"/v1/algo/demo/hello/2.0.1?stdout="+v, "application/json", `{"out": "printed"}`)
		if out, _ := field(r.Body, "metadata", "stdout").(string); !strings.HasSuffix(out, "printed\n") {
			t.Errorf("stdout=%s: %s", v, r.Raw)
		}
	}
	// Algorithm errors are 200 with the error envelope.
	r = post(t, s.URL+"/v1/algo/demo/fail", "application/json", `{"error_type": "InputError", "message": "bad"}`)
	if r.Status != 200 || field(r.Body, "error", "error_type") != "InputError" || field(r.Body, "error", "message") != "bad" || field(r.Body, "error", "stacktrace") == nil {
		t.Errorf("algorithm error: %d %s", r.Status, r.Raw)
	}
	r = post(t, s.URL+"/v1/algo/demo/crash", "text/plain", "exit:5")
	if r.Status != 200 || field(r.Body, "error", "error_type") != "SystemExit" || field(r.Body, "error", "message") != "exited with code 5" {
		t.Errorf("crash: %d %s", r.Status, r.Raw)
	}
	// output=raw.
	raw := func(ct, body string) (*http.Response, string) {
		resp, err := http.Post(s.URL+"/v1/algo/demo/echo?output=raw", ct, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, string(b)
	}
	if resp, body := raw("text/plain", "plain words"); body != "plain words" || resp.Header.Get("Content-Type") != "text/plain; charset=utf-8" {
		t.Errorf("raw text: %q %v", body, resp.Header)
	}
	if resp, body := raw("application/json", `{"a": [1]}`); body != `{"a":[1]}` || resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("raw json: %q %v", body, resp.Header)
	}
	if resp, body := raw("application/octet-stream", "\x00\x01\xff"); body != "\x00\x01\xff" || resp.Header.Get("Content-Type") != "application/octet-stream" {
		t.Errorf("raw binary: %q %v", body, resp.Header)
	}
	// output=void answers at once with a request id.
	r = post(t, s.URL+"/v1/algo/demo/crash?output=void", "text/plain", "sleep:0.5")
	if id, _ := r.Body["request_id"].(string); r.Body["async"] != "void" || !strings.HasPrefix(id, "req-") || len(id) != len("req-")+36 {
		t.Errorf("void: %s", r.Raw)
	}
	// Binary in and out, base64 encoded input.
	data := []byte{0, 1, 2, 253, 254, 255}
	r = do(t, http.MethodPost, s.URL+"/v1/algo/demo/echo", map[string]string{"Content-Type": "application/octet-stream", "Content-Encoding": "base64"}, []byte(base64.StdEncoding.EncodeToString(data)))
	if r.Body["result"] != base64.StdEncoding.EncodeToString(data) || field(r.Body, "metadata", "content_type") != "binary" {
		t.Errorf("binary: %s", r.Raw)
	}
}

func TestServeTimeouts(t *testing.T) {
	s := serveServer(t, versionsConfig)
	waitReady(t, s)
	began := time.Now()
	r := post(t, s.URL+"/v1/algo/demo/crash?timeout=1", "text/plain", "sleep:30")
	want := map[string]any{"message": "algorithm did not complete within 1 seconds", "error_type": "TimeoutError"}
	if diff := cmp.Diff(want, r.Body["error"]); diff != "" || r.Status != 200 || time.Since(began) > 15*time.Second {
		t.Errorf("timeout after %v, status %d (-want +got):\n%s", time.Since(began), r.Status, diff)
	}
	// The runner was killed and replaced; the algorithm serves again.
	if r := post(t, s.URL+"/v1/algo/demo/crash", "text/plain", "x"); r.Body["result"] != "alive" {
		t.Errorf("after the timeout: %s", r.Raw)
	}
}

func TestServePlatformErrors(t *testing.T) {
	s := serveServer(t, `
server {
  max_body = "1KiB"
}
algorithm "demo/echo" {
  path = "{{examples}}/python/echo"
}
`)
	waitReady(t, s)
	url := s.URL + "/v1/algo/demo/echo"
	tests := []struct {
		name    string
		method  string
		url     string
		header  map[string]string
		body    string
		status  int
		message string
	}{
		{"get", http.MethodGet, url, nil, "", 405, "method GET not allowed: call an algorithm with POST"},
		{"too large", http.MethodPost, url, map[string]string{"Content-Type": "text/plain"}, strings.Repeat("x", 2000), 413, "request body larger than the server's max_body of 1024 bytes"},
		{"unsupported type", http.MethodPost, url, map[string]string{"Content-Type": "image/png"}, "x", 415, `unsupported Content-Type "image/png": use application/json, text/plain or application/octet-stream`},
		{"missing type", http.MethodPost, url, nil, "x", 400, "missing Content-Type header: use application/json, text/plain or application/octet-stream"},
		{"invalid json", http.MethodPost, url, map[string]string{"Content-Type": "application/json"}, "{", 400, "invalid JSON in request body: unexpected end of JSON input"},
		{"bad timeout", http.MethodPost, url + "?timeout=soon", map[string]string{"Content-Type": "text/plain"}, "x", 400, `invalid timeout "soon": give a positive number of seconds`},
		{"bad stdout", http.MethodPost, url + "?stdout=maybe", map[string]string{"Content-Type": "text/plain"}, "x", 400, `invalid stdout "maybe": use true or false`},
		{"bad output", http.MethodPost, url + "?output=xml", map[string]string{"Content-Type": "text/plain"}, "x", 400, `invalid output "xml": use raw, void or default`},
		{"unknown route", http.MethodGet, s.URL + "/v2/things", nil, "", 404, "no such endpoint: GET /v2/things"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, tt.method, tt.url, tt.header, []byte(tt.body))
			want := map[string]any{"error": map[string]any{"message": tt.message}}
			if diff := cmp.Diff(want, r.Body); diff != "" || r.Status != tt.status {
				t.Errorf("status %d, want %d (-want +got):\n%s", r.Status, tt.status, diff)
			}
			if ct := r.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}
	// Unknown query parameters are ignored; chunked bodies are normal.
	req, _ := http.NewRequest(http.MethodPost, url+"?unknown=1", strings.NewReader("chunked"))
	req.Header.Set("Content-Type", "text/plain")
	req.ContentLength = -1
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	if body["result"] != "chunked" {
		t.Errorf("chunked body: %v", body)
	}
}

func TestServeAPIKeys(t *testing.T) {
	s := serveServer(t, `
server {
  api_keys = ["k-one", env("SECOND_KEY")]
}
algorithm "demo/echo" {
  path = "{{examples}}/python/echo"
}
`, "SECOND_KEY=k-two")
	waitReady(t, s)
	url := s.URL + "/v1/algo/demo/echo"
	for _, auth := range []string{"Simple k-one", "simple k-one", "Bearer k-two", "k-two"} {
		r := do(t, http.MethodPost, url, map[string]string{"Content-Type": "text/plain", "Authorization": auth}, []byte("x"))
		if r.Status != 200 || r.Body["result"] != "x" {
			t.Errorf("%q: %d %s", auth, r.Status, r.Raw)
		}
	}
	tests := []struct {
		auth, message string
	}{
		{"", "authorization required: send Authorization: Simple <api key>"},
		{"Simple wrong", "invalid API key"},
		{"Bearer ", "invalid API key"},
	}
	for _, tt := range tests {
		header := map[string]string{"Content-Type": "text/plain"}
		if tt.auth != "" {
			header["Authorization"] = tt.auth
		}
		r := do(t, http.MethodPost, url, header, []byte("x"))
		if r.Status != 401 || field(r.Body, "error", "message") != tt.message {
			t.Errorf("%q: %d %s", tt.auth, r.Status, r.Raw)
		}
	}
	if r := do(t, http.MethodGet, s.URL+"/v1/algorithms", nil, nil); r.Status != 401 {
		t.Errorf("/v1/algorithms without a key: %d", r.Status)
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		if r := do(t, http.MethodGet, s.URL+path, nil, nil); r.Status != 200 {
			t.Errorf("%s without a key: %d %s", path, r.Status, r.Raw)
		}
	}
}

func TestServeLoadFailureKeepsOthersServing(t *testing.T) {
	s := serveServer(t, `
algorithm "demo/echo" {
  path = "{{examples}}/python/echo"
}
algorithm "demo/badload" {
  path = "{{examples}}/python/badload"
}
`)
	deadline := time.Now().Add(30 * time.Second)
	var entry map[string]any
	for time.Now().Before(deadline) {
		list := do(t, http.MethodGet, s.URL+"/v1/algorithms", nil, nil)
		for _, a := range list.Body["algorithms"].([]any) {
			if e := a.(map[string]any); e["algorithm"] == "demo/badload" {
				entry = e
			}
		}
		if entry["state"] == "failed" {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if entry["state"] != "failed" || !strings.Contains(fmt.Sprint(entry["last_load_error"]), "cannot load model") {
		t.Fatalf("badload entry: %v", entry)
	}
	if r := do(t, http.MethodGet, s.URL+"/readyz", nil, nil); r.Status != 503 || !strings.Contains(string(r.Raw), "demo/badload@1.0.0 (failed)") {
		t.Errorf("readyz: %d %s", r.Status, r.Raw)
	}
	r := post(t, s.URL+"/v1/algo/demo/badload", "text/plain", "x")
	if msg, _ := field(r.Body, "error", "message").(string); r.Status != 503 || r.Header.Get("Retry-After") != "5" || !strings.Contains(msg, "algorithm failed to load") || !strings.Contains(msg, "cannot load model") {
		t.Errorf("call to the failed algorithm: %d %s", r.Status, r.Raw)
	}
	if r := post(t, s.URL+"/v1/algo/demo/echo", "text/plain", "fine"); r.Body["result"] != "fine" {
		t.Errorf("the other algorithm: %s", r.Raw)
	}
}

func TestValidate(t *testing.T) {
	good := filepath.Join(repoRoot, "configs")
	if out, code := langserver(t, nil, "validate", "--config", good); code != 0 || !strings.Contains(out, "valid") {
		t.Errorf("validate configs/: %d %s", code, out)
	}
	bad := filepath.Join(t.TempDir(), "bad.hcl")
	writeFiles(t, filepath.Dir(bad), map[string]string{"bad.hcl": `algorithm "demo/hello" {
  langpack = "pyton"
  path     = "` + filepath.Join(repoRoot, "examples", "python", "hello") + `"
  timeot   = "5s"
}
`})
	out, code := langserver(t, nil, "validate", "--config", bad)
	for _, want := range []string{
		"Error: Unknown LangPack", `on ` + bad + ` line 2, in algorithm "demo/hello":`, `Did you mean "python"?`,
		"Error: Unsupported argument", `on ` + bad + ` line 4`, `Did you mean "timeout"?`,
		"the configuration is not valid",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("validate output lacks %q:\n%s", want, out)
		}
	}
	if code != 1 {
		t.Errorf("exit status %d", code)
	}
	// What a LangPack needs in the folder, and a folder no LangPack serves.
	algos := t.TempDir()
	writeFiles(t, algos, map[string]string{
		"nosrc/algorithmia.conf": `{"algoname": "nosrc", "language": "python3"}`,
		"cobol/algorithmia.conf": `{"algoname": "cobol", "language": "cobol"}`,
		"cobol/src/cobol.cbl":    "",
		"two/incomplete.hcl":     "algorithm \"demo/nosrc\" {\n  path = \"../nosrc\"\n}\n",
		"two/unserved.hcl":       "algorithm \"demo/cobol\" {\n  path = \"../cobol\"\n}\n",
	})
	out, code = langserver(t, nil, "validate", "--config", filepath.Join(algos, "two"))
	for _, want := range []string{
		"Error: Incomplete algorithm folder", "incomplete.hcl line 2", "lacks src/nosrc.py, which the python LangPack needs.",
		"Error: No LangPack for this algorithm", "unserved.hcl line 1", `for language "cobol"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("validate output lacks %q:\n%s", want, out)
		}
	}
	if code != 1 {
		t.Errorf("exit status %d", code)
	}
	// LangPack settings are checked against the schema each adapter declares.
	writeFiles(t, algos, map[string]string{"settings/langpacks.hcl": `langpack "python" {
  interpeter = "python3"
}
langpack "node" {
  node = 5
}
algorithm "demo/hello" {
  path = "` + filepath.Join(repoRoot, "examples", "python", "hello") + `"
}
algorithm "demo/hello-js" {
  path = "` + filepath.Join(repoRoot, "examples", "node", "hello") + `"
}
`})
	out, code = langserver(t, nil, "validate", "--config", filepath.Join(algos, "settings"))
	for _, want := range []string{
		`langpacks.hcl line 2, in langpack "python"`, `Did you mean "interpreter"?`,
		`langpacks.hcl line 5, in langpack "node"`, "node must be a string, not a number.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("validate output lacks %q:\n%s", want, out)
		}
	}
	if code != 1 {
		t.Errorf("exit status %d", code)
	}
	// serve refuses the same configuration with the same diagnostics.
	out, code = langserver(t, nil, "serve", "--config", bad, "--listen", freeAddr(t))
	if code != 1 || !strings.Contains(out, "Error: Unknown LangPack") {
		t.Errorf("serve with a bad config: %d %s", code, out)
	}
}

// TestOfficialNodeClient calls the server with Algorithmia's own Node.js
// client (algorithmia@0.3.10 from npm). The client is not ours: where it
// and the server disagree, the server is wrong.
func TestOfficialNodeClient(t *testing.T) {
	clientDir := filepath.Join(repoRoot, ".cache", "algorithmia-client")
	if _, err := os.Stat(filepath.Join(clientDir, "node_modules", "algorithmia", "package.json")); err != nil {
		install := exec.Command("npm", "install", "--no-audit", "--no-fund", "--prefix", clientDir, "algorithmia@0.3.10")
		if out, err := install.CombinedOutput(); err != nil {
			t.Fatalf("npm install algorithmia@0.3.10: %v\n%s", err, out)
		}
	}
	s := serveServer(t, `
server {
  api_keys = ["client-key"]
}
algorithm "demo/hello" {
  path = "{{examples}}/python/hello"
}
algorithm "demo/echo" {
  path = "{{examples}}/python/echo"
}
algorithm "demo/fail" {
  path = "{{examples}}/python/fail"
}
`)
	waitReady(t, s)
	script := `
const algorithmia = require(process.env.CLIENT + '/node_modules/algorithmia');
const client = algorithmia('client-key', process.env.API);
const call = (path, input) => new Promise((resolve) => client.algo(path).pipe(input).then(resolve));
const attempt = (fn) => { try { return fn(); } catch (e) { return 'threw: ' + e; } };
(async () => {
  const out = {};
  out.text = (await call('demo/hello', 'algorithmia')).get();
  out.json = (await call('demo/echo', {a: [1, 'two', null]})).get();
  out.binary = (await call('demo/echo', Buffer.from([0, 1, 2, 255]))).get().toString('hex');
  const failed = await call('demo/fail', 'x');
  out.error = attempt(() => failed.get());
  out.errorType = failed.error.error_type;
  const missing = await call('demo/nope', 'x');
  out.missing = {status: missing.status, error: attempt(() => missing.get())};
  const unauthorized = await new Promise((resolve) => algorithmia('wrong', process.env.API).algo('demo/hello').pipe('x').then(resolve));
  out.unauthorized = {status: unauthorized.status, error: attempt(() => unauthorized.get())};
  console.log(JSON.stringify(out));
})();
`
	cmd := exec.Command("node", "-e", script)
	cmd.Env = append(os.Environ(), "CLIENT="+clientDir, "API="+s.URL)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("client script: %v\n%s", err, out)
	}
	var got map[string]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("client output: %v\n%s", err, out)
	}
	want := map[string]any{
		"text":         "hello algorithmia",
		"json":         map[string]any{"a": []any{1.0, "two", nil}},
		"binary":       "000102ff",
		"error":        "threw: boom",
		"errorType":    "AlgorithmError",
		"missing":      map[string]any{"status": 404.0, "error": "threw: algorithm algo://demo/nope not found"},
		"unauthorized": map[string]any{"status": 401.0, "error": "threw: invalid API key"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the official client disagrees (-want +got):\n%s", diff)
	}
}

// TestReadmeConfigExample validates and serves the annotated configuration
// of the README.
func TestReadmeConfigExample(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	start := strings.Index(string(readme), "```hcl\nserver {")
	if start < 0 {
		t.Fatal("README has no annotated configuration")
	}
	config := string(readme[start+len("```hcl\n"):])
	config = config[:strings.Index(config, "```")]
	// Lay out ../examples and ../bin/plugins as the example expects.
	root := t.TempDir()
	for link, target := range map[string]string{"examples": filepath.Join(repoRoot, "examples"), "bin": binDir} {
		if err := os.Symlink(target, filepath.Join(root, link)); err != nil {
			t.Fatal(err)
		}
	}
	writeFiles(t, root, map[string]string{"configs/readme.hcl": config})
	path := filepath.Join(root, "configs", "readme.hcl")
	env := []string{"HELLO_TOKEN=secret", "CALLBACK_SECRET=s3cret"}
	if out, code := langserver(t, env, "validate", "--config", path); code != 0 {
		t.Fatalf("validate: %d\n%s", code, out)
	}
	s := startServer(t, env, "serve", "--config", path)
	waitReady(t, s)
	if r := post(t, s.URL+"/v1/algo/demo/hello/1.0", "text/plain", "readme"); r.Body["result"] != "hello readme" {
		t.Errorf("README configuration serves: %s", r.Raw)
	}
}

func TestServeAdapterKilled(t *testing.T) {
	tmp := t.TempDir()
	s := serveServer(t, versionsConfig, "TMPDIR="+tmp)
	waitReady(t, s)
	killAdapter(t, s, "python")
	// Calls get clear errors while the adapter is down, then succeed
	// again on every algorithm once it is back and the pools refilled.
	deadline := time.Now().Add(30 * time.Second)
	for _, path := range []string{"/v1/algo/demo/echo", "/v1/algo/demo/hello/1.2.0"} {
		for {
			r := post(t, s.URL+path, "text/plain", "back")
			if r.Body["result"] == "back" {
				break
			}
			if msg, _ := field(r.Body, "error", "message").(string); !strings.Contains(msg, "adapter") && !strings.Contains(msg, "load") {
				t.Errorf("%s while the adapter restarts: %d %s", path, r.Status, r.Raw)
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: no success within 30s of killing the adapter: %s", path, r.Raw)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitReady(t, s)
	// The relaunched adapter removed the folders the killed one left.
	stale, _ := filepath.Glob(filepath.Join(tmp, "langserver-adapter-*"))
	if len(stale) != 1 {
		t.Errorf("adapter folders after the relaunch: %v, want only the live adapter's", stale)
	}
	if runners, _ := filepath.Glob(filepath.Join(tmp, "langserver-pipe-*")); len(runners) != 6 {
		t.Errorf("runner folders after the relaunch: %d, want one per algorithm (6)", len(runners))
	}
}

// TestServeManyLanguagesConcurrently serves Python and Node algorithms,
// several versions of each, from one process to concurrent callers.
func TestServeManyLanguagesConcurrently(t *testing.T) {
	s := serveServer(t, `
algorithm "py/echo" {
  path    = "{{examples}}/python/echo"
  version = "1.0.0"
}
algorithm "py/echo" {
  path    = "{{examples}}/python/hello"
  version = "0.9.0"
}
algorithm "py/crash" {
  path = "{{examples}}/python/crash"
}
algorithm "js/echo" {
  path    = "{{examples}}/node/echo"
  version = "2.0.0"
}
algorithm "js/echo" {
  path    = "{{examples}}/node/hello"
  version = "1.0.0"
}
algorithm "js/crash" {
  path = "{{examples}}/node/crash"
}
`)
	waitReady(t, s)
	list := do(t, http.MethodGet, s.URL+"/v1/algorithms", nil, nil)
	langpacks := map[string]string{}
	for _, a := range list.Body["algorithms"].([]any) {
		e := a.(map[string]any)
		langpacks[e["algorithm"].(string)] = e["langpack"].(string)
	}
	if diff := cmp.Diff(map[string]string{"py/echo": "python", "py/crash": "python", "js/echo": "node", "js/crash": "node"}, langpacks); diff != "" {
		t.Errorf("LangPacks chosen from algorithmia.conf (-want +got):\n%s", diff)
	}
	// Each algorithm runs in its own runner.
	pyPID := post(t, s.URL+"/v1/algo/py/crash", "text/plain", "pid").Body["result"]
	jsPID := post(t, s.URL+"/v1/algo/js/crash", "text/plain", "pid").Body["result"]
	if pyPID == nil || jsPID == nil || pyPID == jsPID {
		t.Errorf("runner PIDs: python %v, node %v", pyPID, jsPID)
	}

	const clients, calls = 8, 40
	errs := make(chan error, clients*calls)
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			for i := range calls {
				payload := fmt.Sprintf("client %d call %d", c, i)
				var path, want string
				switch i % 4 {
				case 0:
					path, want = "/v1/algo/py/echo", payload
				case 1:
					path, want = "/v1/algo/py/echo/0.9.0", "hello "+payload
				case 2:
					path, want = "/v1/algo/js/echo", payload
				default:
					path, want = "/v1/algo/js/echo/1.0", "hello "+payload
				}
				resp, err := http.Post(s.URL+path, "text/plain", strings.NewReader(payload))
				if err != nil {
					errs <- err
					continue
				}
				var body map[string]any
				err = json.NewDecoder(resp.Body).Decode(&body)
				resp.Body.Close()
				if err != nil || body["result"] != want {
					errs <- fmt.Errorf("%s with %q: %v %v", path, payload, err, body)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestServeQueueFull(t *testing.T) {
	s := serveServer(t, `
algorithm "demo/crash" {
  path  = "{{examples}}/python/crash"
  queue = 0
  workers { max = 1 }
}
`)
	waitReady(t, s)
	url := s.URL + "/v1/algo/demo/crash"
	// Occupy the only runner; with no caller allowed to wait, a second
	// call is refused at once. (The long call itself may be the refused
	// one if a probe holds the runner when it arrives: then it is resent.)
	busy := make(chan *reply, 1)
	send := func() { go func() { busy <- post(t, url, "text/plain", "sleep:3") }() }
	send()
	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case r := <-busy:
			if r.Status != http.StatusServiceUnavailable {
				t.Fatalf("the long call ended before any refusal: %d %s", r.Status, r.Raw)
			}
			send()
		default:
		}
		r := post(t, url, "text/plain", "x")
		if r.Status == http.StatusServiceUnavailable {
			if field(r.Body, "error", "message") != "too many requests queued for this algorithm" || r.Header.Get("Retry-After") != "1" {
				t.Errorf("503: %v %s", r.Header, r.Raw)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no 503 while the runner was busy: %d %s", r.Status, r.Raw)
		}
	}
	if r := <-busy; r.Body["result"] != "alive" {
		t.Errorf("the long call: %s", r.Raw)
	}
}

// waitBusy waits until a runner of algorithm is serving a call.
func waitBusy(t *testing.T, s *server, algorithm string) {
	t.Helper()
	eventually(t, 20*time.Second, func() string {
		if algorithmEntry(t, s, algorithm)["busy"].(float64) == 0 {
			return "no runner of " + algorithm + " became busy"
		}
		return ""
	})
}

func TestServeGracefulShutdown(t *testing.T) {
	s := serveServer(t, `
server {
  shutdown_grace = "20s"
}
algorithm "demo/crash" {
  path = "{{examples}}/python/crash"
}
`)
	waitReady(t, s)
	s.recordChildren()
	long := make(chan *reply, 1)
	go func() { long <- post(t, s.URL+"/v1/algo/demo/crash", "text/plain", "sleep:3") }()
	waitBusy(t, s, "demo/crash")
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// Not ready, and new calls refused, while the long call finishes.
	deadline := time.Now().Add(2 * time.Second)
	for {
		r := do(t, http.MethodGet, s.URL+"/readyz", nil, nil)
		if r.Status == http.StatusServiceUnavailable && r.Body["status"] == "shutting down" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("readyz during shutdown: %d %s", r.Status, r.Raw)
		}
		time.Sleep(10 * time.Millisecond)
	}
	r := post(t, s.URL+"/v1/algo/demo/crash", "text/plain", "x")
	if r.Status != http.StatusServiceUnavailable || r.Header.Get("Retry-After") != "1" || field(r.Body, "error", "message") != "the server is shutting down" {
		t.Errorf("a new call during shutdown: %d %v %s", r.Status, r.Header, r.Raw)
	}
	if r := <-long; r.Body["result"] != "alive" {
		t.Errorf("the call in flight: %s", r.Raw)
	}
	if code := s.waitExit(20 * time.Second); code != 0 {
		t.Errorf("exit status %d", code)
	}
	s.assertNoLeftovers()
}

// TestServeKilledLeavesNothingBehind kills langserver itself with SIGKILL:
// its adapters and their runners die with it (parent-death signals).
func TestServeKilledLeavesNothingBehind(t *testing.T) {
	s := serveServer(t, versionsConfig)
	waitReady(t, s)
	s.recordChildren()
	if len(s.children) < 4 {
		t.Fatalf("expected adapters and runners below the server, saw %d processes", len(s.children))
	}
	if err := s.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	s.waitExit(10 * time.Second)
	s.assertNoLeftovers()
}

// TestServeDisconnectedCallerLeavesTheQueue: a caller that gives up while
// its request waits for a runner takes the request with it.
func TestServeDisconnectedCallerLeavesTheQueue(t *testing.T) {
	s := serveServer(t, `
algorithm "demo/crash" {
  path = "{{examples}}/python/crash"
  workers { max = 1 }
}
`)
	waitReady(t, s)
	url := s.URL + "/v1/algo/demo/crash"
	pid := post(t, url, "text/plain", "pid").Body["result"]
	busy := make(chan *reply, 1)
	go func() { busy <- post(t, url, "text/plain", "sleep:2") }()
	waitBusy(t, s, "demo/crash")
	// Queued behind the busy runner, this request would kill it; its
	// caller gives up first.
	impatient := &http.Client{Timeout: 300 * time.Millisecond}
	if resp, err := impatient.Post(url, "text/plain", strings.NewReader("exit:9")); err == nil {
		resp.Body.Close()
		t.Fatalf("the impatient call was answered: %s", resp.Status)
	}
	if r := <-busy; r.Body["result"] != "alive" {
		t.Errorf("the busy call: %s", r.Raw)
	}
	// The abandoned request never ran: the same runner serves on.
	if got := post(t, url, "text/plain", "pid").Body["result"]; got != pid {
		t.Errorf("runner pid %v after the abandoned request, want %v (it ran)", got, pid)
	}
}
