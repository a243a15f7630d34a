package config

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/hashicorp/hcl/v2"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// testEnv is the environment env() sees in the tests.
var testEnv = map[string]string{"ALGO_KEY": "secret", "TOKEN": "t0k"}

func testOptions() Options {
	return Options{
		LookupEnv: func(name string) (string, bool) {
			v, ok := testEnv[name]
			return v, ok
		},
		LangPacks: []string{"pipe", "python"},
	}
}

// abs is a testdata path as Load resolves it.
func abs(t *testing.T, rel string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("testdata", rel))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// ignoreSources leaves out what the cmp.Diff of a Config cannot compare
// usefully: source ranges (checked by the golden files) and the bodies of
// langpack blocks (checked by the Settings tests).
var ignoreSources = cmp.Options{
	cmpopts.IgnoreFields(Algorithm{}, "DeclRange", "LangPackRange", "PathRange"),
	cmpopts.IgnoreFields(LangPack{}, "Body", "DeclRange"),
	cmpopts.IgnoreUnexported(LangPack{}),
	cmpopts.EquateEmpty(),
}

func defaultJobsForTest() Jobs {
	return Jobs{MaxQueued: 10000, Retention: 24 * time.Hour, CallbackBackoffMin: time.Second, CallbackBackoffMax: 5 * time.Minute}
}

func defaultWorkers() Workers {
	return Workers{Min: 1, Max: 4, IdleTimeout: 5 * time.Minute, MaxRestartDelay: 30 * time.Second}
}

func TestLoadGood(t *testing.T) {
	hello := func(t *testing.T) *Algorithm {
		return &Algorithm{
			Owner: "demo", Name: "hello", Path: abs(t, "algos/hello"), Version: "1.0.0",
			Timeout: 300 * time.Second, LoadTimeout: 5 * time.Minute,
			Workers: defaultWorkers(), Queue: 64, MaxOutput: 1 << 20, MaxResult: 15 << 20,
		}
	}
	defaults := Server{Listen: "0.0.0.0:9999", MaxBody: 10 << 20, ReadTimeout: 60 * time.Second, ShutdownGrace: 30 * time.Second,
		MaxTimeout: 3000 * time.Second, MaxOutput: 1 << 20, MaxResult: 15 << 20, DataDir: "data"}
	jobs := defaultJobsForTest()

	tests := map[string]func(t *testing.T) *Config{
		"empty.good.hcl": func(t *testing.T) *Config {
			return &Config{Server: defaults, Jobs: jobs}
		},
		"minimal.good.hcl": func(t *testing.T) *Config {
			return &Config{Server: defaults, Jobs: jobs, Algorithms: []*Algorithm{hello(t)}}
		},
		"full.good.hcl": func(t *testing.T) *Config {
			return &Config{
				Server: Server{
					Listen:        "127.0.0.1:8080",
					MaxBody:       1 << 20,
					APIKeys:       []string{"k1", "secret"},
					ReadTimeout:   90 * time.Second,
					ShutdownGrace: 0,
					MaxTimeout:    10 * time.Minute,
					MaxOutput:     2 << 20,
					MaxResult:     20e6,
					DataDir:       abs(t, "state/jobs"),
				},
				Jobs:      Jobs{MaxQueued: 500, Retention: time.Hour, CallbackBackoffMin: 100 * time.Millisecond, CallbackBackoffMax: 10 * time.Second},
				PluginDir: abs(t, "plugins"),
				LangPacks: map[string]*LangPack{"python": {Name: "python"}},
				Algorithms: []*Algorithm{
					{
						Owner: "demo", Name: "hello", LangPack: "python", Path: abs(t, "algos/hello"), Version: "1.0.0",
						Timeout: 10 * time.Second, LoadTimeout: 90 * time.Second,
						Env:       map[string]string{"GREETING": "hi", "TOKEN": "t0k"},
						Workers:   Workers{Min: 0, Max: 4, IdleTimeout: 2 * time.Minute, MaxRestartDelay: 5 * time.Second},
						Queue:     0,
						MaxOutput: 64 << 10, MaxResult: 20e6,
						Callback: &Callback{URL: "https://hooks.example.com/langserver", Secret: "secret", MaxAttempts: 5},
					},
					func() *Algorithm {
						a := hello(t)
						a.Version = "2.1.10"
						a.MaxOutput, a.MaxResult = 2<<20, 20e6
						return a
					}(),
					{
						Owner: "demo", Name: "echo", LangPack: "pipe", Path: abs(t, "algos/echo"), Version: "1.0.0",
						Timeout: 300 * time.Second, LoadTimeout: 5 * time.Minute,
						Workers: Workers{Min: 1, Max: 3, IdleTimeout: 5 * time.Minute, MaxRestartDelay: 30 * time.Second},
						Queue:   64, MaxOutput: 2 << 20, MaxResult: 20e6,
					},
				},
			}
		},
	}

	fixtures, err := filepath.Glob("testdata/*.good.hcl")
	if err != nil {
		t.Fatal(err)
	}
	if len(fixtures) != len(tests) {
		t.Errorf("%d *.good.hcl fixtures, %d expected configs: keep them in step", len(fixtures), len(tests))
	}
	for _, fixture := range fixtures {
		name := filepath.Base(fixture)
		t.Run(name, func(t *testing.T) {
			want, ok := tests[name]
			if !ok {
				t.Fatalf("no expected config for %s", fixture)
			}
			cfg, files, diags := Load(fixture, testOptions())
			if len(diags) > 0 {
				var buf bytes.Buffer
				files.WriteDiagnostics(&buf, diags, false)
				t.Fatalf("Load(%s) diagnostics:\n%s", fixture, buf.String())
			}
			if diff := cmp.Diff(want(t), cfg, ignoreSources); diff != "" {
				t.Errorf("Load(%s) mismatch (-want +got):\n%s", fixture, diff)
			}
		})
	}
}

// TestLoadBad renders each bad fixture's diagnostics and compares them with
// its golden file; go test -update rewrites the golden files.
func TestLoadBad(t *testing.T) {
	fixtures, err := filepath.Glob("testdata/*.bad.hcl")
	if err != nil {
		t.Fatal(err)
	}
	fixtures = append(fixtures, "testdata/folder-dup")
	for _, fixture := range fixtures {
		t.Run(filepath.Base(fixture), func(t *testing.T) {
			_, files, diags := Load(fixture, testOptions())
			if !diags.HasErrors() {
				t.Fatalf("Load(%s) reported no errors", fixture)
			}
			for _, d := range diags {
				if d.Subject == nil {
					t.Errorf("diagnostic %q has no subject", d.Summary)
				}
			}
			var buf bytes.Buffer
			if err := files.WriteDiagnostics(&buf, diags, false); err != nil {
				t.Fatal(err)
			}
			golden(t, strings.TrimSuffix(fixture, ".hcl")+".golden", buf.Bytes())
		})
	}
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("diagnostics differ from %s (-want +got), go test -update rewrites it:\n%s", path, diff)
	}
}

// TestLoadManyReportsAll checks that one mistake does not hide the others.
func TestLoadManyReportsAll(t *testing.T) {
	_, _, diags := Load("testdata/many.bad.hcl", testOptions())
	var summaries []string
	for _, d := range diags {
		summaries = append(summaries, d.Summary)
	}
	want := []string{
		"Incorrect attribute value type", // listen = 9999
		"Invalid size",
		"Invalid algorithm name",
		"Unknown LangPack",
		"Algorithm folder not found",
		"Invalid duration",
		"Value out of range", // queue
		"Invalid workers range",
		"Invalid version",
		"Invalid function argument", // env("UNSET_TOKEN")
		"Unsupported argument",      // retries
	}
	if diff := cmp.Diff(want, summaries); diff != "" {
		t.Errorf("summaries (-want +got):\n%s", diff)
	}
}

func TestLoadFolder(t *testing.T) {
	cfg, files, diags := Load("testdata/folder", testOptions())
	if len(diags) > 0 {
		var buf bytes.Buffer
		files.WriteDiagnostics(&buf, diags, false)
		t.Fatalf("diagnostics:\n%s", buf.String())
	}
	algo := func(name, version string) *Algorithm {
		return &Algorithm{
			Owner: "demo", Name: name, Path: abs(t, "algos/"+name), Version: version,
			Timeout: 300 * time.Second, LoadTimeout: 5 * time.Minute,
			Workers: defaultWorkers(), Queue: 64, MaxOutput: 1 << 20, MaxResult: 15 << 20,
		}
	}
	want := &Config{
		Server: Server{Listen: ":9000", MaxBody: 10 << 20, ReadTimeout: 60 * time.Second, ShutdownGrace: 30 * time.Second,
			MaxTimeout: 3000 * time.Second, MaxOutput: 1 << 20, MaxResult: 15 << 20, DataDir: "data"},
		Jobs: defaultJobsForTest(),
		// Files in name order, blocks in file order.
		Algorithms: []*Algorithm{algo("hello", "1.0.0"), algo("echo", "1.0.0"), algo("hello", "1.1.0")},
	}
	if diff := cmp.Diff(want, cfg, ignoreSources); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
	if got, want := cfg.Algorithms[2].DeclRange.Filename, filepath.Join("testdata", "folder", "20-algorithms.hcl"); got != want {
		t.Errorf("third algorithm declared in %s, want %s", got, want)
	}
}

func TestLoadRanges(t *testing.T) {
	cfg, _, diags := Load("testdata/full.good.hcl", testOptions())
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	pos := func(r hcl.Range) string { return r.String() }
	a := cfg.Algorithms[0]
	for _, tt := range []struct{ what, got, want string }{
		{"DeclRange", pos(a.DeclRange), "testdata/full.good.hcl:29,1-23"},
		{"LangPackRange", pos(a.LangPackRange), "testdata/full.good.hcl:30,18-26"},
		{"PathRange", pos(a.PathRange), "testdata/full.good.hcl:31,18-33"},
		// Without a langpack attribute, LangPackRange is the block's header.
		{"LangPackRange (absent)", pos(cfg.Algorithms[1].LangPackRange), "testdata/full.good.hcl:52,1-23"},
		{"LangPack DeclRange", pos(cfg.LangPacks["python"].DeclRange), "testdata/full.good.hcl:24,1-18"},
	} {
		if tt.got != tt.want {
			t.Errorf("%s = %s, want %s", tt.what, tt.got, tt.want)
		}
	}
}

func TestLoadLangPacksUnchecked(t *testing.T) {
	// Without Options.LangPacks, any LangPack name is accepted.
	opts := testOptions()
	opts.LangPacks = nil
	cfg, _, diags := Load("testdata/unknown_langpack.bad.hcl", opts)
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	if got := cfg.Algorithms[0].LangPack; got != "pyton" {
		t.Errorf("LangPack = %q, want pyton", got)
	}
}

func TestLoadCheck(t *testing.T) {
	opts := testOptions()
	var checked []string
	opts.Check = func(a *Algorithm) hcl.Diagnostics {
		checked = append(checked, a.Owner+"/"+a.Name+"@"+a.Version)
		if a.LangPack != "" {
			return nil
		}
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "No LangPack",
			Detail:   "algorithmia.conf names no language.",
			Subject:  a.LangPackRange.Ptr(),
		}}
	}
	_, _, diags := Load("testdata/full.good.hcl", opts)
	if diff := cmp.Diff([]string{"demo/hello@1.0.0", "demo/hello@2.1.10", "demo/echo@1.0.0"}, checked); diff != "" {
		t.Errorf("checked (-want +got):\n%s", diff)
	}
	if len(diags) != 1 || diags[0].Summary != "No LangPack" || diags[0].Subject.Start.Line != 52 {
		t.Errorf("diagnostics = %v, want one No LangPack at line 52", diags)
	}

	// An algorithm with errors of its own is not checked.
	checked = nil
	Load("testdata/duration.bad.hcl", opts)
	if len(checked) != 0 {
		t.Errorf("checked %v, want none", checked)
	}
}

func TestLoadDefaultLookupEnv(t *testing.T) {
	t.Setenv("LANGSERVER_CONFIG_TEST_KEY", "from-env")
	dir := t.TempDir()
	file := filepath.Join(dir, "server.hcl")
	if err := os.WriteFile(file, []byte(`server { api_keys = [env("LANGSERVER_CONFIG_TEST_KEY")] }`), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, _, diags := Load(file, Options{})
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	if diff := cmp.Diff([]string{"from-env"}, cfg.Server.APIKeys); diff != "" {
		t.Errorf("APIKeys (-want +got):\n%s", diff)
	}
}

func TestLoadMissing(t *testing.T) {
	for _, tt := range []struct {
		name, path, summary string
	}{
		{"no such file", "testdata/nope.hcl", "Cannot read the configuration"},
		{"folder without hcl files", "testdata/algos", "No configuration files"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, files, diags := Load(tt.path, testOptions())
			if len(diags) != 1 || diags[0].Summary != tt.summary {
				t.Fatalf("diagnostics = %v, want one %q", diags, tt.summary)
			}
			if files == nil {
				t.Fatal("Files is nil")
			}
			var buf bytes.Buffer
			if err := files.WriteDiagnostics(&buf, diags, false); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(buf.String(), tt.summary) {
				t.Errorf("rendered %q, want the summary", buf.String())
			}
		})
	}
}

func TestWriteDiagnosticsColor(t *testing.T) {
	_, files, diags := Load("testdata/duration.bad.hcl", testOptions())
	var buf bytes.Buffer
	if err := files.WriteDiagnostics(&buf, diags, true); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "\x1b[31mError\x1b[0m: Invalid duration") {
		t.Errorf("no colored severity in:\n%s", buf.String())
	}
}
