package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCargoVersion(t *testing.T) {
	tests := []struct {
		out  string
		want bool
	}{
		{"cargo 1.95.0 (f2d3ce0bd 2026-03-21)\n", true},
		{"cargo 1.65.0\n", true},
		{"cargo 1.80.0-nightly (abc 2024-05-01)\n", true},
		{"cargo 0.66.0\n", false}, // Debian 12's cargo package
		{"cargo 1.64.0\n", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := atLeast(cargoVersion(tt.out), 1, 65); got != tt.want {
			t.Errorf("atLeast(cargoVersion(%q)) = %v, want %v", tt.out, got, tt.want)
		}
	}
}

func TestParseLibraryName(t *testing.T) {
	const lib = `{"packages":[{"name":"greeter","manifest_path":"/a/Cargo.toml","targets":[{"kind":["lib"]},{"kind":["test"]}]}]}`
	if name, err := parseLibraryName([]byte(lib), "/a/Cargo.toml"); err != nil || name != "greeter" {
		t.Errorf("library: %q, %v", name, err)
	}
	const bin = `{"packages":[{"name":"tool","manifest_path":"/a/Cargo.toml","targets":[{"kind":["bin"]}]}]}`
	if _, err := parseLibraryName([]byte(bin), "/a/Cargo.toml"); err == nil || !strings.Contains(err.Error(), "no library target") {
		t.Errorf("binary crate: %v", err)
	}
	if _, err := parseLibraryName([]byte(lib), "/b/Cargo.toml"); err == nil {
		t.Error("another manifest: no error")
	}
}

func TestCargoConfig(t *testing.T) {
	debian := t.TempDir()
	for _, crate := range []string{"serde_json-1.0.87", "itoa-1.0.1"} {
		if err := os.MkdirAll(filepath.Join(debian, crate), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for range 2 { // the second call finds everything in place
		config, crateDir, err := cargoConfig(debian)
		if err != nil {
			t.Fatal(err)
		}
		content, err := os.ReadFile(config)
		if err != nil || !strings.Contains(string(content), `replace-with = "langserver"`) {
			t.Fatalf("config %s: %q, %v", config, content, err)
		}
		registry := filepath.Dir(crateDir)
		for _, entry := range []string{"serde_json-1.0.87", "itoa-1.0.1", "langserver-0.1.0/Cargo.toml", "langserver-0.1.0/src/lib.rs", "langserver-0.1.0/.cargo-checksum.json"} {
			if _, err := os.Stat(filepath.Join(registry, entry)); err != nil {
				t.Errorf("registry lacks %s: %v", entry, err)
			}
		}
		t.Cleanup(func() { os.RemoveAll(filepath.Dir(registry)) })
	}
}

func TestMissingCrateHint(t *testing.T) {
	out := []byte("error: no matching package named `serde_yaml` found\nlocation searched: ...")
	want := "; crate serde_yaml is not in the offline registry: install it (Debian: apt-get install librust-serde-yaml-dev)"
	if got := missingCrateHint(out, "; "); got != want {
		t.Errorf("hint %q, want %q", got, want)
	}
	if got := missingCrateHint([]byte("error[E0425]: cannot find value"), "; "); got != "" {
		t.Errorf("hint for another error: %q", got)
	}
}
