// Command pipe is the Go LangPack runner: it serves one algorithm over the
// langserver runner contract.
//
// The adapter compiles this file inside the algorithm's own module, together
// with a generated file that sets apply to the Apply function of the
// algorithm's package src/. The binary starts with the algorithm's root as
// its working directory. The algorithm's package initialisation (package
// variables and init functions) is its load step: a panic there ends the
// process with exit code 2 before PIPE_INIT_COMPLETE, as in any Go program.
//
// It prints PIPE_INIT_COMPLETE, then reads one JSON request per line on
// stdin, calls Apply and writes one JSON response per request to the FIFO
// named by $ALGOOUT (/tmp/algoout when unset). EOF on stdin ends it with exit
// code 0.
//
// Input is a string for text, []byte for binary and the value encoding/json
// decodes into an interface{} for JSON (map[string]interface{}, []interface{},
// float64, bool, nil; a JSON string is a string). A string result is text,
// []byte is binary, anything else is marshalled as JSON. A returned error,
// or a panic, is an algorithm error: an error with an ErrorType() string
// method (anywhere in its Unwrap chain) sets error_type, and its stack trace
// is the %+v form of the error when that adds to its message (as errors from
// github.com/pkg/errors do), or the goroutine's stack for a panic.
//
// stdout and stderr belong to the algorithm; apart from the
// PIPE_INIT_COMPLETE line the runner writes nothing on stdout. Only the
// standard library is used, and nothing newer than Go 1.13, so the file
// compiles whatever go directive the algorithm's go.mod has.
package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"syscall"
)

const (
	defaultFIFO      = "/tmp/algoout"
	initComplete     = "PIPE_INIT_COMPLETE"
	defaultErrorType = "AlgorithmError"
)

// applyFunc is the shape of an algorithm's Apply function.
type applyFunc func(input interface{}) (interface{}, error)

func main() {
	os.Exit(run(apply))
}

// run serves requests with algorithm until stdin ends and returns the exit
// code.
func run(algorithm applyFunc) int {
	requests, err := claimStdin()
	if err != nil {
		fmt.Fprintf(os.Stderr, "go runner: %v\n", err)
		return 1
	}
	defer requests.Close()
	fifo := os.Getenv("ALGOOUT")
	if fifo == "" {
		fifo = defaultFIFO
	}
	fmt.Fprintln(os.Stdout, initComplete)
	if err := serve(algorithm, requests, fifo); err != nil {
		fmt.Fprintf(os.Stderr, "go runner: %v\n", err)
		return 1
	}
	return 0
}

// claimStdin takes the request stream for the runner and gives the
// algorithm /dev/null as stdin, so that neither it nor a process it starts
// can consume request lines meant for the runner.
func claimStdin() (*os.File, error) {
	fd, err := syscall.Dup(0)
	if err != nil {
		return nil, fmt.Errorf("taking stdin: %w", err)
	}
	syscall.CloseOnExec(fd)
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		return nil, err
	}
	defer devnull.Close()
	if err := syscall.Dup3(int(devnull.Fd()), 0, 0); err != nil {
		return nil, fmt.Errorf("replacing stdin: %w", err)
	}
	return os.NewFile(uintptr(fd), "requests"), nil
}

// serve answers each request line from requests on the FIFO at fifoPath.
func serve(algorithm applyFunc, requests io.Reader, fifoPath string) error {
	lines := bufio.NewReader(requests)
	for {
		line, err := lines.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			if werr := writeResponse(fifoPath, handle(algorithm, line)); werr != nil {
				return werr
			}
		}
		if err == io.EOF {
			return nil
		} else if err != nil {
			return fmt.Errorf("reading requests: %w", err)
		}
	}
}

// writeResponse opens the FIFO, writes one response line and closes it.
func writeResponse(fifoPath string, payload []byte) error {
	fifo, err := os.OpenFile(fifoPath, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := fifo.Write(payload); err != nil {
		fifo.Close()
		return err
	}
	return fifo.Close()
}

// request is one line of the runner's stdin; other keys are ignored.
type request struct {
	ContentType string          `json:"content_type"`
	Data        json.RawMessage `json:"data"`
}

type metadata struct {
	ContentType string `json:"content_type"`
}

type success struct {
	Result   interface{} `json:"result"`
	Metadata metadata    `json:"metadata"`
}

type errorBody struct {
	Message    string `json:"message"`
	ErrorType  string `json:"error_type"`
	Stacktrace string `json:"stacktrace,omitempty"`
}

type failure struct {
	Error errorBody `json:"error"`
}

// handle decodes one request line, calls the algorithm and returns the
// response as one line of JSON.
func handle(algorithm applyFunc, line []byte) []byte {
	input, err := decodeInput(line)
	if err != nil {
		return encode(failure{errorBody{Message: "invalid request: " + err.Error(), ErrorType: "SystemError"}})
	}
	result, stack, err := call(algorithm, input)
	if err != nil {
		return encode(algorithmError(err, stack))
	}
	return encodeResult(result)
}

// decodeInput returns the algorithm input carried by a request line.
func decodeInput(line []byte) (interface{}, error) {
	var req request
	if err := json.Unmarshal(line, &req); err != nil {
		return nil, err
	}
	switch req.ContentType {
	case "text":
		var text string
		err := json.Unmarshal(req.Data, &text)
		return text, err
	case "json":
		var value interface{}
		err := json.Unmarshal(req.Data, &value)
		return value, err
	case "binary":
		var encoded string
		if err := json.Unmarshal(req.Data, &encoded); err != nil {
			return nil, err
		}
		return base64.StdEncoding.DecodeString(encoded)
	}
	return nil, fmt.Errorf("unknown content_type %q", req.ContentType)
}

// panicError is a panic recovered from the algorithm.
type panicError struct{ value interface{} }

func (p panicError) Error() string { return fmt.Sprint(p.value) }

// Unwrap gives errors.As the panic value when it is an error.
func (p panicError) Unwrap() error {
	err, _ := p.value.(error)
	return err
}

// call runs the algorithm, turning a panic into an error with the stack of
// the panicking goroutine.
func call(algorithm applyFunc, input interface{}) (result interface{}, stack string, err error) {
	defer func() {
		if p := recover(); p != nil {
			result, stack, err = nil, string(debug.Stack()), panicError{p}
		}
	}()
	result, err = algorithm(input)
	return result, "", err
}

// algorithmError builds the response for an error the algorithm returned or
// panicked with.
func algorithmError(err error, stack string) failure {
	body := errorBody{Message: err.Error(), ErrorType: defaultErrorType, Stacktrace: stack}
	var typed interface{ ErrorType() string }
	if errors.As(err, &typed) {
		if t := typed.ErrorType(); t != "" {
			body.ErrorType = t
		}
	}
	if body.Stacktrace == "" {
		if verbose := fmt.Sprintf("%+v", err); verbose != body.Message {
			body.Stacktrace = verbose
		}
	}
	return failure{body}
}

// encodeResult encodes a result: []byte as base64 binary, a string as text,
// anything else as JSON.
func encodeResult(result interface{}) []byte {
	switch r := result.(type) {
	case []byte:
		return encode(success{base64.StdEncoding.EncodeToString(r), metadata{"binary"}})
	case string:
		return encode(success{r, metadata{"text"}})
	}
	payload, err := marshal(success{result, metadata{"json"}})
	if err != nil {
		return encode(failure{errorBody{Message: "result is not JSON serializable: " + err.Error(), ErrorType: defaultErrorType}})
	}
	return payload
}

// encode marshals a response the runner built itself, which cannot fail.
func encode(response interface{}) []byte {
	payload, err := marshal(response)
	if err != nil {
		panic(err)
	}
	return payload
}

// marshal encodes v as one line of compact JSON, leaving <, > and & as they
// are.
func marshal(v interface{}) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
