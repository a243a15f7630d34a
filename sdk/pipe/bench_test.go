package pipe

import (
	"context"
	"os/exec"
	"testing"
)

// echoRunner answers each request with itself as the result, keeping the
// FIFO open: about the least work a runner can do per request.
const echoRunner = `
import os, sys
out = os.open(os.environ["ALGOOUT"], os.O_WRONLY)
print("PIPE_INIT_COMPLETE", flush=True)
for line in sys.stdin.buffer:
    os.write(out, b'{"result": ' + line.rstrip(b"\n") + b', "metadata": {"content_type": "json"}}\n')
`

// BenchmarkCall measures one request's round trip through a Python runner.
func BenchmarkCall(b *testing.B) {
	python, err := exec.LookPath("python3")
	if err != nil {
		b.Skip("python3 not found")
	}
	r := start(b, Config{Command: []string{python, "-c", echoRunner}})
	input := []byte(`{"content_type":"json","data":{"n":1}}`)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		resp, err := r.Call(ctx, input, nil)
		if err != nil {
			b.Fatal(err)
		}
		if len(resp.Result) != len(input) {
			b.Fatalf("result %s", resp.Result)
		}
	}
}
