package jobs

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/go-hclog"
)

// Executor runs jobs for the manager; the API implements it over its pools.
type Executor interface {
	// Slots is how many jobs of an algorithm version may run at once, so
	// that jobs queue in the database rather than crowd out synchronous
	// calls in the pool's queue. At least 1.
	Slots(algorithm, version string) int
	// Run runs a job's request, calling started once a runner is ready
	// for it and before the call: the job counts as running from there,
	// and when started returns false (the job was cancelled) the call is
	// not made. A *RetryLater error puts the job back in the queue; any
	// other error fails the job with it.
	Run(ctx context.Context, req *Request, started func() bool) (Outcome, error)
	// Callback returns the callback block of an algorithm version.
	Callback(algorithm, version string) CallbackConfig
}

// Options configures a Manager. Zero values take the defaults given.
type Options struct {
	// DataDir holds the database (FileName); created when missing.
	DataDir string
	// MaxQueued bounds the jobs waiting to run. Default 10000.
	MaxQueued int
	// Retention is how long finished jobs are kept. Default 24h.
	Retention time.Duration
	// BackoffMin and BackoffMax bound the wait between callback tries.
	// Defaults 1s and 5m.
	BackoffMin, BackoffMax time.Duration
	// DeliveryTimeout bounds one callback try. Default 30s.
	DeliveryTimeout time.Duration
	// ShutdownGrace is how long Run lets running jobs finish once its
	// context is done; the ones still running run again after a restart.
	ShutdownGrace time.Duration
	Executor      Executor
	// Client posts the callbacks; default one with DeliveryTimeout.
	Client *http.Client
	Logger hclog.Logger
}

// Defaults of Options.
const (
	DefaultMaxQueued       = 10000
	DefaultRetention       = 24 * time.Hour
	DefaultBackoffMin      = time.Second
	DefaultBackoffMax      = 5 * time.Minute
	DefaultDeliveryTimeout = 30 * time.Second
	DefaultMaxAttempts     = 10
)

// Manager stores, runs and delivers jobs.
type Manager struct {
	opts  Options
	store *store

	// ctx is cancelled when the manager stops: runs and deliveries in
	// flight end, and what they leave undone resumes after a restart.
	ctx    context.Context
	cancel context.CancelFunc
	kick   chan struct{}
	// tokens bounds the callback tries in flight.
	tokens chan struct{}
	wg     sync.WaitGroup

	mu      sync.Mutex
	lanes   map[string]*lane
	queued  int
	active  map[string]*activeJob
	closed  bool
	pending []*record // deliveries to resume once Run starts
}

// lane is the queue of one algorithm version.
type lane struct {
	algorithm, version string
	queue              []string
	running            int
	// notBefore holds the lane back after its pool refused a job.
	notBefore time.Time
}

// activeJob is a job being run.
type activeJob struct {
	cancel context.CancelFunc
}

// Open opens the store in opts.DataDir and puts back what a crash or a
// shutdown left in flight. Nothing runs until Run.
func Open(opts Options) (*Manager, error) {
	if opts.MaxQueued <= 0 {
		opts.MaxQueued = DefaultMaxQueued
	}
	if opts.Retention <= 0 {
		opts.Retention = DefaultRetention
	}
	if opts.BackoffMin <= 0 {
		opts.BackoffMin = DefaultBackoffMin
	}
	if opts.BackoffMax <= 0 {
		opts.BackoffMax = DefaultBackoffMax
	}
	opts.BackoffMax = max(opts.BackoffMax, opts.BackoffMin)
	if opts.DeliveryTimeout <= 0 {
		opts.DeliveryTimeout = DefaultDeliveryTimeout
	}
	if opts.Client == nil {
		opts.Client = &http.Client{Timeout: opts.DeliveryTimeout}
	}
	if opts.Logger == nil {
		opts.Logger = hclog.NewNullLogger()
	}
	s, err := openStore(opts.DataDir)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	m := &Manager{opts: opts, store: s, ctx: ctx, cancel: cancel, kick: make(chan struct{}, 1), tokens: make(chan struct{}, maxDeliveries),
		lanes: map[string]*lane{}, active: map[string]*activeJob{}}
	if err := m.recover(); err != nil {
		s.close()
		return nil, err
	}
	return m, nil
}

// recover queues the jobs that were queued or running, and collects the
// deliveries still pending.
func (m *Manager) recover() error {
	interrupted, err := m.store.requeueRunning()
	if err != nil {
		return fmt.Errorf("requeueing the jobs a stop interrupted: %w", err)
	}
	queued := 0
	err = m.store.scan(0, func(_ uint64, r *record) bool {
		switch {
		case r.State == Queued:
			queued++
			m.enqueue(r.ID, r.Algorithm, r.Version, false)
		case r.Callback != nil && r.Callback.State == DeliveryPending:
			m.pending = append(m.pending, r)
		}
		return true
	})
	if err != nil {
		return fmt.Errorf("reading the job store: %w", err)
	}
	if queued > 0 || len(m.pending) > 0 {
		m.opts.Logger.Info("resuming jobs", "queued", queued, "interrupted_runs", interrupted, "pending_callbacks", len(m.pending))
	}
	return nil
}

// enqueue adds a job to its lane's queue, at the front when it is retried.
// The caller holds m.mu or owns m alone.
func (m *Manager) enqueue(id, algorithm, version string, front bool) {
	key := algorithm + "@" + version
	l := m.lanes[key]
	if l == nil {
		l = &lane{algorithm: algorithm, version: version}
		m.lanes[key] = l
	}
	if front {
		l.queue = append([]string{id}, l.queue...)
	} else {
		l.queue = append(l.queue, id)
	}
	m.queued++
}

func (m *Manager) wake() {
	select {
	case m.kick <- struct{}{}:
	default:
	}
}

// Run starts jobs and delivers callbacks until ctx is done, then gives the
// jobs running ShutdownGrace to finish, stops the rest (they run again
// after a restart) and closes the store.
func (m *Manager) Run(ctx context.Context) error {
	m.mu.Lock()
	pending := m.pending
	m.pending = nil
	m.mu.Unlock()
	for _, r := range pending {
		m.deliverLater(r)
	}
	m.wg.Go(m.purgeLoop)
	m.dispatch(ctx)

	m.mu.Lock()
	m.closed = true
	m.mu.Unlock()
	grace := time.NewTimer(m.opts.ShutdownGrace)
	defer grace.Stop()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for m.running() > 0 {
		select {
		case <-grace.C:
			m.opts.Logger.Warn("shutdown grace over with jobs running; they run again after a restart", "jobs", m.running())
			m.cancel()
		case <-tick.C:
			continue
		}
		break
	}
	m.cancel()
	m.wg.Wait()
	return m.store.close()
}

// Close closes the store of a Manager whose Run was never called.
func (m *Manager) Close() error {
	m.cancel()
	return m.store.close()
}

func (m *Manager) running() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.active)
}

// dispatch starts queued jobs as their lanes have room, until ctx is done.
func (m *Manager) dispatch(ctx context.Context) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		next := m.startReady()
		timer.Reset(next)
		select {
		case <-ctx.Done():
			return
		case <-m.kick:
		case <-timer.C:
		}
	}
}

// startReady starts what can start and returns how long until a lane held
// back may go again (an hour when none is).
func (m *Manager) startReady() time.Duration {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	next := time.Hour
	for key, l := range m.lanes {
		if wait := l.notBefore.Sub(now); wait > 0 {
			next = min(next, wait)
			continue
		}
		slots := max(m.opts.Executor.Slots(l.algorithm, l.version), 1)
		for l.running < slots && len(l.queue) > 0 {
			// It counts as queued until it starts (or ends unstarted).
			id := l.queue[0]
			l.queue = l.queue[1:]
			l.running++
			ctx, cancel := context.WithCancel(m.ctx)
			m.active[id] = &activeJob{cancel: cancel}
			m.wg.Go(func() { m.run(ctx, l, id) })
		}
		if l.running == 0 && len(l.queue) == 0 {
			delete(m.lanes, key)
		}
	}
	return next
}

// run runs one job and records its outcome.
func (m *Manager) run(ctx context.Context, l *lane, id string) {
	didStart := false
	defer func() {
		m.mu.Lock()
		if !didStart {
			m.queued--
		}
		if a := m.active[id]; a != nil {
			a.cancel()
		}
		delete(m.active, id)
		l.running--
		m.mu.Unlock()
		m.wake()
	}()
	r, err := m.store.get(id)
	if err != nil || r.State != Queued { // cancelled meanwhile
		return
	}
	started := func() bool {
		m.mu.Lock()
		closing := m.closed
		m.mu.Unlock()
		if closing { // a shutdown starts nothing new
			return false
		}
		now := time.Now().UTC()
		_, err := m.store.update(id, func(r *record) error {
			if r.State != Queued {
				return errUnchanged
			}
			r.State, r.StartedAt = Running, &now
			r.Attempts++
			return nil
		})
		if err != nil {
			return false
		}
		m.mu.Lock()
		didStart = true
		m.queued--
		m.mu.Unlock()
		return true
	}
	out, err := m.opts.Executor.Run(ctx, r.request(), started)
	m.mu.Lock()
	closing := m.closed
	m.mu.Unlock()
	if m.ctx.Err() != nil || (closing && !didStart) {
		// Stopped or held back by a shutdown: the job runs (again) after
		// a restart.
		return
	}
	var retry *RetryLater
	if errors.As(err, &retry) {
		// The lane stays in m.lanes while this job counts in l.running.
		m.mu.Lock()
		defer m.mu.Unlock()
		l.notBefore = time.Now().Add(retry.After)
		m.enqueue(id, l.algorithm, l.version, true)
		return
	}
	if err != nil {
		out = Outcome{Envelope: platformError(err)}
	}
	m.finish(id, out)
}

// finish records a run's outcome and starts its callback's delivery.
func (m *Manager) finish(id string, out Outcome) {
	now := time.Now().UTC()
	r, err := m.store.update(id, func(r *record) error {
		if Final(r.State) { // cancelled meanwhile
			return errUnchanged
		}
		r.State, r.FinishedAt, r.Response = Failed, &now, out.Envelope
		if out.Succeeded {
			r.State = Succeeded
		}
		if r.Callback != nil {
			r.Callback.State, r.Callback.NextAttemptAt = DeliveryPending, &now
		}
		return nil
	})
	switch {
	case errors.Is(err, errUnchanged):
	case err != nil:
		m.opts.Logger.Error("recording a job's outcome", "request_id", id, "error", err)
	case r.Callback != nil:
		m.deliverLater(r)
	}
}

// platformError is the envelope of a job that could not run.
func platformError(err error) []byte {
	return fmt.Appendf(nil, `{"error":{"message":%s}}`, strconv.Quote(err.Error()))
}

// Submit stores a new job and returns its id, once it is durable. With an
// idempotency key already used, it returns the first job's id and
// existed=true. A full queue is ErrQueueFull.
func (m *Manager) Submit(req *Request) (id string, existed bool, err error) {
	m.mu.Lock()
	switch {
	case m.closed:
		m.mu.Unlock()
		return "", false, ErrClosed
	case m.queued >= m.opts.MaxQueued:
		m.mu.Unlock()
		if req.IdempotencyKey != "" {
			if id, ok := m.idempotent(req.IdempotencyKey); ok {
				return id, true, nil
			}
		}
		return "", false, ErrQueueFull
	}
	// The slot is taken now, so that concurrent submissions cannot exceed
	// the bound; it is given back if the job turns out to exist.
	m.queued++
	m.mu.Unlock()

	r := &record{
		Job: Job{ID: "req-" + uuid.NewString(), Algorithm: req.Algorithm, Version: req.Version, State: Queued,
			SubmittedAt: time.Now().UTC()},
		Input: req.Input, Timeout: req.Timeout, Stdout: req.Stdout, Header: req.Header, IdempotencyKey: req.IdempotencyKey,
	}
	if req.CallbackURL != "" {
		r.Callback = &Delivery{URL: req.CallbackURL}
	}
	existing, err := m.store.insert(r)
	m.mu.Lock()
	m.queued--
	if err == nil && existing == "" {
		m.enqueue(r.ID, r.Algorithm, r.Version, false)
	}
	m.mu.Unlock()
	switch {
	case err != nil:
		return "", false, fmt.Errorf("storing the job: %w", err)
	case existing != "":
		return existing, true, nil
	}
	m.wake()
	return r.ID, false, nil
}

func (m *Manager) idempotent(key string) (string, bool) {
	var id string
	err := m.store.scanIdempotency(key, &id)
	return id, err == nil && id != ""
}

// Get returns the job with id, or ErrNotFound.
func (m *Manager) Get(id string) (*Job, error) {
	r, err := m.store.get(id)
	if err != nil {
		return nil, err
	}
	return &r.Job, nil
}

// Filter selects jobs for List.
type Filter struct {
	// Algorithm ("owner/name") and State, when set, must match.
	Algorithm, State string
	// Limit bounds the page; Cursor continues from an earlier page's
	// NextCursor.
	Limit  int
	Cursor string
}

// ErrBadCursor: the cursor was not one List returned.
var ErrBadCursor = errors.New("invalid cursor")

// List returns the jobs that match f in submission order, and the cursor
// of the next page ("" when this one is the last).
func (m *Manager) List(f Filter) ([]*Job, string, error) {
	var after uint64
	if f.Cursor != "" {
		var err error
		if after, err = strconv.ParseUint(f.Cursor, 10, 64); err != nil {
			return nil, "", ErrBadCursor
		}
	}
	out := []*Job{}
	next := ""
	err := m.store.scan(after, func(seq uint64, r *record) bool {
		if (f.Algorithm != "" && r.Algorithm != f.Algorithm) || (f.State != "" && r.State != f.State) {
			return true
		}
		if len(out) == f.Limit {
			next = strconv.FormatUint(after, 10)
			return false
		}
		out = append(out, &r.Job)
		after = seq
		return true
	})
	return out, next, err
}

// Cancel cancels a job: a queued one never runs, a running one has its
// call cancelled (its runner is killed and replaced). A finished job is
// ErrFinished, returned with the job.
func (m *Manager) Cancel(id string) (*Job, error) {
	now := time.Now().UTC()
	r, err := m.store.update(id, func(r *record) error {
		if Final(r.State) {
			return errUnchanged
		}
		r.State, r.FinishedAt = Cancelled, &now
		return nil
	})
	switch {
	case errors.Is(err, errUnchanged):
		return &r.Job, ErrFinished
	case err != nil:
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if a := m.active[id]; a != nil {
		a.cancel()
	}
	for key, l := range m.lanes {
		for i, queued := range l.queue {
			if queued == id {
				l.queue = append(l.queue[:i], l.queue[i+1:]...)
				m.queued--
				if l.running == 0 && len(l.queue) == 0 {
					delete(m.lanes, key)
				}
				return &r.Job, nil
			}
		}
	}
	return &r.Job, nil
}

// purgeLoop deletes finished jobs past their retention, every tenth of it
// (at least every 50ms, at most every minute).
func (m *Manager) purgeLoop() {
	every := min(max(m.opts.Retention/10, 50*time.Millisecond), time.Minute)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-m.ctx.Done():
			return
		case <-tick.C:
		}
		n, err := m.store.purge(time.Now().Add(-m.opts.Retention))
		if err != nil {
			m.opts.Logger.Error("purging finished jobs", "error", err)
		} else if n > 0 {
			m.opts.Logger.Debug("purged finished jobs", "jobs", n)
		}
	}
}
