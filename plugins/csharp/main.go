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
	"sort"
	"strings"

	cslangpack "github.com/langserver/langserver/langpacks/csharp"
	"github.com/langserver/langserver/sdk"
	"github.com/langserver/langserver/sdk/pipe"
)

// version is the adapter's version, set at build time.
var version = "dev"

// Paths relative to the algorithm's root.
const (
	outDir    = ".langserver/csharp"
	algorithm = outDir + "/algorithm.dll"
	runnerExe = outDir + "/pipe.exe"
	testsDll  = outDir + "/tests.dll"
	stamp     = outDir + "/build.stamp"
)

// frameworkRefs are the framework assemblies every algorithm may use
// without declaring them.
var frameworkRefs = []string{
	"System.dll", "System.Core.dll", "System.Data.dll", "System.Numerics.dll", "System.Xml.dll",
	"System.Xml.Linq.dll", "System.Net.Http.dll", "System.Web.Extensions.dll", "Microsoft.CSharp.dll",
}

// nunitFrameworks are where Debian's libnunit-cil-dev (or the packages it
// depends on) put nunit.framework.dll.
const nunitFrameworks = "/usr/lib/cli/nunit.framework-*/nunit.framework.dll"

func main() {
	lp := &langPack{Basic: sdk.Basic{
		InfoResponse: sdk.InfoResponse{
			Name:    "csharp",
			Version: version,
			Description: "C# algorithms on Mono: src/<algoname>.cs has a public class with a public Apply method " +
				"of one parameter, compiled with mcs",
			Capabilities:  []string{sdk.CapBuild, sdk.CapTest, sdk.CapScaffold, sdk.CapStreamOutput, sdk.CapLegacyFIFO},
			Languages:     []string{"csharp", "c#"},
			RequiredFiles: []string{"algorithmia.conf", "src/{algoname}.cs"},
			Settings: []sdk.SettingSchema{{
				Name: "mono", Type: "string",
				Description: "the mono runtime to use (mcs is taken from beside it, else from PATH); default: mono on PATH",
			}},
		},
		Toolchain: &sdk.Toolchain{
			Name: "mono", What: "Mono runtime", LangPack: "csharp", Setting: "mono",
			Default: "mono", Install: "apt-get install mono-devel", Probe: probeMono,
		},
		Template: cslangpack.Files, TemplateDir: "template",
	}}
	lp.PipeRunners = sdk.NewPipeRunners(lp.runnerCommand)
	sdk.Serve(lp)
}

type langPack struct {
	sdk.Basic
	*sdk.PipeRunners
}

// probeMono asks mono for its version and checks that the C# compiler is
// there too.
func probeMono(ctx context.Context, path string) (string, string, error) {
	out, err := exec.CommandContext(ctx, path, "--version").Output()
	if err != nil {
		return "", "", fmt.Errorf("Mono runtime %s does not run: %v", path, err)
	}
	v := monoVersion(string(out))
	if v == "" {
		return "", "", fmt.Errorf("%s does not look like Mono: %q", path, firstLine(string(out)))
	}
	if _, err := findCompiler(path); err != nil {
		return "", "", err
	}
	return path, v, nil
}

// monoVersion returns the version in mono --version's first line, such as
// "6.8.0.105" in "Mono JIT compiler version 6.8.0.105 (Debian ...)".
func monoVersion(out string) string {
	fields := strings.Fields(firstLine(out))
	for i, f := range fields {
		if f == "version" && i+1 < len(fields) && i >= 2 && fields[0] == "Mono" {
			return fields[i+1]
		}
	}
	return ""
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// findCompiler returns mcs from beside mono, else from PATH.
func findCompiler(mono string) (string, error) {
	beside := filepath.Join(filepath.Dir(mono), "mcs")
	if _, err := os.Stat(beside); err == nil {
		return beside, nil
	}
	if p, err := exec.LookPath("mcs"); err == nil {
		return p, nil
	}
	return "", errors.New("the C# compiler mcs was not found beside " + mono + " or on PATH: install it (Debian: apt-get install mono-devel)")
}

// algoname returns the algorithm's name from its algorithmia.conf.
func algoname(dir string) (string, error) {
	path := filepath.Join(dir, "algorithmia.conf")
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	var conf struct {
		Algoname string `json:"algoname"`
	}
	if err := json.Unmarshal(data, &conf); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	if conf.Algoname == "" {
		return "", fmt.Errorf("%s has no \"algoname\"", path)
	}
	return conf.Algoname, nil
}

func (l *langPack) runnerCommand(ctx context.Context, req *sdk.StartRunnerRequest) (pipe.Config, error) {
	name, err := algoname(req.Dir)
	if err != nil {
		return pipe.Config{}, err
	}
	mono, _, err := l.compile(ctx, req.Dir, req.Env, nil)
	if err != nil {
		return pipe.Config{}, fmt.Errorf("compiling the algorithm: %w", err)
	}
	return pipe.Config{
		Command: []string{mono, "--debug", filepath.Join(req.Dir, runnerExe), filepath.Join(req.Dir, algorithm), name},
		Dir:     req.Dir,
		Env:     sdk.MergeEnv(os.Environ(), req.Env),
	}, nil
}

// compile builds the algorithm assembly and the runner when they are
// missing or older than the algorithm's files or the runner's source, and
// returns the mono to run them with and whether it ran the compiler, whose
// lines go to out.
func (l *langPack) compile(ctx context.Context, dir string, env map[string]string, out sdk.OutputFunc) (mono string, compiled bool, err error) {
	rt, err := l.Toolchain.Find(ctx)
	if err != nil {
		return "", false, err
	}
	mcs, err := findCompiler(rt.Path)
	if err != nil {
		return "", false, err
	}
	runner, err := sdk.ExtractFile(cslangpack.Files, "runner/Pipe.cs", "langserver-csharp")
	if err != nil {
		return "", false, err
	}
	err = sdk.CompileIfStale(ctx, filepath.Join(dir, stamp), []string{dir, runner}, func(ctx context.Context) error {
		compiled = true
		sources, err := findFiles(filepath.Join(dir, "src"), ".cs")
		if err != nil {
			return err
		}
		if len(sources) == 0 {
			return errors.New("no C# sources: the csharp LangPack compiles src/**/*.cs")
		}
		libs, err := findFiles(filepath.Join(dir, "lib"), ".dll")
		if err != nil {
			return err
		}
		// The compiler writes into a fresh folder whose files then replace
		// the old ones by rename: runners still running keep the
		// assemblies they mapped.
		next := filepath.Join(dir, outDir, "next")
		if err := os.RemoveAll(next); err != nil {
			return err
		}
		if err := os.MkdirAll(next, 0o755); err != nil {
			return err
		}
		args := append([]string{"-target:library", "-debug", "-nologo", "-out:" + filepath.Join(next, filepath.Base(algorithm))}, references(libs)...)
		if err := sdk.RunTool(ctx, mcsCommand(ctx, mcs, dir, env, append(args, sources...)...), out); err != nil {
			return err
		}
		err = sdk.RunTool(ctx, mcsCommand(ctx, mcs, dir, env, "-debug", "-nologo", "-out:"+filepath.Join(next, filepath.Base(runnerExe)),
			"-r:System.Web.Extensions.dll", "-r:Mono.Posix.dll", runner), out)
		if err != nil {
			return err
		}
		if err := copyFiles(libs, next); err != nil {
			return err
		}
		return moveFiles(next, filepath.Join(dir, outDir))
	})
	return rt.Path, compiled, err
}

func mcsCommand(ctx context.Context, mcs, dir string, env map[string]string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, mcs, args...)
	cmd.Dir = dir
	cmd.Env = sdk.MergeEnv(os.Environ(), env)
	return cmd
}

// references returns mcs -r: options for the framework assemblies and libs.
func references(libs []string) []string {
	var refs []string
	for _, r := range frameworkRefs {
		refs = append(refs, "-r:"+r)
	}
	for _, lib := range libs {
		refs = append(refs, "-r:"+lib)
	}
	return refs
}

// findFiles returns the files under root (none when it does not exist)
// whose names end in ext, sorted, skipping .langserver folders.
func findFiles(root, ext string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		switch {
		case errors.Is(err, fs.ErrNotExist) && path == root:
			return filepath.SkipDir
		case err != nil:
			return err
		case d.IsDir() && d.Name() == ".langserver":
			return filepath.SkipDir
		case !d.IsDir() && strings.EqualFold(filepath.Ext(path), ext):
			files = append(files, path)
		}
		return nil
	})
	sort.Strings(files)
	return files, err
}

// copyFiles copies files into dir, so that the runtime finds the assemblies
// an algorithm references next to it.
func copyFiles(files []string, dir string) error {
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// moveFiles renames every file of the folder from into the folder to, then
// removes from.
func moveFiles(from, to string) error {
	entries, err := os.ReadDir(from)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := os.Rename(filepath.Join(from, e.Name()), filepath.Join(to, e.Name())); err != nil {
			return err
		}
	}
	return os.Remove(from)
}

func (l *langPack) Build(ctx context.Context, req *sdk.StepRequest, out sdk.OutputFunc) (*sdk.StepResult, error) {
	_, compiled, err := l.compile(ctx, req.Dir, req.Env, out)
	switch {
	case err != nil:
		return sdk.StepOutcome(err)
	case !compiled:
		return &sdk.StepResult{Message: algorithm + " is up to date"}, nil
	}
	return &sdk.StepResult{Message: "compiled " + algorithm}, nil
}

func (l *langPack) Test(ctx context.Context, req *sdk.StepRequest, out sdk.OutputFunc) (*sdk.StepResult, error) {
	mono, _, err := l.compile(ctx, req.Dir, req.Env, out)
	if err != nil {
		return sdk.StepOutcome(err)
	}
	tests, err := findFiles(filepath.Join(req.Dir, "test"), ".cs")
	if err != nil {
		return nil, err
	}
	if len(tests) == 0 {
		return &sdk.StepResult{Skipped: true, Message: "no tests: test/ has no .cs files"}, nil
	}
	framework, console, err := findNUnit()
	if err != nil {
		return nil, err
	}
	mcs, err := findCompiler(mono)
	if err != nil {
		return nil, err
	}
	libs, err := findFiles(filepath.Join(req.Dir, "lib"), ".dll")
	if err != nil {
		return nil, err
	}
	args := append([]string{"-target:library", "-debug", "-nologo", "-out:" + filepath.Join(req.Dir, testsDll),
		"-r:" + filepath.Join(req.Dir, algorithm), "-r:" + framework}, references(libs)...)
	if err := sdk.RunTool(ctx, mcsCommand(ctx, mcs, req.Dir, req.Env, append(args, tests...)...), out); err != nil {
		return sdk.StepOutcome(err)
	}
	if err := copyFiles([]string{framework}, filepath.Join(req.Dir, outDir)); err != nil {
		return nil, err
	}
	cmd := exec.Command(console, "-nologo", "-noresult", "-noshadow", filepath.Join(req.Dir, testsDll))
	cmd.Dir = req.Dir
	cmd.Env = sdk.MergeEnv(os.Environ(), req.Env)
	return sdk.RunStep(ctx, cmd, out)
}

// findNUnit returns Debian's nunit.framework.dll and nunit-console.
func findNUnit() (framework, console string, err error) {
	frameworks, _ := filepath.Glob(nunitFrameworks)
	console, lookErr := exec.LookPath("nunit-console")
	if len(frameworks) == 0 || lookErr != nil {
		return "", "", errors.New("NUnit not found: install it (Debian: apt-get install nunit-console libnunit-cil-dev)")
	}
	sort.Strings(frameworks)
	return frameworks[len(frameworks)-1], console, nil
}
