package pipe

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// Response is a runner's answer to one request.
type Response struct {
	// Result is the "result" value, verbatim, when the runner succeeded.
	Result json.RawMessage
	// ContentType is metadata.content_type, passed through even when it is
	// not one of "text", "json" and "binary".
	ContentType string
	// Error is set instead of Result when the runner answered
	// {"error": {...}}.
	Error *AlgorithmError
	// Stdout is the request's stdout and stderr, merged in arrival order.
	Stdout []byte
	// Stderr is the request's stderr alone.
	Stderr []byte
}

const expectedShape = `expected {"result":..., "metadata":{"content_type":...}} or {"error":{...}}`

// parseResponse validates one JSON object read from the FIFO. It returns
// the response, or the reason it is not a valid one. The response does not
// keep v.
func parseResponse(v []byte) (*Response, string) {
	if !json.Valid(v) {
		err := json.Unmarshal(v, new(any))
		return nil, fmt.Sprintf("not valid JSON (%v), got %s", err, excerpt(v))
	}
	var result, errValue, meta []byte
	forEachMember(v, func(name, value []byte) {
		switch string(name) {
		case "result":
			result = value
		case "error":
			errValue = value
		case "metadata":
			meta = value
		}
	})
	var problem string
	switch {
	case result != nil && errValue != nil:
		problem = `both "result" and "error"`
	case result != nil:
		var contentType []byte
		if isObject(meta) {
			forEachMember(meta, func(name, value []byte) {
				if string(name) == "content_type" {
					contentType = value
				}
			})
		}
		if !isString(contentType) {
			problem = `no "metadata" object with a string "content_type"`
			break
		}
		return &Response{Result: bytes.Clone(result), ContentType: text(contentType)}, ""
	case errValue != nil:
		if !isObject(errValue) {
			problem = `"error" is not an object`
			break
		}
		return &Response{Error: algorithmError(errValue)}, ""
	default:
		problem = `no "result" or "error"`
	}
	return nil, fmt.Sprintf("%s, got %s (%s)", expectedShape, excerpt(v), problem)
}

// algorithmError decodes the "error" object of a response.
func algorithmError(obj []byte) *AlgorithmError {
	var message, errorType, stacktrace []byte
	forEachMember(obj, func(name, value []byte) {
		switch string(name) {
		case "message":
			message = value
		case "error_type":
			errorType = value
		case "stacktrace":
			stacktrace = value
		}
	})
	e := &AlgorithmError{Message: text(message), ErrorType: "AlgorithmError", Stacktrace: text(stacktrace)}
	if isString(errorType) {
		e.ErrorType = text(errorType)
	}
	return e
}

// text returns a JSON string's value, the JSON text of any other value, or
// "" when raw is absent.
func text(raw []byte) string {
	if !isString(raw) {
		return string(raw)
	}
	if inner := raw[1 : len(raw)-1]; bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
		return string(inner)
	}
	var s string
	_ = json.Unmarshal(raw, &s) // raw is a valid JSON string
	return s
}

func isString(raw []byte) bool { return len(raw) > 0 && raw[0] == '"' }
func isObject(raw []byte) bool { return len(raw) > 0 && raw[0] == '{' }

// forEachMember calls fn with the name and the value's bytes of each member
// of obj, a valid JSON object, in order.
func forEachMember(obj []byte, fn func(name, value []byte)) {
	i := skipSpace(obj, 0) + 1 // past '{'
	for {
		i = skipSpace(obj, i)
		if obj[i] == '}' {
			return
		}
		end := stringEnd(obj, i)
		name := obj[i+1 : end-1]
		if bytes.IndexByte(name, '\\') >= 0 {
			name = []byte(text(obj[i:end]))
		}
		i = skipSpace(obj, end) + 1 // past ':'
		i = skipSpace(obj, i)
		end = valueEnd(obj, i)
		fn(name, obj[i:end])
		i = skipSpace(obj, end)
		if obj[i] == '}' {
			return
		}
		i++ // past ','
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// stringEnd returns the offset just past the valid JSON string at b[i].
func stringEnd(b []byte, i int) int {
	for i++; b[i] != '"'; i++ {
		if b[i] == '\\' {
			i++
		}
	}
	return i + 1
}

// valueEnd returns the offset just past the valid JSON value at b[i].
func valueEnd(b []byte, i int) int {
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for {
			switch b[i] {
			case '"':
				i = stringEnd(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
	}
	for i < len(b) && !isSpace(b[i]) && b[i] != ',' && b[i] != '}' && b[i] != ']' {
		i++
	}
	return i
}
