package pipe

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestValueScanner(t *testing.T) {
	tests := []struct {
		name  string
		input string
		state scanState
		value string // the complete value; for scanNotObject the rest (a prefix of it when split)
	}{
		{"object", `{"a": 1}`, scanComplete, `{"a": 1}`},
		{"leading space and trailing bytes", " \n\t{\"a\": [1, {}]}\n{\"next\"", scanComplete, `{"a": [1, {}]}`},
		{"braces and escapes in strings", `{"a": "}{\"]\\", "b": ["\\\"}"]} rest`, scanComplete, `{"a": "}{\"]\\", "b": ["\\\"}"]}`},
		{"unfinished", `{"a": {"b": "}"}`, scanMore, ""},
		{"space only", " \n ", scanMore, ""},
		{"not an object", ` [1, 2]`, scanNotObject, `[1, 2]`},
		{"text", `hello {}`, scanNotObject, `hello {}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// However the bytes are split, the outcome is the same.
			for split := 0; split <= len(tt.input); split++ {
				s := newValueScanner()
				s.buf = append(s.buf, tt.input[:split]...)
				state, start, end := s.scan()
				if state == scanMore {
					s.buf = append(s.buf, tt.input[split:]...)
					state, start, end = s.scan()
				}
				got := ""
				if state != scanMore {
					got = string(s.buf[start:end])
				}
				if state == scanNotObject && got != "" && strings.HasPrefix(tt.value, got) {
					got = tt.value
				}
				if state != tt.state || got != tt.value {
					t.Fatalf("split at %d: scan = %v %q, want %v %q", split, state, got, tt.state, tt.value)
				}
			}
		})
	}
}

func TestValueScannerConsume(t *testing.T) {
	s := newValueScanner()
	s.buf = append(s.buf, `{"a":1} {"b":2}`...)
	var got []string
	for {
		state, start, end := s.scan()
		if state != scanComplete {
			break
		}
		got = append(got, string(s.buf[start:end]))
		s.consume(end)
	}
	if diff := cmp.Diff([]string{`{"a":1}`, `{"b":2}`}, got); diff != "" {
		t.Errorf("values (-want +got):\n%s", diff)
	}
	if s.started() || len(s.buf) != 0 {
		t.Errorf("scanner not empty: %q", s.buf)
	}
}

func TestParseResponse(t *testing.T) {
	tests := []struct {
		in     string
		want   *Response
		reason string
	}{
		{`{"result": "x", "metadata": {"content_type": "text", "other": 1}, "extra": true}`, &Response{Result: json.RawMessage(`"x"`), ContentType: "text"}, ""},
		{`{"error": {"message": "m", "error_type": "T", "stacktrace": "s"}}`, &Response{Error: &AlgorithmError{Message: "m", ErrorType: "T", Stacktrace: "s"}}, ""},
		{`{"error": {}}`, &Response{Error: &AlgorithmError{ErrorType: "AlgorithmError"}}, ""},
		{`{"error": {"message": null, "error_type": null, "stacktrace": ["a"]}}`, &Response{Error: &AlgorithmError{Message: "null", ErrorType: "AlgorithmError", Stacktrace: `["a"]`}}, ""},
		{`{"result": 1, "metadata": {"content_type": 5}}`, nil, expectedShape + `, got {"result": 1, "metadata": {"content_type": 5}} (no "metadata" object with a string "content_type")`},
		{`{"result": 1, "metadata": null}`, nil, expectedShape + `, got {"result": 1, "metadata": null} (no "metadata" object with a string "content_type")`},
		{`{"error": null}`, nil, expectedShape + `, got {"error": null} ("error" is not an object)`},
		{`{}`, nil, expectedShape + `, got {} (no "result" or "error")`},
		{`{"result": 1,}`, nil, `not valid JSON (invalid character '}' looking for beginning of object key string), got {"result": 1,}`},
	}
	for _, tt := range tests {
		got, reason := parseResponse([]byte(tt.in))
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("parseResponse(%s) (-want +got):\n%s", tt.in, diff)
		}
		if reason != tt.reason {
			t.Errorf("parseResponse(%s) reason\n%s\nwant\n%s", tt.in, reason, tt.reason)
		}
	}
}

func TestBounded(t *testing.T) {
	tests := []struct {
		name  string
		adds  []string
		limit int
		want  string
	}{
		{"fits", []string{"ab\n", "cd\n"}, 6, "ab\ncd\n"},
		{"cut inside a line", []string{"ab\n", "cdef\n"}, 5, "ab\ncd\n[langserver: output truncated, 3 bytes dropped]\n"},
		{"nothing after a cut", []string{"abcdef\n", "g\n"}, 4, "abcd\n[langserver: output truncated, 5 bytes dropped]\n"},
		{"cut at a line end", []string{"ab\n", "cd\n"}, 3, "ab\n[langserver: output truncated, 3 bytes dropped]\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bounded
			for _, s := range tt.adds {
				b.add([]byte(s), tt.limit)
			}
			if diff := cmp.Diff(tt.want, string(b.bytes())); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestExcerpt(t *testing.T) {
	tests := []struct{ in, want string }{
		{" {\"a\": 1}\n", `{"a": 1}`},
		{"a\x00b", `"a\x00b"`},
		{strings.Repeat("ab", 150), strings.Repeat("ab", 100) + "... (300 bytes)"},
	}
	for _, tt := range tests {
		if got := excerpt([]byte(tt.in)); got != tt.want {
			t.Errorf("excerpt(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// referenceParse is parseResponse written plainly with encoding/json maps.
func referenceParse(v []byte) (*Response, bool) {
	var top map[string]json.RawMessage
	if json.Unmarshal(v, &top) != nil || top == nil {
		return nil, false
	}
	result, hasResult := top["result"]
	errValue, hasError := top["error"]
	switch {
	case hasResult && !hasError:
		var meta map[string]json.RawMessage
		var contentType string
		if json.Unmarshal(top["metadata"], &meta) != nil || !isString(meta["content_type"]) ||
			json.Unmarshal(meta["content_type"], &contentType) != nil {
			return nil, false
		}
		return &Response{Result: result, ContentType: contentType}, true
	case hasError && !hasResult:
		var fields map[string]json.RawMessage
		if !isObject(errValue) || json.Unmarshal(errValue, &fields) != nil {
			return nil, false
		}
		str := func(raw json.RawMessage) string {
			var s string
			if isString(raw) && json.Unmarshal(raw, &s) == nil {
				return s
			}
			return string(raw)
		}
		e := &AlgorithmError{Message: str(fields["message"]), ErrorType: "AlgorithmError", Stacktrace: str(fields["stacktrace"])}
		if isString(fields["error_type"]) {
			e.ErrorType = str(fields["error_type"])
		}
		return &Response{Error: e}, true
	}
	return nil, false
}

func FuzzParseResponse(f *testing.F) {
	for _, seed := range []string{
		`{"result": "x", "metadata": {"content_type": "text"}}`,
		`{ "metadata" : { "content_type" : "js\u006fn" } , "result" : [1, {"a": "}"}] }`,
		`{"error": {"message": "m\n", "error_type": "T", "stacktrace": "s"}}`,
		`{"error": {"message": 1.5e3, "error_type": null, "stacktrace": {"a": []}}}`,
		`{"\u0072esult": true, "metadata": {"content_type": "x"}, "result": false}`,
		`{"result": 1, "error": {}}`,
		`{"result": 1}`,
		`{"error": "e"}`,
		`{"result": "\xff", "metadata": {"content_type": "\xfe"}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, v []byte) {
		if len(v) == 0 || v[0] != '{' {
			return // the FIFO scanner only hands over objects
		}
		got, reason := parseResponse(v)
		want, ok := referenceParse(v)
		if ok != (reason == "") {
			t.Fatalf("parseResponse(%q) reason %q, reference ok=%v", v, reason, ok)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("parseResponse(%q) (-reference +got):\n%s", v, diff)
		}
	})
}
