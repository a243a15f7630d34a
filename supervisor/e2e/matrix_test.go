package e2e

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// matrixLoadTimeout bounds the first load of every algorithm of the
// matrix: compiled LangPacks (Java, Scala, Rust, C#, Go) compile at load,
// all at once, on a machine that may have two cores.
const matrixLoadTimeout = 10 * time.Minute

// conformanceLanguages lists, in name order, the LangPacks that have an
// examples/<lang>/conformance algorithm: adding a LangPack's folder adds
// the LangPack to the matrix.
func conformanceLanguages(t *testing.T) []string {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join(repoRoot, "examples", "*", "conformance", "algorithmia.conf"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no examples/*/conformance algorithms: %v", err)
	}
	langs := make([]string, len(dirs))
	for i, d := range dirs {
		langs[i] = filepath.Base(filepath.Dir(filepath.Dir(d)))
	}
	return langs
}

// matrixConfig serves each language's conformance algorithm as
// matrix/<lang> on exactly one runner, so that its process id tells
// whether a call reached the same runner, and its hello algorithm as
// matrix/hello-<lang>.
func matrixConfig(langs []string) string {
	var b strings.Builder
	for _, lang := range langs {
		fmt.Fprintf(&b, `
algorithm "matrix/%[1]s" {
  path         = "{{examples}}/%[1]s/conformance"
  load_timeout = "%[2]s"
  workers {
    min = 1
    max = 1
  }
}
algorithm "matrix/hello-%[1]s" {
  path         = "{{examples}}/%[1]s/hello"
  load_timeout = "%[2]s"
}
`, lang, matrixLoadTimeout)
	}
	return b.String()
}

// waitSettled waits until no algorithm of s is loading any more and
// returns the /v1/algorithms entries by algorithm name, so that a
// LangPack that cannot load fails its own subtests only.
func waitSettled(t *testing.T, s *server, timeout time.Duration) map[string]map[string]any {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		list := do(t, http.MethodGet, s.URL+"/v1/algorithms", nil, nil)
		entries := map[string]map[string]any{}
		loading := []string{}
		algos, _ := list.Body["algorithms"].([]any)
		for _, a := range algos {
			e := a.(map[string]any)
			name := e["algorithm"].(string)
			entries[name] = e
			if e["state"] == "loading" {
				loading = append(loading, name)
			}
		}
		if len(algos) > 0 && len(loading) == 0 {
			return entries
		}
		if time.Now().After(deadline) {
			t.Fatalf("still loading after %v: %v", timeout, loading)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// binaryInput is every byte value once.
func binaryInput() []byte {
	b := make([]byte, 256)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

// checkResult fails t unless r is a 200 success of contentType whose
// result is want.
func checkResult(t *testing.T, r *reply, contentType string, want any) {
	t.Helper()
	result, ok := r.Body["result"]
	if r.Status != http.StatusOK || !ok || field(r.Body, "metadata", "content_type") != contentType {
		t.Fatalf("want a %s result, got status %d: %s", contentType, r.Status, r.Raw)
	}
	if diff := cmp.Diff(want, result); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
}

// runnerPID asks a conformance algorithm for its runner's process id.
func runnerPID(t *testing.T, url string) float64 {
	t.Helper()
	r := post(t, url, "text/plain", "pid")
	pid, ok := r.Body["result"].(float64)
	if !ok || pid <= 0 || pid != float64(int64(pid)) || field(r.Body, "metadata", "content_type") != "json" {
		t.Fatalf("pid: want a positive JSON number, got status %d: %s", r.Status, r.Raw)
	}
	return pid
}

// checkPrinted fails t unless merged, stdout and stderr merged in arrival
// order, holds exactly the two lines "print" writes: written to two
// streams, they may arrive in either order.
func checkPrinted(t *testing.T, merged any) {
	t.Helper()
	if merged != "to stdout\nto stderr\n" && merged != "to stderr\nto stdout\n" {
		t.Errorf("stdout and stderr merged = %q, want the lines \"to stdout\" and \"to stderr\"", merged)
	}
}

// TestLangPackMatrix checks the runner contract in every LangPack, end to
// end over HTTP through one `langserver serve` that serves each language's
// conformance algorithm (see examples/*/conformance) and hello algorithm.
func TestLangPackMatrix(t *testing.T) {
	langs := conformanceLanguages(t)
	s := serveServer(t, matrixConfig(langs))
	began := time.Now()
	states := waitSettled(t, s, matrixLoadTimeout)
	t.Logf("%d algorithms of %d LangPacks settled in %v", len(states), len(langs), time.Since(began).Round(time.Millisecond))
	for _, lang := range langs {
		t.Run(lang, func(t *testing.T) {
			t.Parallel()
			for _, algo := range []string{"matrix/" + lang, "matrix/hello-" + lang} {
				if e := states[algo]; e["state"] != "ready" {
					t.Fatalf("%s is %v: %v", algo, e["state"], e["last_load_error"])
				}
			}
			url := s.URL + "/v1/algo/matrix/" + lang

			t.Run("hello vector", func(t *testing.T) {
				r := post(t, s.URL+"/v1/algo/matrix/hello-"+lang, "text/plain", "algorithmia")
				checkResult(t, r, "text", "hello algorithmia")
			})
			t.Run("text", func(t *testing.T) {
				text := "wörld ✓ \"quoted\"\n\ttabbed 日本"
				checkResult(t, post(t, url, "text/plain; charset=utf-8", text), "text", "hello "+text)
			})
			t.Run("json", func(t *testing.T) {
				for _, tt := range []struct{ name, body string }{
					{"object", `{"a":[1,"two",null],"b":{"c":true,"d":2.5}}`},
					{"array", `[1,"two",null,{"x":[]}]`},
					{"integer", `42`},
					{"float", `-2.5`},
					{"true", `true`},
					{"false", `false`},
					{"null", `null`},
				} {
					t.Run(tt.name, func(t *testing.T) {
						r := post(t, url, "application/json", tt.body)
						var want any
						if err := json.Unmarshal([]byte(tt.body), &want); err != nil {
							t.Fatal(err)
						}
						checkResult(t, r, "json", want)
					})
				}
			})
			t.Run("binary", func(t *testing.T) {
				in := binaryInput()
				r := do(t, http.MethodPost, url, map[string]string{"Content-Type": "application/octet-stream"}, in)
				checkResult(t, r, "binary", base64.StdEncoding.EncodeToString(in))
			})
			t.Run("error", func(t *testing.T) {
				r := post(t, url, "text/plain", "fail")
				if r.Status != http.StatusOK || field(r.Body, "error", "message") != "conformance failure" || field(r.Body, "error", "error_type") != "ConformanceError" {
					t.Errorf("want the ConformanceError, got status %d: %s", r.Status, r.Raw)
				}
				if st, _ := field(r.Body, "error", "stacktrace").(string); strings.TrimSpace(st) == "" {
					t.Errorf("no stack trace: %s", r.Raw)
				}
			})
			t.Run("stdout and stderr", func(t *testing.T) {
				r := post(t, url+"?stdout=true", "text/plain", "print")
				checkResult(t, r, "text", "printed")
				checkPrinted(t, field(r.Body, "metadata", "stdout"))
				// What a call prints belongs to that call alone.
				r = post(t, url+"?stdout=true", "text/plain", "quiet")
				if got := field(r.Body, "metadata", "stdout"); got != "" {
					t.Errorf("a quiet call after print: stdout %q", got)
				}
			})
			t.Run("stdout and stderr apart", func(t *testing.T) {
				// `langserver run` reports stderr on its own as well.
				run := runServer(t, nil, example(lang, "conformance"))
				// The first call also gets what the runner printed while loading.
				checkResult(t, post(t, run.URL, "text/plain", "warm"), "text", "hello warm")
				r := post(t, run.URL, "text/plain", "print")
				checkResult(t, r, "text", "printed")
				checkPrinted(t, field(r.Body, "metadata", "stdout"))
				if got := field(r.Body, "metadata", "stderr"); got != "to stderr\n" {
					t.Errorf("stderr = %q, want %q", got, "to stderr\n")
				}
			})
			t.Run("same runner", func(t *testing.T) {
				pid := runnerPID(t, url)
				for i := range 3 {
					checkResult(t, post(t, url, "text/plain", fmt.Sprint(i)), "text", fmt.Sprintf("hello %d", i))
					if got := runnerPID(t, url); got != pid {
						t.Fatalf("call %d: runner %v, want the same runner %v", i, got, pid)
					}
				}
			})
			t.Run("crash", func(t *testing.T) {
				pid := runnerPID(t, url)
				r := post(t, url, "text/plain", "crash")
				if r.Status != http.StatusOK || field(r.Body, "error", "error_type") != "SystemExit" || field(r.Body, "error", "message") != "exited with code 3" {
					t.Fatalf("crash: want a SystemExit with code 3, got status %d: %s", r.Status, r.Raw)
				}
				// The next call waits for the replacement runner.
				replacement := runnerPID(t, url)
				if replacement == pid {
					t.Errorf("after the crash: runner %v, want a new one", pid)
				}
				checkResult(t, post(t, url, "text/plain", "again"), "text", "hello again")
				if got := runnerPID(t, url); got != replacement {
					t.Errorf("the replacement runner %v did not serve on: %v", replacement, got)
				}
			})
		})
	}
}

// TestLangPackMatrixCoversEveryLangPack keeps the matrix complete: every
// installed LangPack but the generic pipe one has a conformance example.
func TestLangPackMatrixCoversEveryLangPack(t *testing.T) {
	covered := map[string]bool{}
	for _, lang := range conformanceLanguages(t) {
		covered[lang] = true
	}
	for _, lang := range installedLangPacks(t) {
		if !covered[lang] {
			t.Errorf("LangPack %s has no examples/%s/conformance algorithm", lang, lang)
		}
		if _, err := os.Stat(filepath.Join(example(lang, "hello"), "algorithmia.conf")); err != nil {
			t.Errorf("LangPack %s has no hello example: %v", lang, err)
		}
	}
}

// TestMakeRunServesEveryLangPack serves configs/, what `make run` serves:
// a hello algorithm of every installed LangPack answers the original
// project's vector.
func TestMakeRunServesEveryLangPack(t *testing.T) {
	s := startServer(t, nil, "serve", "--config", filepath.Join(repoRoot, "configs"))
	states := waitSettled(t, s, matrixLoadTimeout)
	served := map[string]bool{}
	for _, name := range slices.Sorted(maps.Keys(states)) {
		e := states[name]
		if !strings.HasPrefix(name, "demo/hello") {
			continue
		}
		served[e["langpack"].(string)] = true
		t.Run(name, func(t *testing.T) {
			if e["state"] != "ready" {
				t.Fatalf("%s is %v: %v", name, e["state"], e["last_load_error"])
			}
			checkResult(t, post(t, s.URL+"/v1/algo/"+name, "text/plain", "algorithmia"), "text", "hello algorithmia")
		})
	}
	for _, lang := range installedLangPacks(t) {
		if !served[lang] {
			t.Errorf("configs/ serves no demo/hello algorithm of the %s LangPack", lang)
		}
	}
}
