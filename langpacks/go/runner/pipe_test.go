package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type typedError struct{ msg string }

func (e typedError) Error() string     { return e.msg }
func (e typedError) ErrorType() string { return "TypedError" }

// echo returns its input, fails on "fail", wraps a typed error on "typed"
// and panics on "panic".
func echo(input interface{}) (interface{}, error) {
	switch input {
	case "fail":
		return nil, errors.New("plain failure")
	case "typed":
		return nil, fmt.Errorf("wrapped: %w", typedError{"typed failure"})
	case "panic":
		panic("boom")
	}
	return input, nil
}

func decode(t *testing.T, payload []byte) map[string]interface{} {
	t.Helper()
	if len(payload) == 0 || payload[len(payload)-1] != '\n' || strings.Count(string(payload), "\n") != 1 {
		t.Fatalf("response is not one line: %q", payload)
	}
	var out map[string]interface{}
	if err := json.Unmarshal(payload, &out); err != nil {
		t.Fatalf("response %q: %v", payload, err)
	}
	return out
}

func TestHandle(t *testing.T) {
	tests := []struct {
		name, line string
		want       map[string]interface{}
	}{
		{"text", `{"content_type":"text","data":"a<b"}`,
			map[string]interface{}{"result": "a<b", "metadata": map[string]interface{}{"content_type": "text"}}},
		{"json string is text", `{"content_type":"json","data":"s"}`,
			map[string]interface{}{"result": "s", "metadata": map[string]interface{}{"content_type": "text"}}},
		{"json object", `{"content_type":"json","data":{"a":[1,true,null]},"extra":1}`,
			map[string]interface{}{"result": map[string]interface{}{"a": []interface{}{1.0, true, nil}}, "metadata": map[string]interface{}{"content_type": "json"}}},
		{"json null", `{"content_type":"json","data":null}`,
			map[string]interface{}{"result": nil, "metadata": map[string]interface{}{"content_type": "json"}}},
		{"binary", `{"content_type":"binary","data":"AAH/"}`,
			map[string]interface{}{"result": "AAH/", "metadata": map[string]interface{}{"content_type": "binary"}}},
		{"plain error", `{"content_type":"text","data":"fail"}`,
			map[string]interface{}{"error": map[string]interface{}{"message": "plain failure", "error_type": "AlgorithmError"}}},
		{"typed error", `{"content_type":"text","data":"typed"}`,
			map[string]interface{}{"error": map[string]interface{}{"message": "wrapped: typed failure", "error_type": "TypedError"}}},
		{"bad base64", `{"content_type":"binary","data":"!"}`,
			map[string]interface{}{"error": map[string]interface{}{"message": "invalid request: illegal base64 data at input byte 0", "error_type": "SystemError"}}},
		{"unknown content type", `{"content_type":"xml","data":"x"}`,
			map[string]interface{}{"error": map[string]interface{}{"message": `invalid request: unknown content_type "xml"`, "error_type": "SystemError"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, decode(t, handle(echo, []byte(tt.line)))); diff != "" {
				t.Errorf("handle(%s) (-want +got):\n%s", tt.line, diff)
			}
		})
	}
}

func TestHandlePanic(t *testing.T) {
	got := decode(t, handle(echo, []byte(`{"content_type":"text","data":"panic"}`)))
	body, _ := got["error"].(map[string]interface{})
	if body["message"] != "boom" || body["error_type"] != "AlgorithmError" {
		t.Errorf("panic response: %v", got)
	}
	if stack, _ := body["stacktrace"].(string); !strings.Contains(stack, ".echo(") {
		t.Errorf("stacktrace does not name the panicking function:\n%s", stack)
	}
}

func TestHandleUnencodableResult(t *testing.T) {
	got := decode(t, handle(func(interface{}) (interface{}, error) { return make(chan int), nil }, []byte(`{"content_type":"json","data":1}`)))
	body, _ := got["error"].(map[string]interface{})
	if msg, _ := body["message"].(string); !strings.HasPrefix(msg, "result is not JSON serializable") {
		t.Errorf("response: %v", got)
	}
}

func TestServe(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "algoout")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	// A response may share one open of the FIFO with the next one, as it
	// does with the server's reader: read until both lines have come.
	received := make(chan string, 1)
	go func() {
		var all string
		for strings.Count(all, "\n") < 2 {
			data, err := os.ReadFile(fifo)
			if err != nil {
				t.Error(err)
				break
			}
			all += string(data)
		}
		received <- all
	}()
	requests := strings.NewReader("{\"content_type\":\"text\",\"data\":\"a\"}\n\n{\"content_type\":\"json\",\"data\":2}")
	if err := serve(echo, requests, fifo); err != nil {
		t.Fatal(err)
	}
	want := `{"result":"a","metadata":{"content_type":"text"}}` + "\n" +
		`{"result":2,"metadata":{"content_type":"json"}}` + "\n"
	if got := <-received; got != want {
		t.Errorf("responses %q, want %q", got, want)
	}
}
