package pipe

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// signalledExitCode is the exit code reported for a runner killed by a
// signal.
const signalledExitCode = -99

// killWait bounds how long Stop waits for a runner to vanish after SIGKILL.
const killWait = 10 * time.Second

// Runner is one running runner process. Its methods are safe for concurrent
// use; requests are served one at a time.
type Runner struct {
	cfg  Config
	cmd  *exec.Cmd
	pid  int
	dir  string   // private directory of the FIFO; "" in legacy mode
	lock *os.File // flock on LegacyLockPath in legacy mode

	turn     chan struct{} // holds a token while a Call is in progress
	initDone chan struct{} // closed when PIPE_INIT_COMPLETE was seen
	exited   chan struct{} // closed when the process has been reaped
	done     chan struct{} // closed when the runner is gone and cleaned up

	mu          sync.Mutex
	req         *request // the request in flight
	out         capture  // output for the next or current request
	initialised bool
	stopping    bool // Stop closed, or will close, stdin
	killed      bool
	reaped      bool // the pid may be reused: signal nothing any more
	exitCode    int
	fault       *FaultError // FIFO written between requests
	wakeFD      int         // eventfd waking the poller; -1 once closed
}

// request is one Call in flight.
type request struct {
	input  []byte // with its newline
	onLine func(Line)
	result chan callResult // buffered; receives exactly one value

	cbMu      sync.Mutex // held while onLine runs
	abandoned bool       // Call returned early: call onLine no more
}

type callResult struct {
	resp *Response
	err  error
}

// Start starts the runner described by cfg and waits until it prints
// PIPE_INIT_COMPLETE. ctx bounds only the start (waiting for the legacy lock
// and for the runner to load), not the runner's life. When the runner exits
// first, or does not get ready within cfg.LoadTimeout, Start returns a
// *LoadError; when ctx ends first it kills the runner and returns an error
// wrapping ctx.Err().
func Start(ctx context.Context, cfg Config) (*Runner, error) {
	cfg = cfg.withDefaults()
	if len(cfg.Command) == 0 {
		return nil, errors.New("pipe: empty command")
	}
	r := &Runner{
		cfg:      cfg,
		turn:     make(chan struct{}, 1),
		initDone: make(chan struct{}),
		exited:   make(chan struct{}),
		done:     make(chan struct{}),
		wakeFD:   -1,
	}
	p, err := r.start(ctx)
	if err != nil {
		return nil, err
	}
	go r.wait()
	go p.run()
	return r.awaitInit(ctx)
}

// start prepares the FIFO and pipes and starts the process. On error it
// leaves nothing behind.
func (r *Runner) start(ctx context.Context) (_ *poller, err error) {
	p := &poller{r: r, stdin: -1, out: [2]int{-1, -1}, fifo: -1, scan: newValueScanner()}
	var childFiles []*os.File
	defer func() {
		for _, f := range childFiles {
			f.Close()
		}
		if err != nil {
			p.closeFDs()
			r.release()
		}
	}()

	fifo := LegacyFIFOPath
	if r.cfg.LegacyFIFO {
		if r.lock, err = lockLegacy(ctx); err != nil {
			return nil, err
		}
		if err = makeLegacyFIFO(); err != nil {
			return nil, err
		}
	} else {
		if r.dir, err = os.MkdirTemp("", "langserver-pipe-"); err != nil {
			return nil, fmt.Errorf("pipe: %w", err)
		}
		fifo = filepath.Join(r.dir, "algoout")
		if err = unix.Mkfifo(fifo, 0o600); err != nil {
			return nil, fmt.Errorf("pipe: mkfifo %s: %w", fifo, err)
		}
	}
	// Holding a write end ourselves means the runner opening and closing
	// the FIFO never shows us an end of file, and its blocking open for
	// writing succeeds at once.
	if p.fifo, err = unix.Open(fifo, unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0); err != nil {
		return nil, fmt.Errorf("pipe: open %s: %w", fifo, err)
	}
	if r.wakeFD, err = unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK); err != nil {
		return nil, fmt.Errorf("pipe: eventfd: %w", err)
	}
	var stdin, stdout, stderr *os.File
	if stdin, p.stdin, err = pipe(false); err != nil {
		return nil, err
	}
	childFiles = append(childFiles, stdin)
	if stdout, p.out[Stdout], err = pipe(true); err != nil {
		return nil, err
	}
	childFiles = append(childFiles, stdout)
	if stderr, p.out[Stderr], err = pipe(true); err != nil {
		return nil, err
	}
	childFiles = append(childFiles, stderr)

	r.cmd = exec.Command(r.cfg.Command[0], r.cfg.Command[1:]...)
	r.cmd.Dir = r.cfg.Dir
	r.cmd.Env = r.cfg.environ(fifo)
	r.cmd.Stdin, r.cmd.Stdout, r.cmd.Stderr = stdin, stdout, stderr
	r.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err = r.cmd.Start(); err != nil {
		return nil, fmt.Errorf("pipe: start runner: %w", err)
	}
	r.pid = r.cmd.Process.Pid
	return p, nil
}

// pipe makes a pipe; the end this process keeps is a non-blocking raw fd,
// the runner's end an *os.File. ours selects the read end (true) or the
// write end (false).
func pipe(readOurs bool) (child *os.File, ours int, err error) {
	var fds [2]int
	if err := unix.Pipe2(fds[:], unix.O_CLOEXEC); err != nil {
		return nil, -1, fmt.Errorf("pipe: pipe2: %w", err)
	}
	ours, theirs := fds[1], fds[0]
	if readOurs {
		ours, theirs = fds[0], fds[1]
	}
	if err := unix.SetNonblock(ours, true); err != nil {
		unix.Close(fds[0])
		unix.Close(fds[1])
		return nil, -1, fmt.Errorf("pipe: %w", err)
	}
	return os.NewFile(uintptr(theirs), "runner-stdio"), ours, nil
}

// awaitInit waits for PIPE_INIT_COMPLETE, the runner's exit, the load
// timeout or ctx.
func (r *Runner) awaitInit(ctx context.Context) (*Runner, error) {
	timer := time.NewTimer(r.cfg.LoadTimeout)
	defer timer.Stop()
	select {
	case <-r.initDone:
		return r, nil
	case <-r.done:
		select {
		case <-r.initDone:
			// It got ready and died at once: Call and Done report that.
			return r, nil
		default:
		}
		out, _ := r.PendingOutput()
		return nil, &LoadError{ExitCode: r.ExitCode(), Output: out}
	case <-timer.C:
		r.kill()
		<-r.done
		out, _ := r.PendingOutput()
		return nil, &LoadError{ExitCode: r.ExitCode(), TimedOut: true, Output: out}
	case <-ctx.Done():
		r.kill()
		<-r.done
		return nil, fmt.Errorf("pipe: start runner: %w", ctx.Err())
	}
}

// wait reaps the process. Between its exit and its reaping, the pid cannot
// be reused, so that is when the rest of its process group is killed.
func (r *Runner) wait() {
	var info unix.Siginfo
	for {
		err := unix.Waitid(unix.P_PID, r.pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if err != unix.EINTR {
			break
		}
	}
	r.mu.Lock()
	_ = syscall.Kill(-r.pid, syscall.SIGKILL)
	r.reaped = true
	r.mu.Unlock()

	_ = r.cmd.Wait()
	code := r.cmd.ProcessState.ExitCode()
	if ws, ok := r.cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		code = signalledExitCode
	}
	r.mu.Lock()
	r.exitCode = code
	close(r.exited)
	r.wakeLocked()
	r.mu.Unlock()
}

// PID returns the runner's process id.
func (r *Runner) PID() int { return r.pid }

// Done returns a channel closed once the runner process has exited, for any
// reason, and everything it used has been released.
func (r *Runner) Done() <-chan struct{} { return r.done }

// ExitCode returns the runner's exit status once Done is closed: -99 when a
// signal killed it.
func (r *Runner) ExitCode() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.exitCode
}

// PendingOutput returns a copy of the output captured since the last
// request ended (before the first request: since the runner started), which
// the next request would get. After Done it includes a final unfinished
// line; use it to report a runner that died between requests.
func (r *Runner) PendingOutput() (stdout, stderr []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.out.peek()
}

// Call sends one request (input, one line of compact JSON, passed through
// unparsed) and waits for the runner's response. Concurrent calls wait their
// turn.
//
// onLine, when not nil, receives each line of output while the request is
// in flight, in order, from the runner's I/O goroutine: it must return
// quickly and must not call the Runner's Call or Stop. It is never called
// after Call returns. Output printed before the call started is only in the
// Response.
//
// Call returns *ExitError if the runner exits before answering, *FaultError
// if it answers with something else than a response, *CanceledError
// (wrapping ctx.Err()) if ctx ends first, and ErrStopped if the runner is
// already stopped or gone. In the first three cases the runner is dead.
func (r *Runner) Call(ctx context.Context, input []byte, onLine func(Line)) (*Response, error) {
	select {
	case r.turn <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-r.done:
		return nil, ErrStopped
	}
	defer func() { <-r.turn }()
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	line := make([]byte, len(input)+1)
	copy(line, input)
	line[len(input)] = '\n'
	req := &request{input: line, onLine: onLine, result: make(chan callResult, 1)}
	r.mu.Lock()
	if err := r.unavailableLocked(); err != nil {
		r.mu.Unlock()
		return nil, err
	}
	r.req = req
	r.wakeLocked()
	r.mu.Unlock()

	select {
	case res := <-req.result:
		return res.resp, res.err
	case <-ctx.Done():
	}
	r.mu.Lock()
	if r.req != req {
		// The poller finished the request meanwhile.
		r.mu.Unlock()
		res := <-req.result
		return res.resp, res.err
	}
	r.req = nil
	stdout, stderr := r.out.take()
	r.killLocked()
	r.mu.Unlock()
	req.cbMu.Lock()
	req.abandoned = true
	req.cbMu.Unlock()
	return nil, &CanceledError{Err: ctx.Err(), Stdout: stdout, Stderr: stderr}
}

// unavailableLocked returns why no request can be sent, if so.
func (r *Runner) unavailableLocked() error {
	if r.fault != nil {
		return fmt.Errorf("%w: %w", ErrStopped, r.fault)
	}
	select {
	case <-r.exited:
		return ErrStopped
	default:
	}
	if r.stopping || r.killed {
		return ErrStopped
	}
	return nil
}

// Stop asks the runner to exit by closing its stdin, waits up to
// cfg.StopGrace (or until ctx ends) and then kills its process group. It
// returns the exit code (-99 when it was killed). It is idempotent and safe
// to call while a Call is in progress, which then returns ErrStopped or an
// *ExitError. The error is non-nil only if the runner did not vanish even
// after SIGKILL (a process stuck in the kernel).
func (r *Runner) Stop(ctx context.Context) (exitCode int, err error) {
	r.mu.Lock()
	r.stopping = true
	r.wakeLocked()
	r.mu.Unlock()

	grace := time.NewTimer(r.cfg.StopGrace)
	defer grace.Stop()
	select {
	case <-r.done:
		return r.ExitCode(), nil
	case <-grace.C:
	case <-ctx.Done():
	}
	r.kill()
	select {
	case <-r.done:
		return r.ExitCode(), nil
	case <-time.After(killWait):
		return signalledExitCode, fmt.Errorf("pipe: runner %d still running %v after SIGKILL", r.pid, killWait)
	}
}

// kill kills the runner's process group.
func (r *Runner) kill() {
	r.mu.Lock()
	r.killLocked()
	r.mu.Unlock()
}

func (r *Runner) killLocked() {
	r.killed = true
	if r.reaped {
		return
	}
	// The runner may have left its process group: kill it by pid too.
	_ = syscall.Kill(-r.pid, syscall.SIGKILL)
	_ = r.cmd.Process.Signal(syscall.SIGKILL)
}

// wakeLocked interrupts the poller's poll(2) so it looks at the state again.
func (r *Runner) wakeLocked() {
	if r.wakeFD < 0 {
		return
	}
	var one [8]byte
	binary.NativeEndian.PutUint64(one[:], 1)
	_, _ = unix.Write(r.wakeFD, one[:])
}

// release frees the FIFO directory, the legacy lock and the eventfd.
func (r *Runner) release() {
	r.mu.Lock()
	if r.wakeFD >= 0 {
		unix.Close(r.wakeFD)
		r.wakeFD = -1
	}
	r.mu.Unlock()
	if r.dir != "" {
		os.RemoveAll(r.dir)
	}
	if r.lock != nil {
		r.lock.Close()
	}
}
