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

	rubylangpack "github.com/langserver/langserver/langpacks/ruby"
	"github.com/langserver/langserver/sdk"
	"github.com/langserver/langserver/sdk/pipe"
)

// startRuby starts the embedded runner on the algorithm in dir, skipping
// the test when Ruby is not installed.
func startRuby(t *testing.T, dir string) (*pipe.Runner, error) {
	t.Helper()
	ruby, err := exec.LookPath("ruby")
	if err != nil {
		t.Skip("ruby not installed")
	}
	script, err := sdk.ExtractFile(rubylangpack.Files, "runner/pipe.rb", "langserver-ruby")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := pipe.Start(ctx, pipe.Config{Command: []string{ruby, script}, Dir: dir, Env: environ(dir, nil)})
	if err == nil {
		t.Cleanup(func() { _, _ = r.Stop(context.Background()) })
	}
	return r, err
}

// algorithm writes a one-file algorithm named algo into a new folder.
func algorithm(t *testing.T, source string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "src"), 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{"algorithmia.conf": `{"algoname": "algo", "language": "ruby"}`, "src/algo.rb": source}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestRunnerValues(t *testing.T) {
	r, err := startRuby(t, algorithm(t, `
def apply(input)
  case input
  when 'binary?' then input.encoding.to_s
  when 'bytes' then "\xff\x00".b
  when 'symbol' then :sym
  when 'nan' then Float::NAN
  when String then input.encoding == Encoding::BINARY ? [input.bytesize, input.bytes] : input
  else input
  end
end`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		request, result, contentType string
	}{
		{`{"content_type":"text","data":"héllo"}`, `"héllo"`, "text"},
		{`{"content_type":"text","data":"binary?"}`, `"UTF-8"`, "text"},
		{`{"content_type":"binary","data":"AP8="}`, `[2,[0,255]]`, "json"},
		{`{"content_type":"text","data":"bytes"}`, `"/wA="`, "binary"},
		{`{"content_type":"text","data":"symbol"}`, `"sym"`, "json"},
		{`{"content_type":"json","data":{"a":[1,2.5,null,true],"b":{}}}`, `{"a":[1,2.5,null,true],"b":{}}`, "json"},
		{`{"content_type":"json","data":"a string"}`, `"a string"`, "text"},
		{`{"content_type":"json","data":null}`, `null`, "json"},
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
	resp, err := r.Call(context.Background(), []byte(`{"content_type":"text","data":"nan"}`), nil)
	if err != nil || resp.Error == nil || !strings.Contains(resp.Error.Message, "not JSON serializable") {
		t.Errorf("NaN result: got %+v, %v; want a not serializable error", resp, err)
	}
}

func TestRunnerErrorTypes(t *testing.T) {
	r, err := startRuby(t, algorithm(t, `
class Typed < StandardError
  def error_type
    'TypedError'
  end
end

def apply(input)
  raise Typed, 'typed' if input == 'typed'
  raise NotImplementedError, 'later' if input == 'script'
  raise 'plain'
end`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ input, message, errorType string }{
		{"typed", "typed", "TypedError"},
		{"plain", "plain", "AlgorithmError"},
		{"script", "later", "AlgorithmError"},
	}
	for _, tt := range tests {
		resp, err := r.Call(context.Background(), []byte(`{"content_type":"text","data":"`+tt.input+`"}`), nil)
		if err != nil {
			t.Fatalf("%s: %v", tt.input, err)
		}
		e := resp.Error
		if e == nil || e.Message != tt.message || e.ErrorType != tt.errorType || !strings.Contains(e.Stacktrace, "algo.rb:") || strings.Contains(e.Stacktrace, "pipe.rb") {
			t.Errorf("%s: got error %+v; want %q of type %q with the algorithm's frames only", tt.input, e, tt.message, tt.errorType)
		}
	}
}

func TestRunnerLoadFailures(t *testing.T) {
	tests := []struct{ name, source, want string }{
		{"syntax error", "def apply(input", "syntax error"},
		{"raises", "raise 'no model'", "no model (RuntimeError)"},
		{"no apply", "X = 1", "does not define apply(input)"},
		{"missing library", "require 'no_such_library'", "cannot load such file -- no_such_library"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := startRuby(t, algorithm(t, tt.source))
			var le *pipe.LoadError
			if !errors.As(err, &le) || le.ExitCode != 1 || !strings.Contains(string(le.Output), tt.want) {
				t.Errorf("got %v; want exit code 1 and output containing %q", err, tt.want)
			}
		})
	}
}
