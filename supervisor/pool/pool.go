package pool

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/langserver/langserver/sdk"
)

// States of a pool.
const (
	// StateLoading: no runner is ready yet.
	StateLoading = "loading"
	// StateReady: at least one runner is ready.
	StateReady = "ready"
	// StateFailed: the algorithm failed to load and no runner is up; it is
	// retried with backoff.
	StateFailed = "failed"
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

// Options configures a pool.
type Options struct {
	// Name identifies the pool in logs ("owner/name@1.0.0").
	Name string
	// LangPack starts and calls the runners.
	LangPack sdk.LangPack
	// Start describes the runners to start.
	Start sdk.StartRunnerRequest
	// Size is how many runners are kept warm; at least 1.
	Size int
	// Queue bounds the callers waiting for a runner.
	Queue int
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
	// LastLoadError is the latest load failure, if any.
	LastLoadError string
}

// Pool is the set of runners of one algorithm version.
type Pool struct {
	opts Options
	ctx  context.Context
	stop context.CancelFunc
	wg   sync.WaitGroup

	mu       sync.Mutex
	runners  map[string]bool // runner ID → busy
	idle     []string
	waiters  []chan string
	starting int
	failure  *sdk.LoadFailure
	stopped  bool
}

// New returns a pool and starts its runners in the background.
func New(opts Options) *Pool {
	opts.Size = max(opts.Size, 1)
	if opts.Logger == nil {
		opts.Logger = hclog.NewNullLogger()
	}
	ctx, stop := context.WithCancel(context.Background())
	p := &Pool{opts: opts, ctx: ctx, stop: stop, runners: make(map[string]bool)}
	for range opts.Size {
		p.spawn(0)
	}
	return p
}

// spawn starts one runner in the background after delay, retrying with
// backoff while the algorithm fails to load.
func (p *Pool) spawn(delay time.Duration) {
	p.mu.Lock()
	if p.stopped {
		p.mu.Unlock()
		return
	}
	p.starting++
	p.mu.Unlock()
	p.wg.Go(func() {
		defer func() {
			p.mu.Lock()
			p.starting--
			p.mu.Unlock()
		}()
		for {
			select {
			case <-p.ctx.Done():
				return
			case <-time.After(delay):
			}
			resp, err := p.opts.LangPack.StartRunner(p.ctx, &p.opts.Start)
			if err == nil && resp.LoadFailure == nil {
				p.add(resp.RunnerID)
				return
			}
			if p.ctx.Err() != nil {
				return
			}
			failure := &sdk.LoadFailure{Message: fmt.Sprint(err), ExitCode: -1}
			if err == nil {
				failure = resp.LoadFailure
			}
			delay = min(max(2*delay, time.Second), 30*time.Second)
			p.opts.Logger.Error("algorithm failed to load", "algorithm", p.opts.Name, "error", failure.Message, "retry_in", delay)
			p.fail(failure)
		}
	})
}

// fail records a load failure and fails the waiting callers when no
// runner is up to serve them.
func (p *Pool) fail(f *sdk.LoadFailure) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.failure = f
	if len(p.runners) > 0 {
		return
	}
	for _, w := range p.waiters {
		close(w)
	}
	p.waiters = nil
}

// add makes a new runner available.
func (p *Pool) add(id string) {
	p.mu.Lock()
	if p.stopped {
		p.mu.Unlock()
		p.stopRunner(id)
		return
	}
	p.failure = nil
	p.runners[id] = false
	p.mu.Unlock()
	p.opts.Logger.Info("runner ready", "algorithm", p.opts.Name, "runner", id)
	p.release(id)
}

// release hands an idle runner to the first waiting caller, or keeps it.
func (p *Pool) release(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.runners[id]; !ok {
		return
	}
	if len(p.waiters) > 0 {
		w := p.waiters[0]
		p.waiters = p.waiters[1:]
		p.runners[id] = true
		w <- id
		return
	}
	p.runners[id] = false
	p.idle = append(p.idle, id)
}

// acquire waits for an idle runner.
func (p *Pool) acquire(ctx context.Context) (string, error) {
	p.mu.Lock()
	switch {
	case p.stopped:
		p.mu.Unlock()
		return "", ErrStopped
	case len(p.idle) > 0:
		id := p.idle[len(p.idle)-1]
		p.idle = p.idle[:len(p.idle)-1]
		p.runners[id] = true
		p.mu.Unlock()
		return id, nil
	case len(p.runners) == 0 && p.failure != nil:
		f := p.failure
		p.mu.Unlock()
		return "", &LoadError{Failure: f}
	case len(p.waiters) >= p.opts.Queue:
		p.mu.Unlock()
		return "", ErrOverloaded
	}
	w := make(chan string, 1)
	p.waiters = append(p.waiters, w)
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
		// The runner is dead or was killed: replace it.
		p.forget(id)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			resp = &sdk.CallResponse{Failure: &sdk.RunnerFailure{Kind: sdk.FailureStopped, Message: err.Error()}}
		}
		return resp, nil
	}
	p.release(id)
	return resp, nil
}

// forget drops a runner that is gone and starts a replacement.
func (p *Pool) forget(id string) {
	p.mu.Lock()
	_, known := p.runners[id]
	delete(p.runners, id)
	for i, other := range p.idle {
		if other == id {
			p.idle = append(p.idle[:i], p.idle[i+1:]...)
			break
		}
	}
	p.mu.Unlock()
	if known {
		p.spawn(0)
	}
}

// Reset drops every runner, as after their adapter was relaunched, and
// starts fresh ones. Calls in flight on the old runners fail on their own.
func (p *Pool) Reset() {
	p.mu.Lock()
	dropped := len(p.runners)
	p.runners = make(map[string]bool)
	p.idle = nil
	p.mu.Unlock()
	for range max(p.opts.Size-p.startingCount(), 0) {
		p.spawn(0)
	}
	p.opts.Logger.Info("runners reset", "algorithm", p.opts.Name, "dropped", dropped)
}

func (p *Pool) startingCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.starting
}

// Capacity is how many runners the pool keeps and how many callers may
// wait for one.
func (p *Pool) Capacity() (runners, queue int) { return p.opts.Size, p.opts.Queue }

// RunnerExited tells the pool that one of its runners died between
// requests; it is replaced. Unknown IDs are ignored.
func (p *Pool) RunnerExited(id string) { p.forget(id) }

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
	s := Status{Ready: len(p.runners)}
	for _, busy := range p.runners {
		if busy {
			s.Busy++
		}
	}
	switch {
	case p.stopped:
		s.State = StateStopped
	case len(p.runners) > 0:
		s.State = StateReady
	case p.failure != nil:
		s.State = StateFailed
	default:
		s.State = StateLoading
	}
	if p.failure != nil {
		s.LastLoadError = p.failure.Message
	}
	return s
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
	p.runners = map[string]bool{}
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
