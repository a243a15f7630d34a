package pipe

import (
	"bytes"
	"fmt"
)

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
