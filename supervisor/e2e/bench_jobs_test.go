package e2e

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// benchJobs is how many jobs the completion figure is taken over, and
// benchClients how many clients submit at once.
const (
	benchJobs    = 1000
	benchClients = 8
)

// BenchmarkJobs measures asynchronous calls of the Python hello algorithm
// through `langserver serve`: accepted durable submissions per second (each
// answered once the job is committed to disk), from one client and from
// benchClients at once, and end-to-end completions per second (from the
// first submission to the last callback received).
func BenchmarkJobs(b *testing.B) {
	dir := b.TempDir()
	config := filepath.Join(dir, "bench.hcl")
	if err := os.WriteFile(config, []byte(fmt.Sprintf("server {\n  data_dir = %q\n}\nalgorithm \"bench/hello\" {\n  langpack = \"python\"\n  path = %q\n}\n",
		filepath.Join(dir, "data"), example("python", "hello"))), 0o644); err != nil {
		b.Fatal(err)
	}
	var callbacks atomic.Int64
	done := make(chan struct{})
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if callbacks.Add(1) == benchJobs {
			close(done)
		}
	}))
	defer hook.Close()
	serve := startServer(b, nil, "serve", "--config", config)
	defer serve.stop()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: benchClients}}
	url := serve.URL + "/v1/algo/bench/hello?output=void"
	submit := func(callback bool) error {
		req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader([]byte("algorithmia")))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "text/plain")
		if callback {
			req.Header.Set("X-Callback-Url", hook.URL)
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err == nil && (resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(`"request_id":"req-`))) {
			err = fmt.Errorf("unexpected answer %d %s", resp.StatusCode, body)
		}
		return err
	}
	concurrently := func(n int, callback bool) time.Duration {
		began := time.Now()
		var wg sync.WaitGroup
		for c := range benchClients {
			wg.Go(func() {
				for i := c; i < n; i += benchClients {
					if err := submit(callback); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		return time.Since(began)
	}

	// End to end first, on an empty queue.
	began := time.Now()
	concurrently(benchJobs, true)
	select {
	case <-done:
	case <-time.After(5 * time.Minute):
		b.Fatalf("%d of %d callbacks within 5 minutes", callbacks.Load(), benchJobs)
	}
	completions := float64(benchJobs) / time.Since(began).Seconds()

	sequential := measure(b, "submissions, 1 client", func() error { return submit(false) })
	parallel := float64(benchCalls) / concurrently(benchCalls, false).Seconds()

	fmt.Fprintf(os.Stdout, "\npython hello, asynchronous calls (output=void) through serve, durable job store\n")
	fmt.Fprintf(os.Stdout, "%-44s %10s %10s %10s\n", "measure", "p50", "p99", "per second")
	fmt.Fprintf(os.Stdout, "%-44s %10s %10s %10.0f\n", fmt.Sprintf("accepted submissions, 1 client (%d)", benchCalls), sequential.p50.Round(time.Microsecond), sequential.p99.Round(time.Microsecond), sequential.perSec)
	fmt.Fprintf(os.Stdout, "%-44s %10s %10s %10.0f\n", fmt.Sprintf("accepted submissions, %d clients (%d)", benchClients, benchCalls), "", "", parallel)
	fmt.Fprintf(os.Stdout, "%-44s %10s %10s %10.0f\n", fmt.Sprintf("completions, submit to callback (%d jobs)", benchJobs), "", "", completions)
	b.ReportMetric(sequential.perSec, "submits/s")
	b.ReportMetric(parallel, "parallel-submits/s")
	b.ReportMetric(completions, "completions/s")
}
