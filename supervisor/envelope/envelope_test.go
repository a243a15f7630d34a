package envelope

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/langserver/langserver/sdk"
)

func ptr(s string) *string { return &s }

func TestSuccess(t *testing.T) {
	tests := []struct {
		name   string
		result string
		md     Metadata
		want   string
	}{
		{
			name:   "unusual spacing is kept byte for byte",
			result: "{ \"a\" :  [1,2 ,3],\n\t\"b\":{} }",
			md:     Metadata{ContentType: "json", Duration: 0.5},
			want:   "{\"result\":{ \"a\" :  [1,2 ,3],\n\t\"b\":{} },\"metadata\":{\"content_type\":\"json\",\"duration\":0.5}}",
		},
		{
			name:   "big number keeps its digits",
			result: "12345678901234567890",
			md:     Metadata{ContentType: "json", Duration: 1},
			want:   `{"result":12345678901234567890,"metadata":{"content_type":"json","duration":1}}`,
		},
		{
			name:   "number precision and exponent are kept",
			result: "1.10000000000000000001e+400",
			md:     Metadata{ContentType: "json"},
			want:   `{"result":1.10000000000000000001e+400,"metadata":{"content_type":"json","duration":0}}`,
		},
		{
			name:   "string escapes are not re-encoded",
			result: `"\u00e9<\/a>"`,
			md:     Metadata{ContentType: "text", Duration: 0.25},
			want:   `{"result":"\u00e9<\/a>","metadata":{"content_type":"text","duration":0.25}}`,
		},
		{
			name:   "output is included",
			result: "null",
			md:     Metadata{ContentType: "json", Duration: 2}.WithOutput([]byte("hi\n"), nil),
			want:   `{"result":null,"metadata":{"content_type":"json","duration":2,"stdout":"hi\n","stderr":""}}`,
		},
		{
			name:   "no content type",
			result: "[]",
			md:     Metadata{Duration: 0.125},
			want:   `{"result":[],"metadata":{"duration":0.125}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Success(json.RawMessage(tt.result), tt.md)
			if diff := cmp.Diff(tt.want, string(got)); diff != "" {
				t.Errorf("Success mismatch (-want +got):\n%s", diff)
			}
			if !json.Valid(got) {
				t.Errorf("Success produced invalid JSON: %s", got)
			}
		})
	}
}

func TestFailure(t *testing.T) {
	tests := []struct {
		name string
		err  Error
		md   *Metadata
		want string
	}{
		{
			name: "without metadata",
			err:  Error{Message: "boom", ErrorType: "ValueError", Stacktrace: "Traceback..."},
			want: `{"error":{"message":"boom","error_type":"ValueError","stacktrace":"Traceback..."}}`,
		},
		{
			name: "with metadata",
			err:  Error{Message: "died", ErrorType: SystemExit},
			md:   &Metadata{Duration: 1.5, Stdout: ptr("out"), Stderr: ptr("err <&>")},
			want: `{"error":{"message":"died","error_type":"SystemExit"},"metadata":{"duration":1.5,"stdout":"out","stderr":"err \u003c\u0026\u003e"}}`,
		},
		{
			name: "system error uses type",
			err:  Error{Type: SystemError, Message: "bad request"},
			want: `{"error":{"message":"bad request","type":"SystemError"}}`,
		},
		{
			name: "empty message is still present",
			err:  Error{},
			md:   &Metadata{},
			want: `{"error":{"message":""},"metadata":{"duration":0}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Failure(tt.err, tt.md)
			if diff := cmp.Diff(tt.want, string(got)); diff != "" {
				t.Errorf("Failure mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestOutcome(t *testing.T) {
	md := Metadata{ContentType: "stale", Duration: 0.5}.WithOutput([]byte("o"), []byte("e"))
	tests := []struct {
		name string
		resp *sdk.CallResponse
		want string
	}{
		{
			name: "result takes the response's content type",
			resp: &sdk.CallResponse{Result: json.RawMessage(`{"n": 12345678901234567890}`), ContentType: "json"},
			want: `{"result":{"n": 12345678901234567890},"metadata":{"content_type":"json","duration":0.5,"stdout":"o","stderr":"e"}}`,
		},
		{
			name: "binary result",
			resp: &sdk.CallResponse{Result: json.RawMessage(`"AAE="`), ContentType: "binary"},
			want: `{"result":"AAE=","metadata":{"content_type":"binary","duration":0.5,"stdout":"o","stderr":"e"}}`,
		},
		{
			name: "algorithm error keeps its type and stacktrace",
			resp: &sdk.CallResponse{Error: &sdk.AlgorithmError{Message: "bad input", ErrorType: "ValueError", Stacktrace: "tb"}, ContentType: "json"},
			want: `{"error":{"message":"bad input","error_type":"ValueError","stacktrace":"tb"},"metadata":{"duration":0.5,"stdout":"o","stderr":"e"}}`,
		},
		{
			name: "algorithm error without type is AlgorithmError",
			resp: &sdk.CallResponse{Error: &sdk.AlgorithmError{Message: "oops"}},
			want: `{"error":{"message":"oops","error_type":"AlgorithmError"},"metadata":{"duration":0.5,"stdout":"o","stderr":"e"}}`,
		},
		{
			name: "runner failure is SystemExit",
			resp: &sdk.CallResponse{Failure: &sdk.RunnerFailure{Kind: sdk.FailureExited, Message: "runner exited with code 1", ExitCode: 1}},
			want: `{"error":{"message":"runner exited with code 1","error_type":"SystemExit"},"metadata":{"duration":0.5,"stdout":"o","stderr":"e"}}`,
		},
		{
			name: "runner failure wins over an algorithm error",
			resp: &sdk.CallResponse{
				Failure: &sdk.RunnerFailure{Kind: sdk.FailureTimeout, Message: "timed out"},
				Error:   &sdk.AlgorithmError{Message: "ignored"},
			},
			want: `{"error":{"message":"timed out","error_type":"SystemExit"},"metadata":{"duration":0.5,"stdout":"o","stderr":"e"}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Outcome(tt.resp, md)
			if diff := cmp.Diff(tt.want, string(got)); diff != "" {
				t.Errorf("Outcome mismatch (-want +got):\n%s", diff)
			}
			if !json.Valid(got) {
				t.Errorf("Outcome produced invalid JSON: %s", got)
			}
		})
	}
	if md.ContentType != "stale" {
		t.Errorf("Outcome changed the caller's metadata: ContentType = %q", md.ContentType)
	}
}

func TestWithOutput(t *testing.T) {
	tests := []struct {
		name           string
		stdout, stderr []byte
		want           string
	}{
		{"both", []byte("line1\nline2\n"), []byte("warn\n"), `{"duration":3,"stdout":"line1\nline2\n","stderr":"warn\n"}`},
		{"nil output is an empty string, not omitted", nil, nil, `{"duration":3,"stdout":"","stderr":""}`},
		{"invalid UTF-8 becomes replacement characters", []byte("a\xffb"), []byte{}, `{"duration":3,"stdout":"a\ufffdb","stderr":""}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := Metadata{Duration: 3}
			got := base.WithOutput(tt.stdout, tt.stderr)
			if base.Stdout != nil || base.Stderr != nil {
				t.Errorf("WithOutput modified its receiver: %+v", base)
			}
			b, err := json.Marshal(got)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, string(b)); diff != "" {
				t.Errorf("metadata mismatch (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("output is copied", func(t *testing.T) {
		out := []byte("abc")
		md := Metadata{}.WithOutput(out, out)
		out[0] = 'X'
		if *md.Stdout != "abc" || *md.Stderr != "abc" {
			t.Errorf("metadata shares the caller's buffer: stdout %q stderr %q", *md.Stdout, *md.Stderr)
		}
	})
}
