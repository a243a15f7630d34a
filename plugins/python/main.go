package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	pylangpack "github.com/langserver/langserver/langpacks/python"
	"github.com/langserver/langserver/sdk"
	"github.com/langserver/langserver/sdk/pipe"
)

// version is the adapter's version, set at build time.
var version = "dev"

// depsDir is where Build installs an algorithm's requirements, relative to
// its root. The runner puts it on sys.path.
const depsDir = ".langserver/site-packages"

func main() {
	lp := &langPack{Basic: sdk.Basic{
		InfoResponse: sdk.InfoResponse{
			Name:          "python",
			Version:       version,
			Description:   "Python 3 algorithms: src/<algoname>.py defines apply(input)",
			Capabilities:  []string{sdk.CapBuild, sdk.CapTest, sdk.CapScaffold, sdk.CapStreamOutput, sdk.CapLegacyFIFO},
			Languages:     []string{"python3", "python-3"},
			RequiredFiles: []string{"algorithmia.conf", "src/{algoname}.py"},
		},
		Toolchain: &sdk.Toolchain{
			Name: "python3", What: "Python 3 interpreter", LangPack: "python", Setting: "interpreter",
			Default: "python3", Install: "apt-get install python3", Probe: probePython,
		},
		Template: pylangpack.Files, TemplateDir: "template",
	}}
	lp.PipeRunners = sdk.NewPipeRunners(lp.runnerCommand)
	sdk.Serve(lp)
}

type langPack struct {
	sdk.Basic
	*sdk.PipeRunners
}

// probePython asks the interpreter for sys.executable, which resolves
// version-manager shims (pyenv, asdf), and for its version.
func probePython(ctx context.Context, path string) (string, string, error) {
	lines, err := sdk.ProbeLines(ctx, "Python 3 interpreter", path, 2, "-c", "import sys; print(sys.executable); print('%d.%d.%d' % sys.version_info[:3])")
	if err != nil {
		return "", "", err
	}
	if !strings.HasPrefix(lines[1], "3.") {
		return "", "", fmt.Errorf("%s is Python %s; the python LangPack needs Python 3", path, lines[1])
	}
	return lines[0], lines[1], nil
}

// interpreter returns the Python interpreter, or an error that says what
// to install.
func (l *langPack) interpreter(ctx context.Context) (string, error) {
	rt, err := l.Toolchain.Find(ctx)
	return rt.Path, err
}

func (l *langPack) runnerCommand(ctx context.Context, req *sdk.StartRunnerRequest) (pipe.Config, error) {
	python, err := l.interpreter(ctx)
	if err != nil {
		return pipe.Config{}, err
	}
	script, err := sdk.ExtractFile(pylangpack.Files, "runner/pipe.py", "langserver-python")
	if err != nil {
		return pipe.Config{}, err
	}
	return pipe.Config{
		Command: []string{python, script},
		Dir:     req.Dir,
		Env:     sdk.MergeEnv(os.Environ(), req.Env),
	}, nil
}

func (l *langPack) Build(ctx context.Context, req *sdk.StepRequest, out sdk.OutputFunc) (*sdk.StepResult, error) {
	python, err := l.interpreter(ctx)
	if err != nil {
		return nil, err
	}
	if !hasRequirements(filepath.Join(req.Dir, "requirements.txt")) {
		return &sdk.StepResult{Skipped: true, Message: "no requirements.txt: nothing to install"}, nil
	}
	cmd := exec.Command(python, "-m", "pip", "install", "--disable-pip-version-check", "--no-input",
		"--upgrade", "--target", depsDir, "-r", "requirements.txt")
	cmd.Dir = req.Dir
	cmd.Env = sdk.MergeEnv(os.Environ(), req.Env)
	return sdk.RunStep(ctx, cmd, out)
}

// hasRequirements reports whether a requirements file names anything.
func hasRequirements(path string) bool {
	data, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(data), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			return true
		}
	}
	return false
}

func (l *langPack) Test(ctx context.Context, req *sdk.StepRequest, out sdk.OutputFunc) (*sdk.StepResult, error) {
	python, err := l.interpreter(ctx)
	if err != nil {
		return nil, err
	}
	args := []string{"-m", "unittest", "discover", "-s", "src", "-t", ".", "-p", "*test*.py", "-v"}
	if exec.CommandContext(ctx, python, "-c", "import pytest").Run() == nil {
		args = []string{"-m", "pytest", "-q", "-p", "no:cacheprovider"}
	}
	cmd := exec.Command(python, args...)
	cmd.Dir = req.Dir
	env := sdk.MergeEnv(os.Environ(), req.Env)
	pythonPath := req.Dir + string(os.PathListSeparator) + filepath.Join(req.Dir, depsDir)
	cmd.Env = sdk.MergeEnv(env, map[string]string{"PYTHONPATH": pythonPath, "PYTHONDONTWRITEBYTECODE": "1"})
	return sdk.RunStep(ctx, cmd, out)
}
