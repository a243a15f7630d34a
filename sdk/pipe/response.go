package pipe

import (
	"encoding/json"
	"errors"
	"fmt"
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

// parseResponse validates one JSON value read from the FIFO. It returns the
// response, or the reason it is not a valid one.
func parseResponse(v []byte) (*Response, string) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(v, &top); err != nil {
		var syntax *json.SyntaxError
		if errors.As(err, &syntax) {
			return nil, fmt.Sprintf("not valid JSON (%v), got %s", err, excerpt(v))
		}
		return nil, fmt.Sprintf("%s, got %s", expectedShape, excerpt(v))
	}
	result, hasResult := top["result"]
	errValue, hasError := top["error"]
	var problem string
	switch {
	case hasResult && hasError:
		problem = `both "result" and "error"`
	case hasResult:
		var meta map[string]json.RawMessage
		var contentType string
		if json.Unmarshal(top["metadata"], &meta) != nil || !isString(meta["content_type"]) ||
			json.Unmarshal(meta["content_type"], &contentType) != nil {
			problem = `no "metadata" object with a string "content_type"`
			break
		}
		return &Response{Result: result, ContentType: contentType}, ""
	case hasError:
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
func algorithmError(raw json.RawMessage) *AlgorithmError {
	var fields map[string]json.RawMessage
	_ = json.Unmarshal(raw, &fields) // raw is a valid JSON object
	e := &AlgorithmError{
		Message:    text(fields["message"]),
		ErrorType:  text(fields["error_type"]),
		Stacktrace: text(fields["stacktrace"]),
	}
	if !isString(fields["error_type"]) {
		e.ErrorType = "AlgorithmError"
	}
	return e
}

// text returns a JSON string's value, the JSON text of any other value, or
// "" when raw is absent.
func text(raw json.RawMessage) string {
	var s string
	if isString(raw) && json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

func isString(raw json.RawMessage) bool { return len(raw) > 0 && raw[0] == '"' }
func isObject(raw json.RawMessage) bool { return len(raw) > 0 && raw[0] == '{' }
