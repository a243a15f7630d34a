package pipe

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Defaults for the zero values of Config.
const (
	// DefaultLoadTimeout is the time a runner has to print
	// PIPE_INIT_COMPLETE when Config.LoadTimeout is zero.
	DefaultLoadTimeout = 5 * time.Minute
	// DefaultStopGrace is how long Stop waits after closing stdin before it
	// kills the runner, when Config.StopGrace is zero.
	DefaultStopGrace = 5 * time.Second
	// DefaultMaxOutput is the number of bytes of output kept per request
	// and stream when Config.MaxOutput is zero.
	DefaultMaxOutput = 1 << 20
	// DefaultMaxResponse is the largest FIFO response accepted when
	// Config.MaxResponse is zero.
	DefaultMaxResponse = 256 << 20
)

// Legacy FIFO paths, shared by every runner that ignores ALGOOUT.
const (
	// LegacyFIFOPath is where a legacy runner writes its responses.
	LegacyFIFOPath = "/tmp/algoout"
	// LegacyLockPath is the file locked (flock, exclusive) for the whole
	// life of a legacy runner, so that only one exists at a time on the
	// machine.
	LegacyLockPath = "/tmp/algoout.lock"
)

// InitMarker is the text a runner prints on stdout, anywhere in a line, once
// it is ready to serve requests.
const InitMarker = "PIPE_INIT_COMPLETE"

// Config describes how to start a runner. The zero value of each optional
// field selects its default.
type Config struct {
	// Command is the runner's argv. Command[0] is looked up in the PATH
	// of this process when it contains no slash; a relative path with a
	// slash is relative to Dir.
	Command []string
	// Dir is the runner's working directory: the algorithm's root. Empty
	// means the current directory.
	Dir string
	// Env is the runner's full environment; nil means os.Environ(). Start
	// adds ALGOOUT (replacing any ALGOOUT already there).
	Env []string
	// LoadTimeout is the time allowed until the runner prints
	// PIPE_INIT_COMPLETE. Default DefaultLoadTimeout (5 minutes).
	LoadTimeout time.Duration
	// StopGrace is how long Stop waits, after closing the runner's stdin,
	// before it kills the runner. Default DefaultStopGrace (5 seconds).
	StopGrace time.Duration
	// MaxOutput bounds, in bytes, both the merged stdout+stderr and the
	// stderr captured for one request. Beyond it output is dropped and the
	// line "[langserver: output truncated, N bytes dropped]" ends the
	// captured text. Lines longer than MaxOutput reach onLine in pieces.
	// Default DefaultMaxOutput (1 MiB).
	MaxOutput int
	// MaxResponse bounds, in bytes, one response on the FIFO; a larger one
	// is a fault. Default DefaultMaxResponse (256 MiB).
	MaxResponse int
	// LegacyFIFO serves a runner that ignores ALGOOUT and always writes
	// LegacyFIFOPath. Start then waits (honouring its ctx) for an
	// exclusive flock on LegacyLockPath and holds it until the runner is
	// gone, so only one legacy runner exists at a time on the machine.
	// ALGOOUT is still set, to LegacyFIFOPath.
	LegacyFIFO bool
}

func (c Config) withDefaults() Config {
	if c.LoadTimeout <= 0 {
		c.LoadTimeout = DefaultLoadTimeout
	}
	if c.StopGrace <= 0 {
		c.StopGrace = DefaultStopGrace
	}
	if c.MaxOutput <= 0 {
		c.MaxOutput = DefaultMaxOutput
	}
	if c.MaxResponse <= 0 {
		c.MaxResponse = DefaultMaxResponse
	}
	return c
}

// environ returns the runner's environment with ALGOOUT set to fifo.
func (c Config) environ(fifo string) []string {
	base := c.Env
	if base == nil {
		base = os.Environ()
	}
	env := make([]string, 0, len(base)+1)
	for _, kv := range base {
		if !strings.HasPrefix(kv, "ALGOOUT=") {
			env = append(env, kv)
		}
	}
	return append(env, "ALGOOUT="+fifo)
}

// RunnerDirPrefix starts the name of every runner's private folder.
const RunnerDirPrefix = "langserver-pipe-"

// ownerLock is the file in an owned folder whose lock says its owner lives.
const ownerLock = ".owner"

// MakeOwnedTempDir creates a private folder named prefix... in the
// temporary folder and locks a file in it; the folder is the caller's for
// as long as it keeps lock open. SweepTempDirs removes such folders once
// their lock is free, which works whatever killed the owner and across
// PID namespaces. Close lock after removing the folder.
func MakeOwnedTempDir(prefix string) (dir string, lock *os.File, err error) {
	// Made under another name and renamed once locked, so that a sweep
	// never sees it unlocked.
	staging, err := os.MkdirTemp("", ".staging-"+prefix)
	if err != nil {
		return "", nil, err
	}
	lock, err = os.OpenFile(filepath.Join(staging, ownerLock), os.O_CREATE|os.O_RDWR, 0o600)
	if err == nil {
		err = syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	}
	if err == nil {
		dir = filepath.Join(filepath.Dir(staging), prefix+strings.TrimPrefix(filepath.Base(staging), ".staging-"+prefix))
		err = os.Rename(staging, dir)
	}
	if err != nil {
		if lock != nil {
			lock.Close()
		}
		os.RemoveAll(staging)
		return "", nil, err
	}
	return dir, lock, nil
}

// SweepTempDirs removes the folders made by MakeOwnedTempDir with prefix
// whose owner is gone: a process killed with SIGKILL cannot remove its
// own. It returns how many it removed.
func SweepTempDirs(prefix string) int {
	matches, _ := filepath.Glob(filepath.Join(os.TempDir(), prefix+"*"))
	removed := 0
	for _, dir := range matches {
		lock, err := os.Open(filepath.Join(dir, ownerLock))
		if err != nil {
			continue
		}
		if syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil && os.RemoveAll(dir) == nil {
			removed++
		}
		lock.Close()
	}
	return removed
}
