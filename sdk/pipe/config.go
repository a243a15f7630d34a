package pipe

import (
	"os"
	"strings"
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
