// Package __ALGO_NAME__ is the __ALGO_OWNER__/__ALGO_NAME__ algorithm.
package __ALGO_NAME__

import "fmt"

// Apply answers one request. input is a string for text, []byte for binary
// and the decoded JSON value (map[string]any, []any, float64, bool or nil)
// for JSON. Return a string (text), []byte (binary) or any value that
// encoding/json can marshal (JSON); return an error to report one.
func Apply(input any) (any, error) {
	if s, ok := input.(string); ok {
		return "hello " + s, nil
	}
	return fmt.Sprintf("hello %v", input), nil
}
