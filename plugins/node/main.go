package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	nodelangpack "github.com/langserver/langserver/langpacks/node"
	"github.com/langserver/langserver/sdk"
	"github.com/langserver/langserver/sdk/pipe"
)

// version is the adapter's version, set at build time.
var version = "dev"

// The oldest Node.js major versions the runner supports, and that have the
// test runner (node --test) Test uses.
const (
	minNodeMajor = 16
	minTestMajor = 18
)

func main() {
	lp := &langPack{Basic: sdk.Basic{
		InfoResponse: sdk.InfoResponse{
			Name:          "node",
			Version:       version,
			Description:   "Node.js algorithms: src/<algoname>.js exports apply(input)",
			Capabilities:  []string{sdk.CapBuild, sdk.CapTest, sdk.CapScaffold, sdk.CapStreamOutput, sdk.CapLegacyFIFO},
			Languages:     []string{"javascript", "nodejs", "node"},
			RequiredFiles: []string{"algorithmia.conf", "src/{algoname}.js"},
		},
		Toolchain: &sdk.Toolchain{
			Name: "node", What: "Node.js executable", LangPack: "node", Setting: "node",
			Default: "node", Install: "apt-get install nodejs", Probe: probeNode,
		},
		Template: nodelangpack.Files, TemplateDir: "template",
	}}
	lp.PipeRunners = sdk.NewPipeRunners(lp.runnerCommand)
	sdk.Serve(lp)
}

type langPack struct {
	sdk.Basic
	*sdk.PipeRunners
}

// probeNode asks node for process.execPath, which resolves version-manager
// shims (nvm, asdf, volta), and for its version.
func probeNode(ctx context.Context, path string) (string, string, error) {
	lines, err := sdk.ProbeLines(ctx, "Node.js executable", path, 2, "-p", `process.execPath + "\n" + process.versions.node`)
	if err != nil {
		return "", "", err
	}
	if majorVersion(lines[1]) < minNodeMajor {
		return "", "", fmt.Errorf("%s is Node.js %s; the node LangPack needs Node.js %d or later", path, lines[1], minNodeMajor)
	}
	return lines[0], lines[1], nil
}

// majorVersion returns the major number of a version such as "20.11.1", or
// 0 when there is none.
func majorVersion(v string) int {
	major, _, _ := strings.Cut(v, ".")
	n, _ := strconv.Atoi(major)
	return n
}

// node returns the Node.js runtime, or an error that says what to install.
func (l *langPack) node(ctx context.Context) (sdk.Runtime, error) {
	return l.Toolchain.Find(ctx)
}

// environ returns the environment of a process the LangPack starts: the
// adapter's own with the request's additions. When the folder of the node
// in use is not on PATH (a node set in the settings), it is put first, so
// that npm (a "#!/usr/bin/env node" script), package scripts and child
// processes find that same node.
func environ(node string, add map[string]string) []string {
	env := sdk.MergeEnv(os.Environ(), add)
	dir := filepath.Dir(node)
	var path string
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path = v
		}
	}
	if slices.Contains(filepath.SplitList(path), dir) {
		return env
	}
	if path != "" {
		dir += string(os.PathListSeparator) + path
	}
	return sdk.MergeEnv(env, map[string]string{"PATH": dir})
}

func (l *langPack) runnerCommand(ctx context.Context, req *sdk.StartRunnerRequest) (pipe.Config, error) {
	rt, err := l.node(ctx)
	if err != nil {
		return pipe.Config{}, err
	}
	script, err := sdk.ExtractFile(nodelangpack.Files, "runner/pipe.cjs", "langserver-node")
	if err != nil {
		return pipe.Config{}, err
	}
	return pipe.Config{
		Command: []string{rt.Path, script},
		Dir:     req.Dir,
		Env:     environ(rt.Path, req.Env),
	}, nil
}

func (l *langPack) Build(ctx context.Context, req *sdk.StepRequest, out sdk.OutputFunc) (*sdk.StepResult, error) {
	rt, err := l.node(ctx)
	if err != nil {
		return nil, err
	}
	n, err := countDependencies(filepath.Join(req.Dir, "package.json"))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return &sdk.StepResult{Skipped: true, Message: "no package.json: nothing to install"}, nil
	case err != nil:
		return nil, err
	case n == 0:
		return &sdk.StepResult{Skipped: true, Message: "no dependencies in package.json: nothing to install"}, nil
	}
	npm, err := findNPM(rt.Path)
	if err != nil {
		return nil, err
	}
	// npm ci installs exactly what the lockfile says, and fails when it
	// disagrees with package.json; without a lockfile, npm install writes one.
	command := "install"
	if exists(filepath.Join(req.Dir, "package-lock.json")) || exists(filepath.Join(req.Dir, "npm-shrinkwrap.json")) {
		command = "ci"
	}
	cmd := exec.Command(npm, command, "--omit=dev", "--no-audit", "--no-fund", "--no-update-notifier")
	cmd.Dir = req.Dir
	cmd.Env = environ(rt.Path, req.Env)
	return sdk.RunStep(ctx, cmd, out)
}

// countDependencies returns how many packages a package.json asks npm to
// install for production: its dependencies and optionalDependencies.
func countDependencies(path string) (int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	var manifest struct {
		Dependencies         map[string]json.RawMessage `json:"dependencies"`
		OptionalDependencies map[string]json.RawMessage `json:"optionalDependencies"`
	}
	if err := json.Unmarshal(data, &manifest); err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	return len(manifest.Dependencies) + len(manifest.OptionalDependencies), nil
}

// findNPM returns the npm installed beside node, else the one on PATH.
func findNPM(node string) (string, error) {
	beside := filepath.Join(filepath.Dir(node), "npm")
	if info, err := os.Stat(beside); err == nil && info.Mode().IsRegular() && info.Mode()&0o111 != 0 {
		return beside, nil
	}
	if p, err := exec.LookPath("npm"); err == nil {
		return p, nil
	}
	return "", errors.New("npm not found beside " + node + " or on PATH: install it (Debian: apt-get install npm)")
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func (l *langPack) Test(ctx context.Context, req *sdk.StepRequest, out sdk.OutputFunc) (*sdk.StepResult, error) {
	rt, err := l.node(ctx)
	if err != nil {
		return nil, err
	}
	if majorVersion(rt.Version) < minTestMajor {
		return nil, fmt.Errorf("%s is Node.js %s; its test runner (node --test) needs Node.js %d or later", rt.Path, rt.Version, minTestMajor)
	}
	cmd := exec.Command(rt.Path, "--test")
	cmd.Dir = req.Dir
	cmd.Env = environ(rt.Path, req.Env)
	return sdk.RunStep(ctx, cmd, out)
}
