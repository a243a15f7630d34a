package sdk

import (
	"context"
	"encoding/json"
	"io/fs"
	"time"

	"github.com/langserver/langserver/sdk/pipe"
)

// LangPack is what an adapter implements and what the host calls. Every
// method takes a context first and a request struct, so requests can grow
// fields without breaking adapters. Methods that produce output while they
// run take an OutputFunc, called once per line as it arrives.
type LangPack interface {
	// Info describes the adapter. It must be cheap and must not fail for a
	// missing runtime: Setup reports that.
	Info(ctx context.Context, req *InfoRequest) (*InfoResponse, error)
	// Setup gives the adapter its settings (plain values, already decoded
	// by the host against InfoResponse.Settings) and asks it to locate its
	// runtime. A missing runtime is a Runtime with Found false and a Message
	// that says what to install, not an error.
	Setup(ctx context.Context, req *SetupRequest) (*SetupResponse, error)
	// Build installs what the algorithm in req.Dir declares.
	Build(ctx context.Context, req *StepRequest, out OutputFunc) (*StepResult, error)
	// Test runs the algorithm's tests.
	Test(ctx context.Context, req *StepRequest, out OutputFunc) (*StepResult, error)
	// Scaffold returns the files of a new algorithm.
	Scaffold(ctx context.Context, req *ScaffoldRequest) (*ScaffoldResponse, error)
	// StartRunner starts a runner for the algorithm in req.Dir and returns
	// once it is ready. A runner that fails to load is reported in
	// StartRunnerResponse.LoadFailure, not as an error.
	StartRunner(ctx context.Context, req *StartRunnerRequest) (*StartRunnerResponse, error)
	// Call runs one request on a runner. Runner failures (exit, protocol
	// fault, timeout) are reported in CallResponse.Failure; the error is for
	// transport problems and unknown runners (ErrUnknownRunner).
	Call(ctx context.Context, req *CallRequest, out OutputFunc) (*CallResponse, error)
	// StopRunner stops a runner: EOF on stdin, then a kill after a grace period.
	StopRunner(ctx context.Context, req *StopRunnerRequest) (*StopRunnerResponse, error)
	// RunnerEvents calls send for each runner that exits without being asked
	// to, until ctx is done or send fails.
	RunnerEvents(ctx context.Context, req *RunnerEventsRequest, send func(*RunnerEvent) error) error
}

// APIVersion is the newest LangPack API version this SDK speaks.
const APIVersion = 1

// Capabilities an adapter may list in InfoResponse.Capabilities.
const (
	// CapBuild: Build does real work (otherwise it reports Skipped).
	CapBuild = "build"
	// CapTest: Test runs the algorithm's tests.
	CapTest = "test"
	// CapScaffold: Scaffold returns a template.
	CapScaffold = "scaffold"
	// CapStreamOutput: Call honours CallRequest.StreamOutput.
	CapStreamOutput = "stream-output"
	// CapLegacyFIFO: StartRunner honours StartRunnerRequest.LegacyFIFO.
	CapLegacyFIFO = "legacy-fifo"
)

// OutputLine is one line of output (without its newline) from a runner or
// a build or test step.
type OutputLine = pipe.Line

// Stream names the stream an OutputLine came from.
type Stream = pipe.Stream

// The streams of an OutputLine.
const (
	Stdout = pipe.Stdout
	Stderr = pipe.Stderr
)

// OutputFunc receives output lines as they arrive. It may be nil.
type OutputFunc func(OutputLine)

// InfoRequest asks an adapter to describe itself.
type InfoRequest struct {
	// HostAPIVersions lists the API versions the host speaks.
	HostAPIVersions []uint32
}

// InfoResponse describes an adapter.
type InfoResponse struct {
	// Name is the LangPack name operators write in configs ("python").
	Name string
	// Version is the adapter's own version.
	Version     string
	Description string
	// APIVersions lists the LangPack API versions the adapter speaks.
	APIVersions []uint32
	// Capabilities lists optional features (Cap* constants).
	Capabilities []string
	// Languages lists the algorithmia.conf "language" values this LangPack
	// serves. A value also matches a language that starts with it followed
	// by "-" ("python3" matches "python3-1").
	Languages []string
	// Settings declares the per-LangPack settings the host may pass to Setup.
	Settings []SettingSchema
	// RequiredFiles lists the files an algorithm folder must have, relative
	// to its root; "{algoname}" stands for algorithmia.conf's algoname
	// ("src/{algoname}.py"). The host checks them when it validates a
	// configuration.
	RequiredFiles []string
	// FastCallSocket is set by Serve, with CapFastCall: a unix socket that
	// serves Call with less overhead than gRPC. Adapters leave it empty.
	FastCallSocket string
}

// SettingSchema declares one LangPack setting.
type SettingSchema struct {
	Name string
	// Type is "string", "bool" or "number".
	Type        string
	Required    bool
	Description string
}

// SetupRequest carries the LangPack settings as plain values.
type SetupRequest struct {
	Settings map[string]string
}

// SetupResponse reports the runtime the adapter found.
type SetupResponse struct {
	Runtime Runtime
}

// Runtime describes a language runtime an adapter found or did not find.
type Runtime struct {
	Found bool
	// Name is the runtime's name ("python3").
	Name    string
	Version string
	// Path is the resolved executable.
	Path string
	// Message explains a runtime that was not found: what to install.
	Message string
}

// StepRequest asks for a build or test of the algorithm in Dir.
type StepRequest struct {
	Dir string
	// Env adds environment variables for the step.
	Env map[string]string
}

// StepResult is the outcome of a build or test step.
type StepResult struct {
	// ExitCode is the step's exit status; 0 is success.
	ExitCode int
	// Message summarises the outcome for people.
	Message string
	// Skipped is true when there was nothing to do.
	Skipped bool
}

// ScaffoldRequest asks for the files of a new algorithm owner/name.
type ScaffoldRequest struct {
	Owner string
	Name  string
}

// ScaffoldResponse holds the files of a new algorithm, paths relative to
// its root.
type ScaffoldResponse struct {
	Files []File
}

// File is one file of a scaffolded algorithm.
type File struct {
	Path    string
	Content []byte
	Mode    fs.FileMode
}

// StartRunnerRequest asks for a runner of the algorithm in Dir.
type StartRunnerRequest struct {
	Dir string
	// Env adds environment variables for the runner.
	Env map[string]string
	// LoadTimeout bounds the wait for PIPE_INIT_COMPLETE; zero means
	// pipe.DefaultLoadTimeout.
	LoadTimeout time.Duration
	// LegacyFIFO serves a runner that only knows /tmp/algoout.
	LegacyFIFO bool
	// MaxOutput bounds captured stdout and stderr per request; zero means
	// pipe.DefaultMaxOutput.
	MaxOutput int
	// MaxResult bounds one response of the runner; zero means
	// pipe.DefaultMaxResponse.
	MaxResult int
}

// StartRunnerResponse identifies a ready runner, or says why it failed to load.
type StartRunnerResponse struct {
	RunnerID    string
	PID         int
	LoadFailure *LoadFailure
}

// LoadFailure says why a runner did not become ready.
type LoadFailure struct {
	Message  string
	ExitCode int
	TimedOut bool
	// Output is what the runner printed before it failed.
	Output []byte
}

// CallRequest runs one request on a runner.
type CallRequest struct {
	RunnerID string
	// Input is one compact JSON line for the runner's stdin, without the
	// newline: {"content_type":..., "data":...}.
	Input []byte
	// StreamOutput asks for OutputFunc calls while the request runs.
	StreamOutput bool
}

// AlgorithmError is an error the algorithm itself reported.
type AlgorithmError = pipe.AlgorithmError

// CallResponse is the outcome of one request. Exactly one of Result, Error
// and Failure is set.
type CallResponse struct {
	// Result is the result JSON value, verbatim.
	Result      json.RawMessage
	ContentType string
	Error       *AlgorithmError
	Failure     *RunnerFailure
	// Stdout is stdout and stderr merged in arrival order; Stderr is
	// stderr alone. Both are bounded by the runner's MaxOutput.
	Stdout []byte
	Stderr []byte
}

// FailureKind classifies a RunnerFailure.
type FailureKind int

// The kinds of RunnerFailure.
const (
	// FailureExited: the runner died during the request.
	FailureExited FailureKind = iota + 1
	// FailureFault: the runner broke the protocol and was killed.
	FailureFault
	// FailureTimeout: the request's deadline passed and the runner was killed.
	FailureTimeout
	// FailureStopped: the runner was already stopped.
	FailureStopped
)

// RunnerFailure reports a request that failed because of its runner. The
// runner is gone afterwards; the host replaces it.
type RunnerFailure struct {
	Kind    FailureKind
	Message string
	// ExitCode is set for FailureExited; -99 means a signal killed it.
	ExitCode int
}

// StopRunnerRequest stops a runner.
type StopRunnerRequest struct {
	RunnerID string
}

// StopRunnerResponse reports how a stopped runner exited.
type StopRunnerResponse struct {
	ExitCode int
}

// RunnerEventsRequest subscribes to runner events.
type RunnerEventsRequest struct{}

// RunnerEvent reports a runner that exited without being asked to.
type RunnerEvent struct {
	RunnerID string
	ExitCode int
	// Stdout and Stderr hold output printed since its last request.
	Stdout []byte
	Stderr []byte
}

// NegotiateAPIVersion returns the highest version present in both lists,
// or 0 when there is none.
func NegotiateAPIVersion(host, adapter []uint32) uint32 {
	var best uint32
	for _, h := range host {
		for _, a := range adapter {
			if h == a && h > best {
				best = h
			}
		}
	}
	return best
}
