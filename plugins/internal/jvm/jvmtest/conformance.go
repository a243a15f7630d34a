package jvmtest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/langserver/langserver/sdk"
)

// Suite describes a JVM LangPack to the checks of Run.
type Suite struct {
	// Example is the folder of the LangPack's conformance example.
	Example string
	// Source is a source file of the example, relative to it, that
	// CompileFailure replaces by Broken; Complaint is a part of what the
	// compiler says about it.
	Source, Broken, Complaint string
	// Setting is the LangPack setting that names the compiler, and Install
	// a part of the message when it is missing (the Debian packages).
	Setting, Install string
}

// Run runs Conformance, CompileFailure and MissingRuntime as subtests,
// each on a new LangPack made by newLangPack.
func Run[L sdk.LangPack](t *testing.T, newLangPack func() L, s Suite) {
	t.Run("Conformance", func(t *testing.T) { Conformance(t, newLangPack(), s.Example) })
	t.Run("CompileFailure", func(t *testing.T) { CompileFailure(t, newLangPack(), s.Example, s.Source, s.Broken, s.Complaint) })
	t.Run("MissingRuntime", func(t *testing.T) { MissingRuntime(t, newLangPack(), s.Setting, s.Install) })
}

// Conformance copies the example algorithm folder (examples/<lang>/
// conformance) into a temporary folder that was never built, has lp build
// and test nothing there but start a runner on it (which compiles it
// first), and checks each behaviour the conformance examples share.
func Conformance(t *testing.T, lp sdk.LangPack, example string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	setupOrSkip(ctx, t, lp)
	start, err := lp.StartRunner(ctx, &sdk.StartRunnerRequest{Dir: freshCopy(t, example)})
	if err != nil {
		t.Fatal(err)
	}
	if start.LoadFailure != nil {
		t.Fatalf("load failure: %s\n%s", start.LoadFailure.Message, start.LoadFailure.Output)
	}
	defer lp.StopRunner(context.Background(), &sdk.StopRunnerRequest{RunnerID: start.RunnerID})

	call := func(contentType string, data any) *sdk.CallResponse {
		t.Helper()
		input, err := json.Marshal(map[string]any{"content_type": contentType, "data": data})
		if err != nil {
			t.Fatal(err)
		}
		resp, err := lp.Call(ctx, &sdk.CallRequest{RunnerID: start.RunnerID, Input: input}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	expect := func(name string, resp *sdk.CallResponse, contentType, result string) {
		t.Helper()
		if resp.Error != nil || resp.Failure != nil {
			t.Errorf("%s: error %+v, failure %+v", name, resp.Error, resp.Failure)
			return
		}
		if resp.ContentType != contentType || !jsonEqual(resp.Result, result) {
			t.Errorf("%s: %s %s; want %s %s", name, resp.ContentType, resp.Result, contentType, result)
		}
	}

	expect("text", call("text", "algorithmia"), "text", `"hello algorithmia"`)
	expect("JSON string", call("json", "world"), "text", `"hello world"`)
	for _, v := range []string{`{"a":[1,2.5,null,true],"b":{"c":"d"}}`, `[]`, `42`, `-1.25`, `true`, `null`} {
		expect("JSON "+v, call("json", json.RawMessage(v)), "json", v)
	}
	bytes := base64.StdEncoding.EncodeToString([]byte{0, 1, 2, 0xfe, 0xff})
	expect("binary", call("binary", bytes), "binary", `"`+bytes+`"`)

	printed := call("text", "print")
	expect("print", printed, "text", `"printed"`)
	if !strings.Contains(string(printed.Stdout), "to stdout\n") || string(printed.Stderr) != "to stderr\n" {
		t.Errorf("print: stdout %q, stderr %q", printed.Stdout, printed.Stderr)
	}

	failed := call("text", "fail")
	if e := failed.Error; e == nil || e.Message != "conformance failure" || e.ErrorType != "ConformanceError" ||
		!strings.Contains(e.Stacktrace, "conformance") {
		t.Errorf("fail: %+v; want a ConformanceError with a stack trace", failed.Error)
	}

	pid := call("text", "pid")
	expect("pid", pid, "json", string(pid.Result))
	expect("pid again", call("text", "pid"), "json", string(pid.Result))
	if string(pid.Result) != jsonNumber(start.PID) {
		t.Errorf("pid = %s; want the runner's %d", pid.Result, start.PID)
	}

	crashed := call("text", "crash")
	if f := crashed.Failure; f == nil || f.Kind != sdk.FailureExited || f.ExitCode != 3 {
		t.Errorf("crash: failure %+v; want an exit with code 3", crashed.Failure)
	}
}

// CompileFailure checks that a runner of the example algorithm folder, its
// source file (relative to the folder) replaced by broken, fails to load
// with a message that carries the compiler's complaint, want.
func CompileFailure(t *testing.T, lp sdk.LangPack, example, file, broken, want string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	setupOrSkip(ctx, t, lp)
	dir := freshCopy(t, example)
	if err := os.WriteFile(filepath.Join(dir, file), []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	start, err := lp.StartRunner(ctx, &sdk.StartRunnerRequest{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if start.LoadFailure == nil {
		lp.StopRunner(ctx, &sdk.StopRunnerRequest{RunnerID: start.RunnerID})
		t.Fatal("a broken algorithm loaded")
	}
	if !strings.Contains(start.LoadFailure.Message, want) {
		t.Errorf("load failure %q; want the compiler's %q", start.LoadFailure.Message, want)
	}
}

// setupOrSkip sets lp up, and skips the test when its runtime is missing.
func setupOrSkip(ctx context.Context, t *testing.T, lp sdk.LangPack) {
	t.Helper()
	setup, err := lp.Setup(ctx, &sdk.SetupRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if !setup.Runtime.Found {
		t.Skip(setup.Runtime.Message)
	}
}

// freshCopy copies the algorithm folder example into a temporary folder,
// without what a build left in it.
func freshCopy(t *testing.T, example string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(example)); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(dir, ".langserver")); err != nil {
		t.Fatal(err)
	}
	return dir
}

func jsonNumber(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// jsonEqual reports whether the JSON texts a and b hold the same value.
func jsonEqual(a []byte, b string) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return string(xa) == string(ya)
}

// MissingRuntime checks that lp, its setting pointed at a file that does
// not exist, reports its runtime missing with a message that contains want
// (the Debian packages to install).
func MissingRuntime(t *testing.T, lp sdk.LangPack, setting, want string) {
	t.Helper()
	resp, err := lp.Setup(context.Background(), &sdk.SetupRequest{Settings: map[string]string{setting: "/nonexistent/" + setting}})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Runtime.Found || !strings.Contains(resp.Runtime.Message, want) {
		t.Errorf("runtime %+v; want not found, with %q", resp.Runtime, want)
	}
}
