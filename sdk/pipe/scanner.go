package pipe

// scanState is what valueScanner.scan found.
type scanState int

const (
	scanMore      scanState = iota // no complete value yet
	scanComplete                   // buf[start:end] is one complete value
	scanNotObject                  // the first non-space byte does not open an object
)

// valueScanner finds the end of one top-level JSON object in bytes that
// arrive in pieces. It tracks nesting, strings and escapes only; the value
// it delimits is validated by encoding/json afterwards. Each byte is looked
// at once, however the value is split.
type valueScanner struct {
	buf   []byte
	pos   int // next byte to look at
	start int // offset of the value's '{', -1 before it
	depth int
	inStr bool
	esc   bool
}

func newValueScanner() valueScanner { return valueScanner{start: -1} }

// scan continues where the previous call stopped.
func (s *valueScanner) scan() (state scanState, start, end int) {
	for s.pos < len(s.buf) {
		c := s.buf[s.pos]
		s.pos++
		switch {
		case s.start < 0:
			if isSpace(c) {
				continue
			}
			if c != '{' {
				return scanNotObject, s.pos - 1, len(s.buf)
			}
			s.start, s.depth = s.pos-1, 1
		case s.inStr:
			switch {
			case s.esc:
				s.esc = false
			case c == '\\':
				s.esc = true
			case c == '"':
				s.inStr = false
			}
		case c == '"':
			s.inStr = true
		case c == '{' || c == '[':
			s.depth++
		case c == '}' || c == ']':
			s.depth--
			if s.depth == 0 {
				return scanComplete, s.start, s.pos
			}
		}
	}
	if s.start < 0 {
		// Only white space so far: forget it.
		s.buf, s.pos = s.buf[:0], 0
	}
	return scanMore, 0, 0
}

// started reports whether part of a value has arrived.
func (s *valueScanner) started() bool { return s.start >= 0 }

// pending returns the bytes of the value begun so far.
func (s *valueScanner) pending() []byte {
	if s.start < 0 {
		return nil
	}
	return s.buf[s.start:]
}

// consume forgets buf[:end] and starts looking for the next value.
func (s *valueScanner) consume(end int) {
	rest := len(s.buf) - end
	copy(s.buf, s.buf[end:])
	s.buf = s.buf[:rest]
	if cap(s.buf) > maxIdleFIFOBuffer && rest < maxIdleFIFOBuffer {
		s.buf = append([]byte(nil), s.buf...)
	}
	*s = valueScanner{buf: s.buf, start: -1}
}

// reset forgets everything.
func (s *valueScanner) reset() { s.consume(len(s.buf)) }

// maxIdleFIFOBuffer is the largest FIFO buffer kept between responses, so
// one multi-megabyte response does not pin its memory for the runner's life.
const maxIdleFIFOBuffer = 1 << 20

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
