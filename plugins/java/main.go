package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	javalangpack "github.com/langserver/langserver/langpacks/java"
	"github.com/langserver/langserver/plugins/internal/jvm"
	"github.com/langserver/langserver/sdk"
	"github.com/langserver/langserver/sdk/pipe"
)

// version is the adapter's version, set at build time.
var version = "dev"

// minJavaMajor is the oldest JDK the runner supports.
const minJavaMajor = 8

// java is how Java algorithms are laid out and compiled.
var java = &jvm.Language{
	Name: "Java", MainDir: "src/main/java", TestDir: "src/test/java", Ext: ".java",
}

func main() {
	sdk.Serve(newLangPack())
}

func newLangPack() *langPack {
	lp := &langPack{Basic: sdk.Basic{
		InfoResponse: sdk.InfoResponse{
			Name:    "java",
			Version: version,
			Description: "Java algorithms: class algorithmia.<algoname>.<algoname> in " +
				"src/main/java/algorithmia/<algoname>/<algoname>.java with apply methods (String, byte[], JSON bound with Gson)",
			Capabilities:  []string{sdk.CapBuild, sdk.CapTest, sdk.CapScaffold, sdk.CapStreamOutput, sdk.CapLegacyFIFO},
			Languages:     []string{"java"},
			RequiredFiles: []string{"algorithmia.conf", "src/main/java/algorithmia/{algoname}/{algoname}.java"},
			Settings: []sdk.SettingSchema{{
				Name: "javac", Type: "string",
				Description: "the JDK's javac to use (java is taken from the same folder); default: javac on PATH",
			}},
		},
		Toolchain: &sdk.Toolchain{
			Name: "javac", What: "Java compiler (JDK)", LangPack: "java", Setting: "javac",
			Default: "javac", Install: "apt-get install default-jdk-headless libgoogle-gson-java", Probe: probeJDK,
		},
		Template: javalangpack.Files, TemplateDir: "template",
	}}
	lp.PipeRunners = sdk.NewPipeRunners(lp.runnerCommand)
	return lp
}

type langPack struct {
	sdk.Basic
	*sdk.PipeRunners
}

// probeJDK checks that javac runs, that java is beside it and that Gson is
// installed, and returns javac's real path and version.
func probeJDK(ctx context.Context, path string) (string, string, error) {
	javac, version, major, err := jvm.Probe(ctx, path, "Java compiler")
	if err != nil {
		return "", "", err
	}
	if major < minJavaMajor {
		return "", "", fmt.Errorf("%s is Java %s; the java LangPack needs Java %d or later", path, version, minJavaMajor)
	}
	if _, err := os.Stat(javaBeside(javac)); err != nil {
		return "", "", fmt.Errorf("no java beside %s: install a full JDK (Debian: apt-get install default-jdk-headless)", javac)
	}
	if _, err := jvm.Gson.Path(); err != nil {
		return "", "", err
	}
	return javac, version, nil
}

// javaBeside returns the java launcher of the JDK that javac belongs to.
func javaBeside(javac string) string {
	return filepath.Join(filepath.Dir(javac), "java")
}

func javacCommand(javac string) func(out, classPath string, files []string) *exec.Cmd {
	return func(out, classPath string, files []string) *exec.Cmd {
		args := append([]string{"-d", out, "-cp", classPath, "-encoding", "UTF-8", "-g", "-parameters"}, files...)
		return exec.Command(javac, args...)
	}
}

// language returns the Java layout bound to the JDK found, or an error
// that says what to install.
func (l *langPack) language(ctx context.Context) (*jvm.Language, sdk.Runtime, error) {
	rt, err := l.Toolchain.Find(ctx)
	if err != nil {
		return nil, rt, err
	}
	lang := *java
	lang.Command = javacCommand(rt.Path)
	return &lang, rt, nil
}

func (l *langPack) runnerCommand(ctx context.Context, req *sdk.StartRunnerRequest) (pipe.Config, error) {
	lang, rt, err := l.language(ctx)
	if err != nil {
		return pipe.Config{}, err
	}
	gson, err := jvm.Gson.Path()
	if err != nil {
		return pipe.Config{}, err
	}
	runner, err := jvm.CompileRunner(ctx, javalangpack.Files, "runner/Pipe.java", "langserver-java", rt.Version,
		func(ctx context.Context, source, out string) error {
			return sdk.RunTool(ctx, exec.Command(rt.Path, "-d", out, "-cp", gson, "-encoding", "UTF-8", source), nil)
		})
	if err != nil {
		return pipe.Config{}, err
	}
	env := sdk.MergeEnv(os.Environ(), req.Env)
	if err := lang.Compile(ctx, req.Dir, env, false, nil); err != nil {
		return pipe.Config{}, fmt.Errorf("compiling the algorithm: %w", err)
	}
	classPath, err := lang.RuntimeClassPath(req.Dir, runner)
	if err != nil {
		return pipe.Config{}, err
	}
	return pipe.Config{
		Command: []string{javaBeside(rt.Path), "-cp", classPath, "langserver.runner.Pipe"},
		Dir:     req.Dir,
		Env:     env,
	}, nil
}

func (l *langPack) Build(ctx context.Context, req *sdk.StepRequest, out sdk.OutputFunc) (*sdk.StepResult, error) {
	lang, _, err := l.language(ctx)
	if err != nil {
		return nil, err
	}
	return lang.Build(ctx, req.Dir, sdk.MergeEnv(os.Environ(), req.Env), out)
}

func (l *langPack) Test(ctx context.Context, req *sdk.StepRequest, out sdk.OutputFunc) (*sdk.StepResult, error) {
	lang, rt, err := l.language(ctx)
	if err != nil {
		return nil, err
	}
	return lang.Test(ctx, javaBeside(rt.Path), req.Dir, sdk.MergeEnv(os.Environ(), req.Env), out)
}
