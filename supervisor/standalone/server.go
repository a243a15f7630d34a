package standalone

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/oklog/run"

	"github.com/langserver/langserver/sdk"
	"github.com/langserver/langserver/supervisor/adapters"
	"github.com/langserver/langserver/supervisor/callback"
	"github.com/langserver/langserver/supervisor/envelope"
	"github.com/langserver/langserver/supervisor/input"
)

// LoadingError is the error_type of a request answered while the
// algorithm cannot load.
const LoadingError = "LoadingError"

// Options configures a single-algorithm server.
type Options struct {
	// Dir is the algorithm's root folder.
	Dir string
	// Listener is bound by the caller, so bind errors come first.
	Listener net.Listener
	// Adapter serves the algorithm's LangPack; it is relaunched when it
	// dies. Run kills it on the way out.
	Adapter *adapters.Supervised
	// LegacyFIFO serves a runner that only knows /tmp/algoout.
	LegacyFIFO bool
	// ExitOnRunnerFailure exits, as the original did, when the runner fails
	// to load or dies, instead of replacing it.
	ExitOnRunnerFailure bool
	// LoadTimeout bounds the wait for PIPE_INIT_COMPLETE.
	LoadTimeout time.Duration
	// MaxBody bounds a request body.
	MaxBody int64
	// MaxOutput bounds the stdout and stderr kept per request.
	MaxOutput int
	// RequestComplete, when set, switches POST to async mode: the result is
	// POSTed to this URL.
	RequestComplete string
	// StatusUpdate, when set, receives load and runner-death notices.
	StatusUpdate string
	// SlotID is passed in status updates; empty means null.
	SlotID string
	// Logger is the server's logger.
	Logger hclog.Logger
}

// ExitError ends Run with a process exit status.
type ExitError struct {
	Code   int
	Reason string
}

func (e *ExitError) Error() string { return e.Reason }

// ExitCode is the process exit status.
func (e *ExitError) ExitCode() int { return e.Code }

// Server is the single-algorithm HTTP server.
type Server struct {
	opts   Options
	client *http.Client
	exit   chan *ExitError
	// background tracks async calls and notices still being delivered.
	background sync.WaitGroup

	mu       sync.Mutex
	runnerID string
	loadErr  *sdk.LoadFailure
	starting chan struct{}
	// closed is set once the server stops: no runner starts after it.
	closed bool
}

// Run serves until a signal, a DELETE, or (with ExitOnRunnerFailure) a
// runner failure. It always stops the runner and the adapter before it
// returns; the error is nil or an *ExitError for a non-zero exit.
func Run(ctx context.Context, opts Options) error {
	s := &Server{opts: opts, client: &http.Client{Timeout: 30 * time.Second}, exit: make(chan *ExitError, 1)}
	defer opts.Adapter.Kill()
	defer s.close()

	var g run.Group
	// The HTTP server.
	{
		srv := &http.Server{Handler: s, ReadHeaderTimeout: 30 * time.Second, ErrorLog: opts.Logger.StandardLogger(&hclog.StandardLoggerOptions{InferLevels: true})}
		g.Add(func() error {
			opts.Logger.Info("serving", "algorithm", opts.Dir, "langpack", opts.Adapter.Name(), "listen", opts.Listener.Addr().String())
			if err := srv.Serve(opts.Listener); !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		}, func(error) {
			shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = srv.Shutdown(shutdownCtx)
		})
	}
	// Signals: SIGINT and SIGTERM end the server cleanly.
	g.Add(run.SignalHandler(ctx, syscall.SIGINT, syscall.SIGTERM))
	// Exit requests: DELETE, or a runner failure with ExitOnRunnerFailure.
	{
		done := make(chan struct{})
		g.Add(func() error {
			select {
			case e := <-s.exit:
				if e.Code == 0 {
					opts.Logger.Info("exiting", "reason", e.Reason)
					return nil
				}
				return e
			case <-done:
				return nil
			}
		}, func(error) { close(done) })
	}
	// Runner events: a runner that dies between requests, and the adapter
	// itself dying, which ends its event stream.
	{
		eventsCtx, cancel := context.WithCancel(ctx)
		g.Add(func() error {
			go s.ensureRunner()
			return opts.Adapter.Watch(eventsCtx, s.runnerDied, s.adapterLost, func() { go s.ensureRunner() })
		}, func(error) { cancel() })
	}
	err := g.Run()
	if errors.Is(err, run.ErrSignal) {
		opts.Logger.Info("exiting", "reason", err)
		err = nil
	}
	s.background.Wait()
	return err
}

func (s *Server) requestExit(code int, reason string) {
	select {
	case s.exit <- &ExitError{Code: code, Reason: reason}:
	default:
	}
}

// adapterLost forgets the runner of an adapter that died. The adapter is
// relaunched unless ExitOnRunnerFailure asks to exit.
func (s *Server) adapterLost(cause error) error {
	s.opts.Logger.Error("lost the LangPack adapter", "langpack", s.opts.Adapter.Name(), "error", cause)
	s.mu.Lock()
	s.runnerID = ""
	s.mu.Unlock()
	if s.opts.ExitOnRunnerFailure {
		return &ExitError{Code: 1, Reason: fmt.Sprintf("lost the %s adapter: %v", s.opts.Adapter.Name(), cause)}
	}
	return nil
}

// ensureRunner returns the ready runner, starting one when there is none.
// Concurrent callers share one start. It returns the load failure when the
// runner cannot load; the next call tries again.
func (s *Server) ensureRunner() (string, *sdk.LoadFailure) {
	s.mu.Lock()
	if s.closed {
		defer s.mu.Unlock()
		return "", &sdk.LoadFailure{Message: "the server is shutting down", ExitCode: -1}
	}
	if s.runnerID != "" {
		defer s.mu.Unlock()
		return s.runnerID, nil
	}
	if ch := s.starting; ch != nil {
		s.mu.Unlock()
		<-ch
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.runnerID, s.loadErr
	}
	ch := make(chan struct{})
	s.starting = ch
	s.mu.Unlock()

	id, failure := s.startRunner()

	s.mu.Lock()
	s.runnerID, s.loadErr, s.starting = id, failure, nil
	s.mu.Unlock()
	close(ch)
	return id, failure
}

func (s *Server) startRunner() (string, *sdk.LoadFailure) {
	began := time.Now()
	resp, err := s.opts.Adapter.StartRunner(context.Background(), &sdk.StartRunnerRequest{
		Dir: s.opts.Dir, LoadTimeout: s.opts.LoadTimeout, LegacyFIFO: s.opts.LegacyFIFO, MaxOutput: s.opts.MaxOutput,
	})
	if err != nil {
		resp = &sdk.StartRunnerResponse{LoadFailure: &sdk.LoadFailure{Message: fmt.Sprintf("the %s adapter could not start a runner: %v", s.opts.Adapter.Name(), err), ExitCode: -1}}
	}
	md := envelope.Metadata{Duration: time.Since(began).Seconds()}
	if f := resp.LoadFailure; f != nil {
		s.opts.Logger.Error("algorithm failed to load", "error", f.Message)
		md = md.WithOutput(f.Output, nil)
		s.notifyStatus(&envelope.Error{Message: f.Message, ErrorType: envelope.SystemExit}, md)
		if s.opts.ExitOnRunnerFailure {
			s.requestExit(1, "the algorithm failed to load: "+f.Message)
		}
		return "", f
	}
	s.opts.Logger.Info("runner ready", "pid", resp.PID, "load_seconds", md.Duration)
	s.notifyStatus(nil, md)
	return resp.RunnerID, nil
}

// runnerDied handles a runner that exited between requests.
func (s *Server) runnerDied(ev *sdk.RunnerEvent) error {
	s.mu.Lock()
	current := ev.RunnerID == s.runnerID
	if current {
		s.runnerID = ""
	}
	s.mu.Unlock()
	if !current {
		return nil
	}
	message := fmt.Sprintf("exited with code %d", ev.ExitCode)
	s.opts.Logger.Error("runner died between requests", "error", message)
	s.notifyStatus(&envelope.Error{Message: message, ErrorType: envelope.SystemExit}, envelope.Metadata{}.WithOutput(ev.Stdout, ev.Stderr))
	if s.opts.ExitOnRunnerFailure {
		s.requestExit(0, "runner "+message)
		return nil
	}
	go s.ensureRunner()
	return nil
}

// forgetRunner drops a runner that failed a request and starts its
// replacement, or exits with ExitOnRunnerFailure.
func (s *Server) forgetRunner(id string, failure *sdk.RunnerFailure) {
	s.mu.Lock()
	if s.runnerID == id {
		s.runnerID = ""
	}
	s.mu.Unlock()
	s.opts.Logger.Warn("runner failed during a request", "error", failure.Message)
	if s.opts.ExitOnRunnerFailure {
		s.requestExit(0, "runner failed: "+failure.Message)
		return
	}
	go s.ensureRunner()
}

// close stops the runner for good.
func (s *Server) close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.stopRunner()
}

func (s *Server) stopRunner() int {
	s.mu.Lock()
	id := s.runnerID
	s.runnerID = ""
	s.mu.Unlock()
	if id == "" {
		return -1
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := s.opts.Adapter.StopRunner(ctx, &sdk.StopRunnerRequest{RunnerID: id})
	if err != nil {
		s.opts.Logger.Warn("stopping the runner", "error", err)
		return -1
	}
	return resp.ExitCode
}

type statusUpdate struct {
	SlotID   *string           `json:"slot_id"`
	Status   string            `json:"status"`
	Metadata envelope.Metadata `json:"metadata"`
	Error    *envelope.Error   `json:"error"`
}

// notifyStatus posts a STATUS_UPDATE notice in the background: Successful
// when e is nil, Failed otherwise.
func (s *Server) notifyStatus(e *envelope.Error, md envelope.Metadata) {
	if s.opts.StatusUpdate == "" {
		return
	}
	u := statusUpdate{Status: "Successful", Metadata: md, Error: e}
	if e != nil {
		u.Status = "Failed"
	}
	if s.opts.SlotID != "" {
		u.SlotID = &s.opts.SlotID
	}
	body, err := json.Marshal(u)
	if err != nil {
		s.opts.Logger.Error("encoding a status update", "error", err)
		return
	}
	s.deliver(s.opts.StatusUpdate, body, nil)
}

// deliver posts body to url in the background with the original's retry
// policy; Run waits for deliveries before it returns.
func (s *Server) deliver(url string, body []byte, header http.Header) {
	s.background.Go(func() {
		if err := callback.Deliver(context.Background(), s.client, url, body, header, callback.Original); err != nil {
			s.opts.Logger.Error("callback not delivered", "error", err)
		}
	})
}

// ServeHTTP answers by method only; the path is ignored, as in the original.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		writeJSON(w, http.StatusOK, []byte(`{"result":"LangServer alive."}`))
	case http.MethodPost:
		s.post(w, r)
	case http.MethodDelete:
		code := s.stopRunner()
		writeJSON(w, http.StatusOK, []byte(fmt.Sprintf(`{"result":"Runner exited: %d"}`, code)))
		s.requestExit(0, "DELETE request")
	default:
		w.Header().Set("Allow", "GET, POST, DELETE")
		systemError(w, http.StatusMethodNotAllowed, "Method not allowed")
	}
}

func (s *Server) post(w http.ResponseWriter, r *http.Request) {
	began := time.Now()
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.opts.MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			systemError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body larger than %d bytes (raise --max-body)", tooBig.Limit))
			return
		}
		systemError(w, http.StatusBadRequest, "reading request body: "+err.Error())
		return
	}
	in, ierr := input.Decode(r.Header, body, input.Options{AnyApplicationIsBinary: true})
	if ierr != nil {
		systemError(w, http.StatusBadRequest, "Failed to build algorithm input from request: "+ierr.Message)
		return
	}
	// A caller that goes away does not kill the runner mid-request.
	ctx := context.WithoutCancel(r.Context())
	if s.opts.RequestComplete != "" {
		header := callback.ForwardedHeaders(r.Header)
		s.background.Go(func() {
			s.deliver(s.opts.RequestComplete, s.call(ctx, in, began), header)
		})
		writeJSON(w, http.StatusAccepted, []byte(`{"result":"Algorithm started."}`))
		return
	}
	writeJSON(w, http.StatusOK, s.call(ctx, in, began))
}

// call runs one request and returns its envelope.
func (s *Server) call(ctx context.Context, in *input.Input, began time.Time) []byte {
	id, failure := s.ensureRunner()
	if failure != nil {
		md := envelope.Metadata{Duration: time.Since(began).Seconds()}.WithOutput(failure.Output, nil)
		return envelope.Failure(envelope.Error{Message: "algorithm failed to load: " + failure.Message, ErrorType: LoadingError}, &md)
	}
	resp, err := s.opts.Adapter.Call(ctx, &sdk.CallRequest{RunnerID: id, Input: in.Line}, nil)
	if err != nil {
		resp = &sdk.CallResponse{Failure: &sdk.RunnerFailure{Kind: sdk.FailureStopped, Message: err.Error()}}
	}
	if resp.Failure != nil {
		s.forgetRunner(id, resp.Failure)
	}
	md := envelope.Metadata{Duration: time.Since(began).Seconds()}.WithOutput(resp.Stdout, resp.Stderr)
	return envelope.Outcome(resp, md)
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// systemError writes the server's own error envelope.
func systemError(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, envelope.Failure(envelope.Error{Type: envelope.SystemError, Message: message}, nil))
}
