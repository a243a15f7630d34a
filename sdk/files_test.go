package sdk

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

// extract calls ExtractFile and checks the file it returns: its content,
// its mode (executable) and its place (TMPDIR/<prefix>-<12 hex>/<base>).
func extract(t *testing.T, fsys fs.FS, name, prefix string, want string) (string, os.FileInfo) {
	t.Helper()
	p, err := ExtractFile(fsys, name, prefix)
	if err != nil {
		t.Fatalf("ExtractFile(%q): %v", name, err)
	}
	if dir := filepath.Dir(filepath.Dir(p)); dir != os.TempDir() {
		t.Errorf("extracted to %s, want a folder in %s", p, os.TempDir())
	}
	folder := regexp.MustCompile("^" + regexp.QuoteMeta(prefix) + "-[0-9a-f]{12}$")
	if base := filepath.Base(filepath.Dir(p)); !folder.MatchString(base) {
		t.Errorf("extracted into folder %q, want %s", base, folder)
	}
	if got, want := filepath.Base(p), filepath.Base(name); got != want {
		t.Errorf("extracted file is named %q, want %q", got, want)
	}
	got, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("extracted content = %q, want %q", got, want)
	}
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o755 {
		t.Errorf("extracted file mode = %v, want 0755", fi.Mode().Perm())
	}
	return p, fi
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestExtractFile(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	v1 := fstest.MapFS{"runner/pipe.py": {Data: []byte("print('v1')\n")}}
	v2 := fstest.MapFS{"runner/pipe.py": {Data: []byte("print('v2')\n")}}

	p1, fi1 := extract(t, v1, "runner/pipe.py", "langserver-test", "print('v1')\n")

	t.Run("same content: same path, not rewritten", func(t *testing.T) {
		p, fi := extract(t, v1, "runner/pipe.py", "langserver-test", "print('v1')\n")
		if p != p1 {
			t.Errorf("second extraction at %s, first at %s", p, p1)
		}
		if !os.SameFile(fi1, fi) {
			t.Errorf("second extraction replaced the file")
		}
	})
	t.Run("different content: different path, both kept", func(t *testing.T) {
		p2, _ := extract(t, v2, "runner/pipe.py", "langserver-test", "print('v2')\n")
		if p2 == p1 {
			t.Fatalf("different contents extracted to the same path %s", p1)
		}
		got, err := os.ReadFile(p1)
		if err != nil || string(got) != "print('v1')\n" {
			t.Errorf("first version = %q, %v after extracting the second", got, err)
		}
	})
	t.Run("same content under another prefix: another folder", func(t *testing.T) {
		p, _ := extract(t, v1, "runner/pipe.py", "other", "print('v1')\n")
		if filepath.Dir(p) == filepath.Dir(p1) {
			t.Errorf("prefix ignored: %s", p)
		}
	})
	t.Run("a damaged copy is replaced", func(t *testing.T) {
		if err := os.WriteFile(p1, []byte("garbage"), 0o644); err != nil {
			t.Fatal(err)
		}
		p, _ := extract(t, v1, "runner/pipe.py", "langserver-test", "print('v1')\n")
		if p != p1 {
			t.Errorf("repaired copy at %s, want %s", p, p1)
		}
	})
	t.Run("no temporary files are left", func(t *testing.T) {
		if diff := cmp.Diff([]string{"pipe.py"}, dirNames(t, filepath.Dir(p1))); diff != "" {
			t.Errorf("extraction folder mismatch (-want +got):\n%s", diff)
		}
	})
	t.Run("missing file", func(t *testing.T) {
		p, err := ExtractFile(v1, "runner/absent.py", "langserver-test")
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("ExtractFile of a missing file = %q, %v; want fs.ErrNotExist", p, err)
		}
	})
}

func TestExtractFileConcurrent(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	fsys := fstest.MapFS{"tool.sh": {Data: []byte("#!/bin/sh\necho concurrent\n")}}
	const n = 8
	paths := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { paths[i], errs[i] = ExtractFile(fsys, "tool.sh", "langserver-concurrent") })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("extraction %d: %v", i, errs[i])
		}
		if paths[i] != paths[0] {
			t.Errorf("extraction %d at %s, extraction 0 at %s", i, paths[i], paths[0])
		}
	}
	got, err := os.ReadFile(paths[0])
	if err != nil || string(got) != "#!/bin/sh\necho concurrent\n" {
		t.Errorf("content = %q, %v", got, err)
	}
	if diff := cmp.Diff([]string{"tool.sh"}, dirNames(t, filepath.Dir(paths[0]))); diff != "" {
		t.Errorf("extraction folder mismatch (-want +got):\n%s", diff)
	}
}
