// Package conformance is the algorithm the LangPack conformance tests run:
// see examples/go/README.md for what each input does.
package conformance

import (
	"fmt"
	"io"
	"os"
	"runtime/debug"
)

// ConformanceError is the error "fail" returns. Its ErrorType sets the
// response's error_type, and it keeps the stack where it was made, which
// its %+v form prints: the runner reports that as the stack trace.
type ConformanceError struct {
	stack []byte
}

func (e *ConformanceError) Error() string { return "conformance failure" }

// ErrorType names the error in the response.
func (e *ConformanceError) ErrorType() string { return "ConformanceError" }

// Format prints the message, and with %+v the stack after it.
func (e *ConformanceError) Format(f fmt.State, verb rune) {
	io.WriteString(f, e.Error())
	if verb == 'v' && f.Flag('+') {
		io.WriteString(f, "\n"+string(e.stack))
	}
}

// Apply answers one conformance request.
func Apply(input any) (any, error) {
	text, ok := input.(string)
	if !ok {
		return input, nil // bytes stay binary, anything else JSON
	}
	switch text {
	case "fail":
		return nil, &ConformanceError{stack: debug.Stack()}
	case "print":
		fmt.Fprintln(os.Stdout, "to stdout")
		fmt.Fprintln(os.Stderr, "to stderr")
		return "printed", nil
	case "crash":
		os.Exit(3)
	case "pid":
		return os.Getpid(), nil
	}
	return "hello " + text, nil
}
