package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	golangpack "github.com/langserver/langserver/langpacks/go"
	"github.com/langserver/langserver/sdk"
	"github.com/langserver/langserver/sdk/pipe"
)

// version is the adapter's version, set at build time.
var version = "dev"

// The oldest Go release the LangPack supports: the runner needs go build
// -overlay (1.16) and the template uses any (1.18).
const (
	minGoMajor = 1
	minGoMinor = 18
)

// Where the compiled runner and the files that make it live, relative to
// the algorithm's root.
const (
	outDir = ".langserver/go"
	binary = outDir + "/pipe"
	stamp  = outDir + "/pipe.stamp"
)

// runnerPackage is the folder, inside the algorithm's module, where the
// build overlay places the runner's files; nothing is written there.
const runnerPackage = "langserver_runner"

func main() {
	sdk.Serve(newLangPack())
}

func newLangPack() *langPack {
	lp := &langPack{Basic: sdk.Basic{
		InfoResponse: sdk.InfoResponse{
			Name:    "go",
			Version: version,
			Description: "Go algorithms: a module (go.mod) whose package src/ (src/<algoname>.go) has " +
				"func Apply(input any) (any, error), compiled with the LangPack's runner main",
			Capabilities:  []string{sdk.CapBuild, sdk.CapTest, sdk.CapScaffold, sdk.CapStreamOutput, sdk.CapLegacyFIFO},
			Languages:     []string{"go", "golang"},
			RequiredFiles: []string{"algorithmia.conf", "go.mod", "src/{algoname}.go"},
			Settings: []sdk.SettingSchema{{
				Name: "go", Type: "string",
				Description: "the go command to use; default: go on PATH",
			}},
		},
		Toolchain: &sdk.Toolchain{
			Name: "go", What: "Go toolchain (go command)", LangPack: "go", Setting: "go",
			Default: "go", Install: "apt-get install golang-go", Probe: probeGo,
		},
		Template: golangpack.Files, TemplateDir: "template",
	}}
	lp.PipeRunners = sdk.NewPipeRunners(lp.runnerCommand)
	return lp
}

type langPack struct {
	sdk.Basic
	*sdk.PipeRunners
}

// probeGo asks the go command for its GOROOT, which resolves wrappers and
// version-manager shims to the real toolchain, and for its version.
func probeGo(ctx context.Context, path string) (string, string, error) {
	lines, err := sdk.ProbeLines(ctx, "go command", path, 2, "env", "GOROOT", "GOVERSION")
	if err != nil {
		return "", "", err
	}
	v := strings.TrimPrefix(lines[1], "go")
	if !atLeast(v, minGoMajor, minGoMinor) {
		return "", "", fmt.Errorf("%s is Go %s; the go LangPack needs Go %d.%d or later (Debian: apt-get install golang-go)", path, v, minGoMajor, minGoMinor)
	}
	return filepath.Join(lines[0], "bin", "go"), v, nil
}

// atLeast reports whether a Go version such as "1.22.3" or "1.23rc1" is at
// least major.minor. A development build ("devel ...") counts as new enough.
func atLeast(v string, major, minor int) bool {
	if strings.HasPrefix(v, "devel") {
		return true
	}
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return false
	}
	maj, err := strconv.Atoi(parts[0])
	if err != nil {
		return false
	}
	digits := strings.IndexFunc(parts[1], func(r rune) bool { return r < '0' || r > '9' })
	if digits == -1 {
		digits = len(parts[1])
	}
	min, err := strconv.Atoi(parts[1][:digits])
	if err != nil {
		return false
	}
	return maj > major || maj == major && min >= minor
}

// environ returns the environment of a go command: the adapter's own with
// the request's additions. Without HOME (a service account), the go command
// has no default build cache or module cache, so both go under the temporary
// folder.
func environ(add map[string]string) []string {
	env := sdk.MergeEnv(os.Environ(), add)
	set := map[string]bool{}
	for _, kv := range env {
		name, value, _ := strings.Cut(kv, "=")
		set[name] = value != ""
	}
	if set["HOME"] {
		return env
	}
	fallback := map[string]string{}
	if !set["GOCACHE"] && !set["XDG_CACHE_HOME"] {
		fallback["GOCACHE"] = filepath.Join(os.TempDir(), "langserver-go", "cache")
	}
	if !set["GOPATH"] {
		fallback["GOPATH"] = filepath.Join(os.TempDir(), "langserver-go", "path")
	}
	return sdk.MergeEnv(env, fallback)
}

func (l *langPack) runnerCommand(ctx context.Context, req *sdk.StartRunnerRequest) (pipe.Config, error) {
	rt, err := l.Toolchain.Find(ctx)
	if err != nil {
		return pipe.Config{}, err
	}
	if _, err := compile(ctx, rt.Path, req.Dir, req.Env, nil); err != nil {
		return pipe.Config{}, fmt.Errorf("compiling the algorithm: %w", err)
	}
	return pipe.Config{
		Command: []string{filepath.Join(req.Dir, binary)},
		Dir:     req.Dir,
		Env:     sdk.MergeEnv(os.Environ(), req.Env),
	}, nil
}

// compile builds the runner binary of the algorithm in dir when it is
// missing or older than the algorithm's files or the runner's source: the
// algorithm's package src/ and the LangPack's runner, as one main package of
// the algorithm's module (so its go.mod, go.sum and vendor/ apply). It
// reports whether it ran go build, whose lines go to out.
func compile(ctx context.Context, goTool, dir string, env map[string]string, out sdk.OutputFunc) (compiled bool, err error) {
	runner, err := sdk.ExtractFile(golangpack.Files, "runner/pipe.go", "langserver-go")
	if err != nil {
		return false, err
	}
	sources := []string{dir, runner}
	err = sdk.CompileIfStale(ctx, filepath.Join(dir, stamp), sources, func(ctx context.Context) error {
		compiled = true
		overlay, err := writeOverlay(dir, runner)
		if err != nil {
			return err
		}
		cmd := exec.CommandContext(ctx, goTool, "build", "-overlay", overlay, "-o", filepath.Join(dir, binary), "./"+runnerPackage)
		cmd.Dir = dir
		cmd.Env = environ(env)
		return sdk.RunTool(ctx, cmd, out)
	})
	return compiled, err
}

// writeOverlay writes the file that binds the runner to the algorithm's
// package and the go build overlay that places both in the runner package
// of the algorithm's module, and returns the overlay's path.
func writeOverlay(dir, runner string) (string, error) {
	mod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return "", fmt.Errorf("the go LangPack needs a Go module: %w", err)
	}
	module, err := modulePath(mod)
	if err != nil {
		return "", fmt.Errorf("%s: %w", filepath.Join(dir, "go.mod"), err)
	}
	out := filepath.Join(dir, outDir)
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", err
	}
	binding := filepath.Join(out, "algorithm.go")
	if err := os.WriteFile(binding, bindingSource(module), 0o644); err != nil {
		return "", err
	}
	pkg := filepath.Join(dir, runnerPackage)
	overlay, err := json.Marshal(map[string]map[string]string{"Replace": {
		filepath.Join(pkg, "pipe.go"):      runner,
		filepath.Join(pkg, "algorithm.go"): binding,
	}})
	if err != nil {
		return "", err
	}
	path := filepath.Join(out, "overlay.json")
	return path, os.WriteFile(path, overlay, 0o644)
}

// bindingSource returns the Go file that hands the runner the Apply
// function of the module's package src/.
func bindingSource(module string) []byte {
	return []byte(`// Code generated by langpack-go. DO NOT EDIT.

package main

import algorithm ` + strconv.Quote(module+"/src") + `

// apply is the algorithm: a compile error here means src/ has no
// func Apply(input any) (any, error).
var apply applyFunc = algorithm.Apply
`)
}

// modulePath returns the module path a go.mod declares.
func modulePath(gomod []byte) (string, error) {
	sc := bufio.NewScanner(bytes.NewReader(gomod))
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "//")
		fields := strings.Fields(line)
		if len(fields) != 2 || fields[0] != "module" {
			continue
		}
		path := fields[1]
		if strings.HasPrefix(path, `"`) || strings.HasPrefix(path, "`") {
			unquoted, err := strconv.Unquote(path)
			if err != nil {
				return "", fmt.Errorf("bad module path %s", path)
			}
			path = unquoted
		}
		return path, nil
	}
	return "", errors.New("no module directive")
}

// hasRequirements reports whether a go.mod requires other modules.
func hasRequirements(gomod []byte) bool {
	sc := bufio.NewScanner(bytes.NewReader(gomod))
	for sc.Scan() {
		if fields := strings.Fields(sc.Text()); len(fields) > 1 && fields[0] == "require" {
			return true
		}
	}
	return false
}

func (l *langPack) Build(ctx context.Context, req *sdk.StepRequest, out sdk.OutputFunc) (*sdk.StepResult, error) {
	rt, err := l.Toolchain.Find(ctx)
	if err != nil {
		return nil, err
	}
	mod, err := os.ReadFile(filepath.Join(req.Dir, "go.mod"))
	if err != nil {
		return nil, fmt.Errorf("the go LangPack needs a Go module: %w", err)
	}
	if hasRequirements(mod) && !exists(filepath.Join(req.Dir, "vendor", "modules.txt")) {
		cmd := exec.Command(rt.Path, "mod", "download")
		cmd.Dir = req.Dir
		cmd.Env = environ(req.Env)
		if err := sdk.RunTool(ctx, cmd, out); err != nil {
			return sdk.StepOutcome(err)
		}
	}
	compiled, err := compile(ctx, rt.Path, req.Dir, req.Env, out)
	switch {
	case err != nil:
		return sdk.StepOutcome(err)
	case !compiled:
		return &sdk.StepResult{Message: binary + " is up to date"}, nil
	}
	return &sdk.StepResult{Message: "compiled " + binary}, nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func (l *langPack) Test(ctx context.Context, req *sdk.StepRequest, out sdk.OutputFunc) (*sdk.StepResult, error) {
	rt, err := l.Toolchain.Find(ctx)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(rt.Path, "test", "./...")
	cmd.Dir = req.Dir
	cmd.Env = environ(req.Env)
	return sdk.RunStep(ctx, cmd, out)
}

// Scaffold names the template's go.mod.template go.mod (see golangpack.Files).
func (l *langPack) Scaffold(ctx context.Context, req *sdk.ScaffoldRequest) (*sdk.ScaffoldResponse, error) {
	resp, err := l.Basic.Scaffold(ctx, req)
	if err != nil {
		return nil, err
	}
	for i := range resp.Files {
		if resp.Files[i].Path == "go.mod.template" {
			resp.Files[i].Path = "go.mod"
		}
	}
	return resp, nil
}
