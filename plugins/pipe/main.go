package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/langserver/langserver/sdk"
	"github.com/langserver/langserver/sdk/pipe"
)

// version is the adapter's version, set at build time.
var version = "dev"

func main() {
	sdk.Serve(&langPack{
		Basic: sdk.Basic{
			InfoResponse: sdk.InfoResponse{
				Name:          "pipe",
				Version:       version,
				Description:   "any algorithm whose executable bin/pipe speaks the runner contract",
				Capabilities:  []string{sdk.CapBuild, sdk.CapTest, sdk.CapStreamOutput, sdk.CapLegacyFIFO},
				RequiredFiles: []string{"bin/pipe"},
			},
			Runtime: sdk.Runtime{Name: "bin/pipe", Message: "each algorithm brings its own runner"},
		},
		PipeRunners: sdk.NewPipeRunners(runnerCommand),
	})
}

// langPack serves the algorithm's own bin/pipe; it has no template, so its
// Scaffold says what to do instead.
type langPack struct {
	sdk.Basic
	*sdk.PipeRunners
}

// script returns the path of the executable bin/<name> in dir.
func script(dir, name string) (string, error) {
	p := filepath.Join(dir, "bin", name)
	info, err := os.Stat(p)
	if err != nil {
		return "", err
	}
	if info.IsDir() || info.Mode()&0o111 == 0 {
		return "", fmt.Errorf("%s is not an executable file", p)
	}
	return p, nil
}

func runnerCommand(_ context.Context, req *sdk.StartRunnerRequest) (pipe.Config, error) {
	p, err := script(req.Dir, "pipe")
	if err != nil {
		return pipe.Config{}, fmt.Errorf("the pipe LangPack runs the algorithm's own bin/pipe: %w", err)
	}
	return pipe.Config{Command: []string{p}, Dir: req.Dir, Env: sdk.MergeEnv(os.Environ(), req.Env)}, nil
}

// step runs bin/<name> when the algorithm has one.
func step(ctx context.Context, req *sdk.StepRequest, name string, out sdk.OutputFunc) (*sdk.StepResult, error) {
	p, err := script(req.Dir, name)
	if errors.Is(err, os.ErrNotExist) {
		return &sdk.StepResult{Skipped: true, Message: fmt.Sprintf("no bin/%s: nothing to do", name)}, nil
	}
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(p)
	cmd.Dir = req.Dir
	cmd.Env = sdk.MergeEnv(os.Environ(), req.Env)
	return sdk.RunStep(ctx, cmd, out)
}

func (*langPack) Build(ctx context.Context, req *sdk.StepRequest, out sdk.OutputFunc) (*sdk.StepResult, error) {
	return step(ctx, req, "build", out)
}

func (*langPack) Test(ctx context.Context, req *sdk.StepRequest, out sdk.OutputFunc) (*sdk.StepResult, error) {
	return step(ctx, req, "test", out)
}

func (*langPack) Scaffold(context.Context, *sdk.ScaffoldRequest) (*sdk.ScaffoldResponse, error) {
	return nil, errors.New("the pipe LangPack has no template: write bin/pipe yourself, or scaffold with a language's LangPack")
}
