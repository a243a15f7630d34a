package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	nodelangpack "github.com/langserver/langserver/langpacks/node"
	pylangpack "github.com/langserver/langserver/langpacks/python"
	"github.com/langserver/langserver/sdk"
	"github.com/langserver/langserver/sdk/pipe"
)

// benchCalls is how many timed calls each path gets, after benchWarmup
// untimed ones.
const (
	benchCalls  = 3000
	benchWarmup = 300
)

// helloInput is the stdin line the HTTP request below turns into.
var helloInput = []byte(`{"content_type":"text","data":"algorithmia"}`)

// latencies times calls of fn and summarises them.
type latencies struct {
	name     string
	p50, p99 time.Duration
	perSec   float64
}

func measure(b *testing.B, name string, fn func() error) latencies {
	b.Helper()
	for range benchWarmup {
		if err := fn(); err != nil {
			b.Fatalf("%s: %v", name, err)
		}
	}
	samples := make([]time.Duration, benchCalls)
	began := time.Now()
	for i := range samples {
		t0 := time.Now()
		if err := fn(); err != nil {
			b.Fatalf("%s: %v", name, err)
		}
		samples[i] = time.Since(t0)
	}
	total := time.Since(began)
	slices.Sort(samples)
	return latencies{
		name:   name,
		p50:    samples[len(samples)/2],
		p99:    samples[len(samples)*99/100],
		perSec: float64(len(samples)) / total.Seconds(),
	}
}

// measureAdapter times calls through a freshly launched adapter.
func measureAdapter(b *testing.B, name string, target benchTarget, grpcOnly bool) latencies {
	ctx := context.Background()
	adapter, err := sdk.Launch(filepath.Join(binDir, "plugins", "langpack-"+target.langpack), sdk.LaunchOptions{GRPCOnly: grpcOnly})
	if err != nil {
		b.Fatal(err)
	}
	defer adapter.Kill()
	if _, err := adapter.Info(ctx, &sdk.InfoRequest{HostAPIVersions: []uint32{sdk.APIVersion}}); err != nil {
		b.Fatal(err)
	}
	if _, err := adapter.Setup(ctx, &sdk.SetupRequest{}); err != nil {
		b.Fatal(err)
	}
	started, err := adapter.StartRunner(ctx, &sdk.StartRunnerRequest{Dir: target.dir})
	if err != nil || started.LoadFailure != nil {
		b.Fatalf("start runner: %v %+v", err, started)
	}
	return measure(b, name, func() error {
		_, err := adapter.Call(ctx, &sdk.CallRequest{RunnerID: started.RunnerID, Input: helloInput}, nil)
		return err
	})
}

// benchTarget is one LangPack's hello algorithm and its raw runner.
type benchTarget struct {
	langpack string
	dir      string
	// runner is the command that starts the LangPack's runner directly.
	runner []string
}

// benchTargets are the LangPacks the benchmark compares.
func benchTargets(b *testing.B) []benchTarget {
	python, err := sdk.ExtractFile(pylangpack.Files, "runner/pipe.py", "langserver-python-bench")
	if err != nil {
		b.Fatal(err)
	}
	node, err := sdk.ExtractFile(nodelangpack.Files, "runner/pipe.cjs", "langserver-node-bench")
	if err != nil {
		b.Fatal(err)
	}
	return []benchTarget{
		{langpack: "python", dir: example("python", "hello"), runner: []string{"python3", python}},
		{langpack: "node", dir: example("node", "hello"), runner: []string{"node", node}},
	}
}

// postHello returns a call of the hello algorithm at url over HTTP.
func postHello(client *http.Client, url string) func() error {
	call := postText(client, url, "algorithmia", `"hello algorithmia"`)
	return func() error { return call(0) }
}

// BenchmarkHello compares one call of each LangPack's hello algorithm
// along these paths, in the same run: (a) the runner driven directly
// through sdk/pipe, the floor; (b) through the adapter, over gRPC alone and
// over its fast-call socket; (c) over HTTP through `langserver run`; (d)
// over HTTP through `langserver serve` and /v1/algo. Both HTTP paths use
// fast-call. It prints p50/p99 latency, calls per second and the p50
// ratios to (a).
func BenchmarkHello(b *testing.B) {
	for _, target := range benchTargets(b) {
		b.Run(target.langpack, func(b *testing.B) { benchHello(b, target) })
	}
}

func benchHello(b *testing.B, target benchTarget) {
	ctx := context.Background()
	runner, err := pipe.Start(ctx, pipe.Config{Command: target.runner, Dir: target.dir})
	if err != nil {
		b.Fatal(err)
	}
	defer runner.Stop(ctx)
	direct := measure(b, "(a) runner via sdk/pipe", func() error {
		_, err := runner.Call(ctx, helloInput, nil)
		return err
	})
	viaGRPC := measureAdapter(b, "(b) adapter, gRPC", target, true)
	viaFast := measureAdapter(b, "(b) adapter, fast-call", target, false)

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	run := runServer(b, nil, target.dir, "--langpack", target.langpack)
	viaRun := measure(b, "(c) HTTP, langserver run", postHello(client, run.URL))
	run.stop()

	config := filepath.Join(b.TempDir(), "bench.hcl")
	if err := os.WriteFile(config, []byte(fmt.Sprintf("algorithm \"bench/hello\" {\n  langpack = %q\n  path = %q\n}\n", target.langpack, target.dir)), 0o644); err != nil {
		b.Fatal(err)
	}
	serve := startServer(b, nil, "serve", "--config", config)
	viaServe := measure(b, "(d) HTTP, serve /v1/algo", postHello(client, serve.URL+"/v1/algo/bench/hello"))
	serve.stop()

	fmt.Fprintf(os.Stdout, "\n%s hello, %d sequential calls per path (after %d warm-up calls)\n", target.langpack, benchCalls, benchWarmup)
	fmt.Fprintf(os.Stdout, "%-30s %10s %10s %10s %8s\n", "path", "p50", "p99", "calls/s", "p50/(a)")
	for _, l := range []latencies{direct, viaGRPC, viaFast, viaRun, viaServe} {
		fmt.Fprintf(os.Stdout, "%-30s %10s %10s %10.0f %8.2f\n", l.name, l.p50.Round(time.Microsecond), l.p99.Round(time.Microsecond), l.perSec, float64(l.p50)/float64(direct.p50))
	}
	b.ReportMetric(float64(direct.p50.Microseconds()), "a-p50-µs")
	b.ReportMetric(float64(viaFast.p50)/float64(direct.p50), "b-fast/a")
	b.ReportMetric(float64(viaRun.p50)/float64(direct.p50), "c/a")
	b.ReportMetric(float64(viaServe.p50)/float64(direct.p50), "d/a")
}
