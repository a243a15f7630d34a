package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	rlangpack "github.com/langserver/langserver/langpacks/r"
	"github.com/langserver/langserver/sdk"
	"github.com/langserver/langserver/sdk/pipe"
)

// newAlgorithm writes an algorithm named algo, with source as
// src/algo.r, into a new folder and starts the embedded runner on it. The
// test is skipped when R is not installed.
func newAlgorithm(t *testing.T, source string) (*pipe.Runner, error) {
	t.Helper()
	rscript, err := exec.LookPath("Rscript")
	if err != nil {
		t.Skip("Rscript not installed")
	}
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "src"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "algorithmia.conf"), []byte(`{"algoname": "algo", "language": "r"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "src", "algo.r"), []byte(source), 0o644); err != nil {
		t.Fatal(err)
	}
	script, err := sdk.ExtractFile(rlangpack.Files, "runner/pipe.r", "langserver-r")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := pipe.Start(ctx, pipe.Config{Command: []string{rscript, script}, Dir: dir, Env: environ(nil)})
	if err == nil {
		t.Cleanup(func() { _, _ = r.Stop(context.Background()) })
	}
	return r, err
}

func TestRunnerValues(t *testing.T) {
	r, err := newAlgorithm(t, `
algorithm <- function(input) {
  if (is.raw(input)) return(list(n = length(input), bytes = as.integer(input)))
  if (identical(input, "bytes")) return(as.raw(c(255, 0)))
  if (identical(input, "vector")) return(c(1.5, 2))
  if (identical(input, "frame")) return(data.frame(a = 1:2, b = c("x", "y")))
  if (identical(input, "env")) return(new.env())
  if (is.list(input) && !is.null(input$sum)) return(sum(input$sum))
  input
}`)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		request, result, contentType string
	}{
		{`{"content_type":"text","data":"héllo"}`, `"héllo"`, "text"},
		{`{"content_type":"binary","data":"AP8="}`, `{"n":2,"bytes":[0,255]}`, "json"},
		{`{"content_type":"text","data":"bytes"}`, `"/wA="`, "binary"},
		{`{"content_type":"text","data":"vector"}`, `[1.5,2]`, "json"},
		{`{"content_type":"text","data":"frame"}`, `[{"a":1,"b":"x"},{"a":2,"b":"y"}]`, "json"},
		{`{"content_type":"json","data":{"sum":[1,2,3.5]}}`, `6.5`, "json"},
		{`{"content_type":"json","data":{"a":[1],"b":[],"c":{},"d":null,"e":[1,"x",null],"f":[[1,2],[3]]}}`, `{"a":[1],"b":[],"c":{},"d":null,"e":[1,"x",null],"f":[[1,2],[3]]}`, "json"},
		{`{"content_type":"json","data":["one"]}`, `["one"]`, "json"},
		{`{"content_type":"json","data":"a string"}`, `"a string"`, "text"},
		{`{"content_type":"json","data":null}`, `null`, "json"},
		{`{"content_type":"json","data":123456789012}`, `123456789012`, "json"},
	}
	for _, tt := range tests {
		resp, err := r.Call(context.Background(), []byte(tt.request), nil)
		if err != nil {
			t.Fatalf("%s: %v", tt.request, err)
		}
		if resp.Error != nil || string(resp.Result) != tt.result || resp.ContentType != tt.contentType {
			t.Errorf("%s: got %s (%s), error %+v; want %s (%s)", tt.request, resp.Result, resp.ContentType, resp.Error, tt.result, tt.contentType)
		}
	}
	resp, err := r.Call(context.Background(), []byte(`{"content_type":"text","data":"env"}`), nil)
	if err != nil || resp.Error == nil || !strings.Contains(resp.Error.Message, "not JSON serializable") {
		t.Errorf("environment result: got %+v, %v; want a not serializable error", resp, err)
	}
}

func TestRunnerErrorTypes(t *testing.T) {
	r, err := newAlgorithm(t, `
algorithm <- function(input) {
  switch(input,
    typed = stop(errorCondition("typed", error_type = "TypedError")),
    classed = stop(errorCondition("classed", class = "CustomError")),
    internal = log("a"),
    stop("plain"))
}`)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ input, message, errorType string }{
		{"typed", "typed", "TypedError"},
		{"classed", "classed", "AlgorithmError"},
		{"internal", "non-numeric argument to mathematical function", "AlgorithmError"},
		{"plain", "plain", "AlgorithmError"},
	}
	for _, tt := range tests {
		resp, err := r.Call(context.Background(), []byte(`{"content_type":"text","data":"`+tt.input+`"}`), nil)
		if err != nil {
			t.Fatalf("%s: %v", tt.input, err)
		}
		e := resp.Error
		if e == nil || e.Message != tt.message || e.ErrorType != tt.errorType || !strings.HasSuffix(e.Stacktrace, "1: algorithm(input)") {
			t.Errorf("%s: got error %+v; want %q of type %q, the stack ending in algorithm(input)", tt.input, e, tt.message, tt.errorType)
		}
	}
}

func TestRunnerLoadFailures(t *testing.T) {
	tests := []struct{ name, source, want string }{
		{"syntax error", "algorithm <- function(input", "unexpected end of input"},
		{"error", "stop('no model')", "the algorithm failed to load: no model"},
		{"no algorithm", "x <- 1", "does not define algorithm <- function(input)"},
		{"missing package", "library(nosuchpackage)", "apt-get install r-cran-nosuchpackage"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newAlgorithm(t, tt.source)
			var le *pipe.LoadError
			if !errors.As(err, &le) || le.ExitCode != 1 || !strings.Contains(string(le.Output), tt.want) {
				t.Errorf("got %v; want exit code 1 and output containing %q", err, tt.want)
			}
		})
	}
}
