package main

import (
	"context"
	"os/exec"
	"strings"
	"testing"

	rlangpack "github.com/langserver/langserver/langpacks/r"
	"github.com/langserver/langserver/sdk"
	"github.com/langserver/langserver/sdk/pipe"
	"github.com/langserver/langserver/sdk/pipe/pipetest"
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
	dir := pipetest.Folder(t, map[string]string{"algorithmia.conf": `{"algoname": "algo", "language": "r"}`, "src/algo.r": source})
	script, err := sdk.ExtractFile(rlangpack.Files, "runner/pipe.r", "langserver-r")
	if err != nil {
		t.Fatal(err)
	}
	return pipetest.Start(t, pipe.Config{Command: []string{rscript, script}, Dir: dir, Env: environ(nil)})
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
	pipetest.CheckResults(t, r, []pipetest.Result{
		{Request: `{"content_type":"text","data":"héllo"}`, Result: `"héllo"`, ContentType: "text"},
		{Request: `{"content_type":"binary","data":"AP8="}`, Result: `{"n":2,"bytes":[0,255]}`, ContentType: "json"},
		{Request: `{"content_type":"text","data":"bytes"}`, Result: `"/wA="`, ContentType: "binary"},
		{Request: `{"content_type":"text","data":"vector"}`, Result: `[1.5,2]`, ContentType: "json"},
		{Request: `{"content_type":"text","data":"frame"}`, Result: `[{"a":1,"b":"x"},{"a":2,"b":"y"}]`, ContentType: "json"},
		{Request: `{"content_type":"json","data":{"sum":[1,2,3.5]}}`, Result: `6.5`, ContentType: "json"},
		{Request: `{"content_type":"json","data":{"a":[1],"b":[],"c":{},"d":null,"e":[1,"x",null],"f":[[1,2],[3]]}}`, Result: `{"a":[1],"b":[],"c":{},"d":null,"e":[1,"x",null],"f":[[1,2],[3]]}`, ContentType: "json"},
		{Request: `{"content_type":"json","data":["one"]}`, Result: `["one"]`, ContentType: "json"},
		{Request: `{"content_type":"json","data":"a string"}`, Result: `"a string"`, ContentType: "text"},
		{Request: `{"content_type":"json","data":null}`, Result: `null`, ContentType: "json"},
		{Request: `{"content_type":"json","data":123456789012}`, Result: `123456789012`, ContentType: "json"},
	})
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
	pipetest.CheckErrors(t, r, []pipetest.Error{
		{Request: pipetest.Text("typed"), Message: "typed", ErrorType: "TypedError"},
		{Request: pipetest.Text("classed"), Message: "classed", ErrorType: "AlgorithmError"},
		{Request: pipetest.Text("internal"), Message: "non-numeric argument to mathematical function", ErrorType: "AlgorithmError"},
		{Request: pipetest.Text("plain"), Message: "plain", ErrorType: "AlgorithmError"},
	}, func(stack string) string {
		if !strings.HasSuffix(stack, "1: algorithm(input)") {
			return "one ending in algorithm(input)"
		}
		return ""
	})
}

func TestRunnerLoadFailures(t *testing.T) {
	pipetest.CheckLoadFailures(t, newAlgorithm, 1, []pipetest.LoadFailure{
		{Name: "syntax error", Source: "algorithm <- function(input", Output: "unexpected end of input"},
		{Name: "error", Source: "stop('no model')", Output: "the algorithm failed to load: no model"},
		{Name: "no algorithm", Source: "x <- 1", Output: "does not define algorithm <- function(input)"},
		{Name: "missing package", Source: "library(nosuchpackage)", Output: "apt-get install r-cran-nosuchpackage"},
	})
}
