package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	rlangpack "github.com/langserver/langserver/langpacks/r"
	"github.com/langserver/langserver/sdk"
	"github.com/langserver/langserver/sdk/pipe"
)

// version is the adapter's version, set at build time.
var version = "dev"

// The oldest R the runner supports: errorCondition() came in 3.6.
const (
	minRMajor = 3
	minRMinor = 6
)

// libraryDir is where Build installs an algorithm's package archives,
// relative to its root. The runner and the test runner put it first on
// .libPaths().
const libraryDir = ".langserver/library"

func main() {
	lp := &langPack{Basic: sdk.Basic{
		InfoResponse: sdk.InfoResponse{
			Name:          "r",
			Version:       version,
			Description:   "R algorithms: src/<algoname>.r defines algorithm <- function(input)",
			Capabilities:  []string{sdk.CapBuild, sdk.CapTest, sdk.CapScaffold, sdk.CapStreamOutput, sdk.CapLegacyFIFO},
			Languages:     []string{"r"},
			RequiredFiles: []string{"algorithmia.conf", "src/{algoname}.r"},
			Settings: []sdk.SettingSchema{{
				Name: "rscript", Type: "string",
				Description: "the Rscript executable to use; default: Rscript on PATH",
			}},
		},
		Toolchain: &sdk.Toolchain{
			Name: "Rscript", What: "R front end Rscript", LangPack: "r", Setting: "rscript",
			Default: "Rscript", Install: "apt-get install r-base-core r-cran-jsonlite", Probe: probeR,
		},
		Template: rlangpack.Files, TemplateDir: "template",
	}}
	lp.PipeRunners = sdk.NewPipeRunners(lp.runnerCommand)
	sdk.Serve(lp)
}

type langPack struct {
	sdk.Basic
	*sdk.PipeRunners
}

// probeR asks R for its own Rscript (behind any wrapper or version-manager
// shim), its version, and whether jsonlite, which the runner needs, is
// installed.
func probeR(ctx context.Context, path string) (string, string, error) {
	const probe = `cat(file.path(R.home("bin"), "Rscript"), paste(R.version$major, R.version$minor, sep = "."), requireNamespace("jsonlite", quietly = TRUE), sep = "\n")`
	lines, err := sdk.ProbeLines(ctx, "Rscript", path, 3, "-e", probe)
	if err != nil {
		return "", "", err
	}
	real, version, jsonlite := lines[0], lines[1], lines[2]
	var major, minor int
	if _, err := fmt.Sscanf(version, "%d.%d", &major, &minor); err != nil || major < minRMajor || major == minRMajor && minor < minRMinor {
		return "", "", fmt.Errorf("%s is R %s; the r LangPack needs R %d.%d or later", path, version, minRMajor, minRMinor)
	}
	if jsonlite != "TRUE" {
		return "", "", fmt.Errorf("R %s (%s) lacks the jsonlite package the r LangPack needs: install it (Debian: apt-get install r-cran-jsonlite)", version, path)
	}
	return real, version, nil
}

// rscript returns the Rscript executable, or an error that says what to
// install.
func (l *langPack) rscript(ctx context.Context) (string, error) {
	rt, err := l.Toolchain.Find(ctx)
	return rt.Path, err
}

// environ returns the environment of an R process: the adapter's own with
// the request's additions. Without any locale R runs in the C locale, where
// it prints every non-ASCII character as an escape such as <U+00E9>, so
// C.UTF-8 stands in for a missing one.
func environ(add map[string]string) []string {
	env := sdk.MergeEnv(os.Environ(), add)
	for _, kv := range env {
		name, value, _ := strings.Cut(kv, "=")
		if (name == "LC_ALL" || name == "LC_CTYPE" || name == "LANG") && value != "" {
			return env
		}
	}
	return sdk.MergeEnv(env, map[string]string{"LANG": "C.UTF-8"})
}

func (l *langPack) runnerCommand(ctx context.Context, req *sdk.StartRunnerRequest) (pipe.Config, error) {
	rscript, err := l.rscript(ctx)
	if err != nil {
		return pipe.Config{}, err
	}
	script, err := sdk.ExtractFile(rlangpack.Files, "runner/pipe.r", "langserver-r")
	if err != nil {
		return pipe.Config{}, err
	}
	return pipe.Config{
		Command: []string{rscript, script},
		Dir:     req.Dir,
		Env:     environ(req.Env),
	}, nil
}

// installArchives installs package archives (the arguments after the
// library folder) into that folder. Warnings are errors, since
// install.packages only warns when a package fails to install.
const installArchives = `options(warn = 2)
args <- commandArgs(TRUE)
dir.create(args[1], recursive = TRUE, showWarnings = FALSE)
install.packages(args[-1], lib = args[1], repos = NULL, type = "source")`

// findPackages prints the folder of each named package (the arguments after
// the library folder) that is installed, in that folder or R's libraries.
const findPackages = `args <- commandArgs(TRUE)
cat(find.package(args[-1], lib.loc = c(args[1], .libPaths()), quiet = TRUE), sep = "\n")`

func (l *langPack) Build(ctx context.Context, req *sdk.StepRequest, out sdk.OutputFunc) (*sdk.StepResult, error) {
	rscript, err := l.rscript(ctx)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(filepath.Join(req.Dir, "packages.txt"))
	if errors.Is(err, fs.ErrNotExist) {
		return &sdk.StepResult{Skipped: true, Message: "no packages.txt: nothing to install"}, nil
	} else if err != nil {
		return nil, err
	}
	pkgs, problems := parsePackages(string(data))
	for _, archive := range pkgs.Archives {
		if !exists(filepath.Join(req.Dir, archive)) {
			problems = append(problems, fmt.Sprintf("package archive %s not found", archive))
		}
	}
	if len(problems) > 0 {
		for _, p := range problems {
			emit(out, sdk.Stderr, "packages.txt: "+p)
		}
		return &sdk.StepResult{ExitCode: 1, Message: "packages.txt: " + strings.Join(problems, "; ")}, nil
	}
	if len(pkgs.Names) == 0 && len(pkgs.Archives) == 0 {
		return &sdk.StepResult{Skipped: true, Message: "no packages in packages.txt: nothing to install"}, nil
	}
	lib := filepath.Join(req.Dir, libraryDir)
	if len(pkgs.Archives) > 0 {
		cmd := exec.Command(rscript, append([]string{"-e", installArchives, lib}, pkgs.Archives...)...)
		cmd.Dir = req.Dir
		cmd.Env = environ(req.Env)
		if res, err := sdk.RunStep(ctx, cmd, out); err != nil || res.ExitCode != 0 {
			return res, err
		}
	}
	if len(pkgs.Names) == 0 {
		return &sdk.StepResult{}, nil
	}
	cmd := exec.CommandContext(ctx, rscript, append([]string{"-e", findPackages, lib}, pkgs.Names...)...)
	cmd.Dir = req.Dir
	cmd.Env = environ(req.Env)
	found, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("looking for the R packages of packages.txt: %w", err)
	}
	installed := map[string]bool{}
	for _, dir := range strings.Fields(string(found)) {
		installed[filepath.Base(dir)] = true
		emit(out, sdk.Stdout, fmt.Sprintf("found %s in %s", filepath.Base(dir), filepath.Dir(dir)))
	}
	var missing []string
	for _, name := range pkgs.Names {
		if !installed[name] {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		msg := missingMessage(missing)
		emit(out, sdk.Stderr, msg)
		return &sdk.StepResult{ExitCode: 1, Message: msg}, nil
	}
	return &sdk.StepResult{}, nil
}

// emit sends one line of step output, when anyone listens.
func emit(out sdk.OutputFunc, stream sdk.Stream, text string) {
	if out != nil {
		out(sdk.OutputLine{Stream: stream, Text: []byte(text)})
	}
}

// missingMessage says which Debian packages provide the missing R
// packages: Debian names a CRAN package r-cran-<name in lower case>.
func missingMessage(names []string) string {
	debs := make([]string, len(names))
	for i, name := range names {
		debs[i] = "r-cran-" + strings.ToLower(name)
	}
	return fmt.Sprintf("R packages not installed, and no CRAN reachable: %s; install them (Debian: apt-get install %s)",
		strings.Join(names, ", "), strings.Join(debs, " "))
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func (l *langPack) Test(ctx context.Context, req *sdk.StepRequest, out sdk.OutputFunc) (*sdk.StepResult, error) {
	rscript, err := l.rscript(ctx)
	if err != nil {
		return nil, err
	}
	if !exists(filepath.Join(req.Dir, "tests")) {
		return &sdk.StepResult{Skipped: true, Message: "no tests: no tests/ folder"}, nil
	}
	script, err := sdk.ExtractFile(rlangpack.Files, "runner/testthat.r", "langserver-r")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(rscript, script)
	cmd.Dir = req.Dir
	cmd.Env = environ(req.Env)
	return sdk.RunStep(ctx, cmd, out)
}
