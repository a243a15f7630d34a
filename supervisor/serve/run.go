package serve

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"os"
	"os/signal"
	"reflect"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/hcl/v2"
	"github.com/oklog/run"

	"github.com/langserver/langserver/sdk"
	"github.com/langserver/langserver/supervisor/adapters"
	"github.com/langserver/langserver/supervisor/api"
	"github.com/langserver/langserver/supervisor/config"
	"github.com/langserver/langserver/supervisor/jobs"
	"github.com/langserver/langserver/supervisor/pool"
)

// Run serves the plan until SIGINT or SIGTERM, then drains and stops every
// pool and adapter. SIGHUP and POST /-/reload load opts.ConfigPath again:
// a valid configuration is applied, pools of changed algorithms replaced
// while the old ones drain; an invalid one is refused and the old one
// keeps serving.
func Run(ctx context.Context, opts Options, plan *Plan, listener net.Listener, logger hclog.Logger) error {
	s := &server{opts: opts, logger: logger, gen: &generation{adapters: map[string]*liveAdapter{}, algos: map[string]*served{}}}
	s.ctx, s.cancel = context.WithCancel(ctx)
	defer s.shutdown()
	s.api = api.New(api.Options{Logger: logger})
	// The job store is opened first: a data dir in use or damaged stops
	// the start before any runner does. Its settings take effect at start.
	cfg := plan.Config
	jobManager, err := jobs.Open(jobs.Options{
		DataDir: cfg.Server.DataDir, MaxQueued: cfg.Jobs.MaxQueued, Retention: cfg.Jobs.Retention,
		BackoffMin: cfg.Jobs.CallbackBackoffMin, BackoffMax: cfg.Jobs.CallbackBackoffMax,
		ShutdownGrace: cfg.Server.ShutdownGrace, Executor: s.api.JobExecutor(), Logger: logger.Named("jobs"),
	})
	if err != nil {
		plan.Kill()
		return err
	}
	s.jobs = jobManager
	if _, err := s.apply(plan); err != nil {
		plan.Kill()
		return errors.Join(err, jobManager.Close())
	}

	var g run.Group
	// Asynchronous jobs. Interrupted first, so that the jobs running get
	// their grace period while the HTTP server drains; what is left runs
	// again after a restart.
	{
		jobsCtx, cancel := context.WithCancel(context.Background())
		g.Add(func() error { return jobManager.Run(jobsCtx) }, func(error) { cancel() })
	}
	// The HTTP server, on the listener bound by the caller.
	{
		cfg := s.config().Server
		srv := &http.Server{Handler: s.api, ReadHeaderTimeout: cfg.ReadTimeout, ReadTimeout: cfg.ReadTimeout,
			ErrorLog: logger.StandardLogger(&hclog.StandardLoggerOptions{InferLevels: true})}
		g.Add(func() error {
			logger.Info("serving", "listen", listener.Addr().String(), "algorithms", len(s.config().Algorithms))
			if err := srv.Serve(listener); !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		}, func(error) {
			// Not ready and refusing new calls first; calls in flight get
			// the grace period to finish.
			grace := s.config().Server.ShutdownGrace
			shutdownCtx, cancel := context.WithTimeout(context.Background(), grace)
			defer cancel()
			logger.Info("draining", "grace", grace)
			s.api.Drain(shutdownCtx)
			_ = srv.Shutdown(shutdownCtx)
		})
	}
	// Signals: SIGINT and SIGTERM stop the server.
	g.Add(run.SignalHandler(ctx, syscall.SIGINT, syscall.SIGTERM))
	// SIGHUP reloads the configuration.
	{
		hup := make(chan os.Signal, 1)
		signal.Notify(hup, syscall.SIGHUP)
		hupCtx, cancel := context.WithCancel(ctx)
		g.Add(func() error {
			for {
				select {
				case <-hupCtx.Done():
					return nil
				case <-hup:
					logger.Info("SIGHUP: reloading the configuration", "config", opts.ConfigPath)
					_, _ = s.reload(hupCtx)
				}
			}
		}, func(error) {
			signal.Stop(hup)
			cancel()
		})
	}
	err = g.Run()
	if errors.Is(err, run.ErrSignal) {
		logger.Info("exiting", "reason", err)
		return nil
	}
	return err
}

// server is a running langserver serve.
type server struct {
	opts   Options
	logger hclog.Logger
	api    *api.Server
	jobs   *jobs.Manager
	// ctx ends at shutdown; adapter watchers and drains run under it.
	ctx    context.Context
	cancel context.CancelFunc
	// background tracks watchers and drains.
	background sync.WaitGroup

	// reloading serializes reloads.
	reloading sync.Mutex
	mu        sync.Mutex
	gen       *generation
	// draining holds the pools replaced by a reload until they are done.
	draining map[*served]bool
}

// generation is what one configuration serves.
type generation struct {
	cfg      *config.Config
	adapters map[string]*liveAdapter // by LangPack name
	algos    map[string]*served      // by "owner/name@version"
}

// liveAdapter is a supervised adapter and the settings it was set up with.
type liveAdapter struct {
	sup      *adapters.Supervised
	settings map[string]string
	// stop ends its watcher; done is closed when the watcher has returned.
	stop context.CancelFunc
	done chan struct{}
}

// served is one algorithm version with its pool.
type served struct {
	key     string
	block   config.Algorithm
	hash    string
	adapter *liveAdapter
	algo    *api.Algorithm
}

func (s *server) config() *config.Config {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gen.cfg
}

// reload loads the configuration again and applies it. Diagnostics of an
// invalid one are logged and returned in an *api.InvalidConfigError.
func (s *server) reload(ctx context.Context) (*api.ReloadResult, error) {
	s.reloading.Lock()
	defer s.reloading.Unlock()
	var diags bytes.Buffer
	opts := s.opts
	opts.Diagnostics = &diags
	plan, err := Load(ctx, opts)
	if errors.Is(err, ErrInvalidConfig) {
		s.logger.Error("reload refused: the new configuration is not valid; the old one keeps serving", "diagnostics", diags.String())
		return nil, &api.InvalidConfigError{Diagnostics: diags.String()}
	}
	if err != nil {
		s.logger.Error("reload failed; the old configuration keeps serving", "error", err)
		return nil, err
	}
	res, err := s.apply(plan)
	if err != nil {
		plan.Kill()
		s.logger.Error("reload failed; the old configuration keeps serving", "error", err)
		return nil, err
	}
	res.Warnings = diags.String()
	s.logger.Info("configuration reloaded", "added", res.Added, "changed", res.Changed, "removed", res.Removed, "unchanged", res.Unchanged)
	return res, nil
}

// apply makes plan the configuration served. Adapters whose settings did
// not change are kept (the plan's own copy is stopped); algorithm versions
// whose block, files and adapter did not change keep their pool; the rest
// get new pools, and the pools they replace drain in the background.
func (s *server) apply(plan *Plan) (*api.ReloadResult, error) {
	s.mu.Lock()
	old := s.gen
	s.mu.Unlock()
	next := &generation{cfg: plan.Config, adapters: map[string]*liveAdapter{}, algos: map[string]*served{}}
	var fresh []*liveAdapter
	for name, a := range plan.Set.All() {
		if prev, ok := old.adapters[name]; ok && maps.Equal(prev.settings, plan.Settings[name]) {
			next.adapters[name] = prev
			a.Kill()
			continue
		}
		la := &liveAdapter{sup: plan.Catalog.Supervise(a, plan.Settings[name]), settings: plan.Settings[name], done: make(chan struct{})}
		next.adapters[name] = la
		fresh = append(fresh, la)
	}
	res := &api.ReloadResult{Added: []string{}, Changed: []string{}, Removed: []string{}}
	var newPools []*served
	for _, a := range plan.Config.Algorithms {
		sv, err := s.describe(a, next.adapters[plan.LangPacks[a].Name])
		if err != nil {
			for _, sv := range newPools {
				sv.algo.Pool.Stop(context.Background())
			}
			return nil, err
		}
		prev, ok := old.algos[sv.key]
		switch {
		case ok && prev.adapter == sv.adapter && prev.hash == sv.hash && reflect.DeepEqual(prev.block, sv.block):
			next.algos[sv.key] = prev
			res.Unchanged++
			continue
		case ok:
			res.Changed = append(res.Changed, sv.key)
		default:
			res.Added = append(res.Added, sv.key)
		}
		sv.algo.Pool = s.newPool(sv)
		next.algos[sv.key] = sv
		newPools = append(newPools, sv)
	}
	for key := range old.algos {
		if _, ok := next.algos[key]; !ok {
			res.Removed = append(res.Removed, key)
		}
	}
	for _, list := range [][]string{res.Added, res.Changed, res.Removed} {
		slices.Sort(list)
	}
	for _, la := range fresh {
		s.watch(la)
	}

	algos := make([]*api.Algorithm, 0, len(next.algos))
	for _, sv := range next.algos {
		algos = append(algos, sv.algo)
	}
	s.mu.Lock()
	s.gen = next
	s.mu.Unlock()
	s.api.Configure(api.Options{
		Registry: api.NewRegistry(algos), APIKeys: plan.Config.Server.APIKeys, MaxBody: plan.Config.Server.MaxBody,
		MaxTimeout: plan.Config.Server.MaxTimeout, Jobs: s.jobs, Reload: s.reload, Logger: s.logger,
	})
	// What the new configuration no longer serves drains, then stops.
	for key, prev := range old.algos {
		if next.algos[key] != prev {
			s.drain(prev, plan.Config.Server.MaxTimeout)
		}
	}
	for name, la := range old.adapters {
		if next.adapters[name] != la {
			s.retire(la)
		}
	}
	return res, nil
}

// describe returns what an algorithm block serves, without its pool.
func (s *server) describe(a *config.Algorithm, la *liveAdapter) (*served, error) {
	version, err := api.ParseVersion(a.Version)
	if err != nil {
		return nil, err
	}
	hash, err := BuildHash(a.Path)
	if err != nil {
		return nil, fmt.Errorf("hashing %s: %w", a.Path, err)
	}
	block := *a
	// Where the block sits in its file is no change to what it serves.
	block.DeclRange, block.LangPackRange, block.PathRange = hcl.Range{}, hcl.Range{}, hcl.Range{}
	return &served{
		key: fmt.Sprintf("%s/%s@%s", a.Owner, a.Name, a.Version), block: block, hash: hash, adapter: la,
		algo: &api.Algorithm{Owner: a.Owner, Name: a.Name, Version: version, BuildHash: hash, LangPack: la.sup.Name(), Timeout: a.Timeout,
			Callback: callbackConfig(a.Callback)},
	}, nil
}

// callbackConfig is an algorithm's callback block as the jobs take it.
func callbackConfig(c *config.Callback) jobs.CallbackConfig {
	if c == nil {
		return jobs.CallbackConfig{}
	}
	return jobs.CallbackConfig{URL: c.URL, Secret: c.Secret, MaxAttempts: c.MaxAttempts}
}

func (s *server) newPool(sv *served) *pool.Pool {
	a := sv.block
	return pool.New(pool.Options{
		Name: sv.key, LangPack: sv.adapter.sup, Logger: s.logger,
		Min: a.Workers.Min, Max: a.Workers.Max, IdleTimeout: a.Workers.IdleTimeout, MaxRestartDelay: a.Workers.MaxRestartDelay,
		Queue: a.Queue,
		Start: sdk.StartRunnerRequest{Dir: a.Path, Env: a.Env, LoadTimeout: a.LoadTimeout, MaxOutput: int(a.MaxOutput), MaxResult: int(a.MaxResult)},
	})
}

// drain lets a replaced pool finish its calls, then stops it.
func (s *server) drain(sv *served, limit time.Duration) {
	s.mu.Lock()
	if s.draining == nil {
		s.draining = map[*served]bool{}
	}
	s.draining[sv] = true
	s.mu.Unlock()
	s.background.Go(func() {
		ctx, cancel := context.WithTimeout(s.ctx, limit)
		defer cancel()
		sv.algo.Pool.Drain(ctx)
		s.mu.Lock()
		delete(s.draining, sv)
		s.mu.Unlock()
	})
}

// retire stops an adapter the configuration no longer uses, once no pool
// of it is draining.
func (s *server) retire(la *liveAdapter) {
	s.background.Go(func() {
		for s.ctx.Err() == nil && s.pools(la) != nil {
			select {
			case <-s.ctx.Done():
			case <-time.After(50 * time.Millisecond):
			}
		}
		la.stop()
		<-la.done
		la.sup.Kill()
	})
}

// pools returns the live pools, current or draining, of an adapter.
func (s *server) pools(la *liveAdapter) []*pool.Pool {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*pool.Pool
	for _, sv := range s.gen.algos {
		if sv.adapter == la {
			out = append(out, sv.algo.Pool)
		}
	}
	for sv := range s.draining {
		if sv.adapter == la {
			out = append(out, sv.algo.Pool)
		}
	}
	return out
}

// watch follows an adapter: runners that die between requests are replaced
// by their pool; when the adapter dies it is relaunched and its pools
// refilled.
func (s *server) watch(la *liveAdapter) {
	ctx, stop := context.WithCancel(s.ctx)
	la.stop = stop
	name := la.sup.Name()
	s.background.Go(func() {
		defer close(la.done)
		_ = la.sup.Watch(ctx, func(ev *sdk.RunnerEvent) error {
			for _, p := range s.pools(la) {
				if p.Owns(ev.RunnerID) {
					s.logger.Warn("runner died between requests", "langpack", name, "runner", ev.RunnerID, "exit_code", ev.ExitCode)
					p.RunnerExited(ev.RunnerID)
				}
			}
			return nil
		}, func(err error) error {
			s.logger.Error("lost a LangPack adapter; relaunching it", "langpack", name, "error", err)
			// Its runners died with it: new calls wait for the relaunch.
			for _, p := range s.pools(la) {
				p.Reset()
			}
			return nil
		}, func() {
			for _, p := range s.pools(la) {
				p.Reset()
			}
		})
	})
}

// shutdown stops every pool, then every adapter.
func (s *server) shutdown() {
	s.mu.Lock()
	gen := s.gen
	var all []*pool.Pool
	for _, sv := range gen.algos {
		all = append(all, sv.algo.Pool)
	}
	for sv := range s.draining {
		all = append(all, sv.algo.Pool)
	}
	s.mu.Unlock()
	var wg sync.WaitGroup
	for _, p := range all {
		wg.Go(func() { p.Stop(context.Background()) })
	}
	wg.Wait()
	s.cancel()
	s.background.Wait()
	for _, la := range gen.adapters {
		la.sup.Kill()
	}
}
