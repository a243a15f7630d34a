package pipe

import (
	"bytes"
	"fmt"

	"golang.org/x/sys/unix"
)

const (
	// readSize is the size of one read from stdout, stderr or the FIFO.
	readSize = 64 << 10
	// maxDrainReads bounds the reads that empty stdout or stderr before a
	// response is completed, so a runner that never stops printing cannot
	// hold it back. The pipe holds far less than this many reads' worth.
	maxDrainReads = 64
)

var initMarker = []byte(InitMarker)

// poller is the runner's I/O goroutine. It alone uses the runner's stdin,
// stdout, stderr and FIFO descriptors, all non-blocking, multiplexed with
// poll(2); Runner.wakeLocked interrupts it when the shared state changes.
type poller struct {
	r       *Runner
	stdin   int
	out     [2]int // stdout and stderr, indexed by Stream
	fifo    int
	pending []byte   // input not yet written to stdin
	writing *request // the request pending belongs to
	partial [2]partialLine
	scan    valueScanner
	fifoBad bool // a fault was found: discard whatever the FIFO brings
	buf     []byte
	lines   []Line // lines for onLine, gathered under the lock
}

func (p *poller) run() {
	defer p.cleanup()
	r := p.r
	p.buf = make([]byte, readSize)
	fds := make([]unix.PollFd, 0, 5)
	for {
		if p.sync() {
			p.finish()
			return
		}
		p.writeInput()
		fds = append(fds[:0], unix.PollFd{Fd: int32(r.wakeFD), Events: unix.POLLIN})
		for _, fd := range p.out {
			if fd >= 0 {
				fds = append(fds, unix.PollFd{Fd: int32(fd), Events: unix.POLLIN})
			}
		}
		fds = append(fds, unix.PollFd{Fd: int32(p.fifo), Events: unix.POLLIN})
		if len(p.pending) > 0 {
			fds = append(fds, unix.PollFd{Fd: int32(p.stdin), Events: unix.POLLOUT})
		}
		if _, err := unix.Poll(fds, -1); err != nil {
			if err == unix.EINTR {
				continue
			}
			// Nothing can be served any more; let the exit clean up.
			r.kill()
			<-r.exited
			p.finish()
			return
		}
		for _, pfd := range fds {
			if pfd.Revents == 0 {
				continue
			}
			switch int(pfd.Fd) {
			case r.wakeFD:
				var counter [8]byte
				_, _ = unix.Read(r.wakeFD, counter[:])
			case p.out[Stdout]:
				p.read(Stdout)
			case p.out[Stderr]:
				p.read(Stderr)
			case p.fifo:
				p.readFIFO()
				p.processFIFO()
			}
		}
	}
}

// sync applies the shared state: a new or abandoned request, Stop's request
// to close stdin. It reports whether the process has exited.
func (p *poller) sync() (exited bool) {
	r := p.r
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopping && p.stdin >= 0 {
		unix.Close(p.stdin)
		p.stdin = -1
	}
	if r.req != p.writing {
		p.writing, p.pending = r.req, nil
		if r.req != nil && p.stdin >= 0 {
			p.pending = r.req.input
		}
	}
	select {
	case <-r.exited:
		return true
	default:
		return false
	}
}

// writeInput writes as much pending input as stdin takes now.
func (p *poller) writeInput() {
	for len(p.pending) > 0 {
		n, err := unix.Write(p.stdin, p.pending)
		if n > 0 {
			p.pending = p.pending[n:]
		}
		switch err {
		case nil, unix.EINTR:
		case unix.EAGAIN:
			return
		default:
			// The runner closed its stdin; its exit or the
			// caller's ctx ends the request.
			p.pending = nil
		}
	}
}

// read reads once from stdout or stderr and reports whether it got data.
func (p *poller) read(s Stream) bool {
	n, err := unix.Read(p.out[s], p.buf)
	if n > 0 {
		p.consume(s, p.buf[:n])
		return true
	}
	if err != unix.EAGAIN && err != unix.EINTR {
		unix.Close(p.out[s])
		p.out[s] = -1
	}
	return false
}

// drainOut reads what stdout and stderr hold, so that all the runner printed
// before its response belongs to that response.
func (p *poller) drainOut() {
	for s := range p.out {
		for i := 0; i < maxDrainReads && p.out[s] >= 0 && p.read(Stream(s)); i++ {
		}
	}
}

// consume splits output into lines, captures them and, during a request,
// queues them for onLine. Before the runner is ready it looks for
// PIPE_INIT_COMPLETE on stdout.
func (p *poller) consume(s Stream, data []byte) {
	r := p.r
	r.mu.Lock()
	req := r.req
	pl := &p.partial[s]
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			if pl.skip {
				break
			}
			pl.buf = append(pl.buf, data...)
			switch {
			case !r.initialised && s == Stdout && bytes.Contains(pl.buf, initMarker):
				r.initialised = true
				close(r.initDone)
				pl.buf, pl.skip = pl.buf[:0], true
			case len(pl.buf) >= r.cfg.MaxOutput:
				p.emitLocked(req, s, pl.buf)
				pl.buf = pl.buf[:0]
			}
			break
		}
		line := data[:i+1]
		data = data[i+1:]
		if pl.skip {
			pl.skip = false
			continue
		}
		if len(pl.buf) > 0 {
			line = append(pl.buf, line...)
			pl.buf = line[:0]
		}
		if !r.initialised && s == Stdout && bytes.Contains(line, initMarker) {
			r.initialised = true
			close(r.initDone)
			continue
		}
		p.emitLocked(req, s, line)
	}
	r.mu.Unlock()
	p.deliver(req)
}

// emitLocked captures one line (with its newline, if it has one) and queues
// it for req's onLine.
func (p *poller) emitLocked(req *request, s Stream, line []byte) {
	p.r.out.add(s, line, p.r.cfg.MaxOutput)
	if req != nil && req.onLine != nil {
		p.lines = append(p.lines, Line{Stream: s, Text: bytes.Clone(bytes.TrimSuffix(line, []byte("\n")))})
	}
}

// flushLocked captures the unfinished last lines, at the end of a request or
// of the runner.
func (p *poller) flushLocked(req *request) {
	for s := range p.partial {
		if pl := &p.partial[s]; len(pl.buf) > 0 {
			p.emitLocked(req, Stream(s), pl.buf)
			pl.buf = pl.buf[:0]
		}
	}
}

// deliver calls req's onLine with the queued lines, unless Call has
// returned already.
func (p *poller) deliver(req *request) {
	if len(p.lines) == 0 {
		return
	}
	req.cbMu.Lock()
	if !req.abandoned {
		for _, l := range p.lines {
			req.onLine(l)
		}
	}
	req.cbMu.Unlock()
	clear(p.lines)
	p.lines = p.lines[:0]
}

// readFIFO reads what the FIFO holds, up to a little more than the largest
// response allowed.
func (p *poller) readFIFO() {
	for {
		if p.fifoBad {
			p.scan.reset()
		}
		if len(p.scan.buf) > p.r.cfg.MaxResponse {
			return
		}
		if cap(p.scan.buf)-len(p.scan.buf) < readSize {
			p.scan.buf = append(p.scan.buf, make([]byte, readSize)...)[:len(p.scan.buf)]
		}
		free := p.scan.buf[len(p.scan.buf):cap(p.scan.buf)]
		n, err := unix.Read(p.fifo, free)
		if n > 0 {
			p.scan.buf = p.scan.buf[:len(p.scan.buf)+n]
			continue
		}
		if err != unix.EINTR {
			return
		}
	}
}

// processFIFO answers the request in flight with each complete value found
// on the FIFO, and treats anything else as a fault.
func (p *poller) processFIFO() {
	for !p.fifoBad {
		state, start, end := p.scan.scan()
		switch state {
		case scanMore:
			switch {
			case !p.scan.started():
			case p.inFlight() == nil:
				p.fault("", p.scan.pending())
			case len(p.scan.buf) > p.r.cfg.MaxResponse:
				p.fault(fmt.Sprintf("response larger than %d bytes, got %s", p.r.cfg.MaxResponse, excerpt(p.scan.pending())), nil)
			}
			return
		case scanNotObject:
			p.fault(fmt.Sprintf("%s, got %s", expectedShape, excerpt(p.scan.buf[start:end])), p.scan.buf[start:end])
			return
		case scanComplete:
			p.respond(p.scan.buf[start:end])
			if !p.fifoBad {
				p.scan.consume(end)
			}
		}
	}
}

func (p *poller) inFlight() *request {
	p.r.mu.Lock()
	defer p.r.mu.Unlock()
	return p.r.req
}

// respond completes the request in flight with the response value.
func (p *poller) respond(value []byte) {
	r := p.r
	req := p.inFlight()
	if req == nil {
		p.fault("", value)
		return
	}
	resp, reason := parseResponse(value)
	if reason != "" {
		p.fault(reason, value)
		return
	}
	p.drainOut()
	r.mu.Lock()
	if r.req != req {
		// Call gave up on it meanwhile.
		r.mu.Unlock()
		return
	}
	p.flushLocked(req)
	resp.Stdout, resp.Stderr = r.out.take()
	r.req = nil
	r.mu.Unlock()
	p.deliver(req)
	req.result <- callResult{resp: resp}
}

// fault kills the runner for writing data that is not a valid response to
// its FIFO: the request in flight fails with reason, or, with none in
// flight, later calls fail with ErrStopped.
func (p *poller) fault(reason string, data []byte) {
	r := p.r
	p.fifoBad = true
	req := p.inFlight()
	if req != nil {
		p.drainOut()
	} else {
		reason = "data while no request was in flight, got " + excerpt(data)
	}
	p.scan.reset()
	r.mu.Lock()
	if r.killed || r.req != req {
		// Already being replaced; the fault changes nothing.
		r.mu.Unlock()
		return
	}
	f := &FaultError{Reason: reason}
	r.killLocked()
	if req == nil {
		r.fault = f
		r.mu.Unlock()
		return
	}
	p.flushLocked(req)
	f.Stdout, f.Stderr = r.out.take()
	r.req = nil
	r.mu.Unlock()
	p.deliver(req)
	req.result <- callResult{err: f}
}

// finish runs once the process has exited: it collects what is left in the
// pipes and the FIFO, then fails the request in flight, if any.
func (p *poller) finish() {
	r := p.r
	p.drainOut()
	p.readFIFO()
	p.processFIFO()
	r.mu.Lock()
	req := r.req
	p.flushLocked(req)
	if req == nil {
		r.mu.Unlock()
		return
	}
	exitErr := &ExitError{Code: r.exitCode}
	exitErr.Stdout, exitErr.Stderr = r.out.take()
	r.req = nil
	r.mu.Unlock()
	p.deliver(req)
	req.result <- callResult{err: exitErr}
}

// cleanup releases everything once the runner is gone and signals Done.
func (p *poller) cleanup() {
	p.closeFDs()
	p.r.release()
	close(p.r.done)
}

func (p *poller) closeFDs() {
	for _, fd := range []*int{&p.stdin, &p.out[Stdout], &p.out[Stderr], &p.fifo} {
		if *fd >= 0 {
			unix.Close(*fd)
			*fd = -1
		}
	}
}
