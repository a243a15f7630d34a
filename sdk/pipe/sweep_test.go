package pipe

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func TestSweepTempDirs(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	const prefix = "langserver-sweeptest-"

	// A folder whose owner lives (this test holds its lock) is kept.
	live, lock, err := MakeOwnedTempDir(prefix)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()

	// A folder whose owner was killed outright is removed: a child process
	// makes one and exits without cleaning up.
	child := exec.Command(os.Args[0], "-test.run=^TestSweepHelperProcess$")
	child.Env = append(os.Environ(), "SWEEP_HELPER_PREFIX="+prefix)
	out, err := child.Output()
	if err != nil {
		t.Fatalf("helper process: %v", err)
	}
	dead := string(out)
	if _, err := os.Stat(dead); err != nil {
		t.Fatalf("the helper's folder %q: %v", dead, err)
	}

	// Folders without an owner lock are not ours to judge.
	foreign := filepath.Join(os.TempDir(), prefix+"foreign")
	if err := os.Mkdir(foreign, 0o700); err != nil {
		t.Fatal(err)
	}

	if n := SweepTempDirs(prefix); n != 1 {
		t.Errorf("removed %d folders, want 1", n)
	}
	for dir, kept := range map[string]bool{live: true, dead: false, foreign: true} {
		_, err := os.Stat(dir)
		if exists := err == nil; exists != kept {
			t.Errorf("%s: exists %v, want %v", dir, exists, kept)
		}
	}
}

// TestSweepHelperProcess is run as a child by TestSweepTempDirs: it makes
// an owned folder, prints its path and exits holding the lock.
func TestSweepHelperProcess(t *testing.T) {
	prefix := os.Getenv("SWEEP_HELPER_PREFIX")
	if prefix == "" {
		return
	}
	dir, _, err := MakeOwnedTempDir(prefix)
	if err != nil {
		os.Exit(2)
	}
	os.Stdout.WriteString(dir)
	os.Exit(0)
}
