package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	rubylangpack "github.com/langserver/langserver/langpacks/ruby"
	"github.com/langserver/langserver/sdk"
	"github.com/langserver/langserver/sdk/pipe"
)

// version is the adapter's version, set at build time.
var version = "dev"

// The oldest Ruby the runner supports.
const minRuby = "2.7"

// testPatterns are the test files Test runs, relative to the algorithm's
// root: Minitest's usual test/ layout, and the original LangPack's
// src/<algoname>_test.rb.
var testPatterns = []string{"test/*_test.rb", "test/test_*.rb", "src/*_test.rb"}

func main() {
	lp := &langPack{Basic: sdk.Basic{
		InfoResponse: sdk.InfoResponse{
			Name:          "ruby",
			Version:       version,
			Description:   "Ruby algorithms: src/<algoname>.rb defines apply(input) at the top level",
			Capabilities:  []string{sdk.CapBuild, sdk.CapTest, sdk.CapScaffold, sdk.CapStreamOutput, sdk.CapLegacyFIFO},
			Languages:     []string{"ruby"},
			RequiredFiles: []string{"algorithmia.conf", "src/{algoname}.rb"},
		},
		Toolchain: &sdk.Toolchain{
			Name: "ruby", What: "Ruby interpreter", LangPack: "ruby", Setting: "ruby",
			Default: "ruby", Install: "apt-get install ruby", Probe: probeRuby,
		},
		Template: rubylangpack.Files, TemplateDir: "template",
	}}
	lp.PipeRunners = sdk.NewPipeRunners(lp.runnerCommand)
	sdk.Serve(lp)
}

type langPack struct {
	sdk.Basic
	*sdk.PipeRunners
}

// probeRuby asks the interpreter for RbConfig.ruby, its own executable
// behind any version-manager shim (rbenv, asdf), and for its version.
func probeRuby(ctx context.Context, path string) (string, string, error) {
	lines, err := sdk.ProbeLines(ctx, "Ruby interpreter", path, 2, "-e", "puts RbConfig.ruby, RUBY_VERSION")
	if err != nil {
		return "", "", err
	}
	if !atLeast(lines[1], minRuby) {
		return "", "", fmt.Errorf("%s is Ruby %s; the ruby LangPack needs Ruby %s or later", path, lines[1], minRuby)
	}
	return lines[0], lines[1], nil
}

// atLeast reports whether the dotted version v is min or later; parts that
// are not numbers count as 0.
func atLeast(v, min string) bool {
	have, want := strings.Split(v, "."), strings.Split(min, ".")
	for i, w := range want {
		var h int
		if i < len(have) {
			h, _ = strconv.Atoi(have[i])
		}
		n, _ := strconv.Atoi(w)
		if h != n {
			return h > n
		}
	}
	return true
}

// ruby returns the Ruby interpreter, or an error that says what to install.
func (l *langPack) ruby(ctx context.Context) (string, error) {
	rt, err := l.Toolchain.Find(ctx)
	return rt.Path, err
}

// environ returns the environment of a process run for the algorithm in
// dir: the adapter's own with the request's additions, and the algorithm's
// Gemfile, when it has one, as the bundle.
func environ(dir string, add map[string]string) []string {
	env := sdk.MergeEnv(os.Environ(), add)
	if gemfile := filepath.Join(dir, "Gemfile"); exists(gemfile) {
		env = sdk.MergeEnv(env, map[string]string{"BUNDLE_GEMFILE": gemfile, "BUNDLE_SILENCE_ROOT_WARNING": "1"})
	}
	return env
}

func (l *langPack) runnerCommand(ctx context.Context, req *sdk.StartRunnerRequest) (pipe.Config, error) {
	ruby, err := l.ruby(ctx)
	if err != nil {
		return pipe.Config{}, err
	}
	script, err := sdk.ExtractFile(rubylangpack.Files, "runner/pipe.rb", "langserver-ruby")
	if err != nil {
		return pipe.Config{}, err
	}
	return pipe.Config{
		Command: []string{ruby, script},
		Dir:     req.Dir,
		Env:     environ(req.Dir, req.Env),
	}, nil
}

// bundle runs Bundler's own executable with the interpreter in use, so
// that the Bundler of that Ruby runs whatever bundle is first on PATH.
const bundle = `begin
  bundle = Gem.bin_path("bundler", "bundle")
rescue Gem::GemNotFoundException, Gem::MissingSpecError
  abort "Bundler is not installed for #{RbConfig.ruby}: install it (Debian: apt-get install ruby-bundler)"
end
load bundle`

func (l *langPack) Build(ctx context.Context, req *sdk.StepRequest, out sdk.OutputFunc) (*sdk.StepResult, error) {
	ruby, err := l.ruby(ctx)
	if err != nil {
		return nil, err
	}
	if !exists(filepath.Join(req.Dir, "Gemfile")) {
		return &sdk.StepResult{Skipped: true, Message: "no Gemfile: nothing to install"}, nil
	}
	// --local: no gem server can be reached, so Bundler resolves the
	// Gemfile against the gems already installed (Debian's ruby-* packages)
	// and writes Gemfile.lock.
	cmd := exec.Command(ruby, "-e", bundle, "install", "--local")
	cmd.Dir = req.Dir
	cmd.Env = environ(req.Dir, req.Env)
	var missing missingGems
	res, err := sdk.RunStep(ctx, cmd, missing.watch(out))
	if err == nil && res.ExitCode != 0 && len(missing) > 0 {
		res.Message = missing.String()
	}
	return res, err
}

// missingGems collects the gems Bundler reports it cannot find.
type missingGems []string

// notFound matches Bundler's report of a gem that is not installed.
var notFound = regexp.MustCompile(`Could not find gem '([A-Za-z0-9_.-]+)`)

// watch returns an OutputFunc that notes every missing gem before passing
// the line on to out.
func (m *missingGems) watch(out sdk.OutputFunc) sdk.OutputFunc {
	return func(line sdk.OutputLine) {
		if match := notFound.FindSubmatch(line.Text); match != nil {
			*m = append(*m, string(match[1]))
		}
		if out != nil {
			out(line)
		}
	}
}

// String says which Debian packages would provide the missing gems:
// Debian names a gem's package ruby-<gem>, with "_" as "-".
func (m missingGems) String() string {
	gems := make([]string, len(m))
	packages := make([]string, len(m))
	for i, gem := range m {
		gems[i] = gem
		packages[i] = "ruby-" + strings.ReplaceAll(strings.ToLower(gem), "_", "-")
	}
	return fmt.Sprintf("gems not installed and no gem server reachable: %s; install them (Debian: apt-get install %s)",
		strings.Join(gems, ", "), strings.Join(packages, " "))
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// testFiles returns the algorithm's test files, relative to dir.
func testFiles(dir string) ([]string, error) {
	var files []string
	for _, pattern := range testPatterns {
		matches, err := filepath.Glob(filepath.Join(dir, pattern))
		if err != nil {
			return nil, err
		}
		for _, m := range matches {
			rel, err := filepath.Rel(dir, m)
			if err != nil {
				return nil, err
			}
			files = append(files, rel)
		}
	}
	return files, nil
}

// runTests requires each test file named in ARGV; Minitest's autorun then
// runs them all when the interpreter exits. ARGV is emptied first, since
// Minitest reads its options there.
const runTests = `files = ARGV.dup
ARGV.clear
files.each { |file| require File.expand_path(file) }`

func (l *langPack) Test(ctx context.Context, req *sdk.StepRequest, out sdk.OutputFunc) (*sdk.StepResult, error) {
	ruby, err := l.ruby(ctx)
	if err != nil {
		return nil, err
	}
	files, err := testFiles(req.Dir)
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return &sdk.StepResult{Skipped: true, Message: "no tests: no file matches " + strings.Join(testPatterns, ", ")}, nil
	}
	args := []string{"-Ilib", "-Isrc", "-Itest"}
	if exists(filepath.Join(req.Dir, "Gemfile")) {
		args = append(args, "-rbundler/setup")
	}
	args = append(append(args, "-e", runTests, "--"), files...)
	cmd := exec.Command(ruby, args...)
	cmd.Dir = req.Dir
	cmd.Env = environ(req.Dir, req.Env)
	return sdk.RunStep(ctx, cmd, out)
}
