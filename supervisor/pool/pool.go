package pool

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/langserver/langserver/sdk"
)

// States of a pool.
const (
	// StateLoading: fewer than Min runners have been ready yet.
	StateLoading = "loading"
	// StateReady: the pool has been warm (Min runners ready) and a runner
	// is up, or Min is 0.
	StateReady = "ready"
	// StateFailed: the algorithm failed to load CrashLoop times in a row and
	// no runner is up; it is retried with backoff, and calls fail at once
	// with a *LoadError.
	StateFailed = "failed"
	// StateDraining: a newer configuration replaced the pool; it finishes
	// the calls it has, then stops.
	StateDraining = "draining"
	// StateStopped: the pool was stopped.
	StateStopped = "stopped"
)

// Errors a caller acts on.
var (
	// ErrOverloaded: the queue of waiting callers is full.
	ErrOverloaded = errors.New("too many requests queued for this algorithm")
	// ErrStopped: the pool is stopped.
	ErrStopped = errors.New("the algorithm is stopping")
)

// LoadError is returned while the algorithm cannot load.
type LoadError struct {
	Failure *sdk.LoadFailure
}

func (e *LoadError) Error() string { return "algorithm failed to load: " + e.Failure.Message }

// DefaultMaxRestartDelay caps the backoff between attempts to start a
// runner when Options.MaxRestartDelay is zero.
const DefaultMaxRestartDelay = 30 * time.Second

// Backoff steps: a runner that failed to load is retried at once, then
// after 1s, 2s, 4s...; a runner that crashed is replaced at once, and after
// firstCrashDelay, doubling, when its replacements keep crashing with no
// call succeeding.
const (
	firstLoadDelay    = time.Second
	firstCrashDelay   = 100 * time.Millisecond
	firstAdapterDelay = 50 * time.Millisecond
)

// CrashLoop is how many loads in a row must fail, with no runner up, before
// the pool counts as failed and answers callers at once with the load
// error: one failure can be bad luck (a runner killed while it loaded).
const CrashLoop = 3

// Options configures a pool.
type Options struct {
	// Name identifies the pool in logs ("owner/name@1.0.0").
	Name string
	// LangPack starts and calls the runners.
	LangPack sdk.LangPack
	// Start describes the runners to start.
	Start sdk.StartRunnerRequest
	// Min is how many runners are kept warm; 0 starts one on the first
	// call (a cold start).
	Min int
	// Max is the most runners that run at once; at least max(Min, 1).
	Max int
	// IdleTimeout retires a runner above Min idle this long; 0 never does.
	IdleTimeout time.Duration
	// Queue bounds the callers waiting for a busy runner; callers waiting
	// for a runner being started (up to Max) are not counted.
	Queue int
	// MaxRestartDelay caps the backoff between attempts to start a runner;
	// default DefaultMaxRestartDelay.
	MaxRestartDelay time.Duration
	// Logger is the pool's logger.
	Logger hclog.Logger
}

// Status describes a pool.
type Status struct {
	State string
	// Ready is the number of runners up.
	Ready int
	// Busy is the number of runners serving a call.
	Busy int
	// Starting is the number of runners being started.
	Starting int
	// Queued is the number of callers waiting for a runner.
	Queued int
	// LastLoadError is the latest load failure, if any.
	LastLoadError string
}

// runner is one runner of the pool.
type runner struct {
	busy bool
	// idleSince is when it last became idle.
	idleSince time.Time
}

// Pool is the set of runners of one algorithm version. It keeps Min runners
// warm, starts more on demand up to Max, retires idle ones above Min, and
// replaces runners that die.
type Pool struct {
	opts Options
	ctx  context.Context
	stop context.CancelFunc
	wg   sync.WaitGroup

	mu      sync.Mutex
	runners map[string]*runner
	// idle is a stack: the most recently used runner is last, so the
	// runners at the front are the ones that retire.
	idle     []string
	waiters  []chan string
	starting int
	failure  *sdk.LoadFailure
	// loadFailures counts failed loads since the last runner loaded.
	loadFailures int
	// crashes counts runner deaths since the last successful call.
	crashes int
	// wake is closed, and replaced, by Reset to cut the backoff of the
	// runners being started.
	wake chan struct{}
	// warm is set once Min runners have been ready.
	warm     bool
	draining bool
	stopped  bool
}

// New returns a pool and starts its Min runners in the background.
func New(opts Options) *Pool {
	opts.Min = max(opts.Min, 0)
	opts.Max = max(opts.Max, opts.Min, 1)
	if opts.MaxRestartDelay <= 0 {
		opts.MaxRestartDelay = DefaultMaxRestartDelay
	}
	if opts.Logger == nil {
		opts.Logger = hclog.NewNullLogger()
	}
	ctx, stop := context.WithCancel(context.Background())
	p := &Pool{opts: opts, ctx: ctx, stop: stop, runners: make(map[string]*runner), warm: opts.Min == 0, wake: make(chan struct{})}
	p.mu.Lock()
	p.scaleLocked(0)
	p.mu.Unlock()
	if opts.IdleTimeout > 0 && opts.Max > opts.Min {
		p.wg.Go(p.retireIdle)
	}
	return p
}

// scaleLocked starts runners, after delay, until there are enough for the
// busy runners and the waiting callers, within Min and Max. A draining
// pool only serves the callers it has.
func (p *Pool) scaleLocked(delay time.Duration) {
	if p.stopped {
		return
	}
	busy := 0
	for _, r := range p.runners {
		if r.busy {
			busy++
		}
	}
	want := min(p.opts.Max, busy+len(p.waiters))
	if !p.draining {
		want = max(want, p.opts.Min)
	}
	for n := len(p.runners) + p.starting; n < want; n++ {
		p.spawnLocked(delay)
	}
}

// spawnLocked starts one runner in the background after delay, retrying
// with backoff while the algorithm fails to load.
func (p *Pool) spawnLocked(delay time.Duration) {
	p.starting++
	wake := p.wake
	p.wg.Go(func() {
		for {
			select {
			case <-p.ctx.Done():
				p.doneStarting()
				return
			case <-wake:
				// Reset: the adapter is new, try again now.
				wake = p.wakeChan()
			case <-time.After(delay):
			}
			resp, err := p.opts.LangPack.StartRunner(p.ctx, &p.opts.Start)
			if err == nil && resp.LoadFailure == nil {
				p.add(resp.RunnerID)
				return
			}
			if p.ctx.Err() != nil {
				p.doneStarting()
				return
			}
			if err != nil {
				// The adapter, not the algorithm, failed (it died, and is
				// being relaunched): callers wait for it, and Reset wakes
				// this loop when it is back.
				delay = min(max(2*delay, firstAdapterDelay), time.Second)
				p.opts.Logger.Warn("could not start a runner", "algorithm", p.opts.Name, "error", err, "retry_in", delay)
				continue
			}
			delay = p.fail(resp.LoadFailure, delay)
			p.opts.Logger.Error("algorithm failed to load", "algorithm", p.opts.Name, "error", resp.LoadFailure.Message, "retry_in", delay)
		}
	})
}

func (p *Pool) wakeChan() chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.wake
}

// fail records a load failure and returns the delay before the next
// attempt, after the previous delay. In a crash loop with no runner up,
// the waiting callers fail: they are answered at once rather than kept
// waiting on it.
func (p *Pool) fail(f *sdk.LoadFailure, previous time.Duration) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.failure = f
	p.loadFailures++
	if p.loadFailures == 1 {
		return 0
	}
	if p.crashLoopLocked() {
		for _, w := range p.waiters {
			close(w)
		}
		p.waiters = nil
	}
	return min(max(2*previous, firstLoadDelay), p.opts.MaxRestartDelay)
}

// crashLoopLocked reports whether the pool counts as failed.
func (p *Pool) crashLoopLocked() bool {
	return len(p.runners) == 0 && p.loadFailures >= CrashLoop
}

func (p *Pool) doneStarting() {
	p.mu.Lock()
	p.starting--
	p.mu.Unlock()
}

// add makes a new runner available; it is no longer starting.
func (p *Pool) add(id string) {
	p.mu.Lock()
	p.starting--
	if p.stopped {
		p.mu.Unlock()
		p.stopRunner(id)
		return
	}
	p.failure, p.loadFailures = nil, 0
	p.runners[id] = &runner{}
	p.warm = p.warm || len(p.runners) >= p.opts.Min
	p.mu.Unlock()
	p.opts.Logger.Info("runner ready", "algorithm", p.opts.Name, "runner", id)
	p.release(id)
}

// release hands an idle runner to the first waiting caller, or keeps it.
func (p *Pool) release(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r, ok := p.runners[id]
	if !ok {
		return
	}
	if len(p.waiters) > 0 {
		w := p.waiters[0]
		p.waiters = p.waiters[1:]
		r.busy = true
		w <- id
		return
	}
	r.busy = false
	r.idleSince = time.Now()
	p.idle = append(p.idle, id)
}

// retireIdle stops runners above Min that have been idle for IdleTimeout.
func (p *Pool) retireIdle() {
	tick := time.NewTicker(min(max(p.opts.IdleTimeout/4, 10*time.Millisecond), 5*time.Second))
	defer tick.Stop()
	for {
		select {
		case <-p.ctx.Done():
			return
		case <-tick.C:
		}
		p.mu.Lock()
		var retired []string
		for len(p.idle) > 0 && len(p.runners) > p.opts.Min && time.Since(p.runners[p.idle[0]].idleSince) >= p.opts.IdleTimeout {
			id := p.idle[0]
			p.idle = p.idle[1:]
			delete(p.runners, id)
			retired = append(retired, id)
		}
		p.mu.Unlock()
		for _, id := range retired {
			p.opts.Logger.Info("idle runner retired", "algorithm", p.opts.Name, "runner", id)
			p.stopRunner(id)
		}
	}
}

// acquire waits for an idle runner, starting one when the pool may grow.
func (p *Pool) acquire(ctx context.Context) (string, error) {
	p.mu.Lock()
	switch {
	case p.stopped:
		p.mu.Unlock()
		return "", ErrStopped
	case len(p.idle) > 0:
		id := p.idle[len(p.idle)-1]
		p.idle = p.idle[:len(p.idle)-1]
		p.runners[id].busy = true
		p.mu.Unlock()
		return id, nil
	case p.crashLoopLocked():
		f := p.failure
		p.mu.Unlock()
		return "", &LoadError{Failure: f}
	case len(p.waiters) >= p.opts.Queue+max(p.opts.Max-len(p.runners), 0):
		// Queue bounds the callers waiting for a busy runner; each caller
		// beyond it may still wait for a runner the pool can start.
		p.mu.Unlock()
		return "", ErrOverloaded
	}
	w := make(chan string, 1)
	p.waiters = append(p.waiters, w)
	p.scaleLocked(0)
	p.mu.Unlock()
	select {
	case id, ok := <-w:
		if !ok {
			return "", p.closedWaitErr()
		}
		return id, nil
	case <-ctx.Done():
		p.mu.Lock()
		for i, other := range p.waiters {
			if other == w {
				p.waiters = append(p.waiters[:i], p.waiters[i+1:]...)
				break
			}
		}
		p.mu.Unlock()
		// A runner handed over meanwhile goes back.
		select {
		case id, ok := <-w:
			if ok {
				p.release(id)
			}
		default:
		}
		return "", ctx.Err()
	}
}

func (p *Pool) closedWaitErr() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return ErrStopped
	}
	if p.failure != nil {
		return &LoadError{Failure: p.failure}
	}
	return ErrStopped
}

// Call runs one request on an idle runner. Runner failures are in the
// response; the failed runner is replaced. The error is ctx's, a
// *LoadError, ErrOverloaded or ErrStopped.
func (p *Pool) Call(ctx context.Context, req *sdk.CallRequest, out sdk.OutputFunc) (*sdk.CallResponse, error) {
	return p.CallQueued(ctx, ctx, req, out)
}

// CallQueued is Call where waitCtx bounds only the wait for an idle
// runner: a caller that goes away while queued leaves the queue, while a
// call that has started runs under ctx to its end.
func (p *Pool) CallQueued(waitCtx, ctx context.Context, req *sdk.CallRequest, out sdk.OutputFunc) (*sdk.CallResponse, error) {
	return p.CallAcquired(waitCtx, ctx, req, out, nil)
}

// ErrNotStarted: the acquired hook of CallAcquired declined the call.
var ErrNotStarted = errors.New("the call was not started")

// CallAcquired is CallQueued with a hook called once a runner is
// acquired, before the call starts (the job queue records there that a
// job runs). When acquired returns false, the runner goes back unused and
// the error is ErrNotStarted.
func (p *Pool) CallAcquired(waitCtx, ctx context.Context, req *sdk.CallRequest, out sdk.OutputFunc, acquired func() bool) (*sdk.CallResponse, error) {
	id, err := p.acquire(waitCtx)
	if err != nil {
		return nil, err
	}
	if acquired != nil && !acquired() {
		p.release(id)
		return nil, ErrNotStarted
	}
	req.RunnerID = id
	resp, err := p.opts.LangPack.Call(ctx, req, out)
	if err != nil || resp.Failure != nil {
		// The runner is dead or was killed: replace it. Only a death of
		// its own counts towards the backoff; a timeout is the caller's.
		crashed := err == nil && resp.Failure.Kind != sdk.FailureTimeout && ctx.Err() == nil
		p.forget(id, crashed)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			resp = &sdk.CallResponse{Failure: &sdk.RunnerFailure{Kind: sdk.FailureStopped, Message: err.Error()}}
		}
		return resp, nil
	}
	p.mu.Lock()
	p.crashes = 0
	p.mu.Unlock()
	p.release(id)
	return resp, nil
}

// forget drops a runner that is gone and starts a replacement when one is
// needed: at once, or with backoff when runners keep crashing.
func (p *Pool) forget(id string, crashed bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, known := p.runners[id]; !known {
		return
	}
	delete(p.runners, id)
	if i := slices.Index(p.idle, id); i >= 0 {
		p.idle = slices.Delete(p.idle, i, i+1)
	}
	var delay time.Duration
	if crashed {
		p.crashes++
		if p.crashes > 1 {
			delay = min(firstCrashDelay<<min(p.crashes-2, 20), p.opts.MaxRestartDelay)
		}
	}
	p.scaleLocked(delay)
}

// Reset drops every runner, as when their adapter died or was relaunched,
// forgets load failures (they may have been the adapter's), and starts
// fresh runners at once. Calls in flight on the old runners fail on their
// own; new calls wait for the fresh runners.
func (p *Pool) Reset() {
	p.mu.Lock()
	dropped := len(p.runners)
	p.runners = make(map[string]*runner)
	p.idle = nil
	p.failure, p.loadFailures, p.crashes = nil, 0, 0
	close(p.wake)
	p.wake = make(chan struct{})
	p.scaleLocked(0)
	p.mu.Unlock()
	p.opts.Logger.Info("runners reset", "algorithm", p.opts.Name, "dropped", dropped)
}

// Capacity is the most runners the pool runs at once and how many callers
// may wait for a busy one.
func (p *Pool) Capacity() (runners, queue int) { return p.opts.Max, p.opts.Queue }

// RunnerExited tells the pool that one of its runners died between
// requests; it is replaced. Unknown IDs are ignored.
func (p *Pool) RunnerExited(id string) { p.forget(id, true) }

// Owns reports whether the runner belongs to this pool.
func (p *Pool) Owns(id string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.runners[id]
	return ok
}

// Status reports the pool's state.
func (p *Pool) Status() Status {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := Status{Ready: len(p.runners), Starting: p.starting, Queued: len(p.waiters)}
	for _, r := range p.runners {
		if r.busy {
			s.Busy++
		}
	}
	switch {
	case p.stopped:
		s.State = StateStopped
	case p.draining:
		s.State = StateDraining
	case p.crashLoopLocked():
		s.State = StateFailed
	case p.warm && (len(p.runners) > 0 || p.opts.Min == 0):
		s.State = StateReady
	default:
		s.State = StateLoading
	}
	if p.failure != nil {
		s.LastLoadError = p.failure.Message
	}
	return s
}

// Drain stops the pool once the calls it has, running or queued, are done,
// or when ctx ends; new calls are still served meanwhile (a caller that
// resolved this pool before it was replaced). It starts no runner beyond
// those its callers need.
func (p *Pool) Drain(ctx context.Context) {
	p.mu.Lock()
	p.draining = true
	p.mu.Unlock()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !p.idleNow() {
		select {
		case <-ctx.Done():
			p.opts.Logger.Warn("drain time over with calls in flight", "algorithm", p.opts.Name)
			p.Stop(context.Background())
			return
		case <-tick.C:
		}
	}
	p.Stop(ctx)
}

// idleNow reports whether no call is running or queued.
func (p *Pool) idleNow() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.waiters) == 0 && len(p.idle) == len(p.runners)
}

// Stop stops the pool: waiting callers fail, runners are stopped.
func (p *Pool) Stop(ctx context.Context) {
	p.mu.Lock()
	p.stopped = true
	for _, w := range p.waiters {
		close(w)
	}
	p.waiters = nil
	ids := make([]string, 0, len(p.runners))
	for id := range p.runners {
		ids = append(ids, id)
	}
	p.runners = map[string]*runner{}
	p.idle = nil
	p.mu.Unlock()
	p.stop()
	p.wg.Wait()
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Go(func() { p.stopRunnerCtx(ctx, id) })
	}
	wg.Wait()
}

func (p *Pool) stopRunner(id string) { p.stopRunnerCtx(context.Background(), id) }

func (p *Pool) stopRunnerCtx(ctx context.Context, id string) {
	if _, err := p.opts.LangPack.StopRunner(ctx, &sdk.StopRunnerRequest{RunnerID: id}); err != nil && !errors.Is(err, sdk.ErrUnknownRunner) {
		p.opts.Logger.Warn("stopping a runner", "algorithm", p.opts.Name, "runner", id, "error", err)
	}
}
