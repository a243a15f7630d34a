package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
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
	lp := &langPack{toolchain: &sdk.Toolchain{
		Name: "go", What: "Go toolchain (go command)", LangPack: "go", Setting: "go",
		Default: "go", Install: "apt-get install golang-go", Probe: probeGo,
	}}
	lp.PipeRunners = sdk.NewPipeRunners(lp.runnerCommand)
	sdk.Serve(lp)
}

type langPack struct {
	*sdk.PipeRunners
	toolchain *sdk.Toolchain
}

func (l *langPack) Info(context.Context, *sdk.InfoRequest) (*sdk.InfoResponse, error) {
	return &sdk.InfoResponse{
		Name:    "go",
		Version: version,
		Description: "Go algorithms: a module (go.mod) whose package src/ (src/<algoname>.go) has " +
			"func Apply(input any) (any, error), compiled with the LangPack's runner main",
		APIVersions:   []uint32{sdk.APIVersion},
		Capabilities:  []string{sdk.CapBuild, sdk.CapTest, sdk.CapScaffold, sdk.CapStreamOutput, sdk.CapLegacyFIFO},
		Languages:     []string{"go", "golang"},
		RequiredFiles: []string{"algorithmia.conf", "go.mod", "src/{algoname}.go"},
		Settings: []sdk.SettingSchema{{
			Name: "go", Type: "string",
			Description: "the go command to use; default: go on PATH",
		}},
	}, nil
}

func (l *langPack) Setup(ctx context.Context, req *sdk.SetupRequest) (*sdk.SetupResponse, error) {
	return l.toolchain.Setup(ctx, req)
}

// probeGo asks the go command for its GOROOT, which resolves wrappers and
// version-manager shims to the real toolchain, and for its version.
func probeGo(ctx context.Context, path string) (string, string, error) {
	out, err := exec.CommandContext(ctx, path, "env", "GOROOT", "GOVERSION").Output()
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if err != nil || len(lines) != 2 {
		return "", "", fmt.Errorf("go command %s does not run: %v", path, err)
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
	rt, err := l.toolchain.Find(ctx)
	if err != nil {
		return pipe.Config{}, err
	}
	err = compile(ctx, rt.Path, req.Dir, req.Env, func(cmd *exec.Cmd) error {
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("compiling the algorithm failed: %v\n%s", err, bytes.TrimSpace(out))
		}
		return nil
	})
	if err != nil {
		return pipe.Config{}, err
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
// the algorithm's module (so its go.mod, go.sum and vendor/ apply). run
// runs the go build command.
func compile(ctx context.Context, goTool, dir string, env map[string]string, run func(*exec.Cmd) error) error {
	runner, err := sdk.ExtractFile(golangpack.Files, "runner/pipe.go", "langserver-go")
	if err != nil {
		return err
	}
	sources := []string{dir, runner}
	return sdk.CompileIfStale(ctx, filepath.Join(dir, stamp), sources, func(ctx context.Context) error {
		overlay, err := writeOverlay(dir, runner)
		if err != nil {
			return err
		}
		cmd := exec.CommandContext(ctx, goTool, "build", "-overlay", overlay, "-o", filepath.Join(dir, binary), "./"+runnerPackage)
		cmd.Dir = dir
		cmd.Env = environ(env)
		return run(cmd)
	})
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

// stepError is a build command that ran and failed.
type stepError struct{ result *sdk.StepResult }

func (e stepError) Error() string { return e.result.Message }

func (l *langPack) Build(ctx context.Context, req *sdk.StepRequest, out sdk.OutputFunc) (*sdk.StepResult, error) {
	rt, err := l.toolchain.Find(ctx)
	if err != nil {
		return nil, err
	}
	mod, err := os.ReadFile(filepath.Join(req.Dir, "go.mod"))
	if err != nil {
		return nil, fmt.Errorf("the go LangPack needs a Go module: %w", err)
	}
	runStep := func(cmd *exec.Cmd) error {
		res, err := sdk.RunStep(ctx, cmd, out)
		if err == nil && res.ExitCode != 0 {
			return stepError{res}
		}
		return err
	}
	if hasRequirements(mod) && !exists(filepath.Join(req.Dir, "vendor", "modules.txt")) {
		cmd := exec.Command(rt.Path, "mod", "download")
		cmd.Dir = req.Dir
		cmd.Env = environ(req.Env)
		if err := runStep(cmd); err != nil {
			return stepResult(err)
		}
	}
	compiled := false
	err = compile(ctx, rt.Path, req.Dir, req.Env, func(cmd *exec.Cmd) error {
		compiled = true
		return runStep(cmd)
	})
	if err != nil {
		return stepResult(err)
	}
	if !compiled {
		return &sdk.StepResult{Message: binary + " is up to date"}, nil
	}
	return &sdk.StepResult{Message: "compiled " + binary}, nil
}

// stepResult turns a failed command into its StepResult; other errors stay
// errors.
func stepResult(err error) (*sdk.StepResult, error) {
	var failed stepError
	if errors.As(err, &failed) {
		return failed.result, nil
	}
	return nil, err
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func (l *langPack) Test(ctx context.Context, req *sdk.StepRequest, out sdk.OutputFunc) (*sdk.StepResult, error) {
	rt, err := l.toolchain.Find(ctx)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(rt.Path, "test", "./...")
	cmd.Dir = req.Dir
	cmd.Env = environ(req.Env)
	return sdk.RunStep(ctx, cmd, out)
}

func (l *langPack) Scaffold(_ context.Context, req *sdk.ScaffoldRequest) (*sdk.ScaffoldResponse, error) {
	template, err := fs.Sub(golangpack.Files, "template")
	if err != nil {
		return nil, err
	}
	resp, err := sdk.ScaffoldFS(template, req)
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
