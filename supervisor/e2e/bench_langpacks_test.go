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

	"github.com/langserver/langserver/sdk"
)

// langPackCalls is how many hello calls BenchmarkLangPacks times per
// LangPack, after as many warm-up calls; coldStarts is how many runner
// starts it times.
const (
	langPackCalls = 500
	coldStarts    = 5
)

// BenchmarkLangPacks reports, for every LangPack with an
// examples/<langpack>/hello algorithm: the first runner start (which
// includes compiling, for compiled languages), the runner cold start (spawn
// to PIPE_INIT_COMPLETE, median of several, through the adapter), the first
// call of a `workers { min = 0 }` algorithm through /v1/algo (a cold start
// seen by a caller), and hello p50/p99 through /v1/algo with a warm runner.
func BenchmarkLangPacks(b *testing.B) {
	dirs, err := filepath.Glob(filepath.Join(repoRoot, "examples", "*", "hello"))
	if err != nil || len(dirs) == 0 {
		b.Fatalf("no examples/*/hello: %v", err)
	}
	type row struct {
		langpack              string
		firstStart, coldStart time.Duration
		coldCall              time.Duration
		hello                 latencies
	}
	var rows []row
	for _, dir := range dirs {
		langpack := filepath.Base(filepath.Dir(dir))
		// A copy without build output: the first start compiles.
		fresh := filepath.Join(b.TempDir(), "hello")
		if err := os.CopyFS(fresh, os.DirFS(dir)); err != nil {
			b.Fatal(err)
		}
		if err := os.RemoveAll(filepath.Join(fresh, ".langserver")); err != nil {
			b.Fatal(err)
		}
		dir = fresh
		r := row{langpack: langpack}
		r.firstStart, r.coldStart = runnerStarts(b, langpack, dir)

		config := filepath.Join(b.TempDir(), "bench.hcl")
		hcl := fmt.Sprintf("algorithm \"bench/cold\" {\n  langpack = %q\n  path = %q\n  workers {\n    min = 0\n  }\n}\n"+
			"algorithm \"bench/warm\" {\n  langpack = %q\n  path = %q\n}\n", langpack, dir, langpack, dir)
		if err := os.WriteFile(config, []byte(hcl), 0o644); err != nil {
			b.Fatal(err)
		}
		s := startServer(b, nil, "serve", "--config", config)
		waitReady(b, s)
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
		t0 := time.Now()
		if err := postText(client, s.URL+"/v1/algo/bench/cold", "algorithmia", "algorithmia")(0); err != nil {
			b.Fatalf("%s cold call: %v", langpack, err)
		}
		r.coldCall = time.Since(t0)
		call := postText(client, s.URL+"/v1/algo/bench/warm", "algorithmia", "algorithmia")
		for range langPackCalls {
			if err := call(0); err != nil {
				b.Fatalf("%s: %v", langpack, err)
			}
		}
		r.hello = measureConcurrent(b, langpack, 1, langPackCalls, call)
		s.stop()
		rows = append(rows, r)
	}
	fmt.Fprintf(os.Stdout, "\nhello per LangPack: runner starts through the adapter (median of %d), the first call with workers.min = 0, and %d warm calls through /v1/algo\n", coldStarts, langPackCalls)
	fmt.Fprintf(os.Stdout, "%-10s %14s %12s %12s %10s %10s\n", "langpack", "first start", "cold start", "cold call", "p50", "p99")
	for _, r := range rows {
		fmt.Fprintf(os.Stdout, "%-10s %14s %12s %12s %10s %10s\n", r.langpack, r.firstStart.Round(time.Millisecond), r.coldStart.Round(time.Millisecond),
			r.coldCall.Round(time.Millisecond), r.hello.p50.Round(time.Microsecond), r.hello.p99.Round(time.Microsecond))
	}
}

// runnerStarts times the first runner start of an algorithm (compiling it
// when its LangPack compiles) and the median of coldStarts more.
func runnerStarts(b *testing.B, langpack, dir string) (first, median time.Duration) {
	b.Helper()
	ctx := context.Background()
	adapter, err := sdk.Launch(filepath.Join(binDir, "plugins", "langpack-"+langpack), sdk.LaunchOptions{})
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
	var starts []time.Duration
	for range coldStarts + 1 {
		t0 := time.Now()
		resp, err := adapter.StartRunner(ctx, &sdk.StartRunnerRequest{Dir: dir})
		if err != nil || resp.LoadFailure != nil {
			b.Fatalf("%s: start runner: %v %+v", langpack, err, resp)
		}
		starts = append(starts, time.Since(t0))
		if _, err := adapter.StopRunner(ctx, &sdk.StopRunnerRequest{RunnerID: resp.RunnerID}); err != nil {
			b.Fatal(err)
		}
	}
	rest := slices.Clone(starts[1:])
	slices.Sort(rest)
	return starts[0], rest[len(rest)/2]
}
