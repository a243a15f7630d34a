package pipe

import (
	"context"
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
//
// Three goroutines read the runner's stdout, stderr and FIFO through the
// runtime's poller, and a fourth waits for the process and then cleans up.
// Each output stream is read under its own mutex, one non-blocking read at a
// time, so that the FIFO goroutine can take those mutexes and empty the
// pipes before it completes a request: whatever the runner printed before
// its response is then part of that response.
type Runner struct {
	cfg Config
	cmd *exec.Cmd
	pid int
	dir string // private directory of the FIFO; "" in legacy mode
	// dirLock is held while the runner owns dir (see MakeOwnedTempDir).
	dirLock *os.File
	lock    *os.File // flock on LegacyLockPath in legacy mode

	stdin     *os.File
	stdinOnce sync.Once
	outFile   [2]*os.File // stdout and stderr read ends, indexed by Stream
	outFD     [2]int      // their descriptors, read directly under streamMu
	fifo      *os.File
	fifoFD    int

	turn     chan struct{} // holds a token while a Call is in progress
	initDone chan struct{} // closed when PIPE_INIT_COMPLETE was seen
	exited   chan struct{} // closed when the process has been reaped
	done     chan struct{} // closed when the runner is gone and cleaned up
	readers  sync.WaitGroup

	// ioClosed is set, holding fifoMu and both streamMu, once the
	// descriptors are about to be closed.
	ioClosed bool

	fifoMu  sync.Mutex // serialises reading and interpreting the FIFO
	scan    valueScanner
	fifoBad bool // a fault was found: discard whatever the FIFO brings

	streamMu [2]sync.Mutex // streamMu[s] serialises reading stream s
	partial  [2]partialLine
	outEOF   [2]bool
	readBuf  [2][]byte

	mu          sync.Mutex
	req         *request // the request in flight
	out         capture  // output for the next or current request
	initialised bool
	stopping    bool // Stop closed stdin
	killed      bool
	reaped      bool // the pid may be reused: signal nothing any more
	exitCode    int
	idleFault   *FaultError // FIFO written between requests
}

// request is one Call in flight.
type request struct {
	input  []byte // with its newline
	onLine func(Line)
	result chan callResult // buffered; receives exactly one value
	lines  []Line          // for onLine, in capture order; guarded by Runner.mu

	cbMu      sync.Mutex // held while delivering lines to onLine
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
		outFD:    [2]int{-1, -1},
		fifoFD:   -1,
		scan:     newValueScanner(),
		turn:     make(chan struct{}, 1),
		initDone: make(chan struct{}),
		exited:   make(chan struct{}),
		done:     make(chan struct{}),
	}
	if err := r.start(ctx); err != nil {
		return nil, err
	}
	r.readers.Add(3)
	go r.readStream(Stdout)
	go r.readStream(Stderr)
	go r.readFIFO()
	go r.wait()
	return r.awaitInit(ctx)
}

// start prepares the FIFO and pipes and starts the process. On error it
// leaves nothing behind.
func (r *Runner) start(ctx context.Context) (err error) {
	var child [3]*os.File
	defer func() {
		for _, f := range child {
			if f != nil {
				f.Close()
			}
		}
		if err != nil {
			r.closeFiles()
			r.release()
		}
	}()

	fifo := LegacyFIFOPath
	if r.cfg.LegacyFIFO {
		if r.lock, err = lockLegacy(ctx); err != nil {
			return err
		}
		if err = makeLegacyFIFO(); err != nil {
			return err
		}
	} else {
		if r.dir, r.dirLock, err = MakeOwnedTempDir(RunnerDirPrefix); err != nil {
			return fmt.Errorf("pipe: %w", err)
		}
		fifo = filepath.Join(r.dir, "algoout")
		if err = unix.Mkfifo(fifo, 0o600); err != nil {
			return fmt.Errorf("pipe: mkfifo %s: %w", fifo, err)
		}
	}
	// Holding a write end ourselves means the runner opening and closing
	// the FIFO never shows us an end of file, and its blocking open for
	// writing succeeds at once.
	if r.fifoFD, err = unix.Open(fifo, unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0); err != nil {
		return fmt.Errorf("pipe: open %s: %w", fifo, err)
	}
	r.fifo = os.NewFile(uintptr(r.fifoFD), fifo)
	var fd int
	if child[0], fd, err = pipe(false); err != nil {
		return err
	}
	r.stdin = os.NewFile(uintptr(fd), "runner-stdin")
	for s, name := range []string{"runner-stdout", "runner-stderr"} {
		if child[s+1], r.outFD[s], err = pipe(true); err != nil {
			return err
		}
		r.outFile[s] = os.NewFile(uintptr(r.outFD[s]), name)
		r.readBuf[s] = make([]byte, readSize)
	}

	r.cmd = exec.Command(r.cfg.Command[0], r.cfg.Command[1:]...)
	r.cmd.Dir = r.cfg.Dir
	r.cmd.Env = r.cfg.environ(fifo)
	r.cmd.Stdin, r.cmd.Stdout, r.cmd.Stderr = child[0], child[1], child[2]
	// Its own process group, so that killing the group leaves no
	// grandchild behind; SIGKILL when this process dies. (Strictly, the
	// parent-death signal follows the thread that started the runner,
	// which the Go runtime keeps unless that thread was locked by a
	// goroutine that then exited.)
	r.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err = r.cmd.Start(); err != nil {
		return fmt.Errorf("pipe: start runner: %w", err)
	}
	r.pid = r.cmd.Process.Pid
	return nil
}

// pipe makes a pipe. The end this process keeps is non-blocking, for the
// runtime's poller; readOurs selects which end that is. The runner's end is
// returned as a blocking *os.File.
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
		return nil, &LoadError{ExitCode: r.ExitCode(), TimedOut: true, Timeout: r.cfg.LoadTimeout, Output: out}
	case <-ctx.Done():
		r.kill()
		<-r.done
		return nil, fmt.Errorf("pipe: start runner: %w", ctx.Err())
	}
}

// wait reaps the process, finishes the request in flight and cleans up.
// Between the exit and the reaping the pid cannot be reused, so that is
// when the rest of the process group is killed.
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
	code := -1 // unknown: something else reaped the process
	if st := r.cmd.ProcessState; st != nil {
		code = st.ExitCode()
		if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			code = signalledExitCode
		}
	}
	r.mu.Lock()
	r.exitCode = code
	close(r.exited)
	r.mu.Unlock()

	r.finish()
	r.closeFiles()
	r.readers.Wait()
	r.release()
	close(r.done)
}

// finish collects what is left in the pipes and the FIFO of an exited
// runner, then fails the request in flight, if any, with an *ExitError.
func (r *Runner) finish() {
	r.fifoMu.Lock()
	defer r.fifoMu.Unlock()
	r.fillFIFO()
	r.processFIFO()

	r.lockStreams()
	r.drainLocked()
	r.ioClosed = true
	r.mu.Lock()
	req := r.req
	r.flushLocked(req)
	var exitErr *ExitError
	if req != nil {
		exitErr = &ExitError{Code: r.exitCode}
		exitErr.Stdout, exitErr.Stderr = r.out.take()
		r.req = nil
	}
	r.mu.Unlock()
	r.unlockStreams()
	if req != nil {
		r.deliver(req)
		req.result <- callResult{err: exitErr}
	}
}

// closeFiles closes the descriptors this process keeps, which ends the
// reading goroutines.
func (r *Runner) closeFiles() {
	if r.stdin != nil {
		r.closeStdin()
	}
	for _, f := range []*os.File{r.outFile[Stdout], r.outFile[Stderr], r.fifo} {
		if f != nil {
			f.Close()
		}
	}
}

func (r *Runner) closeStdin() { r.stdinOnce.Do(func() { r.stdin.Close() }) }

// release frees the FIFO directory and the legacy lock.
func (r *Runner) release() {
	if r.dir != "" {
		os.RemoveAll(r.dir)
		r.dirLock.Close()
	}
	if r.lock != nil {
		r.lock.Close()
	}
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
// in flight, in order and never concurrently, from the runner's goroutines:
// it must return quickly and must not call the Runner's Call or Stop. It is
// never called after Call returns. Output printed before the call started is
// only in the Response.
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
		r.mu.Lock()
		defer r.mu.Unlock()
		return nil, r.unavailableLocked()
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
	r.mu.Unlock()

	// A write error means the runner closed its stdin or died; its exit
	// or ctx then ends the request.
	stopWrite := context.AfterFunc(ctx, func() { _ = r.stdin.SetWriteDeadline(time.Unix(1, 0)) })
	_, _ = r.stdin.Write(line)
	stopWrite()

	select {
	case res := <-req.result:
		return res.resp, res.err
	case <-ctx.Done():
	}
	r.mu.Lock()
	if r.req != req {
		// The request was completed meanwhile.
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
	if r.idleFault != nil {
		return fmt.Errorf("%w: %w", ErrStopped, r.idleFault)
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
	r.mu.Unlock()
	r.closeStdin()

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
