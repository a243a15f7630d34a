package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/langserver/langserver/sdk"
)

func TestAtLeast(t *testing.T) {
	tests := []struct {
		v, min string
		want   bool
	}{
		{"3.1.2", "2.7", true},
		{"2.7.0", "2.7", true},
		{"2.6.10", "2.7", false},
		{"2.10", "2.7", true},
		{"3", "2.7", true},
		{"1.9.3", "2.7", false},
		{"3.4.0-preview1", "3.4", true},
	}
	for _, tt := range tests {
		if got := atLeast(tt.v, tt.min); got != tt.want {
			t.Errorf("atLeast(%q, %q) = %v, want %v", tt.v, tt.min, got, tt.want)
		}
	}
}

func TestMissingGems(t *testing.T) {
	var missing missingGems
	var passed []string
	watch := missing.watch(func(l sdk.OutputLine) { passed = append(passed, string(l.Text)) })
	lines := []string{
		"Resolving dependencies...",
		"Could not find gem 'nokogiri' in cached gems or installed locally.",
		"Could not find gem 'mime_types (>= 3)' in locally installed gems.",
	}
	for _, l := range lines {
		watch(sdk.OutputLine{Stream: sdk.Stderr, Text: []byte(l)})
	}
	if !slices.Equal(passed, lines) {
		t.Errorf("lines passed on = %q, want %q", passed, lines)
	}
	if want := (missingGems{"nokogiri", "mime_types"}); !slices.Equal(missing, want) {
		t.Fatalf("missing = %q, want %q", missing, want)
	}
	want := "gems not installed and no gem server reachable: nokogiri, mime_types; install them (Debian: apt-get install ruby-nokogiri ruby-mime-types)"
	if got := missing.String(); got != want {
		t.Errorf("message = %q, want %q", got, want)
	}
}

func TestTestFiles(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"test/a_test.rb", "test/test_b.rb", "test/helper.rb", "src/algo_test.rb", "src/algo.rb"} {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := testFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"test/a_test.rb", "test/test_b.rb", "src/algo_test.rb"}; !slices.Equal(got, want) {
		t.Errorf("testFiles = %q, want %q", got, want)
	}
}
