package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

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

// measureAdapter times calls through a freshly launched Python adapter.
func measureAdapter(b *testing.B, name, dir string, grpcOnly bool) latencies {
	ctx := context.Background()
	adapter, err := sdk.Launch(filepath.Join(binDir, "plugins", "langpack-python"), sdk.LaunchOptions{GRPCOnly: grpcOnly})
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
	started, err := adapter.StartRunner(ctx, &sdk.StartRunnerRequest{Dir: dir})
	if err != nil || started.LoadFailure != nil {
		b.Fatalf("start runner: %v %+v", err, started)
	}
	return measure(b, name, func() error {
		_, err := adapter.Call(ctx, &sdk.CallRequest{RunnerID: started.RunnerID, Input: helloInput}, nil)
		return err
	})
}

// BenchmarkHello compares one call of the Python hello algorithm along
// three paths, in the same run: (a) the runner driven directly through
// sdk/pipe, (b) through the adapter, over gRPC alone and over its fast-call
// socket, (c) over HTTP through `langserver run` (which uses fast-call). It
// prints p50/p99 latency, calls per second and the p50 ratios to (a).
func BenchmarkHello(b *testing.B) {
	dir := example("python", "hello")
	ctx := context.Background()

	// (a) The raw baseline: the runner driven directly.
	script, err := sdk.ExtractFile(pylangpack.Files, "runner/pipe.py", "langserver-python-bench")
	if err != nil {
		b.Fatal(err)
	}
	runner, err := pipe.Start(ctx, pipe.Config{Command: []string{"python3", script}, Dir: dir})
	if err != nil {
		b.Fatal(err)
	}
	defer runner.Stop(ctx)
	direct := measure(b, "(a) runner via sdk/pipe", func() error {
		_, err := runner.Call(ctx, helloInput, nil)
		return err
	})

	// (b) Through the adapter: over gRPC alone, and over its fast-call
	// socket, which the host uses when the adapter offers it.
	viaGRPC := measureAdapter(b, "(b) adapter, gRPC", dir, true)
	viaFast := measureAdapter(b, "(b) adapter, fast-call", dir, false)

	// (c) Over HTTP through langserver run.
	s := runServer(b, nil, dir)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	viaHTTP := measure(b, "(c) HTTP via langserver run", func() error {
		resp, err := client.Post(s.URL, "text/plain", bytes.NewReader([]byte("algorithmia")))
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err == nil && !bytes.Contains(body, []byte(`"Hello algorithmia"`)) {
			err = fmt.Errorf("unexpected answer %s", body)
		}
		return err
	})

	fmt.Fprintf(os.Stdout, "\nPython hello, %d sequential calls per path (after %d warm-up calls)\n", benchCalls, benchWarmup)
	fmt.Fprintf(os.Stdout, "%-30s %10s %10s %10s %8s\n", "path", "p50", "p99", "calls/s", "p50/(a)")
	for _, l := range []latencies{direct, viaGRPC, viaFast, viaHTTP} {
		fmt.Fprintf(os.Stdout, "%-30s %10s %10s %10.0f %8.2f\n", l.name, l.p50.Round(time.Microsecond), l.p99.Round(time.Microsecond), l.perSec, float64(l.p50)/float64(direct.p50))
	}
	b.ReportMetric(float64(direct.p50.Microseconds()), "a-p50-µs")
	b.ReportMetric(float64(viaGRPC.p50.Microseconds()), "b-grpc-p50-µs")
	b.ReportMetric(float64(viaFast.p50.Microseconds()), "b-fast-p50-µs")
	b.ReportMetric(float64(viaHTTP.p50.Microseconds()), "c-p50-µs")
	b.ReportMetric(float64(viaGRPC.p50)/float64(direct.p50), "b-grpc/a")
	b.ReportMetric(float64(viaFast.p50)/float64(direct.p50), "b-fast/a")
	b.ReportMetric(float64(viaHTTP.p50)/float64(direct.p50), "c/a")
}
