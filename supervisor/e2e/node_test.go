package e2e

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The Node.js LangPack, end to end: `langserver run` on the examples in
// examples/node with the real node, and the new/build/test commands.

func TestNodeContentTypes(t *testing.T) {
	s := runServer(t, nil, example("node", "echo"))
	binary := make([]byte, 256)
	for i := range binary {
		binary[i] = byte(i)
	}
	tests := []struct {
		name        string
		contentType string
		body        []byte
		wantResult  any
		wantContent string
	}{
		{"text stays a string", "text/plain", []byte("héllo"), "héllo", "text"},
		{"json object stays an object", "application/json", []byte(`{"a": [1, 2, {"b": null}]}`), map[string]any{"a": []any{1.0, 2.0, map[string]any{"b": nil}}}, "json"},
		{"json number", "application/json", []byte(`42`), 42.0, "json"},
		{"json null", "application/json", []byte(`null`), nil, "json"},
		{"json string is a string", "application/json", []byte(`"quoted"`), "quoted", "text"},
		{"binary stays a Buffer", "application/octet-stream", binary, base64.StdEncoding.EncodeToString(binary), "binary"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := post(t, s.URL, tt.contentType, string(tt.body))
			if r.Status != http.StatusOK {
				t.Fatalf("status %d: %s", r.Status, r.Raw)
			}
			if diff := cmp.Diff(tt.wantResult, r.Body["result"]); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
			if got := field(r.Body, "metadata", "content_type"); got != tt.wantContent {
				t.Errorf("content_type = %v, want %s: %s", got, tt.wantContent, r.Raw)
			}
		})
	}
}

func TestNodeAsyncAndCallbackStyles(t *testing.T) {
	for _, style := range []string{"async", "callback"} {
		t.Run(style, func(t *testing.T) {
			s := runServer(t, nil, example("node", style))
			for _, in := range []string{"one", "two"} {
				if r := post(t, s.URL, "text/plain", in); r.Body["result"] != style+" "+in || field(r.Body, "metadata", "content_type") != "text" {
					t.Errorf("%q: %s", in, r.Raw)
				}
			}
			r := post(t, s.URL, "text/plain", "fail")
			st, _ := field(r.Body, "error", "stacktrace").(string)
			if field(r.Body, "error", "message") != style+" failure" || field(r.Body, "error", "error_type") != "AlgorithmError" || !strings.Contains(st, style+".js") {
				t.Errorf("failure: %s", r.Raw)
			}
			if r := post(t, s.URL, "text/plain", "after"); r.Body["result"] != style+" after" {
				t.Errorf("after a failure: %s", r.Raw)
			}
		})
	}
}

func TestNodeAlgorithmErrors(t *testing.T) {
	s := runServer(t, nil, example("node", "fail"))
	r := post(t, s.URL, "text/plain", "x")
	if r.Status != 200 || field(r.Body, "error", "message") != "boom" || field(r.Body, "error", "error_type") != "AlgorithmError" {
		t.Errorf("default error: status %d: %s", r.Status, r.Raw)
	}
	if st, _ := field(r.Body, "error", "stacktrace").(string); !strings.HasPrefix(st, "Error: boom\n") || !strings.Contains(st, filepath.Join("fail", "src", "fail.js")) {
		t.Errorf("stacktrace = %q", st)
	}
	r = post(t, s.URL, "application/json", `{"error_type": "InputError", "message": "bad \"input\"\n"}`)
	if field(r.Body, "error", "error_type") != "InputError" || field(r.Body, "error", "message") != "bad \"input\"\n" {
		t.Errorf("custom error_type: %s", r.Raw)
	}
	if st, _ := field(r.Body, "error", "stacktrace").(string); !strings.HasPrefix(st, "TypedError: bad") {
		t.Errorf("custom error stacktrace = %q", st)
	}
	if _, ok := field(r.Body, "metadata", "duration").(float64); !ok {
		t.Errorf("metadata.duration missing: %s", r.Raw)
	}
}

func TestNodeResultTypes(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"algorithmia.conf": `{"algoname": "types", "username": "demo", "language": "javascript"}`,
		"src/types.js": `'use strict';
const results = {
  undefined: () => undefined,
  uint8array: () => new Uint8Array([0, 1, 2, 255]).subarray(1),
  bigint: () => 1n,
  string: () => { throw 'a thrown string'; },
};
module.exports.apply = (input) => results[input]();
`,
	})
	s := runServer(t, nil, dir)
	tests := []struct {
		input       string
		wantResult  any
		wantContent string
		wantError   any
	}{
		{"undefined", nil, "json", nil},
		{"uint8array", base64.StdEncoding.EncodeToString([]byte{1, 2, 255}), "binary", nil},
		{"bigint", nil, "", map[string]any{"message": "result is not JSON serializable: Do not know how to serialize a BigInt", "error_type": "AlgorithmError"}},
		{"string", nil, "", map[string]any{"message": "a thrown string", "error_type": "AlgorithmError"}},
	}
	for _, tt := range tests {
		t.Run(tt.input, func(t *testing.T) {
			r := post(t, s.URL, "text/plain", tt.input)
			if diff := cmp.Diff(tt.wantError, r.Body["error"]); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			if tt.wantError != nil {
				return
			}
			if _, ok := r.Body["result"]; !ok || !cmp.Equal(tt.wantResult, r.Body["result"]) || field(r.Body, "metadata", "content_type") != tt.wantContent {
				t.Errorf("want result %v (%s): %s", tt.wantResult, tt.wantContent, r.Raw)
			}
		})
	}
}

func TestNodeOutputPrecedesResponse(t *testing.T) {
	s := runServer(t, nil, example("node", "chatty"), "--max-output", "16MiB")
	post(t, s.URL, "application/json", `{}`) // takes the load-time output
	const lines = 50000                      // 5 MB, far more than a pipe holds
	r := post(t, s.URL, "application/json", fmt.Sprintf(`{"flood": %d, "out": "last"}`, lines))
	stdout, _ := field(r.Body, "metadata", "stdout").(string)
	if n := strings.Count(stdout, "\n"); n != lines+1 || !strings.HasSuffix(stdout, "\nlast\n") {
		t.Errorf("flooded call: %d lines of stdout, want %d; ends %q", n, lines+1, stdout[max(0, len(stdout)-120):])
	}
	r = post(t, s.URL, "application/json", `{"out": "calm"}`)
	if stdout, _ := field(r.Body, "metadata", "stdout").(string); stdout != "calm\n" {
		t.Errorf("after the flood: %d bytes of stdout, starts %q", len(stdout), stdout[:min(len(stdout), 120)])
	}
}

func TestNodeStdinBelongsToTheRunner(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"algorithmia.conf": `{"algoname": "reader", "username": "demo", "language": "javascript"}`,
		// Reading stdin would swallow the next request if it were the
		// request pipe; the algorithm gets /dev/null instead.
		"src/reader.js": `'use strict';
const fs = require('node:fs');
const { execFileSync } = require('node:child_process');
module.exports.apply = (input) => {
  const read = fs.readFileSync(0, 'utf8');
  const child = execFileSync('cat', { stdio: ['inherit', 'pipe', 'inherit'], encoding: 'utf8' });
  return input + ': [' + read + '] [' + child + ']';
};
`,
	})
	s := runServer(t, nil, dir)
	for _, in := range []string{"one", "two", "three"} {
		if r := post(t, s.URL, "text/plain", in); r.Body["result"] != in+": [] []" {
			t.Errorf("%s: %s", in, r.Raw)
		}
	}
}

func TestNodeLoadFailures(t *testing.T) {
	tests := []struct {
		name, source, wantOutput string
	}{
		{"throws while loading", "console.log('loading');\nthrow new Error('cannot load model');\n", "Error: cannot load model"},
		{"syntax error", "const x = ;\n", "SyntaxError: Unexpected token"},
		{"no apply", "module.exports = function apply(input) { return input; };\n", "node runner: src/broken.js does not export apply(input)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, map[string]string{
				"algorithmia.conf": `{"algoname": "broken", "username": "demo", "language": "javascript"}`,
				"src/broken.js":    tt.source,
			})
			s := runServer(t, nil, dir)
			r := post(t, s.URL, "text/plain", "x")
			msg, _ := field(r.Body, "error", "message").(string)
			if r.Status != 200 || field(r.Body, "error", "error_type") != "LoadingError" || !strings.Contains(msg, "exited with code 1") {
				t.Errorf("call: %s", r.Raw)
			}
			if out, _ := field(r.Body, "metadata", "stdout").(string); !strings.Contains(out, tt.wantOutput) {
				t.Errorf("load output = %q, want it to contain %q", out, tt.wantOutput)
			}
		})
	}
}

func TestNodeLanguagePicksLangPack(t *testing.T) {
	for _, language := range []string{"javascript", "nodejs", "node"} {
		t.Run(language, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, map[string]string{
				"algorithmia.conf": `{"algoname": "lang", "username": "demo", "language": "` + language + `"}`,
				"src/lang.js":      "module.exports = { apply: (input) => `${process.release.name}: ${input}` };\n",
			})
			s := runServer(t, nil, dir)
			if r := post(t, s.URL, "text/plain", "hi"); r.Body["result"] != "node: hi" {
				t.Errorf("served: %s", r.Raw)
			}
			var adapters []string
			for _, pid := range descendants(s.cmd.Process.Pid) {
				if cmd := cmdline(pid); strings.Contains(cmd, "langpack-") {
					adapters = append(adapters, filepath.Base(strings.Fields(cmd)[0]))
				}
			}
			if diff := cmp.Diff([]string{"langpack-node"}, adapters); diff != "" {
				t.Errorf("adapters under the server (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNodeTestFailureIsReported(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "greeter")
	langserver(t, nil, "new", "node", "demo/greeter", dir)
	writeFiles(t, dir, map[string]string{"src/greeter.js": "module.exports = { apply: (input) => `Bye ${input}` };\n"})
	out, code := langserver(t, nil, "test", dir)
	if code == 0 || !strings.Contains(out, "fail 1") || !strings.Contains(out, "Bye algorithmia") || !strings.Contains(out, "test failed") {
		t.Errorf("failing test: exit %d\n%s", code, out)
	}
}

func TestNodeBuildInstallsDependencies(t *testing.T) {
	dir := t.TempDir()
	// Offline: npm installs a dependency from a local folder and must not
	// reach for a registry (none is reachable here).
	env := []string{"npm_config_offline=true", "npm_config_cache=" + t.TempDir()}
	writeFiles(t, dir, map[string]string{
		"algorithmia.conf":            `{"algoname": "shout", "username": "demo", "language": "javascript"}`,
		"package.json":                `{"name": "shout", "version": "1.0.0", "private": true, "dependencies": {"tinydep": "file:./vendor/tinydep"}}`,
		"vendor/tinydep/package.json": `{"name": "tinydep", "version": "1.0.0", "main": "index.js"}`,
		"vendor/tinydep/index.js":     "exports.shout = (s) => s.toUpperCase() + '!';\n",
		"src/shout.js":                "const { shout } = require('tinydep');\nmodule.exports = { apply: (input) => shout(input) };\n",
	})
	out, code := langserver(t, env, "build", dir)
	if code != 0 || !strings.Contains(out, "added 1 package") {
		t.Fatalf("build: exit %d\n%s", code, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "tinydep", "index.js")); err != nil {
		t.Errorf("dependency not in the algorithm's node_modules: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "package-lock.json")); err != nil {
		t.Errorf("npm install wrote no lockfile: %v", err)
	}
	s := runServer(t, nil, dir)
	if r := post(t, s.URL, "text/plain", "hey"); r.Body["result"] != "HEY!" {
		t.Errorf("algorithm using its dependency: %s", r.Raw)
	}

	// With a lockfile the build is npm ci, which starts from an empty
	// node_modules.
	marker := filepath.Join(dir, "node_modules", "stale")
	writeFiles(t, dir, map[string]string{"node_modules/stale": ""})
	if out, code := langserver(t, env, "build", dir); code != 0 {
		t.Fatalf("second build: exit %d\n%s", code, out)
	}
	if _, err := os.Stat(marker); !os.IsNotExist(err) {
		t.Errorf("the build with a lockfile did not run npm ci: %s is still there (%v)", marker, err)
	}

	// A dependency npm cannot get fails the build with npm's status.
	if err := os.Remove(filepath.Join(dir, "package-lock.json")); err != nil {
		t.Fatal(err)
	}
	writeFiles(t, dir, map[string]string{"package.json": `{"name": "shout", "version": "1.0.0", "private": true, "dependencies": {"langserver-no-such-package": "^1.0.0"}}`})
	out, code = langserver(t, env, "build", dir)
	if code == 0 || !strings.Contains(out, "langserver-no-such-package") || !strings.Contains(out, "build failed") {
		t.Errorf("build with an unavailable dependency: exit %d\n%s", code, out)
	}

	writeFiles(t, dir, map[string]string{"package.json": `{"name": "shout", "version": "1.0.0", "devDependencies": {"langserver-no-such-package": "^1.0.0"}}`})
	if out, code := langserver(t, env, "build", dir); code != 0 || !strings.Contains(out, "build: skipped: no dependencies in package.json") {
		t.Errorf("build with dev dependencies only: exit %d\n%s", code, out)
	}
}

func TestNodeRuntimeMissing(t *testing.T) {
	// A PATH without node: the LangPack says what to install.
	env := []string{"PATH=" + t.TempDir()}
	out, code := langserver(t, env, "run", example("node", "hello"), "--listen", freeAddr(t))
	want := `the node LangPack cannot run: Node.js executable "node" not found: install it (Debian: apt-get install nodejs)`
	if code == 0 || !strings.Contains(out, want) {
		t.Errorf("run without node: exit %d\n%s", code, out)
	}
	out, code = langserver(t, env, "test", example("node", "hello"))
	if code == 0 || !strings.Contains(out, want) {
		t.Errorf("test without node: exit %d\n%s", code, out)
	}
	out, code = langserver(t, env, "langpacks")
	if code == 0 || !regexp.MustCompile(`(?m)^node\s+\S+\s+missing\s+Node.js executable`).MatchString(out) {
		t.Errorf("langpacks without node: exit %d\n%s", code, out)
	}
}
