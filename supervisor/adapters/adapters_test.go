package adapters

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/go-hclog"
)

func TestServes(t *testing.T) {
	tests := []struct {
		name      string
		languages []string
		language  string
		want      bool
	}{
		{"exact", []string{"python3"}, "python3", true},
		{"dash suffix", []string{"python3"}, "python3-1", true},
		{"dot suffix", []string{"python3"}, "python3.x", true},
		{"longer version is not a suffix", []string{"python3"}, "python30", false},
		{"underscore is not a separator", []string{"python3"}, "python3_1", false},
		{"shorter language", []string{"python3"}, "python", false},
		{"language is case-insensitive", []string{"python3"}, "PYTHON3-1", true},
		{"listed value is case-insensitive", []string{"Python2"}, "python2.7", true},
		{"language is trimmed", []string{"python3"}, " python3 ", true},
		{"any listed value matches", []string{"python2", "python3"}, "python3-1", true},
		{"other language", []string{"python2", "python3"}, "ruby", false},
		{"empty language", []string{"python3"}, "", false},
		{"no languages", nil, "python3", false},
		{"prefix in the middle does not count", []string{"python3"}, "cpython3", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Serves(tt.languages, tt.language); got != tt.want {
				t.Errorf("Serves(%q, %q) = %v, want %v", tt.languages, tt.language, got, tt.want)
			}
		})
	}
}

func TestDir(t *testing.T) {
	cwd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	exe, err = filepath.EvalSymlinks(exe)
	if err != nil {
		t.Fatal(err)
	}
	besideExe := filepath.Join(filepath.Dir(exe), "plugins")
	tests := []struct {
		name string
		flag string
		env  string
		want string
	}{
		{name: "flag wins over env", flag: "/opt/flag-plugins", env: "/opt/env-plugins", want: "/opt/flag-plugins"},
		{name: "relative flag is made absolute", flag: "rel/plugins", env: "/opt/env-plugins", want: filepath.Join(cwd, "rel/plugins")},
		{name: "flag is cleaned", flag: "/opt/x/../plugins/", want: "/opt/plugins"},
		{name: "env when no flag", env: "/opt/env-plugins", want: "/opt/env-plugins"},
		{name: "relative env is made absolute", env: "env-plugins", want: filepath.Join(cwd, "env-plugins")},
		{name: "beside the executable otherwise", want: besideExe},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(EnvPluginDir, tt.env)
			got, err := Dir(tt.flag)
			if err != nil {
				t.Fatalf("Dir(%q): %v", tt.flag, err)
			}
			if got != tt.want {
				t.Errorf("Dir(%q) with %s=%q = %q, want %q", tt.flag, EnvPluginDir, tt.env, got, tt.want)
			}
		})
	}
}

// makeCatalogDir creates dir with the given regular files (mode 0755) and
// directories (names ending in "/").
func makeCatalogDir(t *testing.T, names ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, n := range names {
		p := filepath.Join(dir, n)
		if n[len(n)-1] == '/' {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(p, []byte("#!/bin/sh\nexit 1\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestCatalogNames(t *testing.T) {
	tests := []struct {
		name  string
		files []string
		want  []string
	}{
		{
			name: "only langpack- files, sorted",
			files: []string{
				"langpack-python", "langpack-pipe", "langpack-r-lang",
				"langpack-ruby/", // a directory
				"langpack-",      // no name
				"Langpack-java",  // prefix is case-sensitive
				"python", "README.md", "plugins/",
			},
			want: []string{"pipe", "python", "r-lang"},
		},
		{name: "empty folder", files: nil, want: nil},
		{name: "only directories", files: []string{"langpack-a/", "langpack-b/"}, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := makeCatalogDir(t, tt.files...)
			c := NewCatalog(dir, hclog.NewNullLogger())
			if c.Dir() != dir {
				t.Errorf("Dir() = %q, want %q", c.Dir(), dir)
			}
			got, err := c.Names()
			if err != nil {
				t.Fatalf("Names: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Names mismatch (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("missing folder", func(t *testing.T) {
		c := NewCatalog(filepath.Join(t.TempDir(), "absent"), hclog.NewNullLogger())
		names, err := c.Names()
		if !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("Names() = %q, %v; want an error wrapping fs.ErrNotExist", names, err)
		}
	})
}

func TestLaunchNotInstalled(t *testing.T) {
	tests := []struct {
		name      string
		files     []string
		installed string
	}{
		{name: "lists what is installed", files: []string{"langpack-python", "langpack-pipe", "langpack-dir/"}, installed: "pipe, python"},
		{name: "nothing installed", files: nil, installed: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := makeCatalogDir(t, tt.files...)
			c := NewCatalog(dir, hclog.NewNullLogger())
			a, err := c.Launch(context.Background(), "ruby")
			if a != nil {
				a.Kill()
				t.Fatal("Launch of a missing LangPack returned an adapter")
			}
			if !errors.Is(err, ErrNotInstalled) {
				t.Fatalf("Launch error = %v, want one wrapping ErrNotInstalled", err)
			}
			want := `LangPack not installed: "ruby" (no ` + filepath.Join(dir, "langpack-ruby") + "; installed in " + dir + ": " + tt.installed + ")"
			if diff := cmp.Diff(want, err.Error()); diff != "" {
				t.Errorf("error message mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestForDirNotInstalled(t *testing.T) {
	algo := t.TempDir()
	if err := os.WriteFile(filepath.Join(algo, "algorithmia.conf"), []byte(`{"algoname": "x", "language": "python3"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		files []string
		want  string
	}{
		{
			name: "empty catalog",
			want: `LangPack not installed for language "python3" of ` + algo + `, which has no bin/pipe either (installed: ): choose a LangPack`,
		},
		{
			name:  "the pipe LangPack is never chosen by language",
			files: []string{"langpack-pipe"},
			want:  `LangPack not installed for language "python3" of ` + algo + `, which has no bin/pipe either (installed: pipe): choose a LangPack`,
		},
		{
			// langpack-broken exits at once: ForDir skips it.
			name:  "adapters that do not start are skipped",
			files: []string{"langpack-broken", "langpack-pipe"},
			want:  `LangPack not installed for language "python3" of ` + algo + `, which has no bin/pipe either (installed: broken, pipe): choose a LangPack`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := makeCatalogDir(t, tt.files...)
			set := NewCatalog(dir, hclog.NewNullLogger()).NewSet()
			defer set.Release()
			a, err := set.ForDir(context.Background(), algo, "")
			if a != nil {
				t.Fatal("ForDir returned an adapter")
			}
			if !errors.Is(err, ErrNotInstalled) {
				t.Fatalf("ForDir error = %v, want one wrapping ErrNotInstalled", err)
			}
			if diff := cmp.Diff(tt.want, err.Error()); diff != "" {
				t.Errorf("error message mismatch (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("missing folder", func(t *testing.T) {
		set := NewCatalog(filepath.Join(t.TempDir(), "absent"), hclog.NewNullLogger()).NewSet()
		_, err := set.ForDir(context.Background(), algo, "")
		if !errors.Is(err, fs.ErrNotExist) || errors.Is(err, ErrNotInstalled) {
			t.Errorf("ForDir error = %v, want a folder read error", err)
		}
	})
}
