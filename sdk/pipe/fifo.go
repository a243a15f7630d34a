package pipe

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// readFIFO is the goroutine reading the FIFO.
func (r *Runner) readFIFO() {
	defer r.readers.Done()
	rc, err := r.fifo.SyscallConn()
	if err != nil {
		return
	}
	// The read function returns false to wait until the FIFO is readable,
	// true to stop.
	_ = rc.Read(func(uintptr) bool {
		r.fifoMu.Lock()
		defer r.fifoMu.Unlock()
		if r.ioClosed {
			return true
		}
		r.fillFIFO()
		r.processFIFO()
		return false
	})
}

// fillFIFO reads what the FIFO holds, up to a little more than the largest
// response allowed. The caller holds fifoMu.
func (r *Runner) fillFIFO() {
	for {
		if r.fifoBad {
			r.scan.reset()
		}
		if len(r.scan.buf) > r.cfg.MaxResponse {
			return
		}
		if cap(r.scan.buf)-len(r.scan.buf) < readSize {
			r.scan.buf = append(r.scan.buf, make([]byte, readSize)...)[:len(r.scan.buf)]
		}
		free := r.scan.buf[len(r.scan.buf):cap(r.scan.buf)]
		n, err := unix.Read(r.fifoFD, free)
		if n > 0 {
			r.scan.buf = r.scan.buf[:len(r.scan.buf)+n]
			continue
		}
		if err != unix.EINTR {
			return
		}
	}
}

// processFIFO answers the request in flight with each complete value found
// on the FIFO, and treats anything else as a fault. The caller holds fifoMu.
func (r *Runner) processFIFO() {
	for !r.fifoBad {
		state, start, end := r.scan.scan()
		switch state {
		case scanMore:
			switch {
			case !r.scan.started():
			case r.inFlight() == nil:
				r.fault("", r.scan.pending())
			case len(r.scan.buf) > r.cfg.MaxResponse:
				r.fault(r.tooLarge(r.scan.pending()), nil)
			}
			return
		case scanNotObject:
			r.fault(fmt.Sprintf("%s, got %s", expectedShape, excerpt(r.scan.buf[start:end])), r.scan.buf[start:end])
			return
		case scanComplete:
			if end-start > r.cfg.MaxResponse {
				r.fault(r.tooLarge(r.scan.buf[start:end]), nil)
				return
			}
			r.respond(r.scan.buf[start:end])
			if !r.fifoBad {
				r.scan.consume(end)
			}
		}
	}
}

func (r *Runner) inFlight() *request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.req
}

// respond completes the request in flight with the response value.
func (r *Runner) respond(value []byte) {
	req := r.inFlight()
	if req == nil {
		r.fault("", value)
		return
	}
	resp, reason := parseResponse(value)
	if reason != "" {
		r.fault(reason, value)
		return
	}
	r.complete(req, false, func(stdout, stderr []byte) callResult {
		resp.Stdout, resp.Stderr = stdout, stderr
		return callResult{resp: resp}
	})
}

// complete ends req, unless Call gave up on it meanwhile: it takes the
// output that arrived before the response, kills the runner if fatal,
// delivers the last lines to onLine and sends result(stdout, stderr) to
// Call.
func (r *Runner) complete(req *request, fatal bool, result func(stdout, stderr []byte) callResult) {
	r.lockStreams()
	r.drainLocked()
	r.mu.Lock()
	if r.req != req {
		r.mu.Unlock()
		r.unlockStreams()
		return
	}
	r.flushLocked(req)
	res := result(r.out.take())
	r.req = nil
	if fatal {
		r.killLocked()
	}
	r.mu.Unlock()
	r.unlockStreams()
	r.deliver(req)
	req.result <- res
}

// fault kills the runner for writing data that is not a valid response to
// its FIFO: the request in flight fails with reason, or, with none in
// flight, later calls fail with ErrStopped wrapping the fault.
func (r *Runner) fault(reason string, data []byte) {
	r.fifoBad = true
	req := r.inFlight()
	if req == nil {
		reason = "data while no request was in flight, got " + excerpt(data)
	}
	r.scan.reset()
	if req != nil {
		r.complete(req, true, func(stdout, stderr []byte) callResult {
			return callResult{err: &FaultError{Reason: reason, Stdout: stdout, Stderr: stderr}}
		})
		return
	}
	r.mu.Lock()
	if !r.killed && r.req == nil {
		r.idleFault = &FaultError{Reason: reason}
		r.killLocked()
	}
	r.mu.Unlock()
}

// tooLarge describes a response, complete or not, above MaxResponse.
func (r *Runner) tooLarge(response []byte) string {
	return fmt.Sprintf("response larger than the limit of %d bytes (max_result), got %s", r.cfg.MaxResponse, excerpt(response))
}
