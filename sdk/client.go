package sdk

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/langserver/langserver/sdk/internal/langpackpb"
)

// Adapter is a running adapter process as seen from the host. It embeds
// the LangPack it serves.
type Adapter struct {
	LangPack
	grpc   *grpcClient
	client *plugin.Client
}

// LaunchOptions configures Launch.
type LaunchOptions struct {
	// Logger receives the adapter's log lines; nil discards them.
	Logger hclog.Logger
	// Env adds environment variables for the adapter process, which
	// otherwise inherits the host's environment.
	Env []string
	// GRPCOnly makes Call use gRPC even when the adapter offers the
	// fast-call socket (for comparisons and for testing both paths).
	GRPCOnly bool
}

// Launch starts the adapter executable at path and connects to it. The
// adapter is killed if the host process dies (a parent-death signal), and
// its runners die with it.
func Launch(path string, opts LaunchOptions) (*Adapter, error) {
	logger := opts.Logger
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	cmd := exec.Command(path)
	cmd.Env = opts.Env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  Handshake,
		Plugins:          plugin.PluginSet{PluginName: &grpcPlugin{}},
		Cmd:              cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Logger:           logger,
		SyncStderr:       os.Stderr,
	})
	rpc, err := client.Client()
	if err != nil {
		client.Kill()
		return nil, fmt.Errorf("starting adapter %s: %w", path, err)
	}
	raw, err := rpc.Dispense(PluginName)
	if err != nil {
		client.Kill()
		return nil, fmt.Errorf("connecting to adapter %s: %w", path, err)
	}
	grpcClient := raw.(*grpcClient)
	grpcClient.grpcOnly = opts.GRPCOnly
	return &Adapter{LangPack: grpcClient, grpc: grpcClient, client: client}, nil
}

// Kill stops the adapter: a graceful shutdown request first (the adapter
// then stops its runners), a kill if it does not exit in time.
func (a *Adapter) Kill() {
	a.client.Kill()
	if fast := a.grpc.fast.Load(); fast != nil {
		fast.closeIdle()
	}
}

// Exited reports whether the adapter process has exited.
func (a *Adapter) Exited() bool { return a.client.Exited() }

// PID is the adapter's process ID.
func (a *Adapter) PID() int {
	if rc := a.client.ReattachConfig(); rc != nil && rc.Pid != 0 {
		return rc.Pid
	}
	return 0
}

// grpcClient is the host side of the gRPC service.
type grpcClient struct {
	client langpackpb.LangPackClient
	// fast is set once Info shows the adapter serves the fast-call socket;
	// Call then goes through it.
	fast     atomic.Pointer[fastClient]
	grpcOnly bool
}

// contextError returns ctx's error when the call ended because of ctx.
// gRPC can report the deadline a moment before ctx's own timer has marked
// ctx done: its status then says DeadlineExceeded with the deadline past.
func contextError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if d, ok := ctx.Deadline(); ok && status.Code(err) == codes.DeadlineExceeded && !time.Now().Before(d) {
		return context.DeadlineExceeded
	}
	return nil
}

func fromStatus(err error) error {
	if status.Code(err) == codes.NotFound {
		return fmt.Errorf("%w: %s", ErrUnknownRunner, status.Convert(err).Message())
	}
	return err
}

func (c *grpcClient) Info(ctx context.Context, req *InfoRequest) (*InfoResponse, error) {
	resp, err := c.client.Info(ctx, &langpackpb.InfoRequest{HostApiVersions: req.HostAPIVersions})
	if err != nil {
		return nil, err
	}
	info := infoFromProto(resp)
	if !c.grpcOnly && info.FastCallSocket != "" && slices.Contains(info.Capabilities, CapFastCall) && c.fast.Load() == nil {
		c.fast.Store(&fastClient{path: info.FastCallSocket})
	}
	return info, nil
}

func (c *grpcClient) Setup(ctx context.Context, req *SetupRequest) (*SetupResponse, error) {
	resp, err := c.client.Setup(ctx, &langpackpb.SetupRequest{Settings: req.Settings})
	if err != nil {
		return nil, err
	}
	return &SetupResponse{Runtime: runtimeFromProto(resp.GetRuntime())}, nil
}

type stepCall func(context.Context, *langpackpb.StepRequest, ...grpc.CallOption) (grpc.ServerStreamingClient[langpackpb.StepEvent], error)

func runStep(ctx context.Context, call stepCall, req *StepRequest, out OutputFunc) (*StepResult, error) {
	stream, err := call(ctx, &langpackpb.StepRequest{Dir: req.Dir, Env: req.Env})
	if err != nil {
		return nil, err
	}
	for {
		ev, err := stream.Recv()
		if err != nil {
			return nil, endOfStream(err)
		}
		if l := ev.GetOutput(); l != nil && out != nil {
			out(lineFromProto(l))
		}
		if r := ev.GetResult(); r != nil {
			return stepResultFromProto(r), nil
		}
	}
}

// endOfStream turns a stream that ended before its result into an error.
func endOfStream(err error) error {
	if errors.Is(err, io.EOF) {
		return errors.New("adapter closed the stream without a result")
	}
	return fromStatus(err)
}

func (c *grpcClient) Build(ctx context.Context, req *StepRequest, out OutputFunc) (*StepResult, error) {
	return runStep(ctx, c.client.Build, req, out)
}

func (c *grpcClient) Test(ctx context.Context, req *StepRequest, out OutputFunc) (*StepResult, error) {
	return runStep(ctx, c.client.Test, req, out)
}

func (c *grpcClient) Scaffold(ctx context.Context, req *ScaffoldRequest) (*ScaffoldResponse, error) {
	resp, err := c.client.Scaffold(ctx, &langpackpb.ScaffoldRequest{Owner: req.Owner, Name: req.Name})
	if err != nil {
		return nil, err
	}
	return &ScaffoldResponse{Files: filesFromProto(resp.GetFiles())}, nil
}

func (c *grpcClient) StartRunner(ctx context.Context, req *StartRunnerRequest) (*StartRunnerResponse, error) {
	resp, err := c.client.StartRunner(ctx, startToProto(req))
	if err != nil {
		return nil, err
	}
	return startedFromProto(resp), nil
}

func (c *grpcClient) Call(ctx context.Context, req *CallRequest, out OutputFunc) (*CallResponse, error) {
	if fast := c.fast.Load(); fast != nil {
		return fast.call(ctx, req, out)
	}
	stream, err := c.client.Call(ctx, &langpackpb.CallRequest{RunnerId: req.RunnerID, Input: req.Input, StreamOutput: req.StreamOutput})
	if err != nil {
		return nil, err
	}
	for {
		ev, err := stream.Recv()
		if err != nil {
			if err := contextError(ctx, err); err != nil {
				return nil, err
			}
			return nil, endOfStream(err)
		}
		if l := ev.GetOutput(); l != nil && out != nil {
			out(lineFromProto(l))
		}
		if r := ev.GetResult(); r != nil {
			return callResultFromProto(r), nil
		}
	}
}

func (c *grpcClient) StopRunner(ctx context.Context, req *StopRunnerRequest) (*StopRunnerResponse, error) {
	resp, err := c.client.StopRunner(ctx, &langpackpb.StopRunnerRequest{RunnerId: req.RunnerID})
	if err != nil {
		return nil, fromStatus(err)
	}
	return &StopRunnerResponse{ExitCode: int(resp.GetExitCode())}, nil
}

func (c *grpcClient) RunnerEvents(ctx context.Context, _ *RunnerEventsRequest, send func(*RunnerEvent) error) error {
	stream, err := c.client.RunnerEvents(ctx, &langpackpb.RunnerEventsRequest{})
	if err != nil {
		return err
	}
	for {
		ev, err := stream.Recv()
		if err != nil {
			if err := contextError(ctx, err); err != nil {
				return err
			}
			return fromStatus(err)
		}
		if err := send(eventFromProto(ev)); err != nil {
			return err
		}
	}
}
