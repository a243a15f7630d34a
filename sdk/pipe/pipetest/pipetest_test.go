package pipetest

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/langserver/langserver/sdk/pipe"
)

// echoRunner answers text with itself and "fail" with an algorithm error.
const echoRunner = `import json, os, sys
print("PIPE_INIT_COMPLETE", flush=True)
for line in sys.stdin:
    data = json.loads(line)["data"]
    if data == "fail":
        answer = {"error": {"message": "failed", "error_type": "TestError", "stacktrace": "at apply"}}
    else:
        answer = {"result": data, "metadata": {"content_type": "text"}}
    with open(os.environ["ALGOOUT"], "w") as fifo:
        fifo.write(json.dumps(answer) + "\n")
`

func startPython(t *testing.T, source string) (*pipe.Runner, error) {
	t.Helper()
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	dir := Folder(t, map[string]string{"src/runner.py": source})
	return Start(t, pipe.Config{Command: []string{python, "src/runner.py"}, Dir: dir})
}

func TestChecks(t *testing.T) {
	r, err := startPython(t, echoRunner)
	if err != nil {
		t.Fatal(err)
	}
	CheckResults(t, r, []Result{
		{Request: Text("hello <&>"), Result: `"hello <&>"`, ContentType: "text"},
		{Request: `{"content_type":"json","data":"x"}`, Result: `"x"`, ContentType: "text"},
	})
	CheckErrors(t, r, []Error{{Request: Text("fail"), Message: "failed", ErrorType: "TestError"}}, func(stack string) string {
		if !strings.Contains(stack, "apply") {
			return "one through apply"
		}
		return ""
	})
	CheckErrors(t, r, []Error{{Request: Text("fail"), Message: "failed", ErrorType: "TestError"}}, nil)
}

func TestCheckLoadFailures(t *testing.T) {
	CheckLoadFailures(t, startPython, 1, []LoadFailure{
		{Name: "exits", Source: "import sys\nsys.exit('no model')", Output: "no model"},
		{Name: "raises", Source: "raise ValueError('bad input')", Output: "ValueError: bad input"},
	})
}

func TestText(t *testing.T) {
	if got, want := Text(`say "<hi>"`), `{"content_type":"text","data":"say \"<hi>\""}`; got != want {
		t.Errorf("Text = %s, want %s", got, want)
	}
}
