package pool

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/go-hclog"

	"github.com/langserver/langserver/sdk"
)

func newScalingPool(t *testing.T, f *fakePack, minRunners, maxRunners int, idle time.Duration) *Pool {
	t.Helper()
	p := New(Options{Name: "owner/algo@1.0.0", LangPack: f, Min: minRunners, Max: maxRunners, IdleTimeout: idle, Queue: 8, Logger: hclog.NewNullLogger()})
	t.Cleanup(func() { p.Stop(context.Background()) })
	return p
}

func TestScalesUpToMaxThenRetiresToMin(t *testing.T) {
	f := newFakePack()
	p := newScalingPool(t, f, 1, 3, 50*time.Millisecond)
	waitIdle(t, p, 1)
	if st := p.Status(); st.State != StateReady {
		t.Fatalf("state %q with Min runners up, want ready", st.State)
	}

	// Five concurrent callers: the pool grows to Max and two wait.
	ctx := context.Background()
	var results []<-chan callResult
	var calls []*fakeCall
	for i := range 5 {
		results = append(results, goCall(ctx, p, fmt.Sprint(i)))
		if i < 3 {
			calls = append(calls, recv(t, f.calls, "a call on a new runner"))
		}
	}
	waitWaiters(t, p, 2)
	if got := f.startCount(); got != 3 {
		t.Fatalf("started %d runners for 5 callers, want Max = 3", got)
	}
	for _, c := range calls {
		c.answer(t)
	}
	for range 2 {
		recv(t, f.calls, "a queued call").answer(t)
	}
	for _, r := range results {
		if res := recv(t, r, "a result"); res.err != nil {
			t.Fatalf("call failed: %v", res.err)
		}
	}

	// Idle runners above Min retire; Min stays.
	waitUntil(t, "idle runners retire down to Min", func() bool { return p.Status().Ready == 1 && len(f.stoppedRunners()) == 2 })
	time.Sleep(150 * time.Millisecond) // three more idle periods: Min is kept
	if diff := cmp.Diff(Status{State: StateReady, Ready: 1}, p.Status()); diff != "" {
		t.Errorf("Status after retiring (-want +got):\n%s", diff)
	}
}

func TestMinZeroColdStart(t *testing.T) {
	f := newFakePack()
	p := newScalingPool(t, f, 0, 2, 50*time.Millisecond)
	// Nothing runs before the first call, and the pool counts as ready.
	if diff := cmp.Diff(Status{State: StateReady}, p.Status()); diff != "" {
		t.Errorf("Status before any call (-want +got):\n%s", diff)
	}
	if got := f.startCount(); got != 0 {
		t.Fatalf("started %d runners with Min 0 before any call", got)
	}
	done := goCall(context.Background(), p, "cold")
	recv(t, f.calls, "the cold call").answer(t)
	if got := result(recv(t, done, "the cold result")); got != `"r1:cold"` {
		t.Fatalf("cold call = %s", got)
	}
	waitUntil(t, "the cold runner retires", func() bool { return p.Status().Ready == 0 && len(f.stoppedRunners()) == 1 })
}

func TestCrashingRunnersAreReplacedWithBackoff(t *testing.T) {
	f := newFakePack()
	p := newScalingPool(t, f, 1, 1, 0)
	waitIdle(t, p, 1)
	crash := func() time.Duration {
		t.Helper()
		done := goCall(context.Background(), p, "crash")
		c := recv(t, f.calls, "the crashing call")
		c.reply <- callReply{resp: &sdk.CallResponse{Failure: &sdk.RunnerFailure{Kind: sdk.FailureExited, Message: "exited with code 3", ExitCode: 3}}}
		if r := recv(t, done, "the crash"); r.err != nil || r.resp.Failure == nil {
			t.Fatalf("crash = %s, want the runner failure", result(r))
		}
		began := time.Now()
		waitIdle(t, p, 1)
		return time.Since(began)
	}
	// The first crash is replaced at once; the next ones wait longer.
	crash()
	crash()
	if d := crash(); d < 2*firstCrashDelay {
		t.Errorf("third crash in a row replaced after %v, want a backoff of at least %v", d, 2*firstCrashDelay)
	}
	// A successful call resets the backoff.
	done := goCall(context.Background(), p, "ok")
	recv(t, f.calls, "a good call").answer(t)
	recv(t, done, "the good result")
	if d := crash(); d >= firstCrashDelay {
		t.Errorf("crash after a success replaced after %v, want at once", d)
	}
}

func TestTimeoutIsNotACrash(t *testing.T) {
	f := newFakePack()
	p := newScalingPool(t, f, 1, 1, 0)
	waitIdle(t, p, 1)
	for range 3 {
		done := goCall(context.Background(), p, "slow")
		c := recv(t, f.calls, "the slow call")
		c.reply <- callReply{resp: &sdk.CallResponse{Failure: &sdk.RunnerFailure{Kind: sdk.FailureTimeout, Message: "deadline"}}}
		recv(t, done, "the timeout")
		began := time.Now()
		waitIdle(t, p, 1)
		if d := time.Since(began); d >= firstCrashDelay {
			t.Errorf("runner killed at a deadline replaced after %v, want at once", d)
		}
	}
}

func TestDrainFinishesCallsThenStops(t *testing.T) {
	f := newFakePack()
	p := newScalingPool(t, f, 1, 1, 0)
	waitIdle(t, p, 1)
	running := goCall(context.Background(), p, "running")
	c := recv(t, f.calls, "the running call")
	queued := goCall(context.Background(), p, "queued")
	waitWaiters(t, p, 1)

	drained := make(chan struct{})
	go func() { p.Drain(context.Background()); close(drained) }()
	waitUntil(t, "the pool drains", func() bool { return p.Status().State == StateDraining })
	c.answer(t)
	recv(t, f.calls, "the queued call").answer(t)
	for _, r := range []<-chan callResult{running, queued} {
		if res := recv(t, r, "a drained call"); res.err != nil {
			t.Errorf("call failed while draining: %v", res.err)
		}
	}
	recv(t, drained, "the end of the drain")
	if diff := cmp.Diff([]string{"r1"}, f.stoppedRunners()); diff != "" {
		t.Errorf("stopped runners (-want +got):\n%s", diff)
	}
	if got := f.startCount(); got != 1 {
		t.Errorf("a draining pool started %d runners, want 1", got)
	}
}

func TestQueueCountsOnlyCallersBeyondMax(t *testing.T) {
	f := newFakePack()
	p := New(Options{Name: "owner/algo@1.0.0", LangPack: f, Min: 0, Max: 2, Queue: 0, Logger: hclog.NewNullLogger()})
	t.Cleanup(func() { p.Stop(context.Background()) })
	// With no queue, two callers still get the two runners the pool may
	// start; a third is refused at once.
	a, b := goCall(context.Background(), p, "a"), goCall(context.Background(), p, "b")
	c1, c2 := recv(t, f.calls, "the first call"), recv(t, f.calls, "the second call")
	if _, err := p.Call(context.Background(), &sdk.CallRequest{}, nil); err != ErrOverloaded {
		t.Errorf("third caller: %v, want ErrOverloaded", err)
	}
	c1.answer(t)
	c2.answer(t)
	for _, r := range []<-chan callResult{a, b} {
		if res := recv(t, r, "a result"); res.err != nil {
			t.Errorf("call failed: %v", res.err)
		}
	}
}

func TestOneLoadFailureIsNotACrashLoop(t *testing.T) {
	f := newFakePack()
	f.start = func(ctx context.Context, n int) (*sdk.StartRunnerResponse, error) {
		if n == 1 {
			return &sdk.StartRunnerResponse{LoadFailure: &sdk.LoadFailure{Message: "killed while loading", ExitCode: -99}}, nil
		}
		return &sdk.StartRunnerResponse{RunnerID: fmt.Sprintf("r%d", n)}, nil
	}
	p := newScalingPool(t, f, 1, 1, 0)
	// The caller waits for the retry, made at once, instead of failing.
	done := goCall(context.Background(), p, "x")
	recv(t, f.calls, "the call on the second runner").answer(t)
	if got := result(recv(t, done, "the result")); got != `"r2:x"` {
		t.Errorf("call = %s, want it served by the retried runner", got)
	}
}

// An adapter that cannot start runners (it died and is being relaunched)
// is not the algorithm failing to load: callers wait, and Reset (the
// adapter is back) starts runners at once.
func TestAdapterErrorsMakeCallersWait(t *testing.T) {
	f := newFakePack()
	var back atomic.Bool
	f.start = func(ctx context.Context, n int) (*sdk.StartRunnerResponse, error) {
		if !back.Load() {
			return nil, errors.New("rpc error: the client connection is closing")
		}
		return &sdk.StartRunnerResponse{RunnerID: fmt.Sprintf("r%d", n)}, nil
	}
	p := New(Options{Name: "owner/algo@1.0.0", LangPack: f, Min: 1, Max: 1, Queue: 1, MaxRestartDelay: time.Hour, Logger: hclog.NewNullLogger()})
	t.Cleanup(func() { p.Stop(context.Background()) })
	done := goCall(context.Background(), p, "x")
	waitUntil(t, "several failed starts", func() bool { return f.startCount() >= 5 })
	if st := p.Status(); st.State != StateLoading {
		t.Errorf("state while the adapter is away: %q, want loading", st.State)
	}
	select {
	case r := <-done:
		t.Fatalf("the caller returned %s while the adapter was away", result(r))
	default:
	}
	back.Store(true)
	p.Reset()
	recv(t, f.calls, "the call once the adapter is back").answer(t)
	if r := recv(t, done, "the result"); r.err != nil {
		t.Errorf("call failed: %v", r.err)
	}
}
