package sdk

import (
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestScaffoldFS(t *testing.T) {
	template := fstest.MapFS{
		"algorithmia.conf":           {Data: []byte(`{"algorithm":"__ALGO_NAME__","owner":"__ALGO_OWNER__"}`)},
		"src/__ALGO_NAME__.py":       {Data: []byte("def apply(input):\n    return '__ALGO_NAME__ by __ALGO_OWNER__'\n")},
		"src/__ALGO_NAME___test.py":  {Data: []byte("from . import __ALGO_NAME__\n")},
		"src/__init__.py":            {Data: []byte{}},
		"__ALGO_OWNER__/notes.txt":   {Data: []byte("owner __ALGO_OWNER__, twice __ALGO_OWNER__")},
		"bin/build":                  {Data: []byte("#!/bin/sh\necho building __ALGO_NAME__\n")},
		"bin/nested/__ALGO_NAME__":   {Data: []byte("x")},
		"binary.dat":                 {Data: []byte{0, 0xff}},
		"docs/bin/not-executable.md": {Data: []byte("# __UNKNOWN__ stays")},
		"emptydir":                   {Mode: fs.ModeDir | 0o755},
	}
	got, err := ScaffoldFS(template, &ScaffoldRequest{Owner: "alice", Name: "hello"})
	if err != nil {
		t.Fatalf("ScaffoldFS: %v", err)
	}
	want := []File{
		{Path: "algorithmia.conf", Content: []byte(`{"algorithm":"hello","owner":"alice"}`), Mode: 0o644},
		{Path: "src/hello.py", Content: []byte("def apply(input):\n    return 'hello by alice'\n"), Mode: 0o644},
		{Path: "src/hello_test.py", Content: []byte("from . import hello\n"), Mode: 0o644},
		{Path: "src/__init__.py", Content: []byte{}, Mode: 0o644},
		{Path: "alice/notes.txt", Content: []byte("owner alice, twice alice"), Mode: 0o644},
		{Path: "bin/build", Content: []byte("#!/bin/sh\necho building hello\n"), Mode: 0o755},
		{Path: "bin/nested/hello", Content: []byte("x"), Mode: 0o755},
		{Path: "binary.dat", Content: []byte{0, 0xff}, Mode: 0o644},
		{Path: "docs/bin/not-executable.md", Content: []byte("# __UNKNOWN__ stays"), Mode: 0o644},
	}
	opts := cmp.Options{
		cmpopts.SortSlices(func(a, b File) bool { return a.Path < b.Path }),
		cmpopts.EquateEmpty(),
	}
	if diff := cmp.Diff(want, got.Files, opts); diff != "" {
		t.Errorf("ScaffoldFS files mismatch (-want +got):\n%s", diff)
	}
}

func TestScaffoldFSPlaceholdersOnly(t *testing.T) {
	tests := []struct {
		name string
		req  ScaffoldRequest
		want string
	}{
		{"plain", ScaffoldRequest{Owner: "o", Name: "n"}, "n/o"},
		{"values are not re-expanded", ScaffoldRequest{Owner: "__ALGO_NAME__", Name: "__ALGO_OWNER__"}, "__ALGO_OWNER__/__ALGO_NAME__"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := ScaffoldFS(fstest.MapFS{"f": {Data: []byte("__ALGO_NAME__/__ALGO_OWNER__")}}, &tt.req)
			if err != nil {
				t.Fatalf("ScaffoldFS: %v", err)
			}
			if len(resp.Files) != 1 {
				t.Fatalf("got %d files, want 1", len(resp.Files))
			}
			if got := string(resp.Files[0].Content); got != tt.want {
				t.Errorf("content = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestScaffoldFSEmptyAndMissing(t *testing.T) {
	empty, err := ScaffoldFS(fstest.MapFS{}, &ScaffoldRequest{Owner: "o", Name: "n"})
	if err != nil || len(empty.Files) != 0 {
		t.Fatalf("empty template = %+v, %v; want no files", empty, err)
	}
	// A template whose root cannot be read reports the error.
	sub, err := fs.Sub(fstest.MapFS{"a": {Data: []byte("x")}}, "missing")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := ScaffoldFS(sub, &ScaffoldRequest{Owner: "o", Name: "n"})
	if err == nil {
		t.Fatalf("ScaffoldFS of a missing folder = %+v, want an error", resp)
	}
	if !strings.Contains(err.Error(), "not exist") {
		t.Errorf("error %q does not say the folder is missing", err)
	}
}
