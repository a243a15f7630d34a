package sdk

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/langserver/langserver/sdk/pipe"
)

// RunnerCommand returns how to start a runner for the algorithm that req
// names: the command, working directory and environment. PipeRunners fills
// in ALGOOUT, the load timeout, the output bound and the legacy FIFO flag.
type RunnerCommand func(ctx context.Context, req *StartRunnerRequest) (pipe.Config, error)

// PipeRunners implements the runner half of LangPack (StartRunner, Call,
// StopRunner, RunnerEvents) on top of the pipe driver. Adapters embed a
// *PipeRunners and supply only a RunnerCommand. Its Close stops every
// runner; Serve calls it when the host goes away.
type PipeRunners struct {
	command RunnerCommand
	nextID  atomic.Uint64

	mu          sync.Mutex
	runners     map[string]*pipe.Runner
	stopping    map[string]bool
	subscribers map[chan *RunnerEvent]struct{}
}

// NewPipeRunners returns a PipeRunners that starts runners with command.
func NewPipeRunners(command RunnerCommand) *PipeRunners {
	return &PipeRunners{
		command:     command,
		runners:     make(map[string]*pipe.Runner),
		stopping:    make(map[string]bool),
		subscribers: make(map[chan *RunnerEvent]struct{}),
	}
}

// StartRunner starts a runner and waits until it is ready.
func (p *PipeRunners) StartRunner(ctx context.Context, req *StartRunnerRequest) (*StartRunnerResponse, error) {
	cfg, err := p.command(ctx, req)
	if err != nil {
		return &StartRunnerResponse{LoadFailure: &LoadFailure{Message: err.Error(), ExitCode: -1}}, nil
	}
	cfg.LoadTimeout = req.LoadTimeout
	cfg.MaxOutput = req.MaxOutput
	cfg.MaxResponse = req.MaxResult
	cfg.LegacyFIFO = req.LegacyFIFO
	r, err := pipe.Start(ctx, cfg)
	if err != nil {
		var le *pipe.LoadError
		if errors.As(err, &le) {
			return &StartRunnerResponse{LoadFailure: &LoadFailure{Message: le.Error(), ExitCode: le.ExitCode, TimedOut: le.TimedOut, Output: le.Output}}, nil
		}
		return &StartRunnerResponse{LoadFailure: &LoadFailure{Message: err.Error(), ExitCode: -1}}, nil
	}
	id := "runner-" + strconv.FormatUint(p.nextID.Add(1), 10)
	p.mu.Lock()
	p.runners[id] = r
	p.mu.Unlock()
	go p.watch(id, r)
	return &StartRunnerResponse{RunnerID: id, PID: r.PID()}, nil
}

// watch forgets a runner once it exits and, unless StopRunner asked for
// the exit, tells the subscribers.
func (p *PipeRunners) watch(id string, r *pipe.Runner) {
	<-r.Done()
	stdout, stderr := r.PendingOutput()
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.runners, id)
	if p.stopping[id] {
		delete(p.stopping, id)
		return
	}
	ev := &RunnerEvent{RunnerID: id, ExitCode: r.ExitCode(), Stdout: stdout, Stderr: stderr}
	for ch := range p.subscribers {
		select {
		case ch <- ev:
		default:
			// A subscriber that does not keep up loses events rather
			// than stalling every runner's exit.
		}
	}
}

func (p *PipeRunners) runner(id string) (*pipe.Runner, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r, ok := p.runners[id]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownRunner, id)
	}
	return r, nil
}

// Call runs one request on a runner.
func (p *PipeRunners) Call(ctx context.Context, req *CallRequest, out OutputFunc) (*CallResponse, error) {
	r, err := p.runner(req.RunnerID)
	if err != nil {
		return nil, err
	}
	var onLine func(pipe.Line)
	if req.StreamOutput && out != nil {
		onLine = out
	}
	resp, err := r.Call(ctx, req.Input, onLine)
	if err == nil {
		return &CallResponse{Result: resp.Result, ContentType: resp.ContentType, Error: resp.Error, Stdout: resp.Stdout, Stderr: resp.Stderr}, nil
	}
	var (
		exit  *pipe.ExitError
		fault *pipe.FaultError
	)
	switch {
	case errors.As(err, &exit):
		return &CallResponse{Failure: &RunnerFailure{Kind: FailureExited, Message: exit.Error(), ExitCode: exit.Code}, Stdout: exit.Stdout, Stderr: exit.Stderr}, nil
	case errors.As(err, &fault):
		return &CallResponse{Failure: &RunnerFailure{Kind: FailureFault, Message: fault.Error()}, Stdout: fault.Stdout, Stderr: fault.Stderr}, nil
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return &CallResponse{Failure: &RunnerFailure{Kind: FailureTimeout, Message: err.Error()}}, nil
	case errors.Is(err, pipe.ErrStopped):
		return &CallResponse{Failure: &RunnerFailure{Kind: FailureStopped, Message: err.Error()}}, nil
	}
	return nil, err
}

// StopRunner stops a runner and reports its exit code.
func (p *PipeRunners) StopRunner(ctx context.Context, req *StopRunnerRequest) (*StopRunnerResponse, error) {
	p.mu.Lock()
	r, ok := p.runners[req.RunnerID]
	if ok {
		p.stopping[req.RunnerID] = true
	}
	p.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownRunner, req.RunnerID)
	}
	code, err := r.Stop(ctx)
	if err != nil {
		return nil, fmt.Errorf("stopping %s: %w", req.RunnerID, err)
	}
	return &StopRunnerResponse{ExitCode: code}, nil
}

// RunnerEvents sends an event for each runner that exits unasked.
func (p *PipeRunners) RunnerEvents(ctx context.Context, _ *RunnerEventsRequest, send func(*RunnerEvent) error) error {
	ch := make(chan *RunnerEvent, 64)
	p.mu.Lock()
	p.subscribers[ch] = struct{}{}
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		delete(p.subscribers, ch)
		p.mu.Unlock()
	}()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev := <-ch:
			if err := send(ev); err != nil {
				return err
			}
		}
	}
}

// Close stops every runner.
func (p *PipeRunners) Close() error {
	p.mu.Lock()
	runners := make(map[string]*pipe.Runner, len(p.runners))
	for id, r := range p.runners {
		runners[id] = r
		p.stopping[id] = true
	}
	p.mu.Unlock()
	var wg sync.WaitGroup
	for _, r := range runners {
		wg.Go(func() { _, _ = r.Stop(context.Background()) })
	}
	wg.Wait()
	return nil
}
