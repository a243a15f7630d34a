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
	"sync"
	"testing"
	"time"

	"github.com/langserver/langserver/sdk/pipe"
)

// workersCalls is how many calls each (workers, concurrency) cell of
// BenchmarkWorkers makes, per algorithm.
var workersCalls = map[string]int{"hello": 2000, "busy": 200}

// measureConcurrent makes calls in all, spread over conc goroutines that
// each call fn in a loop, and summarises their latencies and throughput.
func measureConcurrent(b *testing.B, name string, conc, calls int, fn func(worker int) error) latencies {
	b.Helper()
	samples := make([][]time.Duration, conc)
	errs := make(chan error, conc)
	var wg sync.WaitGroup
	began := time.Now()
	for w := range conc {
		wg.Go(func() {
			for range calls / conc {
				t0 := time.Now()
				if err := fn(w); err != nil {
					errs <- err
					return
				}
				samples[w] = append(samples[w], time.Since(t0))
			}
		})
	}
	wg.Wait()
	total := time.Since(began)
	close(errs)
	for err := range errs {
		b.Fatalf("%s: %v", name, err)
	}
	all := slices.Concat(samples...)
	slices.Sort(all)
	return latencies{name: name, p50: all[len(all)/2], p99: all[len(all)*99/100], perSec: float64(len(all)) / total.Seconds()}
}

// postText returns a call that posts text to url and checks that the
// answer contains want.
func postText(client *http.Client, url, text, want string) func(int) error {
	return func(int) error {
		resp, err := client.Post(url, "text/plain", bytes.NewReader([]byte(text)))
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err == nil && (resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(want))) {
			err = fmt.Errorf("unexpected answer %d %s", resp.StatusCode, body)
		}
		return err
	}
}

// BenchmarkWorkers measures throughput and latency against the number of
// workers (1, 2, 4) at concurrency 1 and 4, through `langserver serve`
// and /v1/algo, for the Python hello algorithm and for a CPU-bound one
// (examples/python/busy, about 10 ms of pure Python per call). The raw
// baseline, in the same run, drives as many runners directly through
// sdk/pipe, one goroutine each.
func BenchmarkWorkers(b *testing.B) {
	script := benchTargets(b)[0].runner
	for _, algo := range []struct{ name, input, want string }{
		{"hello", "algorithmia", "algorithmia"},
		{"busy", "work", "result"},
	} {
		b.Run(algo.name, func(b *testing.B) {
			dir := example("python", algo.name)
			calls := workersCalls[algo.name]
			var rows []latencies
			for _, conc := range []int{1, 4} {
				rows = append(rows, rawConcurrent(b, script, dir, conc, calls, algo.input))
			}
			for _, workers := range []int{1, 2, 4} {
				config := filepath.Join(b.TempDir(), "bench.hcl")
				hcl := fmt.Sprintf("algorithm \"bench/%s\" {\n  path = %q\n  queue = 64\n  workers {\n    min = %d\n    max = %d\n  }\n}\n", algo.name, dir, workers, workers)
				if err := os.WriteFile(config, []byte(hcl), 0o644); err != nil {
					b.Fatal(err)
				}
				s := startServer(b, nil, "serve", "--config", config)
				waitReady(b, s)
				client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
				call := postText(client, s.URL+"/v1/algo/bench/"+algo.name, algo.input, algo.want)
				for range 50 {
					if err := call(0); err != nil {
						b.Fatal(err)
					}
				}
				for _, conc := range []int{1, 4} {
					rows = append(rows, measureConcurrent(b, fmt.Sprintf("serve, %d workers, concurrency %d", workers, conc), conc, calls, call))
				}
				s.stop()
			}
			fmt.Fprintf(os.Stdout, "\npython %s: %d calls per row\n", algo.name, calls)
			fmt.Fprintf(os.Stdout, "%-38s %10s %10s %10s\n", "path", "p50", "p99", "calls/s")
			for _, l := range rows {
				fmt.Fprintf(os.Stdout, "%-38s %10s %10s %10.0f\n", l.name, l.p50.Round(time.Microsecond), l.p99.Round(time.Microsecond), l.perSec)
			}
		})
	}
}

// rawConcurrent drives conc runners directly through sdk/pipe, one
// goroutine each: the baseline for conc workers.
func rawConcurrent(b *testing.B, command []string, dir string, conc, calls int, input string) latencies {
	b.Helper()
	ctx := context.Background()
	runners := make([]*pipe.Runner, conc)
	for i := range runners {
		r, err := pipe.Start(ctx, pipe.Config{Command: command, Dir: dir})
		if err != nil {
			b.Fatal(err)
		}
		defer r.Stop(ctx)
		runners[i] = r
	}
	line := []byte(fmt.Sprintf(`{"content_type":"text","data":%q}`, input))
	return measureConcurrent(b, fmt.Sprintf("raw sdk/pipe, %d runners", conc), conc, calls, func(w int) error {
		_, err := runners[w].Call(ctx, line, nil)
		return err
	})
}
