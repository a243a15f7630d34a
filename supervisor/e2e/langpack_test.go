package e2e

import (
	"archive/zip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// langserver runs a langserver command to completion and returns its
// combined output and exit status.
func langserver(t *testing.T, env []string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(filepath.Join(binDir, "langserver"), args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatalf("langserver %v: %v", args, err)
		}
	}
	return string(out), cmd.ProcessState.ExitCode()
}

// writeFiles creates files (path → content) below dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// installedLangPacks lists, in name order, the LangPacks built for the
// tests (plugins/*/main.go) except the generic pipe one, which has no
// runtime and no template.
func installedLangPacks(t *testing.T) []string {
	t.Helper()
	adapters, err := filepath.Glob(filepath.Join(binDir, "plugins", "langpack-*"))
	if err != nil || len(adapters) == 0 {
		t.Fatalf("no adapters in %s: %v", binDir, err)
	}
	var langs []string
	for _, a := range adapters {
		if lang := strings.TrimPrefix(filepath.Base(a), "langpack-"); lang != "pipe" {
			langs = append(langs, lang)
		}
	}
	return langs
}

// templateTestSummary is how each LangPack's test runner reports the
// template's one passing test; a LangPack not listed here is judged by the
// exit status of `langserver test` alone.
var templateTestSummary = map[string]*regexp.Regexp{
	"python": regexp.MustCompile(`Ran 1 test[\s\S]*\nOK`),
	"node":   regexp.MustCompile(`# pass 1\n# fail 0`),
	"ruby":   regexp.MustCompile(`1 runs, 1 assertions, 0 failures, 0 errors`),
	"r":      regexp.MustCompile(`\[ FAIL 0 \| WARN 0 \| SKIP 0 \| PASS 1 \]`),
	"java":   regexp.MustCompile(`OK \(1 test\)`),
	"scala":  regexp.MustCompile(`OK \(1 test\)`),
	"rust":   regexp.MustCompile(`test result: ok\. 1 passed; 0 failed`),
	"go":     regexp.MustCompile(`(?m)^ok\s+greeter\b`),
	"csharp": regexp.MustCompile(`Tests run: 1, Errors: 0, Failures: 0`),
}

// TestLangPackTemplates scaffolds an algorithm from every installed
// LangPack's template, builds it, runs its test and serves it unmodified:
// it answers the original project's vector, "algorithmia" → "hello algorithmia".
func TestLangPackTemplates(t *testing.T) {
	for _, lang := range installedLangPacks(t) {
		t.Run(lang, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "greeter")
			out, code := langserver(t, nil, "new", lang, "me/greeter", dir)
			if code != 0 || !strings.Contains(out, "created me/greeter") {
				t.Fatalf("new: exit %d\n%s", code, out)
			}
			conf, err := os.ReadFile(filepath.Join(dir, "algorithmia.conf"))
			if err != nil || !strings.Contains(string(conf), `"algoname": "greeter"`) || !strings.Contains(string(conf), `"username": "me"`) {
				t.Errorf("algorithmia.conf: %v %s", err, conf)
			}
			// The placeholders are replaced in every path and file.
			err = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
				if err != nil {
					return err
				}
				if strings.Contains(path, "__ALGO") {
					t.Errorf("placeholder left in a path: %s", path)
				}
				if d.IsDir() {
					return nil
				}
				content, err := os.ReadFile(path)
				if err == nil && strings.Contains(string(content), "__ALGO") {
					t.Errorf("placeholder left in %s", path)
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if out, code := langserver(t, nil, "build", dir); code != 0 {
				t.Fatalf("build: exit %d\n%s", code, out)
			}
			out, code = langserver(t, nil, "test", dir)
			if summary := templateTestSummary[lang]; code != 0 || (summary != nil && !summary.MatchString(out)) {
				t.Errorf("test: exit %d, want 0 and one passing test\n%s", code, out)
			}
			s := runServer(t, nil, dir)
			if r := post(t, s.URL, "text/plain", "algorithmia"); r.Body["result"] != "hello algorithmia" {
				t.Errorf("served template: %s", r.Raw)
			}
			if out, code := langserver(t, nil, "new", lang, "me/greeter", dir); code == 0 || !strings.Contains(out, "not empty") {
				t.Errorf("new over an existing folder: exit %d\n%s", code, out)
			}
		})
	}
}

func TestPythonTestFailureIsReported(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "greeter")
	langserver(t, nil, "new", "python", "demo/greeter", dir)
	writeFiles(t, dir, map[string]string{"src/greeter.py": "def apply(input):\n    return 'Bye ' + input\n"})
	out, code := langserver(t, nil, "test", dir)
	if code == 0 || !strings.Contains(out, "AssertionError") || !strings.Contains(out, "test failed") {
		t.Errorf("failing test: exit %d\n%s", code, out)
	}
}

// writeWheel builds a minimal pure-Python wheel, so a build can install a
// requirement with no package index (none is reachable here).
func writeWheel(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := zip.NewWriter(f)
	files := []struct{ name, body string }{
		{"tinypkg/__init__.py", "def shout(s):\n    return s.upper() + '!'\n"},
		{"tinypkg-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: tinypkg\nVersion: 1.0\n"},
		{"tinypkg-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\nGenerator: langserver-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"},
		{"tinypkg-1.0.dist-info/RECORD", "tinypkg/__init__.py,,\ntinypkg-1.0.dist-info/METADATA,,\ntinypkg-1.0.dist-info/WHEEL,,\ntinypkg-1.0.dist-info/RECORD,,\n"},
	}
	for _, file := range files {
		fw, err := w.Create(file.name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fw.Write([]byte(file.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestPythonBuildInstallsRequirements(t *testing.T) {
	dir := t.TempDir()
	writeWheel(t, filepath.Join(dir, "tinypkg-1.0-py3-none-any.whl"))
	writeFiles(t, dir, map[string]string{
		"algorithmia.conf": `{"algoname": "shout", "username": "demo", "language": "python3"}`,
		"requirements.txt": "# offline: a local wheel\n./tinypkg-1.0-py3-none-any.whl\n",
		"src/__init__.py":  "",
		"src/shout.py":     "import tinypkg\n\ndef apply(input):\n    return tinypkg.shout(input)\n",
	})
	out, code := langserver(t, nil, "build", dir)
	if code != 0 || !strings.Contains(out, "Successfully installed tinypkg-1.0") {
		t.Fatalf("build: exit %d\n%s", code, out)
	}
	if _, err := os.Stat(filepath.Join(dir, ".langserver", "site-packages", "tinypkg", "__init__.py")); err != nil {
		t.Errorf("requirement not in the algorithm's own folder: %v", err)
	}
	s := runServer(t, nil, dir)
	if r := post(t, s.URL, "text/plain", "hey"); r.Body["result"] != "HEY!" {
		t.Errorf("algorithm using its requirement: %s", r.Raw)
	}

	writeFiles(t, dir, map[string]string{"requirements.txt": "./missing-1.0-py3-none-any.whl\n"})
	out, code = langserver(t, nil, "build", dir)
	if code == 0 || !strings.Contains(out, "missing-1.0-py3-none-any.whl") {
		t.Errorf("build with a missing requirement: exit %d\n%s", code, out)
	}
}

// TestLangPacksListsRuntimes: every LangPack is listed with the runtime it
// found, its name, version and path.
func TestLangPacksListsRuntimes(t *testing.T) {
	out, code := langserver(t, nil, "langpacks")
	if code != 0 {
		t.Errorf("langpacks: exit %d\n%s", code, out)
	}
	for _, lang := range installedLangPacks(t) {
		if !regexp.MustCompile(`(?m)^` + lang + `\s+\S+\s+\S+ \d+(\.\d+)*\S*\s+/`).MatchString(out) {
			t.Errorf("langpacks lists no runtime for %s:\n%s", lang, out)
		}
	}
}

func TestPythonRuntimeMissing(t *testing.T) {
	// A PATH without python3: the LangPack says what to install.
	env := []string{"PATH=" + t.TempDir()}
	out, code := langserver(t, env, "run", example("python", "hello"), "--listen", freeAddr(t))
	want := `the python LangPack cannot run: Python 3 interpreter "python3" not found: install it (Debian: apt-get install python3)`
	if code == 0 || !strings.Contains(out, want) {
		t.Errorf("run without python3: exit %d\n%s", code, out)
	}
	out, code = langserver(t, env, "langpacks")
	if code == 0 || !regexp.MustCompile(`(?m)^python\s+\S+\s+missing\s+Python 3 interpreter`).MatchString(out) {
		t.Errorf("langpacks without python3: exit %d\n%s", code, out)
	}
}
