package e2e

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// runtimeSettings names, for every LangPack, the setting that points it at
// its runtime: set to a path that does not exist, the runtime is missing.
var runtimeSettings = map[string]string{
	"python": "interpreter", "node": "node", "ruby": "ruby", "r": "rscript", "java": "javac",
	"scala": "scalac", "rust": "cargo", "go": "go", "csharp": "mono",
}

// TestServeMissingRuntime: an algorithm whose LangPack runtime is missing
// fails to load with the message that says what to install, and the rest
// of the server keeps serving. The LangPacks are split in two halves: one
// server breaks the runtimes of one half and serves a hello of the other.
func TestServeMissingRuntime(t *testing.T) {
	mains, err := filepath.Glob(filepath.Join(repoRoot, "plugins", "*", "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	var langpacks []string
	for _, m := range mains {
		name := filepath.Base(filepath.Dir(m))
		if name == "pipe" {
			continue // runs the folder's own bin/pipe: no runtime of its own
		}
		if _, ok := runtimeSettings[name]; !ok {
			t.Fatalf("the %s LangPack is not in runtimeSettings: add the setting that names its runtime", name)
		}
		langpacks = append(langpacks, name)
	}
	half := len(langpacks) / 2
	for _, group := range [][2][]string{{langpacks[:half], langpacks[half:]}, {langpacks[half:], langpacks[:half]}} {
		broken, healthy := group[0], group[1][0]
		t.Run(strings.Join(broken, "+"), func(t *testing.T) {
			t.Parallel()
			var config strings.Builder
			for _, lp := range broken {
				fmt.Fprintf(&config, "langpack %q {\n  %s = \"/nonexistent/%s\"\n}\nalgorithm \"broken/%s\" {\n  path = \"{{examples}}/%s/hello\"\n}\n", lp, runtimeSettings[lp], lp, lp, lp)
			}
			fmt.Fprintf(&config, "algorithm \"healthy/%s\" {\n  path = \"{{examples}}/%s/hello\"\n}\n", healthy, healthy)
			s := serveServer(t, config.String())
			for _, lp := range broken {
				eventually(t, 60*time.Second, func() string {
					e := algorithmEntry(t, s, "broken/"+lp)
					msg := fmt.Sprint(e["last_load_error"])
					if e["state"] != "failed" || !strings.Contains(msg, "/nonexistent/"+lp) || !strings.Contains(msg, "apt-get install") {
						return fmt.Sprintf("broken/%s: %v", lp, e)
					}
					return ""
				})
				r := post(t, s.URL+"/v1/algo/broken/"+lp, "text/plain", "algorithmia")
				if msg, _ := field(r.Body, "error", "message").(string); r.Status != 503 || !strings.Contains(msg, "apt-get install") {
					t.Errorf("a call of broken/%s: %d %s", lp, r.Status, r.Raw)
				}
			}
			eventually(t, 120*time.Second, func() string {
				r := post(t, s.URL+"/v1/algo/healthy/"+healthy, "text/plain", "algorithmia")
				if got, _ := r.Body["result"].(string); !strings.EqualFold(got, "hello algorithmia") {
					return fmt.Sprintf("healthy/%s: %d %s", healthy, r.Status, r.Raw)
				}
				return ""
			})
		})
	}
}
