package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestMonoVersion(t *testing.T) {
	tests := []struct{ out, want string }{
		{"Mono JIT compiler version 6.8.0.105 (Debian 6.8.0.105+dfsg-3.3 Sat Jun 21 2025)\nCopyright ...\n", "6.8.0.105"},
		{"Mono JIT compiler version 6.12.0.200 (tarball)\n", "6.12.0.200"},
		{"Python 3.11.2\n", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := monoVersion(tt.out); got != tt.want {
			t.Errorf("monoVersion(%q) = %q, want %q", tt.out, got, tt.want)
		}
	}
}

func TestFindFiles(t *testing.T) {
	root := t.TempDir()
	for _, name := range []string{"b.cs", "a/c.CS", "a/d.txt", ".langserver/e.cs"} {
		path := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := findFiles(root, ".cs")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(root, "a", "c.CS"), filepath.Join(root, "b.cs")}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findFiles (-want +got):\n%s", diff)
	}
	if got, err := findFiles(filepath.Join(root, "missing"), ".dll"); err != nil || len(got) != 0 {
		t.Errorf("missing folder: %v, %v", got, err)
	}
}

func TestAlgoname(t *testing.T) {
	dir := t.TempDir()
	write := func(content string) {
		if err := os.WriteFile(filepath.Join(dir, "algorithmia.conf"), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(`{"algoname": "greeter", "language": "csharp"}`)
	if name, err := algoname(dir); err != nil || name != "greeter" {
		t.Errorf("algoname = %q, %v", name, err)
	}
	write(`{"language": "csharp"}`)
	if _, err := algoname(dir); err == nil {
		t.Error("no algoname: no error")
	}
}
