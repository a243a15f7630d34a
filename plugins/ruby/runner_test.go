package main

import (
	"context"
	"os/exec"
	"strings"
	"testing"

	rubylangpack "github.com/langserver/langserver/langpacks/ruby"
	"github.com/langserver/langserver/sdk"
	"github.com/langserver/langserver/sdk/pipe"
	"github.com/langserver/langserver/sdk/pipe/pipetest"
)

// newAlgorithm writes an algorithm named algo, with source as
// src/algo.rb, into a new folder and starts the embedded runner on it. The
// test is skipped when Ruby is not installed.
func newAlgorithm(t *testing.T, source string) (*pipe.Runner, error) {
	t.Helper()
	ruby, err := exec.LookPath("ruby")
	if err != nil {
		t.Skip("ruby not installed")
	}
	dir := pipetest.Folder(t, map[string]string{"algorithmia.conf": `{"algoname": "algo", "language": "ruby"}`, "src/algo.rb": source})
	script, err := sdk.ExtractFile(rubylangpack.Files, "runner/pipe.rb", "langserver-ruby")
	if err != nil {
		t.Fatal(err)
	}
	return pipetest.Start(t, pipe.Config{Command: []string{ruby, script}, Dir: dir, Env: environ(dir, nil)})
}

func TestRunnerValues(t *testing.T) {
	r, err := newAlgorithm(t, `
def apply(input)
  case input
  when 'binary?' then input.encoding.to_s
  when 'bytes' then "\xff\x00".b
  when 'symbol' then :sym
  when 'nan' then Float::NAN
  when String then input.encoding == Encoding::BINARY ? [input.bytesize, input.bytes] : input
  else input
  end
end`)
	if err != nil {
		t.Fatal(err)
	}
	pipetest.CheckResults(t, r, []pipetest.Result{
		{Request: `{"content_type":"text","data":"héllo"}`, Result: `"héllo"`, ContentType: "text"},
		{Request: `{"content_type":"text","data":"binary?"}`, Result: `"UTF-8"`, ContentType: "text"},
		{Request: `{"content_type":"binary","data":"AP8="}`, Result: `[2,[0,255]]`, ContentType: "json"},
		{Request: `{"content_type":"text","data":"bytes"}`, Result: `"/wA="`, ContentType: "binary"},
		{Request: `{"content_type":"text","data":"symbol"}`, Result: `"sym"`, ContentType: "json"},
		{Request: `{"content_type":"json","data":{"a":[1,2.5,null,true],"b":{}}}`, Result: `{"a":[1,2.5,null,true],"b":{}}`, ContentType: "json"},
		{Request: `{"content_type":"json","data":"a string"}`, Result: `"a string"`, ContentType: "text"},
		{Request: `{"content_type":"json","data":null}`, Result: `null`, ContentType: "json"},
	})
	resp, err := r.Call(context.Background(), []byte(`{"content_type":"text","data":"nan"}`), nil)
	if err != nil || resp.Error == nil || !strings.Contains(resp.Error.Message, "not JSON serializable") {
		t.Errorf("NaN result: got %+v, %v; want a not serializable error", resp, err)
	}
}

func TestRunnerErrorTypes(t *testing.T) {
	r, err := newAlgorithm(t, `
class Typed < StandardError
  def error_type
    'TypedError'
  end
end

def apply(input)
  raise Typed, 'typed' if input == 'typed'
  raise NotImplementedError, 'later' if input == 'script'
  raise 'plain'
end`)
	if err != nil {
		t.Fatal(err)
	}
	pipetest.CheckErrors(t, r, []pipetest.Error{
		{Request: pipetest.Text("typed"), Message: "typed", ErrorType: "TypedError"},
		{Request: pipetest.Text("plain"), Message: "plain", ErrorType: "AlgorithmError"},
		{Request: pipetest.Text("script"), Message: "later", ErrorType: "AlgorithmError"},
	}, func(stack string) string {
		if !strings.Contains(stack, "algo.rb:") || strings.Contains(stack, "pipe.rb") {
			return "the algorithm's frames only"
		}
		return ""
	})
}

func TestRunnerLoadFailures(t *testing.T) {
	pipetest.CheckLoadFailures(t, newAlgorithm, 1, []pipetest.LoadFailure{
		{Name: "syntax error", Source: "def apply(input", Output: "syntax error"},
		{Name: "raises", Source: "raise 'no model'", Output: "no model (RuntimeError)"},
		{Name: "no apply", Source: "X = 1", Output: "does not define apply(input)"},
		{Name: "missing library", Source: "require 'no_such_library'", Output: "cannot load such file -- no_such_library"},
	})
}
