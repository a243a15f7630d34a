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
	// request is completed, so a runner that never stops printing cannot
	// hold it back. A pipe holds far less than this many reads' worth.
	maxDrainReads = 64
)

var initMarker = []byte(InitMarker)

// Stream tells which of the runner's outputs a Line came from.
type Stream int

// The runner's output streams.
const (
	Stdout Stream = iota
	Stderr
)

// String returns "stdout" or "stderr".
func (s Stream) String() string {
	if s == Stderr {
		return "stderr"
	}
	return "stdout"
}

// Line is one line of runner output, without its newline.
type Line struct {
	Stream Stream
	Text   []byte
}

// bounded is text kept up to a limit, counting what was dropped.
type bounded struct {
	text    []byte
	dropped int
}

// add appends b, or as much of it as fits; once anything was dropped,
// everything after is dropped too so the kept text stays contiguous.
func (t *bounded) add(b []byte, limit int) {
	room := limit - len(t.text)
	if t.dropped == 0 && room >= len(b) {
		t.text = append(t.text, b...)
		return
	}
	if t.dropped == 0 && room > 0 {
		t.text = append(t.text, b[:room]...)
		b = b[room:]
	}
	t.dropped += len(b)
}

// bytes returns the kept text, ended by the truncation marker line when
// something was dropped.
func (t *bounded) bytes() []byte {
	if t.dropped == 0 {
		return t.text
	}
	out := t.text
	if len(out) > 0 && out[len(out)-1] != '\n' {
		out = append(out, '\n')
	}
	return fmt.Appendf(out, "[langserver: output truncated, %d bytes dropped]\n", t.dropped)
}

// capture is the output of one request: merged stdout+stderr, and stderr.
type capture struct {
	merged, stderr bounded
}

func (c *capture) add(s Stream, line []byte, limit int) {
	c.merged.add(line, limit)
	if s == Stderr {
		c.stderr.add(line, limit)
	}
}

// take returns the captured output and starts afresh.
func (c *capture) take() (stdout, stderr []byte) {
	stdout, stderr = c.merged.bytes(), c.stderr.bytes()
	*c = capture{}
	return stdout, stderr
}

// peek returns a copy of the captured output.
func (c *capture) peek() (stdout, stderr []byte) {
	cp := capture{
		merged: bounded{bytes.Clone(c.merged.text), c.merged.dropped},
		stderr: bounded{bytes.Clone(c.stderr.text), c.stderr.dropped},
	}
	return cp.take()
}

// partialLine is the unfinished last line of one stream.
type partialLine struct {
	buf []byte
	// skip discards the rest of the current line: the init line, once
	// PIPE_INIT_COMPLETE was seen in its first part.
	skip bool
}

// readStatus is the outcome of one read of an output stream.
type readStatus int

const (
	readData  readStatus = iota // got output
	readEmpty                   // nothing to read now
	readEnd                     // end of file, or the runner is gone
)

// readStream is the goroutine reading stdout or stderr, so that the runner
// never blocks on a full pipe.
func (r *Runner) readStream(s Stream) {
	defer r.readers.Done()
	rc, err := r.outFile[s].SyscallConn()
	if err != nil {
		return
	}
	// The read function returns false to wait until the pipe is readable,
	// true to stop.
	_ = rc.Read(func(uintptr) bool {
		for {
			r.streamMu[s].Lock()
			status := r.readLocked(s)
			r.streamMu[s].Unlock()
			switch status {
			case readEmpty:
				return false
			case readEnd:
				return true
			}
			r.deliverCurrent()
		}
	})
}

// readLocked reads stream s once; the caller holds streamMu[s].
func (r *Runner) readLocked(s Stream) readStatus {
	if r.ioClosed || r.outEOF[s] {
		return readEnd
	}
	n, err := unix.Read(r.outFD[s], r.readBuf[s])
	switch {
	case n > 0:
		r.consumeLocked(s, r.readBuf[s][:n])
		return readData
	case err == unix.EINTR:
		return readData
	case err == unix.EAGAIN:
		return readEmpty
	}
	r.outEOF[s] = true
	return readEnd
}

func (r *Runner) lockStreams() {
	r.streamMu[Stdout].Lock()
	r.streamMu[Stderr].Lock()
}

func (r *Runner) unlockStreams() {
	r.streamMu[Stderr].Unlock()
	r.streamMu[Stdout].Unlock()
}

// drainLocked reads what stdout and stderr hold, so that all the runner
// printed before its response belongs to that response. The caller holds
// both streamMu.
func (r *Runner) drainLocked() {
	for s := range r.outFD {
		for i := 0; i < maxDrainReads && r.readLocked(Stream(s)) == readData; i++ {
		}
	}
}

// consumeLocked splits output into lines, captures them and, during a
// request, queues them for onLine. Before the runner is ready it looks for
// PIPE_INIT_COMPLETE on stdout. The caller holds streamMu[s].
func (r *Runner) consumeLocked(s Stream, data []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	pl := &r.partial[s]
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			if pl.skip {
				break
			}
			pl.buf = append(pl.buf, data...)
			switch {
			case !r.initialised && s == Stdout && bytes.Contains(pl.buf, initMarker):
				r.markInitialisedLocked()
				pl.buf, pl.skip = pl.buf[:0], true
			case len(pl.buf) >= r.cfg.MaxOutput:
				r.emitLocked(r.req, s, pl.buf)
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
			r.markInitialisedLocked()
			continue
		}
		r.emitLocked(r.req, s, line)
	}
}

func (r *Runner) markInitialisedLocked() {
	r.initialised = true
	close(r.initDone)
}

// emitLocked captures one line (with its newline, if it has one) and queues
// it for req's onLine. The caller holds mu.
func (r *Runner) emitLocked(req *request, s Stream, line []byte) {
	r.out.add(s, line, r.cfg.MaxOutput)
	if req != nil && req.onLine != nil {
		req.lines = append(req.lines, Line{Stream: s, Text: bytes.Clone(bytes.TrimSuffix(line, []byte("\n")))})
	}
}

// flushLocked captures the unfinished last lines, at the end of a request or
// of the runner. The caller holds both streamMu and mu.
func (r *Runner) flushLocked(req *request) {
	for s := range r.partial {
		if pl := &r.partial[s]; len(pl.buf) > 0 {
			r.emitLocked(req, Stream(s), pl.buf)
			pl.buf = pl.buf[:0]
		}
	}
}

// deliverCurrent delivers the lines queued for the request in flight.
func (r *Runner) deliverCurrent() {
	r.mu.Lock()
	req := r.req
	r.mu.Unlock()
	if req != nil {
		r.deliver(req)
	}
}

// deliver calls req's onLine with the lines queued for it, unless Call has
// returned already. Holding cbMu from taking the lines to delivering them
// keeps them in order whichever goroutine delivers.
func (r *Runner) deliver(req *request) {
	if req.onLine == nil {
		return
	}
	req.cbMu.Lock()
	defer req.cbMu.Unlock()
	r.mu.Lock()
	lines := req.lines
	req.lines = nil
	r.mu.Unlock()
	if req.abandoned {
		return
	}
	for _, l := range lines {
		req.onLine(l)
	}
}
