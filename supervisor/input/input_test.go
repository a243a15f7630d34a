package input

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// wire is the decoded form of an Input line.
type wire struct {
	ContentType string          `json:"content_type"`
	Data        json.RawMessage `json:"data"`
}

// checkLine asserts that line is one line of valid JSON holding exactly
// content_type (equal to wantCT) and data, and returns it decoded.
func checkLine(t testing.TB, line []byte, wantCT string) wire {
	t.Helper()
	if i := bytes.IndexAny(line, "\r\n"); i >= 0 {
		t.Fatalf("line contains a line break at byte %d: %q", i, line)
	}
	if !json.Valid(line) {
		t.Fatalf("line is not valid JSON: %q", line)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(line, &fields); err != nil {
		t.Fatalf("line is not a JSON object: %v: %q", err, line)
	}
	var keys []string
	for k := range fields {
		keys = append(keys, k)
	}
	if len(keys) != 2 || fields["content_type"] == nil || fields["data"] == nil {
		t.Fatalf("line has keys %q, want exactly content_type and data: %q", keys, line)
	}
	var w wire
	if err := json.Unmarshal(line, &w); err != nil {
		t.Fatalf("decoding line: %v: %q", err, line)
	}
	if w.ContentType != wantCT {
		t.Fatalf("line content_type = %q, want %q: %q", w.ContentType, wantCT, line)
	}
	return w
}

func header(kv ...string) http.Header {
	h := make(http.Header)
	for i := 0; i < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

func TestContentType(t *testing.T) {
	const hint = ": use application/json, text/plain or application/octet-stream"
	tests := []struct {
		name    string
		header  string
		opts    Options
		want    string
		wantErr *Error
	}{
		{name: "json", header: "application/json", want: JSON},
		{name: "json with charset", header: "application/json; charset=utf-8", want: JSON},
		{name: "json upper case", header: "Application/JSON", want: JSON},
		{name: "json with spaces", header: "  application/json ;charset=UTF-8", want: JSON},
		{name: "text/plain", header: "text/plain", want: Text},
		{name: "text/plain with charset", header: "text/plain; charset=iso-8859-1", want: Text},
		{name: "text/plain upper case", header: "TEXT/Plain", want: Text},
		{name: "application/text", header: "application/text", want: Text},
		{name: "octet-stream", header: "application/octet-stream", want: Binary},
		{name: "octet-stream with parameter", header: "application/octet-stream; name=x.bin", want: Binary},
		{name: "json stays json when any application is binary", header: "application/json", opts: Options{AnyApplicationIsBinary: true}, want: JSON},
		{name: "application/text stays text when any application is binary", header: "application/text", opts: Options{AnyApplicationIsBinary: true}, want: Text},
		{name: "form is binary when any application is binary", header: "application/x-www-form-urlencoded", opts: Options{AnyApplicationIsBinary: true}, want: Binary},
		{name: "pdf is binary when any application is binary", header: "Application/PDF", opts: Options{AnyApplicationIsBinary: true}, want: Binary},
		{
			name:    "form is unsupported by default",
			header:  "application/x-www-form-urlencoded",
			wantErr: &Error{Kind: UnsupportedContentType, Message: `unsupported Content-Type "application/x-www-form-urlencoded"` + hint},
		},
		{
			name:    "text/html is unsupported even when any application is binary",
			header:  "text/html; charset=utf-8",
			opts:    Options{AnyApplicationIsBinary: true},
			wantErr: &Error{Kind: UnsupportedContentType, Message: `unsupported Content-Type "text/html"` + hint},
		},
		{
			name:    "unsupported type is reported lower case without parameters",
			header:  "Image/PNG; q=1",
			opts:    Options{AnyApplicationIsBinary: true},
			wantErr: &Error{Kind: UnsupportedContentType, Message: `unsupported Content-Type "image/png"` + hint},
		},
		{
			name:    "missing",
			header:  "",
			wantErr: &Error{Kind: MissingContentType, Message: "missing Content-Type header" + hint},
		},
		{
			name:    "blank",
			header:  " \t ",
			wantErr: &Error{Kind: MissingContentType, Message: "missing Content-Type header" + hint},
		},
		{
			name:    "malformed: no subtype",
			header:  "text/",
			wantErr: &Error{Kind: UnsupportedContentType, Message: `malformed Content-Type "text/": mime: expected token after slash`},
		},
		{
			name:    "bare token is unsupported",
			header:  "JSON",
			wantErr: &Error{Kind: UnsupportedContentType, Message: `unsupported Content-Type "json"` + hint},
		},
		{
			name:    "malformed: space in type",
			header:  "application json",
			wantErr: &Error{Kind: UnsupportedContentType, Message: `malformed Content-Type "application json": mime: expected slash after first token`},
		},
		{
			name:    "malformed parameter",
			header:  "application/json; charset",
			wantErr: &Error{Kind: UnsupportedContentType, Message: `malformed Content-Type "application/json; charset": mime: invalid media parameter`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ContentType(tt.header, tt.opts)
			if diff := cmp.Diff(tt.wantErr, err); diff != "" {
				t.Fatalf("ContentType(%q) error mismatch (-want +got):\n%s", tt.header, diff)
			}
			if got != tt.want {
				t.Errorf("ContentType(%q) = %q, want %q", tt.header, got, tt.want)
			}
			if err != nil && err.Error() != tt.wantErr.Message {
				t.Errorf("Error() = %q, want the message %q", err.Error(), tt.wantErr.Message)
			}
		})
	}
}

func TestDecode(t *testing.T) {
	allBytes := make([]byte, 256)
	for i := range allBytes {
		allBytes[i] = byte(i)
	}
	b64 := base64.StdEncoding.EncodeToString
	// A long base64 text broken into 76-character lines, as MIME tools do.
	var wrapped strings.Builder
	for s := b64(allBytes); len(s) > 0; {
		n := min(76, len(s))
		wrapped.WriteString(s[:n] + "\r\n")
		s = s[n:]
	}

	tests := []struct {
		name   string
		header http.Header
		body   []byte
		opts   Options
		// wantLine is the exact line, when set.
		wantLine string
		// wantCT and wantData check the decoded line: wantData is the
		// Go value data must decode to (string for text and json strings,
		// []byte for binary).
		wantCT   string
		wantData any
		wantErr  *Error
	}{
		{
			name:     "multi-line JSON is compacted onto one line",
			header:   header("Content-Type", "application/json"),
			body:     []byte("{\n  \"a\": [1, 2,\n 3],\r\n\t\"b\" : \"x y\\n\"\n}\n"),
			wantLine: `{"content_type":"json","data":{"a":[1,2,3],"b":"x y\n"}}`,
			wantCT:   JSON,
		},
		{
			name:     "JSON number keeps its digits",
			header:   header("Content-Type", "application/json; charset=utf-8"),
			body:     []byte(" 12345678901234567890 "),
			wantLine: `{"content_type":"json","data":12345678901234567890}`,
			wantCT:   JSON,
		},
		{
			name:     "JSON string keeps escapes and non-ASCII",
			header:   header("Content-Type", "application/json"),
			body:     []byte(`"h\u00e9llo <&> \"q\" é"`),
			wantLine: `{"content_type":"json","data":"h\u00e9llo <&> \"q\" é"}`,
			wantCT:   JSON,
		},
		{
			name:     "JSON null",
			header:   header("Content-Type", "application/json"),
			body:     []byte("null"),
			wantLine: `{"content_type":"json","data":null}`,
			wantCT:   JSON,
		},
		{
			name:    "invalid JSON",
			header:  header("Content-Type", "application/json"),
			body:    []byte(`{"a":}`),
			wantErr: &Error{Kind: InvalidBody, Message: "invalid JSON in request body: invalid character '}' looking for beginning of value"},
		},
		{
			name:    "two JSON values",
			header:  header("Content-Type", "application/json"),
			body:    []byte("1\n2"),
			wantErr: &Error{Kind: InvalidBody, Message: "invalid JSON in request body: invalid character '2' after top-level value"},
		},
		{
			name:    "empty JSON body",
			header:  header("Content-Type", "application/json"),
			body:    nil,
			wantErr: &Error{Kind: InvalidBody, Message: "invalid JSON in request body: unexpected end of JSON input"},
		},
		{
			name:     "text is escaped into a JSON string",
			header:   header("Content-Type", "text/plain"),
			body:     []byte("say \"hi\"\\\nnext line\r\n\ttab <b>&</b> \x00\x1f \u2028 é 日本 🎉"),
			wantCT:   Text,
			wantData: "say \"hi\"\\\nnext line\r\n\ttab <b>&</b> \x00\x1f \u2028 é 日本 🎉",
		},
		{
			name:     "simple text",
			header:   header("Content-Type", "text/plain; charset=utf-8"),
			body:     []byte("hello"),
			wantLine: `{"content_type":"text","data":"hello"}`,
			wantCT:   Text,
		},
		{
			name:     "empty text",
			header:   header("Content-Type", "application/text"),
			body:     nil,
			wantLine: `{"content_type":"text","data":""}`,
			wantCT:   Text,
		},
		{
			name:    "text that is not UTF-8",
			header:  header("Content-Type", "text/plain"),
			body:    []byte("caf\xe9"),
			wantErr: &Error{Kind: InvalidBody, Message: "text body is not valid UTF-8: send binary data as application/octet-stream"},
		},
		{
			name:     "binary is base64 of every byte value",
			header:   header("Content-Type", "application/octet-stream"),
			body:     allBytes,
			wantLine: `{"content_type":"binary","data":"` + b64(allBytes) + `"}`,
			wantCT:   Binary,
			wantData: allBytes,
		},
		{
			name:     "empty binary",
			header:   header("Content-Type", "application/octet-stream"),
			body:     []byte{},
			wantLine: `{"content_type":"binary","data":""}`,
			wantCT:   Binary,
		},
		{
			name:     "any application is binary",
			header:   header("Content-Type", "application/x-www-form-urlencoded"),
			body:     []byte("a=1&b=\n2"),
			opts:     Options{AnyApplicationIsBinary: true},
			wantLine: `{"content_type":"binary","data":"` + b64([]byte("a=1&b=\n2")) + `"}`,
			wantCT:   Binary,
		},
		{
			name:    "form is unsupported by default",
			header:  header("Content-Type", "application/x-www-form-urlencoded"),
			body:    []byte("a=1"),
			wantErr: &Error{Kind: UnsupportedContentType, Message: `unsupported Content-Type "application/x-www-form-urlencoded": use application/json, text/plain or application/octet-stream`},
		},
		{
			name:    "missing Content-Type",
			header:  header(),
			body:    []byte("{}"),
			wantErr: &Error{Kind: MissingContentType, Message: "missing Content-Type header: use application/json, text/plain or application/octet-stream"},
		},
		{
			name:    "Content-Type is checked before Content-Encoding",
			header:  header("Content-Encoding", "gzip"),
			body:    []byte("{}"),
			wantErr: &Error{Kind: MissingContentType, Message: "missing Content-Type header: use application/json, text/plain or application/octet-stream"},
		},
		{
			name:     "base64 JSON",
			header:   header("Content-Type", "application/json", "Content-Encoding", "base64"),
			body:     []byte(b64([]byte("{\"x\": [1,\n 2]}\n"))),
			wantLine: `{"content_type":"json","data":{"x":[1,2]}}`,
			wantCT:   JSON,
		},
		{
			name:     "base64 text with surrounding whitespace",
			header:   header("Content-Type", "text/plain", "Content-Encoding", "base64"),
			body:     []byte("\n  " + b64([]byte("héllo\nworld")) + "  \r\n"),
			wantCT:   Text,
			wantData: "héllo\nworld",
		},
		{
			name:     "base64 binary with line breaks",
			header:   header("Content-Type", "application/octet-stream", "Content-Encoding", "base64"),
			body:     []byte(wrapped.String()),
			wantLine: `{"content_type":"binary","data":"` + b64(allBytes) + `"}`,
			wantCT:   Binary,
			wantData: allBytes,
		},
		{
			name:     "base64 encoding name is case-insensitive",
			header:   header("Content-Type", "text/plain", "Content-Encoding", " Base64 "),
			body:     []byte("aGk="),
			wantLine: `{"content_type":"text","data":"hi"}`,
			wantCT:   Text,
		},
		{
			name:    "invalid base64",
			header:  header("Content-Type", "application/octet-stream", "Content-Encoding", "base64"),
			body:    []byte("aGVsbG8"),
			wantErr: &Error{Kind: InvalidBody, Message: "Content-Encoding is base64 but the body is not valid base64: illegal base64 data at input byte 4"},
		},
		{
			name:    "base64 text that is not UTF-8",
			header:  header("Content-Type", "text/plain", "Content-Encoding", "base64"),
			body:    []byte(b64([]byte{0xff, 0xfe})),
			wantErr: &Error{Kind: InvalidBody, Message: "text body is not valid UTF-8: send binary data as application/octet-stream"},
		},
		{
			name:    "base64 JSON that is not JSON",
			header:  header("Content-Type", "application/json", "Content-Encoding", "base64"),
			body:    []byte(b64([]byte("nope"))),
			wantErr: &Error{Kind: InvalidBody, Message: "invalid JSON in request body: invalid character 'o' in literal null (expecting 'u')"},
		},
		{
			name:     "identity encoding",
			header:   header("Content-Type", "text/plain", "Content-Encoding", "identity"),
			body:     []byte("aGk="),
			wantLine: `{"content_type":"text","data":"aGk="}`,
			wantCT:   Text,
		},
		{
			name:     "identity encoding upper case",
			header:   header("Content-Type", "text/plain", "Content-Encoding", "IDENTITY"),
			body:     []byte("aGk="),
			wantLine: `{"content_type":"text","data":"aGk="}`,
			wantCT:   Text,
		},
		{
			name:     "empty encoding is identity",
			header:   header("Content-Type", "text/plain", "Content-Encoding", ""),
			body:     []byte("aGk="),
			wantLine: `{"content_type":"text","data":"aGk="}`,
			wantCT:   Text,
		},
		{
			name:    "repeated encoding",
			header:  header("Content-Type", "text/plain", "Content-Encoding", "base64", "Content-Encoding", "base64"),
			body:    []byte("aGk="),
			wantErr: &Error{Kind: BadContentEncoding, Message: "repeated Content-Encoding header: send at most one (base64)"},
		},
		{
			name:    "comma-listed encodings",
			header:  header("Content-Type", "text/plain", "Content-Encoding", "base64, identity"),
			body:    []byte("aGk="),
			wantErr: &Error{Kind: BadContentEncoding, Message: "repeated Content-Encoding header: send at most one (base64)"},
		},
		{
			name:    "unsupported encoding",
			header:  header("Content-Type", "application/json", "Content-Encoding", "gzip"),
			body:    []byte("{}"),
			wantErr: &Error{Kind: BadContentEncoding, Message: `unsupported Content-Encoding "gzip": only base64 is supported`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decode(tt.header, tt.body, tt.opts)
			if diff := cmp.Diff(tt.wantErr, err); diff != "" {
				t.Fatalf("Decode error mismatch (-want +got):\n%s", diff)
			}
			if err != nil {
				if got != nil {
					t.Errorf("Decode returned input %+v along with error %v", got, err)
				}
				return
			}
			if got.ContentType != tt.wantCT {
				t.Errorf("ContentType = %q, want %q", got.ContentType, tt.wantCT)
			}
			if tt.wantLine != "" {
				if diff := cmp.Diff(tt.wantLine, string(got.Line)); diff != "" {
					t.Errorf("Line mismatch (-want +got):\n%s", diff)
				}
			}
			w := checkLine(t, got.Line, tt.wantCT)
			switch want := tt.wantData.(type) {
			case nil:
			case string:
				var data string
				if err := json.Unmarshal(w.Data, &data); err != nil {
					t.Fatalf("data is not a JSON string: %v: %s", err, w.Data)
				}
				if diff := cmp.Diff(want, data); diff != "" {
					t.Errorf("decoded data mismatch (-want +got):\n%s", diff)
				}
			case []byte:
				var data []byte // encoding/json decodes base64 into []byte
				if err := json.Unmarshal(w.Data, &data); err != nil {
					t.Fatalf("data is not a base64 JSON string: %v: %s", err, w.Data)
				}
				if diff := cmp.Diff(want, data); diff != "" {
					t.Errorf("decoded data mismatch (-want +got):\n%s", diff)
				}
			default:
				t.Fatalf("bad wantData type %T", want)
			}
		})
	}
}

// TestDecodeDoesNotModifyBody guards the splice: JSON compaction and base64
// decoding must work on copies, not on the caller's buffer.
func TestDecodeDoesNotModifyBody(t *testing.T) {
	tests := []struct {
		name   string
		header http.Header
		body   string
	}{
		{"json", header("Content-Type", "application/json"), "{ \"a\" : 1 }\n"},
		{"base64", header("Content-Type", "application/octet-stream", "Content-Encoding", "base64"), " aGk= \n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := []byte(tt.body)
			if _, err := Decode(tt.header, body, Options{}); err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if diff := cmp.Diff(tt.body, string(body)); diff != "" {
				t.Errorf("body changed (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDecodeJSONMustBeUTF8 documents a known bug: json.Compact does not
// validate UTF-8, so a JSON body with invalid UTF-8 inside a string passes
// Decode and reaches the runner, whose json.loads then fails. The package
// promises that nothing undecodable reaches a runner.
func TestDecodeJSONMustBeUTF8(t *testing.T) {
	in, err := Decode(header("Content-Type", "application/json"), []byte("\"caf\xe9\""), Options{})
	if err == nil {
		t.Fatalf("Decode accepted JSON with invalid UTF-8: line %q", in.Line)
	}
	if err.Kind != InvalidBody {
		t.Errorf("Kind = %v, want InvalidBody", err.Kind)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add("application/json", "", []byte("{\n \"a\": [1, 2]\n}"), false)
	f.Add("application/json", "base64", []byte("eyJhIjogMX0="), false)
	f.Add("application/json", "", []byte(`{"a":}`), false)
	f.Add("text/plain; charset=utf-8", "", []byte("line1\nline2 \"q\" é \x00"), false)
	f.Add("text/plain", "", []byte("\xff"), false)
	f.Add("application/text", "base64", []byte("aGk=\n"), false)
	f.Add("application/octet-stream", "", []byte{0, 1, 2, 0xff, '\n'}, false)
	f.Add("application/x-www-form-urlencoded", "identity", []byte("a=1"), true)
	f.Add("application/x-www-form-urlencoded", "", []byte("a=1"), false)
	f.Add("", "", []byte("x"), false)
	f.Add("text/", "", []byte("x"), false)
	f.Add("application/json", "gzip", []byte("{}"), false)
	f.Add("application/json", "base64,identity", []byte("{}"), false)
	f.Fuzz(func(t *testing.T, contentType, encoding string, body []byte, anyApp bool) {
		h := make(http.Header)
		if contentType != "" {
			h.Set("Content-Type", contentType)
		}
		if encoding != "" {
			h.Set("Content-Encoding", encoding)
		}
		opts := Options{AnyApplicationIsBinary: anyApp}
		orig := bytes.Clone(body)
		in, err := Decode(h, body, opts)
		if !bytes.Equal(body, orig) {
			t.Fatalf("Decode modified its body: %q became %q", orig, body)
		}
		if err != nil {
			if in != nil {
				t.Fatalf("Decode returned both %+v and error %v", in, err)
			}
			if err.Kind < MissingContentType || err.Kind > InvalidBody || err.Message == "" {
				t.Fatalf("bad error %#v", err)
			}
			return
		}
		wantCT, ctErr := ContentType(contentType, opts)
		if ctErr != nil {
			t.Fatalf("Decode succeeded but ContentType(%q) fails: %v", contentType, ctErr)
		}
		if in.ContentType != wantCT {
			t.Fatalf("ContentType = %q, want %q", in.ContentType, wantCT)
		}
		w := checkLine(t, in.Line, wantCT)

		// The data must carry the body (decoded first when base64).
		payload := body
		if strings.EqualFold(strings.TrimSpace(encoding), "base64") {
			decoded, derr := base64.StdEncoding.DecodeString(string(bytes.TrimSpace(body)))
			if derr != nil {
				t.Fatalf("Decode accepted invalid base64 %q: %v", body, derr)
			}
			payload = decoded
		}
		switch wantCT {
		case Text:
			var s string
			if err := json.Unmarshal(w.Data, &s); err != nil {
				t.Fatalf("text data is not a JSON string: %v", err)
			}
			if !utf8.Valid(payload) || s != string(payload) {
				t.Fatalf("text data = %q, want %q", s, payload)
			}
		case Binary:
			var b []byte
			if err := json.Unmarshal(w.Data, &b); err != nil {
				t.Fatalf("binary data is not base64: %v", err)
			}
			if !bytes.Equal(b, payload) {
				t.Fatalf("binary data = %q, want %q", b, payload)
			}
		case JSON:
			var compact bytes.Buffer
			if err := json.Compact(&compact, payload); err != nil {
				t.Fatalf("Decode accepted invalid JSON %q: %v", payload, err)
			}
			if !bytes.Equal(w.Data, compact.Bytes()) {
				t.Fatalf("json data = %s, want %s", w.Data, compact.Bytes())
			}
		}
	})
}
