package sdk

import (
	"io/fs"
	"time"

	"github.com/langserver/langserver/sdk/internal/langpackpb"
)

// This file translates between the Go-native types and the generated
// protobuf types, in both directions.

func infoToProto(r *InfoResponse) *langpackpb.InfoResponse {
	settings := make([]*langpackpb.SettingSchema, len(r.Settings))
	for i, s := range r.Settings {
		settings[i] = &langpackpb.SettingSchema{Name: s.Name, Type: s.Type, Required: s.Required, Description: s.Description}
	}
	return &langpackpb.InfoResponse{
		Name: r.Name, Version: r.Version, Description: r.Description,
		ApiVersions: r.APIVersions, Capabilities: r.Capabilities, Languages: r.Languages,
		Settings: settings, FastCallSocket: r.FastCallSocket, RequiredFiles: r.RequiredFiles,
	}
}

func infoFromProto(r *langpackpb.InfoResponse) *InfoResponse {
	settings := make([]SettingSchema, len(r.GetSettings()))
	for i, s := range r.GetSettings() {
		settings[i] = SettingSchema{Name: s.GetName(), Type: s.GetType(), Required: s.GetRequired(), Description: s.GetDescription()}
	}
	return &InfoResponse{
		Name: r.GetName(), Version: r.GetVersion(), Description: r.GetDescription(),
		APIVersions: r.GetApiVersions(), Capabilities: r.GetCapabilities(), Languages: r.GetLanguages(),
		Settings: settings, FastCallSocket: r.GetFastCallSocket(), RequiredFiles: r.GetRequiredFiles(),
	}
}

func runtimeToProto(r Runtime) *langpackpb.Runtime {
	return &langpackpb.Runtime{Found: r.Found, Name: r.Name, Version: r.Version, Path: r.Path, Message: r.Message}
}

func runtimeFromProto(r *langpackpb.Runtime) Runtime {
	return Runtime{Found: r.GetFound(), Name: r.GetName(), Version: r.GetVersion(), Path: r.GetPath(), Message: r.GetMessage()}
}

func lineToProto(l OutputLine) *langpackpb.OutputLine {
	return &langpackpb.OutputLine{Stream: langpackpb.Stream(l.Stream), Text: l.Text}
}

func lineFromProto(l *langpackpb.OutputLine) OutputLine {
	return OutputLine{Stream: Stream(l.GetStream()), Text: l.GetText()}
}

func stepResultToProto(r *StepResult) *langpackpb.StepResult {
	return &langpackpb.StepResult{ExitCode: int32(r.ExitCode), Message: r.Message, Skipped: r.Skipped}
}

func stepResultFromProto(r *langpackpb.StepResult) *StepResult {
	return &StepResult{ExitCode: int(r.GetExitCode()), Message: r.GetMessage(), Skipped: r.GetSkipped()}
}

func filesToProto(files []File) []*langpackpb.File {
	out := make([]*langpackpb.File, len(files))
	for i, f := range files {
		out[i] = &langpackpb.File{Path: f.Path, Content: f.Content, Mode: uint32(f.Mode)}
	}
	return out
}

func filesFromProto(files []*langpackpb.File) []File {
	out := make([]File, len(files))
	for i, f := range files {
		out[i] = File{Path: f.GetPath(), Content: f.GetContent(), Mode: fs.FileMode(f.GetMode())}
	}
	return out
}

func startToProto(r *StartRunnerRequest) *langpackpb.StartRunnerRequest {
	return &langpackpb.StartRunnerRequest{
		Dir: r.Dir, Env: r.Env, LoadTimeoutMs: r.LoadTimeout.Milliseconds(),
		LegacyFifo: r.LegacyFIFO, MaxOutput: int64(r.MaxOutput), MaxResult: int64(r.MaxResult),
	}
}

func startFromProto(r *langpackpb.StartRunnerRequest) *StartRunnerRequest {
	return &StartRunnerRequest{
		Dir: r.GetDir(), Env: r.GetEnv(), LoadTimeout: time.Duration(r.GetLoadTimeoutMs()) * time.Millisecond,
		LegacyFIFO: r.GetLegacyFifo(), MaxOutput: int(r.GetMaxOutput()), MaxResult: int(r.GetMaxResult()),
	}
}

func startedToProto(r *StartRunnerResponse) *langpackpb.StartRunnerResponse {
	out := &langpackpb.StartRunnerResponse{RunnerId: r.RunnerID, Pid: int32(r.PID)}
	if f := r.LoadFailure; f != nil {
		out.LoadFailure = &langpackpb.LoadFailure{Message: f.Message, ExitCode: int32(f.ExitCode), TimedOut: f.TimedOut, Output: f.Output}
	}
	return out
}

func startedFromProto(r *langpackpb.StartRunnerResponse) *StartRunnerResponse {
	out := &StartRunnerResponse{RunnerID: r.GetRunnerId(), PID: int(r.GetPid())}
	if f := r.GetLoadFailure(); f != nil {
		out.LoadFailure = &LoadFailure{Message: f.GetMessage(), ExitCode: int(f.GetExitCode()), TimedOut: f.GetTimedOut(), Output: f.GetOutput()}
	}
	return out
}

func callResultToProto(r *CallResponse) *langpackpb.CallResult {
	out := &langpackpb.CallResult{Result: r.Result, ContentType: r.ContentType, Stdout: r.Stdout, Stderr: r.Stderr}
	if e := r.Error; e != nil {
		out.Error = &langpackpb.AlgorithmError{Message: e.Message, ErrorType: e.ErrorType, Stacktrace: e.Stacktrace}
	}
	if f := r.Failure; f != nil {
		out.Failure = &langpackpb.RunnerFailure{Kind: langpackpb.FailureKind(f.Kind), Message: f.Message, ExitCode: int32(f.ExitCode)}
	}
	return out
}

func callResultFromProto(r *langpackpb.CallResult) *CallResponse {
	out := &CallResponse{Result: r.GetResult(), ContentType: r.GetContentType(), Stdout: r.GetStdout(), Stderr: r.GetStderr()}
	if e := r.GetError(); e != nil {
		out.Error = &AlgorithmError{Message: e.GetMessage(), ErrorType: e.GetErrorType(), Stacktrace: e.GetStacktrace()}
	}
	if f := r.GetFailure(); f != nil {
		out.Failure = &RunnerFailure{Kind: FailureKind(f.GetKind()), Message: f.GetMessage(), ExitCode: int(f.GetExitCode())}
	}
	return out
}

func eventToProto(e *RunnerEvent) *langpackpb.RunnerEvent {
	return &langpackpb.RunnerEvent{RunnerId: e.RunnerID, ExitCode: int32(e.ExitCode), Stdout: e.Stdout, Stderr: e.Stderr}
}

func eventFromProto(e *langpackpb.RunnerEvent) *RunnerEvent {
	return &RunnerEvent{RunnerID: e.GetRunnerId(), ExitCode: int(e.GetExitCode()), Stdout: e.GetStdout(), Stderr: e.GetStderr()}
}
