package sdk

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestCompileIfStale(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	if err := os.MkdirAll(filepath.Join(src, ".langserver"), 0o755); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(src, "a.txt")
	if err := os.WriteFile(file, []byte("a"), 0o644); err != nil {
		t.Fatal(err)
	}
	stamp := filepath.Join(dir, ".langserver", "built")
	var runs atomic.Int32
	compile := func(context.Context) error { runs.Add(1); return nil }
	ctx := context.Background()

	// Concurrent starts on a fresh folder compile once.
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if err := CompileIfStale(ctx, stamp, []string{src}, compile); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got := runs.Load(); got != 1 {
		t.Fatalf("fresh folder: compiled %d times, want 1", got)
	}

	// Output under .langserver never makes the build stale.
	future := time.Now().Add(time.Hour)
	out := filepath.Join(src, ".langserver", "out")
	if err := os.WriteFile(out, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(out, future, future); err != nil {
		t.Fatal(err)
	}
	if err := CompileIfStale(ctx, stamp, []string{src, filepath.Join(dir, "missing")}, compile); err != nil || runs.Load() != 1 {
		t.Fatalf("unchanged sources: err %v, compiled %d times, want 1", err, runs.Load())
	}

	// A newer source compiles again.
	if err := os.Chtimes(file, future, future); err != nil {
		t.Fatal(err)
	}
	if err := CompileIfStale(ctx, stamp, []string{src}, compile); err != nil || runs.Load() != 2 {
		t.Fatalf("changed source: err %v, compiled %d times, want 2", err, runs.Load())
	}

	// A failed compile leaves the stamp alone, so the next start tries again.
	if err := os.Chtimes(file, future.Add(time.Hour), future.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("compiler said no")
	if err := CompileIfStale(ctx, stamp, []string{src}, func(context.Context) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("failed compile: err %v, want %v", err, boom)
	}
	if err := CompileIfStale(ctx, stamp, []string{src}, compile); err != nil || runs.Load() != 3 {
		t.Fatalf("after a failed compile: err %v, compiled %d times, want 3", err, runs.Load())
	}
}
