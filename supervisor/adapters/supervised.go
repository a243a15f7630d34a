package adapters

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/langserver/langserver/sdk"
)

// Supervised is the LangPack of one adapter process that is relaunched,
// with backoff, when it dies. It forwards every call to the current
// process; runner IDs of a process that died are unknown to its successor.
type Supervised struct {
	catalog  *Catalog
	settings map[string]string

	mu      sync.Mutex
	current *Adapter
}

// Supervise takes over a launched adapter. settings are passed to Setup
// again after each relaunch.
func (c *Catalog) Supervise(a *Adapter, settings map[string]string) *Supervised {
	return &Supervised{catalog: c, settings: settings, current: a}
}

// Current is the adapter process serving now.
func (s *Supervised) Current() *Adapter {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.current
}

// Name is the LangPack's name.
func (s *Supervised) Name() string { return s.Current().Name }

// Kill stops the current adapter process.
func (s *Supervised) Kill() { s.Current().Kill() }

// Watch sends the runner events of the current adapter to onEvent until
// ctx is done. When the adapter dies it calls onLost: if that returns an
// error, Watch returns it; otherwise the adapter is relaunched with backoff,
// set up again, and onRelaunched is called.
func (s *Supervised) Watch(ctx context.Context, onEvent func(*sdk.RunnerEvent) error, onLost func(error) error, onRelaunched func()) error {
	for {
		a := s.Current()
		err := a.RunnerEvents(ctx, &sdk.RunnerEventsRequest{}, onEvent)
		if ctx.Err() != nil {
			return nil
		}
		a.Kill()
		if err := onLost(err); err != nil {
			return err
		}
		if !s.relaunch(ctx, a.Name) {
			return nil
		}
		onRelaunched()
	}
}

// relaunch starts a new adapter process, retrying with backoff until it
// starts or ctx is done.
func (s *Supervised) relaunch(ctx context.Context, name string) bool {
	delay := 100 * time.Millisecond
	for {
		a, err := s.catalog.Launch(ctx, name)
		if err == nil {
			_, err = a.Setup(ctx, &sdk.SetupRequest{Settings: s.settings})
			if err == nil {
				s.mu.Lock()
				s.current = a
				s.mu.Unlock()
				return true
			}
			a.Kill()
		}
		s.catalog.logger.Error("relaunching the LangPack adapter", "langpack", name, "error", err, "retry_in", delay)
		select {
		case <-ctx.Done():
			return false
		case <-time.After(delay):
		}
		delay = min(2*delay, 5*time.Second)
	}
}

// The sdk.LangPack methods, forwarded to the current process.

// Info implements sdk.LangPack.
func (s *Supervised) Info(ctx context.Context, req *sdk.InfoRequest) (*sdk.InfoResponse, error) {
	return s.Current().Adapter.Info(ctx, req)
}

// Setup implements sdk.LangPack.
func (s *Supervised) Setup(ctx context.Context, req *sdk.SetupRequest) (*sdk.SetupResponse, error) {
	return s.Current().Setup(ctx, req)
}

// Build implements sdk.LangPack.
func (s *Supervised) Build(ctx context.Context, req *sdk.StepRequest, out sdk.OutputFunc) (*sdk.StepResult, error) {
	return s.Current().Build(ctx, req, out)
}

// Test implements sdk.LangPack.
func (s *Supervised) Test(ctx context.Context, req *sdk.StepRequest, out sdk.OutputFunc) (*sdk.StepResult, error) {
	return s.Current().Test(ctx, req, out)
}

// Scaffold implements sdk.LangPack.
func (s *Supervised) Scaffold(ctx context.Context, req *sdk.ScaffoldRequest) (*sdk.ScaffoldResponse, error) {
	return s.Current().Scaffold(ctx, req)
}

// StartRunner implements sdk.LangPack.
func (s *Supervised) StartRunner(ctx context.Context, req *sdk.StartRunnerRequest) (*sdk.StartRunnerResponse, error) {
	return s.Current().StartRunner(ctx, req)
}

// Call implements sdk.LangPack. An error that is not the context's says
// which LangPack's adapter failed.
func (s *Supervised) Call(ctx context.Context, req *sdk.CallRequest, out sdk.OutputFunc) (*sdk.CallResponse, error) {
	a := s.Current()
	resp, err := a.Call(ctx, req, out)
	if err != nil && ctx.Err() == nil {
		return nil, fmt.Errorf("the %s LangPack adapter failed the request: %w", a.Name, err)
	}
	return resp, err
}

// StopRunner implements sdk.LangPack.
func (s *Supervised) StopRunner(ctx context.Context, req *sdk.StopRunnerRequest) (*sdk.StopRunnerResponse, error) {
	return s.Current().StopRunner(ctx, req)
}

// RunnerEvents implements sdk.LangPack, for the current process only; Watch
// follows relaunches.
func (s *Supervised) RunnerEvents(ctx context.Context, req *sdk.RunnerEventsRequest, send func(*sdk.RunnerEvent) error) error {
	return s.Current().RunnerEvents(ctx, req, send)
}
