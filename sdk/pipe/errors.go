package pipe

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// ErrStopped is returned by Call on a runner that has been stopped, killed or
// has exited. When the runner was killed for writing to its FIFO between
// requests, the error also wraps that *FaultError.
var ErrStopped = errors.New("pipe: runner stopped")

// AlgorithmError is the error a runner reported with
// {"error": {"message": M, "error_type": T, "stacktrace": S}}.
type AlgorithmError struct {
	// Message is the message; its JSON text when it was not a string.
	Message string
	// ErrorType defaults to "AlgorithmError" when missing or not a string.
	ErrorType string
	// Stacktrace is empty when missing; its JSON text when not a string.
	Stacktrace string
}

// Error returns the message.
func (e *AlgorithmError) Error() string { return e.Message }

// ExitError is returned by Call when the runner exited while serving the
// request. Stdout (merged with stderr) and Stderr hold what the request
// captured.
type ExitError struct {
	// Code is the exit status, or -99 when a signal killed the runner.
	Code           int
	Stdout, Stderr []byte
}

// Error returns "exited with code N".
func (e *ExitError) Error() string { return fmt.Sprintf("exited with code %d", e.Code) }

// FaultError is returned by Call when the runner wrote something on its FIFO
// that is not a valid response; the runner has been killed. Stdout (merged
// with stderr) and Stderr hold what the request captured.
type FaultError struct {
	// Reason says what was wrong, quoting at most about 200 bytes of it.
	Reason         string
	Stdout, Stderr []byte
}

// Error returns "runner wrote an invalid response to its FIFO: " and the
// reason.
func (e *FaultError) Error() string {
	return "runner wrote an invalid response to its FIFO: " + e.Reason
}

// CanceledError is returned by Call when its ctx ended before the response;
// the runner has been killed. It unwraps to ctx.Err(). Stdout (merged with
// stderr) and Stderr hold what the request captured until then.
type CanceledError struct {
	Err            error
	Stdout, Stderr []byte
}

// Error reports the context error.
func (e *CanceledError) Error() string { return "pipe: runner killed: " + e.Err.Error() }

// Unwrap returns the context error.
func (e *CanceledError) Unwrap() error { return e.Err }

// LoadError is returned by Start when the runner did not get ready.
type LoadError struct {
	// ExitCode is the runner's exit status (-99 when a signal killed it).
	ExitCode int
	// TimedOut is set when the runner did not print PIPE_INIT_COMPLETE
	// within the load timeout and was killed.
	TimedOut bool
	// Timeout is the load timeout that passed, when TimedOut.
	Timeout time.Duration
	// Output is what the runner printed, stdout and stderr merged, bounded
	// like a request's output.
	Output []byte
}

// loadErrorTail is how much of the output Error quotes.
const loadErrorTail = 2048

// Error gives the reason and the last part of the output.
func (e *LoadError) Error() string {
	var b strings.Builder
	if e.TimedOut {
		fmt.Fprintf(&b, "runner did not print %s within the load timeout (%v)", InitMarker, e.Timeout)
	} else {
		fmt.Fprintf(&b, "runner exited with code %d before printing %s", e.ExitCode, InitMarker)
	}
	out := bytes.TrimRight(e.Output, "\n")
	if len(out) == 0 {
		b.WriteString(" (no output)")
		return b.String()
	}
	if len(out) > loadErrorTail {
		out = out[len(out)-loadErrorTail:]
		if i := bytes.IndexByte(out, '\n'); i >= 0 {
			out = out[i+1:]
		}
		b.WriteString("; output ends with:\n")
	} else {
		b.WriteString("; output:\n")
	}
	b.Write(bytes.ToValidUTF8(out, []byte("\uFFFD")))
	return b.String()
}

// excerptLimit is how many bytes of a bad response a FaultError quotes.
const excerptLimit = 200

// excerpt renders at most excerptLimit bytes of b for an error message,
// quoted when they are not printable text.
func excerpt(b []byte) string {
	b = bytes.TrimSpace(b)
	suffix := ""
	if len(b) > excerptLimit {
		suffix = fmt.Sprintf("... (%d bytes)", len(b))
		cut := excerptLimit
		for cut > 0 && !utf8.RuneStart(b[cut]) {
			cut--
		}
		b = b[:cut]
	}
	s := string(b)
	if !utf8.ValidString(s) || strings.ContainsFunc(s, unicode.IsControl) {
		s = strconv.Quote(s)
	}
	return s + suffix
}
