package input

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"
)

// The content types a runner understands.
const (
	Text   = "text"
	JSON   = "json"
	Binary = "binary"
)

// Kind classifies an Error so each API can pick its status code.
type Kind int

// The kinds of Error.
const (
	// MissingContentType: the request has no Content-Type.
	MissingContentType Kind = iota + 1
	// UnsupportedContentType: the Content-Type maps to no runner content type.
	UnsupportedContentType
	// BadContentEncoding: Content-Encoding is repeated or not supported.
	BadContentEncoding
	// InvalidBody: the body does not match its declared type.
	InvalidBody
)

// Error says precisely why a request body cannot become runner input.
type Error struct {
	Kind    Kind
	Message string
}

func (e *Error) Error() string { return e.Message }

func errorf(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// Options adjusts the Content-Type mapping.
type Options struct {
	// AnyApplicationIsBinary maps every application/* type that is not
	// JSON or text to binary, as the original single-algorithm LangServer
	// did (so curl's default application/x-www-form-urlencoded works).
	AnyApplicationIsBinary bool
}

// Input is a decoded request: its runner content type and the stdin line
// {"content_type":...,"data":...} without the trailing newline.
type Input struct {
	ContentType string
	Line        []byte
}

// ContentType maps a Content-Type header value to a runner content type.
// Parameters such as charset are ignored.
func ContentType(header string, opts Options) (string, *Error) {
	if strings.TrimSpace(header) == "" {
		return "", errorf(MissingContentType, "missing Content-Type header: use application/json, text/plain or application/octet-stream")
	}
	mediaType, _, err := mime.ParseMediaType(header)
	if err != nil {
		return "", errorf(UnsupportedContentType, "malformed Content-Type %q: %v", header, err)
	}
	switch {
	case mediaType == "application/json":
		return JSON, nil
	case mediaType == "text/plain", mediaType == "application/text":
		return Text, nil
	case mediaType == "application/octet-stream":
		return Binary, nil
	case opts.AnyApplicationIsBinary && strings.HasPrefix(mediaType, "application/"):
		return Binary, nil
	}
	return "", errorf(UnsupportedContentType, "unsupported Content-Type %q: use application/json, text/plain or application/octet-stream", mediaType)
}

// base64Encoded reports whether the request declares Content-Encoding:
// base64. Only base64 and identity are known; a repeated header or a list
// of encodings is an error.
func base64Encoded(h http.Header) (bool, *Error) {
	values := h.Values("Content-Encoding")
	switch {
	case len(values) == 0:
		return false, nil
	case len(values) > 1 || strings.Contains(values[0], ","):
		return false, errorf(BadContentEncoding, "repeated Content-Encoding header: send at most one (base64)")
	}
	switch enc := strings.ToLower(strings.TrimSpace(values[0])); enc {
	case "base64":
		return true, nil
	case "identity", "":
		return false, nil
	default:
		return false, errorf(BadContentEncoding, "unsupported Content-Encoding %q: only base64 is supported", values[0])
	}
}

// Decode validates body against the request's Content-Type and
// Content-Encoding and returns the runner input. JSON bodies are compacted
// and spliced into the line without being decoded. A base64 body is
// decoded first, whatever its type (base64 with line breaks is fine).
func Decode(h http.Header, body []byte, opts Options) (*Input, *Error) {
	ct, ierr := ContentType(h.Get("Content-Type"), opts)
	if ierr != nil {
		return nil, ierr
	}
	encoded, ierr := base64Encoded(h)
	if ierr != nil {
		return nil, ierr
	}
	if encoded {
		decoded, err := base64.StdEncoding.DecodeString(string(bytes.TrimSpace(body)))
		if err != nil {
			return nil, errorf(InvalidBody, "Content-Encoding is base64 but the body is not valid base64: %v", err)
		}
		body = decoded
	}
	switch ct {
	case JSON:
		if !utf8.Valid(body) {
			return nil, errorf(InvalidBody, "JSON body is not valid UTF-8")
		}
		var buf bytes.Buffer
		buf.Grow(len(body))
		if err := json.Compact(&buf, body); err != nil {
			return nil, errorf(InvalidBody, "invalid JSON in request body: %v", err)
		}
		return &Input{ContentType: JSON, Line: line(JSON, buf.Bytes())}, nil
	case Text:
		if !utf8.Valid(body) {
			return nil, errorf(InvalidBody, "text body is not valid UTF-8: send binary data as application/octet-stream")
		}
		data, err := json.Marshal(string(body))
		if err != nil {
			return nil, errorf(InvalidBody, "encoding text body: %v", err)
		}
		return &Input{ContentType: Text, Line: line(Text, data)}, nil
	default:
		encodedBody := make([]byte, base64.StdEncoding.EncodedLen(len(body)))
		base64.StdEncoding.Encode(encodedBody, body)
		return &Input{ContentType: Binary, Line: line(Binary, quoted(encodedBody))}, nil
	}
}

// quoted wraps base64 text, which needs no escaping, in JSON quotes.
func quoted(b64 []byte) []byte {
	out := make([]byte, 0, len(b64)+2)
	out = append(out, '"')
	out = append(out, b64...)
	return append(out, '"')
}

func line(contentType string, data []byte) []byte {
	out := make([]byte, 0, len(data)+len(contentType)+30)
	out = append(out, `{"content_type":"`...)
	out = append(out, contentType...)
	out = append(out, `","data":`...)
	out = append(out, data...)
	return append(out, '}')
}
