package sdk

import (
	"context"
	"errors"
	"io"
	"os"
	"sync"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/langserver/langserver/sdk/internal/langpackpb"
	"github.com/langserver/langserver/sdk/pipe"
)

// ServeOption configures Serve.
type ServeOption func(*serveConfig)

type serveConfig struct {
	logger hclog.Logger
}

// WithLogger sets the adapter's logger. The default logs JSON to stderr,
// which the host re-emits under the adapter's name.
func WithLogger(l hclog.Logger) ServeOption {
	return func(c *serveConfig) { c.logger = l }
}

// Serve runs impl as a LangPack adapter and returns when the host stops it.
// Nothing may be written to stdout before Serve: the host reads its
// handshake there. If impl implements io.Closer, Close is called after the
// host has gone (PipeRunners stops every runner there).
func Serve(impl LangPack, opts ...ServeOption) {
	cfg := serveConfig{logger: hclog.New(&hclog.LoggerOptions{Output: os.Stderr, JSONFormat: true, Level: hclog.Info})}
	for _, o := range opts {
		o(&cfg)
	}
	// Folders left by adapters and runners that were killed outright.
	if n := pipe.SweepTempDirs(pipe.RunnerDirPrefix) + pipe.SweepTempDirs(adapterDirPrefix); n > 0 {
		cfg.logger.Info("removed folders of dead adapters and runners", "count", n)
	}
	fast, err := listenFast(impl, cfg.logger)
	if err != nil {
		cfg.logger.Warn("serving Call over gRPC only: no fast-call socket", "error", err)
	} else {
		defer fast.close()
	}
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: Handshake,
		Plugins:         plugin.PluginSet{PluginName: &grpcPlugin{impl: impl, fast: fast}},
		GRPCServer:      plugin.DefaultGRPCServer,
		Logger:          cfg.logger,
	})
	if c, ok := impl.(io.Closer); ok {
		if err := c.Close(); err != nil {
			cfg.logger.Error("closing the adapter", "error", err)
		}
	}
}

// grpcServer serves a LangPack over gRPC.
type grpcServer struct {
	langpackpb.UnimplementedLangPackServer
	impl LangPack
	// fast is the fast-call socket Info advertises; nil when there is none.
	fast *fastServer
}

func toStatus(err error) error {
	if errors.Is(err, ErrUnknownRunner) {
		return status.Error(codes.NotFound, err.Error())
	}
	return err
}

func (s *grpcServer) Info(ctx context.Context, req *langpackpb.InfoRequest) (*langpackpb.InfoResponse, error) {
	resp, err := s.impl.Info(ctx, &InfoRequest{HostAPIVersions: req.GetHostApiVersions()})
	if err != nil {
		return nil, err
	}
	out := infoToProto(resp)
	if s.fast != nil {
		out.Capabilities = append(out.Capabilities, CapFastCall)
		out.FastCallSocket = s.fast.path()
	}
	return out, nil
}

func (s *grpcServer) Setup(ctx context.Context, req *langpackpb.SetupRequest) (*langpackpb.SetupResponse, error) {
	resp, err := s.impl.Setup(ctx, &SetupRequest{Settings: req.GetSettings()})
	if err != nil {
		return nil, err
	}
	return &langpackpb.SetupResponse{Runtime: runtimeToProto(resp.Runtime)}, nil
}

type stepFunc func(context.Context, *StepRequest, OutputFunc) (*StepResult, error)

// serveStep runs a build or test step, streaming its output then its result.
func serveStep(step stepFunc, req *langpackpb.StepRequest, stream grpc.ServerStreamingServer[langpackpb.StepEvent]) error {
	s := &lockedSender[langpackpb.StepEvent]{stream: stream}
	out := func(l OutputLine) {
		s.send(&langpackpb.StepEvent{Event: &langpackpb.StepEvent_Output{Output: lineToProto(l)}})
	}
	res, err := step(stream.Context(), &StepRequest{Dir: req.GetDir(), Env: req.GetEnv()}, out)
	if err != nil {
		return err
	}
	return s.send(&langpackpb.StepEvent{Event: &langpackpb.StepEvent_Result{Result: stepResultToProto(res)}})
}

// lockedSender serialises Sends on a server stream: output callbacks may
// run on other goroutines. After the first failed Send it sends nothing more
// and keeps returning that error.
type lockedSender[T any] struct {
	mu     sync.Mutex
	stream grpc.ServerStreamingServer[T]
	err    error
}

func (s *lockedSender[T]) send(ev *T) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil {
		s.err = s.stream.Send(ev)
	}
	return s.err
}

func (s *grpcServer) Build(req *langpackpb.StepRequest, stream grpc.ServerStreamingServer[langpackpb.StepEvent]) error {
	return serveStep(s.impl.Build, req, stream)
}

func (s *grpcServer) Test(req *langpackpb.StepRequest, stream grpc.ServerStreamingServer[langpackpb.StepEvent]) error {
	return serveStep(s.impl.Test, req, stream)
}

func (s *grpcServer) Scaffold(ctx context.Context, req *langpackpb.ScaffoldRequest) (*langpackpb.ScaffoldResponse, error) {
	resp, err := s.impl.Scaffold(ctx, &ScaffoldRequest{Owner: req.GetOwner(), Name: req.GetName()})
	if err != nil {
		return nil, err
	}
	return &langpackpb.ScaffoldResponse{Files: filesToProto(resp.Files)}, nil
}

func (s *grpcServer) StartRunner(ctx context.Context, req *langpackpb.StartRunnerRequest) (*langpackpb.StartRunnerResponse, error) {
	resp, err := s.impl.StartRunner(ctx, startFromProto(req))
	if err != nil {
		return nil, err
	}
	return startedToProto(resp), nil
}

func (s *grpcServer) Call(req *langpackpb.CallRequest, stream grpc.ServerStreamingServer[langpackpb.CallEvent]) error {
	sender := &lockedSender[langpackpb.CallEvent]{stream: stream}
	var out OutputFunc
	if req.GetStreamOutput() {
		out = func(l OutputLine) {
			sender.send(&langpackpb.CallEvent{Event: &langpackpb.CallEvent_Output{Output: lineToProto(l)}})
		}
	}
	resp, err := s.impl.Call(stream.Context(), &CallRequest{RunnerID: req.GetRunnerId(), Input: req.GetInput(), StreamOutput: req.GetStreamOutput()}, out)
	if err != nil {
		return toStatus(err)
	}
	return sender.send(&langpackpb.CallEvent{Event: &langpackpb.CallEvent_Result{Result: callResultToProto(resp)}})
}

func (s *grpcServer) StopRunner(ctx context.Context, req *langpackpb.StopRunnerRequest) (*langpackpb.StopRunnerResponse, error) {
	resp, err := s.impl.StopRunner(ctx, &StopRunnerRequest{RunnerID: req.GetRunnerId()})
	if err != nil {
		return nil, toStatus(err)
	}
	return &langpackpb.StopRunnerResponse{ExitCode: int32(resp.ExitCode)}, nil
}

func (s *grpcServer) RunnerEvents(_ *langpackpb.RunnerEventsRequest, stream grpc.ServerStreamingServer[langpackpb.RunnerEvent]) error {
	return s.impl.RunnerEvents(stream.Context(), &RunnerEventsRequest{}, func(e *RunnerEvent) error {
		return stream.Send(eventToProto(e))
	})
}
