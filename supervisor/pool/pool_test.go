package pool

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/go-hclog"

	"github.com/langserver/langserver/sdk"
)

// guard bounds every wait of these tests; it is a deadline for a failing
// test, never a way to let something happen.
const guard = 5 * time.Second

// fakeCall is one Call the fake LangPack received. The test answers it on
// reply; until then the pool's caller is blocked in Call.
type fakeCall struct {
	ctx    context.Context
	runner string
	input  string
	reply  chan callReply
}

type callReply struct {
	resp *sdk.CallResponse
	err  error
}

// answer completes the call with a result echoing its input and runner.
func (c *fakeCall) answer(t *testing.T) {
	t.Helper()
	c.reply <- callReply{resp: &sdk.CallResponse{Result: []byte(`"` + c.runner + ":" + c.input + `"`), ContentType: "json"}}
}

// fakePack is a scripted sdk.LangPack. StartRunner calls start with the
// 1-based attempt number (by default it returns runner "r<n>"); Call hands
// each call to the test on calls and waits for its reply; StopRunner
// records the runner. Methods the pool does not use panic through the nil
// embedded interface.
type fakePack struct {
	sdk.LangPack

	start func(ctx context.Context, n int) (*sdk.StartRunnerResponse, error)
	calls chan *fakeCall

	mu      sync.Mutex
	starts  int
	stopped []string
}

func newFakePack() *fakePack { return &fakePack{calls: make(chan *fakeCall)} }

func (f *fakePack) StartRunner(ctx context.Context, req *sdk.StartRunnerRequest) (*sdk.StartRunnerResponse, error) {
	f.mu.Lock()
	f.starts++
	n := f.starts
	f.mu.Unlock()
	if f.start != nil {
		return f.start(ctx, n)
	}
	return &sdk.StartRunnerResponse{RunnerID: fmt.Sprintf("r%d", n)}, nil
}

func (f *fakePack) Call(ctx context.Context, req *sdk.CallRequest, _ sdk.OutputFunc) (*sdk.CallResponse, error) {
	c := &fakeCall{ctx: ctx, runner: req.RunnerID, input: string(req.Input), reply: make(chan callReply, 1)}
	select {
	case f.calls <- c:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case r := <-c.reply:
		return r.resp, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (f *fakePack) StopRunner(_ context.Context, req *sdk.StopRunnerRequest) (*sdk.StopRunnerResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stopped = append(f.stopped, req.RunnerID)
	return &sdk.StopRunnerResponse{}, nil
}

func (f *fakePack) startCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.starts
}

func (f *fakePack) stoppedRunners() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := slices.Clone(f.stopped)
	slices.Sort(out)
	return out
}

// testRestartDelay keeps load retries quick in tests that go through a
// crash loop.
const testRestartDelay = 20 * time.Millisecond

func newPool(t *testing.T, f *fakePack, size, queue int) *Pool {
	t.Helper()
	p := New(Options{Name: "owner/algo@1.0.0", LangPack: f, Min: size, Max: size, Queue: queue, MaxRestartDelay: testRestartDelay, Logger: hclog.NewNullLogger()})
	t.Cleanup(func() { p.Stop(context.Background()) })
	return p
}

// waitUntil waits for a condition on the pool's state that no event
// announces (a caller queued, a runner back to idle). It yields rather than
// sleeps and fails the test after guard.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(guard)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		runtime.Gosched()
	}
}

func (p *Pool) idleCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.idle)
}

func (p *Pool) waiterCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.waiters)
}

func waitIdle(t *testing.T, p *Pool, n int) {
	t.Helper()
	waitUntil(t, fmt.Sprintf("%d runners are idle", n), func() bool { return p.idleCount() == n })
}

func waitWaiters(t *testing.T, p *Pool, n int) {
	t.Helper()
	waitUntil(t, fmt.Sprintf("%d callers are queued", n), func() bool { return p.waiterCount() == n })
}

func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(guard):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

type callResult struct {
	resp *sdk.CallResponse
	err  error
}

// goCall runs p.Call in the background and returns where its outcome goes.
func goCall(ctx context.Context, p *Pool, input string) <-chan callResult {
	done := make(chan callResult, 1)
	go func() {
		resp, err := p.Call(ctx, &sdk.CallRequest{Input: []byte(input)}, nil)
		done <- callResult{resp, err}
	}()
	return done
}

func result(r callResult) string {
	if r.err != nil {
		return "error: " + r.err.Error()
	}
	return string(r.resp.Result)
}

func TestStartsMinRunners(t *testing.T) {
	for _, size := range []int{1, 3} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			f := newFakePack()
			p := newPool(t, f, size, 0)
			want := size
			waitIdle(t, p, want)
			if diff := cmp.Diff(Status{State: StateReady, Ready: want}, p.Status()); diff != "" {
				t.Errorf("Status mismatch (-want +got):\n%s", diff)
			}
			if got := f.startCount(); got != want {
				t.Errorf("StartRunner called %d times, want %d", got, want)
			}
			for i := 1; i <= want; i++ {
				if id := fmt.Sprintf("r%d", i); !p.Owns(id) {
					t.Errorf("Owns(%q) = false, want true", id)
				}
			}
		})
	}
}

func TestIdleRunnersServeCalls(t *testing.T) {
	f := newFakePack()
	p := newPool(t, f, 2, 0)
	waitIdle(t, p, 2)

	ctx := context.Background()
	a, b := goCall(ctx, p, "a"), goCall(ctx, p, "b")
	c1, c2 := recv(t, f.calls, "first call"), recv(t, f.calls, "second call")
	if got, want := []string{c1.runner, c2.runner}, []string{"r1", "r2"}; !cmp.Equal(sortedCopy(got), want) {
		t.Errorf("concurrent calls ran on runners %v, want one each on %v", got, want)
	}
	// Neither call waited: with Queue 0 a waiting caller would have been refused.
	for _, c := range []*fakeCall{c1, c2} {
		c.answer(t)
	}
	got := []string{result(recv(t, a, "call a")), result(recv(t, b, "call b"))}
	want := []string{`"` + runnerOf(c1, c2, "a") + `:a"`, `"` + runnerOf(c1, c2, "b") + `:b"`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("results mismatch (-want +got):\n%s", diff)
	}
	// Both runners are idle again as soon as the calls return.
	if got := p.idleCount(); got != 2 {
		t.Errorf("%d idle runners after the calls, want 2", got)
	}
	if got := f.startCount(); got != 2 {
		t.Errorf("StartRunner called %d times, want 2", got)
	}
}

func sortedCopy(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func runnerOf(c1, c2 *fakeCall, input string) string {
	if c1.input == input {
		return c1.runner
	}
	return c2.runner
}

func TestBusyRunnersQueueCallersFIFO(t *testing.T) {
	f := newFakePack()
	p := newPool(t, f, 1, 3)
	waitIdle(t, p, 1)
	ctx := context.Background()

	first := goCall(ctx, p, "first")
	busy := recv(t, f.calls, "the first call")
	var waiting []<-chan callResult
	for i, in := range []string{"w1", "w2", "w3"} {
		waiting = append(waiting, goCall(ctx, p, in))
		waitWaiters(t, p, i+1)
	}

	busy.answer(t)
	if got, want := result(recv(t, first, "the first call's result")), `"r1:first"`; got != want {
		t.Errorf("first call = %s, want %s", got, want)
	}
	// Each release hands the runner to the longest waiting caller.
	for i, want := range []string{"w1", "w2", "w3"} {
		c := recv(t, f.calls, "call "+want)
		if c.input != want || c.runner != "r1" {
			t.Errorf("call %d: got input %q on %q, want %q on r1", i, c.input, c.runner, want)
		}
		c.answer(t)
		if got, wantRes := result(recv(t, waiting[i], want+"'s result")), `"r1:`+want+`"`; got != wantRes {
			t.Errorf("%s = %s, want %s", want, got, wantRes)
		}
	}
	if got := f.startCount(); got != 1 {
		t.Errorf("StartRunner called %d times, want 1", got)
	}
}

func TestQueueBound(t *testing.T) {
	for _, queue := range []int{0, 1, 2} {
		t.Run(fmt.Sprint(queue), func(t *testing.T) {
			f := newFakePack()
			p := newPool(t, f, 1, queue)
			waitIdle(t, p, 1)

			first := goCall(context.Background(), p, "busy")
			busy := recv(t, f.calls, "the busy call")
			waitCtx, cancelWaiters := context.WithCancel(context.Background())
			defer cancelWaiters()
			var waiting []<-chan callResult
			for i := range queue {
				waiting = append(waiting, goCall(waitCtx, p, "waiter"))
				waitWaiters(t, p, i+1)
			}

			ctx, cancel := context.WithTimeout(context.Background(), guard)
			defer cancel()
			_, err := p.Call(ctx, &sdk.CallRequest{Input: []byte("refused")}, nil)
			if !errors.Is(err, ErrOverloaded) {
				t.Errorf("Call with a full queue = %v, want ErrOverloaded", err)
			}

			cancelWaiters()
			for _, w := range waiting {
				if r := recv(t, w, "a cancelled waiter"); !errors.Is(r.err, context.Canceled) {
					t.Errorf("cancelled waiter: %s, want context.Canceled", result(r))
				}
			}
			busy.answer(t)
			recv(t, first, "the busy call's result")
		})
	}
}

func TestCancelWhileWaitingLeaksNoRunner(t *testing.T) {
	f := newFakePack()
	p := newPool(t, f, 1, 1)
	waitIdle(t, p, 1)

	first := goCall(context.Background(), p, "busy")
	busy := recv(t, f.calls, "the busy call")
	ctx, cancel := context.WithCancel(context.Background())
	waiter := goCall(ctx, p, "impatient")
	waitWaiters(t, p, 1)
	cancel()
	if r := recv(t, waiter, "the cancelled waiter"); !errors.Is(r.err, context.Canceled) || r.resp != nil {
		t.Errorf("cancelled waiter: %s, want context.Canceled", result(r))
	}
	if got := p.waiterCount(); got != 0 {
		t.Errorf("%d callers still queued after the cancel, want 0", got)
	}

	busy.answer(t)
	recv(t, first, "the busy call's result")
	// The runner went back to idle rather than to the gone caller.
	if got := p.idleCount(); got != 1 {
		t.Errorf("%d idle runners, want 1", got)
	}
	next := goCall(context.Background(), p, "next")
	c := recv(t, f.calls, "the next call")
	if c.runner != "r1" {
		t.Errorf("next call ran on %q, want r1", c.runner)
	}
	c.answer(t)
	recv(t, next, "the next call's result")
}

// TestCancelRacesHandover cancels a waiting caller just as a runner is
// handed to it, many times: however the race goes, the runner must not be
// lost (it goes back to idle, or is replaced).
func TestCancelRacesHandover(t *testing.T) {
	f := newFakePack()
	p := newPool(t, f, 1, 1)
	waitIdle(t, p, 1)
	for i := range 300 {
		first := goCall(context.Background(), p, "busy")
		busy := recv(t, f.calls, "the busy call")
		ctx, cancel := context.WithCancel(context.Background())
		waiter := goCall(ctx, p, "racing")
		waitWaiters(t, p, 1)
		go cancel()
		busy.answer(t)
		recv(t, first, "the busy call's result")
		// The waiter never reaches the fake: either it gave up waiting or
		// its call saw the cancelled context.
		if r := recv(t, waiter, "the racing waiter"); !errors.Is(r.err, context.Canceled) {
			t.Fatalf("iteration %d: racing waiter: %s, want context.Canceled", i, result(r))
		}
		waitIdle(t, p, 1)
		if got := p.Status().Ready; got != 1 {
			t.Fatalf("iteration %d: %d runners, want 1", i, got)
		}
	}
}

func TestDeadlineWhileWaiting(t *testing.T) {
	f := newFakePack()
	p := newPool(t, f, 1, 1)
	waitIdle(t, p, 1)
	first := goCall(context.Background(), p, "busy")
	busy := recv(t, f.calls, "the busy call")

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	_, err := p.Call(ctx, &sdk.CallRequest{Input: []byte("late")}, nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Call = %v, want context.DeadlineExceeded", err)
	}
	busy.answer(t)
	recv(t, first, "the busy call's result")
	if got := p.idleCount(); got != 1 {
		t.Errorf("%d idle runners, want 1", got)
	}
}

func TestFailedCallReplacesRunner(t *testing.T) {
	adapterErr := errors.New("connection reset")
	tests := []struct {
		name     string
		cancel   bool // the caller's context is cancelled before the reply
		reply    callReply
		wantResp *sdk.CallResponse
		wantErr  error
	}{
		{
			name:     "runner exited",
			reply:    callReply{resp: &sdk.CallResponse{Failure: &sdk.RunnerFailure{Kind: sdk.FailureExited, Message: "exited with code 1", ExitCode: 1}, Stdout: []byte("bye")}},
			wantResp: &sdk.CallResponse{Failure: &sdk.RunnerFailure{Kind: sdk.FailureExited, Message: "exited with code 1", ExitCode: 1}, Stdout: []byte("bye")},
		},
		{
			name:     "runner timed out",
			reply:    callReply{resp: &sdk.CallResponse{Failure: &sdk.RunnerFailure{Kind: sdk.FailureTimeout, Message: "killed"}}},
			wantResp: &sdk.CallResponse{Failure: &sdk.RunnerFailure{Kind: sdk.FailureTimeout, Message: "killed"}},
		},
		{
			name:  "adapter error becomes a failure",
			reply: callReply{err: adapterErr},
			wantResp: &sdk.CallResponse{Failure: &sdk.RunnerFailure{
				Kind: sdk.FailureStopped, Message: "connection reset",
			}},
		},
		{
			name:    "cancelled caller gets its context's error",
			cancel:  true,
			wantErr: context.Canceled,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakePack()
			p := newPool(t, f, 1, 1)
			waitIdle(t, p, 1)

			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := goCall(ctx, p, "doomed")
			c := recv(t, f.calls, "the call")
			if tt.cancel {
				cancel()
			} else {
				c.reply <- tt.reply
			}
			r := recv(t, done, "the call's result")
			if !errors.Is(r.err, tt.wantErr) {
				t.Errorf("Call error = %v, want %v", r.err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.wantResp, r.resp); diff != "" {
				t.Errorf("Call response mismatch (-want +got):\n%s", diff)
			}
			if p.Owns("r1") {
				t.Error("the failed runner r1 is still owned")
			}

			// A replacement serves the next call.
			waitIdle(t, p, 1)
			if !p.Owns("r2") {
				t.Error("the replacement r2 is not owned")
			}
			next := goCall(context.Background(), p, "next")
			c = recv(t, f.calls, "the next call")
			if c.runner != "r2" {
				t.Errorf("next call ran on %q, want r2", c.runner)
			}
			c.answer(t)
			recv(t, next, "the next call's result")
			if got := f.startCount(); got != 2 {
				t.Errorf("StartRunner called %d times, want 2", got)
			}
		})
	}
}

func TestRunnerExited(t *testing.T) {
	f := newFakePack()
	p := newPool(t, f, 1, 0)
	waitIdle(t, p, 1)

	p.RunnerExited("nobody")
	p.mu.Lock()
	starting := p.starting
	p.mu.Unlock()
	if starting != 0 || !p.Owns("r1") {
		t.Errorf("after RunnerExited of an unknown runner: starting %d, Owns(r1) %v; want 0, true", starting, p.Owns("r1"))
	}

	p.RunnerExited("r1")
	if p.Owns("r1") {
		t.Error("Owns(r1) after it exited")
	}
	waitIdle(t, p, 1)
	if !p.Owns("r2") {
		t.Error("the replacement r2 is not owned")
	}
	if diff := cmp.Diff(Status{State: StateReady, Ready: 1}, p.Status()); diff != "" {
		t.Errorf("Status mismatch (-want +got):\n%s", diff)
	}
	// Exactly one replacement: a second report of r1 changes nothing.
	p.RunnerExited("r1")
	if got := f.startCount(); got != 2 {
		t.Errorf("StartRunner called %d times, want 2", got)
	}
}

func TestReset(t *testing.T) {
	f := newFakePack()
	p := newPool(t, f, 2, 1)
	waitIdle(t, p, 2)
	first := goCall(context.Background(), p, "on an old runner")
	old := recv(t, f.calls, "the call on an old runner")
	second := goCall(context.Background(), p, "on the other old runner")
	other := recv(t, f.calls, "the call on the other old runner")
	waiter := goCall(context.Background(), p, "waiting")
	waitWaiters(t, p, 1)

	p.Reset()
	if p.Owns("r1") || p.Owns("r2") {
		t.Errorf("after Reset: Owns(r1) %v, Owns(r2) %v; want false", p.Owns("r1"), p.Owns("r2"))
	}
	// A fresh runner serves the waiting caller.
	c := recv(t, f.calls, "the waiting call")
	if c.input != "waiting" || (c.runner != "r3" && c.runner != "r4") {
		t.Errorf("waiting call: input %q on %q, want on r3 or r4", c.input, c.runner)
	}
	c.answer(t)
	recv(t, waiter, "the waiting call's result")

	// Calls in flight on the old runners end without bringing them back
	// or starting more runners.
	old.answer(t)
	other.reply <- callReply{resp: &sdk.CallResponse{Failure: &sdk.RunnerFailure{Kind: sdk.FailureStopped, Message: "adapter gone"}}}
	if got, want := result(recv(t, first, "the old call's result")), `"`+old.runner+`:on an old runner"`; got != want {
		t.Errorf("old call = %s, want %s", got, want)
	}
	recv(t, second, "the other old call's result")
	waitIdle(t, p, 2)
	p.mu.Lock()
	idle := sortedCopy(p.idle)
	p.mu.Unlock()
	if diff := cmp.Diff([]string{"r3", "r4"}, idle); diff != "" {
		t.Errorf("idle runners mismatch (-want +got):\n%s", diff)
	}
	if got := f.startCount(); got != 4 {
		t.Errorf("StartRunner called %d times, want 4", got)
	}
	if diff := cmp.Diff(Status{State: StateReady, Ready: 2}, p.Status()); diff != "" {
		t.Errorf("Status mismatch (-want +got):\n%s", diff)
	}
}

func TestLoadFailureFailsCallers(t *testing.T) {
	tests := []struct {
		name        string
		resp        *sdk.StartRunnerResponse
		err         error
		wantFailure *sdk.LoadFailure
	}{
		{
			name:        "load failure",
			resp:        &sdk.StartRunnerResponse{LoadFailure: &sdk.LoadFailure{Message: "SyntaxError: bad", ExitCode: 1, Output: []byte("trace")}},
			wantFailure: &sdk.LoadFailure{Message: "SyntaxError: bad", ExitCode: 1, Output: []byte("trace")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakePack()
			release := make(chan struct{})
			f.start = func(ctx context.Context, n int) (*sdk.StartRunnerResponse, error) {
				if n == 1 {
					select {
					case <-release:
					case <-ctx.Done():
						return nil, ctx.Err()
					}
				}
				return tt.resp, tt.err
			}
			p := newPool(t, f, 1, 2)
			if got := p.Status(); got.State != StateLoading {
				t.Errorf("State while the first runner starts = %q, want %q", got.State, StateLoading)
			}

			// A caller waiting for the first runner fails with the load error.
			waiter := goCall(context.Background(), p, "early")
			waitWaiters(t, p, 1)
			close(release)
			r := recv(t, waiter, "the waiting caller")
			var le *LoadError
			if !errors.As(r.err, &le) {
				t.Fatalf("waiting caller: %s, want a *LoadError", result(r))
			}
			if diff := cmp.Diff(tt.wantFailure, le.Failure); diff != "" {
				t.Errorf("LoadError.Failure mismatch (-want +got):\n%s", diff)
			}
			if got, want := le.Error(), "algorithm failed to load: "+tt.wantFailure.Message; got != want {
				t.Errorf("LoadError.Error() = %q, want %q", got, want)
			}

			want := Status{State: StateFailed, Starting: 1, LastLoadError: tt.wantFailure.Message}
			if diff := cmp.Diff(want, p.Status()); diff != "" {
				t.Errorf("Status mismatch (-want +got):\n%s", diff)
			}
			// A new caller fails at once rather than waiting for the retry.
			ctx, cancel := context.WithTimeout(context.Background(), guard)
			defer cancel()
			_, err := p.Call(ctx, &sdk.CallRequest{Input: []byte("late")}, nil)
			if !errors.As(err, &le) || le.Failure.Message != tt.wantFailure.Message {
				t.Errorf("Call while failed = %v, want the *LoadError", err)
			}
		})
	}
}

func TestLoadFailureRecovers(t *testing.T) {
	f := newFakePack()
	retrying := make(chan struct{})
	succeed := make(chan struct{})
	f.start = func(ctx context.Context, n int) (*sdk.StartRunnerResponse, error) {
		switch {
		case n <= CrashLoop:
			return &sdk.StartRunnerResponse{LoadFailure: &sdk.LoadFailure{Message: "missing module", ExitCode: 1}}, nil
		case n == CrashLoop+1:
			close(retrying)
			select {
			case <-succeed:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		return &sdk.StartRunnerResponse{RunnerID: fmt.Sprintf("r%d", n)}, nil
	}
	p := newPool(t, f, 1, 1)

	// The retry begins only after the crash loop was recorded.
	recv(t, retrying, "the retried StartRunner")
	if diff := cmp.Diff(Status{State: StateFailed, Starting: 1, LastLoadError: "missing module"}, p.Status()); diff != "" {
		t.Errorf("Status while failing mismatch (-want +got):\n%s", diff)
	}
	var le *LoadError
	if _, err := p.Call(context.Background(), &sdk.CallRequest{}, nil); !errors.As(err, &le) {
		t.Errorf("Call while failed = %v, want a *LoadError", err)
	}

	close(succeed)
	waitIdle(t, p, 1)
	if diff := cmp.Diff(Status{State: StateReady, Ready: 1}, p.Status()); diff != "" {
		t.Errorf("Status after recovery mismatch (-want +got):\n%s", diff)
	}
	done := goCall(context.Background(), p, "ok")
	c := recv(t, f.calls, "the call after recovery")
	c.answer(t)
	if got, want := result(recv(t, done, "the result after recovery")), fmt.Sprintf(`"r%d:ok"`, CrashLoop+1); got != want {
		t.Errorf("Call after recovery = %s, want %s", got, want)
	}
}

func TestPartialLoadFailure(t *testing.T) {
	f := newFakePack()
	gate, retrying := make(chan struct{}), make(chan struct{})
	f.start = func(ctx context.Context, n int) (*sdk.StartRunnerResponse, error) {
		switch n {
		case 1:
			return &sdk.StartRunnerResponse{RunnerID: "r1"}, nil
		case 2:
			<-gate
			return &sdk.StartRunnerResponse{LoadFailure: &sdk.LoadFailure{Message: "flaky"}}, nil
		}
		close(retrying)
		<-ctx.Done()
		return nil, ctx.Err()
	}
	p := New(Options{Name: "owner/algo@1.0.0", LangPack: f, Min: 2, Max: 2, Queue: 1, Logger: hclog.NewNullLogger()})
	waitIdle(t, p, 1)
	first := goCall(context.Background(), p, "busy")
	busy := recv(t, f.calls, "the busy call")
	waiter := goCall(context.Background(), p, "waiting")
	waitWaiters(t, p, 1)

	// The second runner fails to load while a caller waits; the retry
	// begins only after the failure was recorded.
	close(gate)
	recv(t, retrying, "the retried StartRunner")
	// One runner is up: the caller keeps waiting for it rather than
	// failing with the load error. The pool has never had its Min runners,
	// so it is still loading (not ready).
	if diff := cmp.Diff(Status{State: StateLoading, Ready: 1, Busy: 1, Starting: 1, Queued: 1, LastLoadError: "flaky"}, p.Status()); diff != "" {
		t.Errorf("Status mismatch (-want +got):\n%s", diff)
	}
	select {
	case r := <-waiter:
		t.Fatalf("the waiting caller returned %s while a runner was up", result(r))
	default:
	}

	stopped := make(chan struct{})
	go func() {
		p.Stop(context.Background())
		close(stopped)
	}()
	recv(t, stopped, "Stop to return")
	if r := recv(t, waiter, "the waiting caller"); !errors.Is(r.err, ErrStopped) {
		t.Errorf("waiting caller after Stop: %s, want ErrStopped", result(r))
	}
	busy.answer(t)
	recv(t, first, "the busy call's result")
	if diff := cmp.Diff([]string{"r1"}, f.stoppedRunners()); diff != "" {
		t.Errorf("stopped runners mismatch (-want +got):\n%s", diff)
	}
}

func TestStop(t *testing.T) {
	f := newFakePack()
	f.start = func(ctx context.Context, n int) (*sdk.StartRunnerResponse, error) {
		if n == 3 {
			// Still starting when the pool stops; it comes up anyway.
			<-ctx.Done()
		}
		return &sdk.StartRunnerResponse{RunnerID: fmt.Sprintf("r%d", n)}, nil
	}
	p := New(Options{Name: "owner/algo@1.0.0", LangPack: f, Min: 3, Max: 3, Queue: 2, Logger: hclog.NewNullLogger()})
	waitUntil(t, "two runners are up", func() bool { return p.Status().Ready == 2 })

	ctx := context.Background()
	a, b := goCall(ctx, p, "a"), goCall(ctx, p, "b")
	ca, cb := recv(t, f.calls, "call a"), recv(t, f.calls, "call b")
	w1, w2 := goCall(ctx, p, "w1"), goCall(ctx, p, "w2")
	waitWaiters(t, p, 2)

	stopped := make(chan struct{})
	go func() {
		p.Stop(ctx)
		close(stopped)
	}()
	recv(t, stopped, "Stop to return")
	for _, w := range []<-chan callResult{w1, w2} {
		if r := recv(t, w, "a waiting caller"); !errors.Is(r.err, ErrStopped) {
			t.Errorf("waiting caller after Stop: %s, want ErrStopped", result(r))
		}
	}
	if diff := cmp.Diff([]string{"r1", "r2", "r3"}, f.stoppedRunners()); diff != "" {
		t.Errorf("stopped runners mismatch (-want +got):\n%s", diff)
	}
	if _, err := p.Call(ctx, &sdk.CallRequest{}, nil); !errors.Is(err, ErrStopped) {
		t.Errorf("Call after Stop = %v, want ErrStopped", err)
	}
	if diff := cmp.Diff(Status{State: StateStopped}, p.Status()); diff != "" {
		t.Errorf("Status after Stop mismatch (-want +got):\n%s", diff)
	}

	// Calls in flight finish; their runners are not reused or restarted.
	ca.answer(t)
	cb.reply <- callReply{resp: &sdk.CallResponse{Failure: &sdk.RunnerFailure{Kind: sdk.FailureStopped, Message: "stopped"}}}
	recv(t, a, "call a's result")
	recv(t, b, "call b's result")
	if p.Owns("r1") || p.Owns("r2") || p.idleCount() != 0 {
		t.Errorf("after Stop: Owns(r1) %v, Owns(r2) %v, %d idle; want none", p.Owns("r1"), p.Owns("r2"), p.idleCount())
	}
	p.mu.Lock()
	starting := p.starting
	p.mu.Unlock()
	if got := f.startCount(); got != 3 || starting != 0 {
		t.Errorf("StartRunner called %d times, %d starting; want 3, 0", got, starting)
	}
	if diff := cmp.Diff([]string{"r1", "r2", "r3"}, f.stoppedRunners()); diff != "" {
		t.Errorf("stopped runners after the calls mismatch (-want +got):\n%s", diff)
	}
}

func TestStopDuringBackoff(t *testing.T) {
	f := newFakePack()
	failed := make(chan struct{}, CrashLoop)
	f.start = func(ctx context.Context, n int) (*sdk.StartRunnerResponse, error) {
		failed <- struct{}{}
		return &sdk.StartRunnerResponse{LoadFailure: &sdk.LoadFailure{Message: "broken"}}, nil
	}
	p := New(Options{LangPack: f, Min: 1, Max: 1, Queue: 1, Logger: hclog.NewNullLogger()})
	for range CrashLoop {
		recv(t, failed, "a failing StartRunner")
	}
	// Once a caller has the load error the pool is waiting to retry.
	var le *LoadError
	if _, err := p.Call(context.Background(), &sdk.CallRequest{}, nil); !errors.As(err, &le) {
		t.Fatalf("Call while failing = %v, want a *LoadError", err)
	}
	stopped := make(chan struct{})
	go func() {
		p.Stop(context.Background())
		close(stopped)
	}()
	// Stop does not wait out the two-second backoff.
	select {
	case <-stopped:
	case <-time.After(500 * time.Millisecond):
		t.Fatal("Stop waited for the load retry's backoff")
	}
	if got := f.startCount(); got != CrashLoop {
		t.Errorf("StartRunner called %d times, want %d", got, CrashLoop)
	}
	if got := f.stoppedRunners(); len(got) != 0 {
		t.Errorf("StopRunner called for %v, want no runner", got)
	}
}

func TestOwns(t *testing.T) {
	f := newFakePack()
	p := newPool(t, f, 2, 0)
	waitIdle(t, p, 2)
	other := newPool(t, newFakePack(), 1, 0)
	waitIdle(t, other, 1)

	tests := []struct {
		pool *Pool
		id   string
		want bool
	}{
		{p, "r1", true},
		{p, "r2", true},
		{p, "r3", false},
		{p, "", false},
		{other, "r1", true},
		{other, "r2", false},
	}
	for _, tt := range tests {
		if got := tt.pool.Owns(tt.id); got != tt.want {
			t.Errorf("Owns(%q) = %v, want %v", tt.id, got, tt.want)
		}
	}
	p.RunnerExited("r1")
	if p.Owns("r1") {
		t.Error("Owns(r1) after it exited")
	}
}

func TestCallAcquired(t *testing.T) {
	f := newFakePack()
	p := newPool(t, f, 1, 1)
	waitIdle(t, p, 1)
	ctx := context.Background()
	if got := fmt.Sprint(p.Capacity()); got != "1 1" {
		t.Errorf("Capacity() = %s, want 1 1", got)
	}

	// Declined: no call is made and the runner goes back.
	resp, err := p.CallAcquired(ctx, ctx, &sdk.CallRequest{Input: []byte("x")}, nil, func() bool { return false })
	if !errors.Is(err, ErrNotStarted) || resp != nil {
		t.Fatalf("declined call = %v, %v; want ErrNotStarted", resp, err)
	}
	waitIdle(t, p, 1)

	// Accepted: the hook runs once the runner is acquired, before the call.
	hooked := make(chan bool, 1)
	done := make(chan callResult, 1)
	go func() {
		resp, err := p.CallAcquired(ctx, ctx, &sdk.CallRequest{Input: []byte("y")}, nil, func() bool {
			hooked <- p.idleCount() == 0
			return true
		})
		done <- callResult{resp, err}
	}()
	if !recv(t, hooked, "the hook") {
		t.Error("the hook ran before the runner was acquired")
	}
	recv(t, f.calls, "the call").answer(t)
	if got := result(recv(t, done, "the result")); got != `"r1:y"` {
		t.Errorf("result %s", got)
	}
}
