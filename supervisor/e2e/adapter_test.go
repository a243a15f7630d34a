package e2e

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/langserver/langserver/sdk"
)

// TestAdapterCallPaths drives the Python adapter through the SDK's host
// side, over gRPC alone and over the fast-call socket: both must behave
// the same.
func TestAdapterCallPaths(t *testing.T) {
	for _, grpcOnly := range []bool{true, false} {
		name := map[bool]string{true: "grpc", false: "fast-call"}[grpcOnly]
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			a, err := sdk.Launch(filepath.Join(binDir, "plugins", "langpack-python"), sdk.LaunchOptions{GRPCOnly: grpcOnly})
			if err != nil {
				t.Fatal(err)
			}
			defer a.Kill()
			info, err := a.Info(ctx, &sdk.InfoRequest{HostAPIVersions: []uint32{sdk.APIVersion}})
			if err != nil {
				t.Fatal(err)
			}
			if info.Name != "python" || sdk.NegotiateAPIVersion([]uint32{sdk.APIVersion}, info.APIVersions) != sdk.APIVersion {
				t.Errorf("info: %+v", info)
			}
			start := func(algo string) string {
				resp, err := a.StartRunner(ctx, &sdk.StartRunnerRequest{Dir: example("python", algo)})
				if err != nil || resp.LoadFailure != nil {
					t.Fatalf("start %s: %v %+v", algo, err, resp)
				}
				return resp.RunnerID
			}

			chatty := start("chatty")
			var lines []string
			resp, err := a.Call(ctx, &sdk.CallRequest{RunnerID: chatty, StreamOutput: true, Input: []byte(`{"content_type":"json","data":{"out":"live","err":"oops"}}`)},
				func(l sdk.OutputLine) { lines = append(lines, string(l.Text)) })
			if err != nil {
				t.Fatal(err)
			}
			// Lines stream as they are printed; what the algorithm printed
			// while loading is in the captured output only. Lines written
			// to both streams at once may arrive in either order.
			slices.Sort(lines)
			if diff := cmp.Diff([]string{"live", "oops"}, lines); diff != "" {
				t.Errorf("streamed lines (-want +got):\n%s", diff)
			}
			if string(resp.Result) != `{"ok":true}` || resp.ContentType != "json" || string(resp.Stderr) != "oops\n" || !strings.HasPrefix(string(resp.Stdout), "loading chatty\n") || len(resp.Stdout) != len("loading chatty\nlive\noops\n") {
				t.Errorf("call: %+v", resp)
			}

			_, err = a.Call(ctx, &sdk.CallRequest{RunnerID: "runner-999", Input: []byte(`{"content_type":"text","data":"x"}`)}, nil)
			if !errors.Is(err, sdk.ErrUnknownRunner) {
				t.Errorf("unknown runner: %v", err)
			}

			// A deadline kills the runner; the adapter then forgets it.
			slow := start("crash")
			callCtx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
			defer cancel()
			began := time.Now()
			_, err = a.Call(callCtx, &sdk.CallRequest{RunnerID: slow, Input: []byte(`{"content_type":"text","data":"sleep:30"}`)}, nil)
			if !errors.Is(err, context.DeadlineExceeded) || time.Since(began) > 10*time.Second {
				t.Errorf("deadline: %v after %v", err, time.Since(began))
			}
			deadline := time.Now().Add(10 * time.Second)
			for {
				_, err = a.Call(ctx, &sdk.CallRequest{RunnerID: slow, Input: []byte(`{"content_type":"text","data":"x"}`)}, nil)
				if errors.Is(err, sdk.ErrUnknownRunner) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the timed-out runner is still known: %v", err)
				}
				time.Sleep(20 * time.Millisecond)
			}

			// The other runner was not disturbed.
			resp, err = a.Call(ctx, &sdk.CallRequest{RunnerID: chatty, Input: []byte(`{"content_type":"text","data":"x"}`)}, nil)
			if err != nil || string(resp.Result) != `{"ok":true}` {
				t.Errorf("other runner after the timeout: %v %+v", err, resp)
			}
			stopped, err := a.StopRunner(ctx, &sdk.StopRunnerRequest{RunnerID: chatty})
			if err != nil || stopped.ExitCode != 0 {
				t.Errorf("stop: %v %+v", err, stopped)
			}
			if _, err := a.StopRunner(ctx, &sdk.StopRunnerRequest{RunnerID: chatty}); !errors.Is(err, sdk.ErrUnknownRunner) || !strings.Contains(err.Error(), chatty) {
				t.Errorf("second stop: %v", err)
			}
		})
	}
}
