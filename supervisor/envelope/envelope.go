package envelope

import (
	"encoding/json"
	"fmt"

	"github.com/langserver/langserver/sdk"
)

// Error types the server itself reports.
const (
	// SystemExit: the runner died or broke the protocol during a request.
	SystemExit = "SystemExit"
	// AlgorithmError is the default error_type of an algorithm's error.
	AlgorithmError = "AlgorithmError"
	// SystemError is the "type" of the single-algorithm server's own errors.
	SystemError = "SystemError"
)

// Metadata is the "metadata" object of a call's response.
type Metadata struct {
	ContentType string  `json:"content_type,omitempty"`
	Duration    float64 `json:"duration"`
	Stdout      *string `json:"stdout,omitempty"`
	Stderr      *string `json:"stderr,omitempty"`
}

// WithOutput returns md with stdout and stderr set.
func (md Metadata) WithOutput(stdout, stderr []byte) Metadata {
	out, errOut := string(stdout), string(stderr)
	md.Stdout, md.Stderr = &out, &errOut
	return md
}

// Error is the "error" object of a response.
type Error struct {
	Message    string `json:"message"`
	ErrorType  string `json:"error_type,omitempty"`
	Stacktrace string `json:"stacktrace,omitempty"`
	// Type is used by the single-algorithm server's own errors, as the
	// original LangServer did.
	Type string `json:"type,omitempty"`
}

type errorBody struct {
	Error    Error     `json:"error"`
	Metadata *Metadata `json:"metadata,omitempty"`
}

// Success returns {"result": result, "metadata": md} with result spliced in
// (null when result is empty).
func Success(result json.RawMessage, md Metadata) []byte {
	if len(result) == 0 {
		result = json.RawMessage("null")
	}
	meta, err := json.Marshal(md)
	if err != nil {
		panic(fmt.Sprintf("envelope: marshalling metadata: %v", err))
	}
	out := make([]byte, 0, len(result)+len(meta)+25)
	out = append(out, `{"result":`...)
	out = append(out, result...)
	out = append(out, `,"metadata":`...)
	out = append(out, meta...)
	return append(out, '}')
}

// Failure returns {"error": e} with md as "metadata" when it is not nil.
func Failure(e Error, md *Metadata) []byte {
	out, err := json.Marshal(errorBody{Error: e, Metadata: md})
	if err != nil {
		panic(fmt.Sprintf("envelope: marshalling error: %v", err))
	}
	return out
}

// Outcome is the envelope of a finished call: the result when it
// succeeded, the algorithm's error when it raised one, and a SystemExit
// error when its runner failed. The caller completes md's duration and
// output; the result's content type is filled in here.
func Outcome(resp *sdk.CallResponse, md Metadata) []byte {
	switch {
	case resp.Failure != nil:
		md.ContentType = ""
		return Failure(Error{Message: resp.Failure.Message, ErrorType: SystemExit}, &md)
	case resp.Error != nil:
		md.ContentType = ""
		errType := resp.Error.ErrorType
		if errType == "" {
			errType = AlgorithmError
		}
		return Failure(Error{Message: resp.Error.Message, ErrorType: errType, Stacktrace: resp.Error.Stacktrace}, &md)
	default:
		md.ContentType = resp.ContentType
		return Success(resp.Result, md)
	}
}
