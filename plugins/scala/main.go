package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	scalalangpack "github.com/langserver/langserver/langpacks/scala"
	"github.com/langserver/langserver/plugins/internal/jvm"
	"github.com/langserver/langserver/sdk"
	"github.com/langserver/langserver/sdk/pipe"
)

// version is the adapter's version, set at build time.
var version = "dev"

// minScalaMajor is the oldest Scala the runner supports.
const minScalaMajor = 2

// install is the Debian command that installs what the LangPack needs.
const install = "apt-get install scala libgoogle-gson-java"

// debianScalaLibrary is where Debian's scala-library package puts the jar.
const debianScalaLibrary = "/usr/share/java/scala-library.jar"

func main() {
	sdk.Serve(newLangPack())
}

func newLangPack() *langPack {
	lp := &langPack{Basic: sdk.Basic{
		InfoResponse: sdk.InfoResponse{
			Name:    "scala",
			Version: version,
			Description: "Scala algorithms: class (or object) algorithmia.<algoname>.<algoname> in " +
				"src/main/scala/algorithmia/<algoname>/<algoname>.scala with apply methods (String, Array[Byte], Scala or Gson-bound JSON)",
			Capabilities:  []string{sdk.CapBuild, sdk.CapTest, sdk.CapScaffold, sdk.CapStreamOutput, sdk.CapLegacyFIFO},
			Languages:     []string{"scala"},
			RequiredFiles: []string{"algorithmia.conf", "src/main/scala/algorithmia/{algoname}/{algoname}.scala"},
			Settings: []sdk.SettingSchema{{
				Name: "java", Type: "string",
				Description: "the java that runs algorithms and tests; default: $JAVA_HOME/bin/java, else java on PATH",
			}},
		},
		Toolchain: &sdk.Toolchain{
			Name: "scalac", What: "Scala compiler", LangPack: "scala", Setting: "scalac",
			Default: "scalac", Install: install, Probe: probeScala,
		},
		Template: scalalangpack.Files, TemplateDir: "template",
	}}
	lp.PipeRunners = sdk.NewPipeRunners(lp.runnerCommand)
	return lp
}

type langPack struct {
	sdk.Basic
	*sdk.PipeRunners
}

// probeScala checks that scalac runs and that its library and Gson are
// installed, and returns scalac's real path and version.
func probeScala(ctx context.Context, path string) (string, string, error) {
	scalac, version, major, err := jvm.Probe(ctx, path, "Scala compiler")
	if err != nil {
		return "", "", err
	}
	if major < minScalaMajor {
		return "", "", fmt.Errorf("%s is Scala %s; the scala LangPack needs Scala %d or later", path, version, minScalaMajor)
	}
	if _, err := scalaLibrary(scalac); err != nil {
		return "", "", err
	}
	if _, err := jvm.Gson.Path(); err != nil {
		return "", "", err
	}
	return scalac, version, nil
}

// scalaLibrary returns the Scala library jars of the distribution scalac
// belongs to (lib/ beside its bin/), else Debian's.
func scalaLibrary(scalac string) ([]string, error) {
	lib := filepath.Join(filepath.Dir(filepath.Dir(scalac)), "lib")
	var jars []string
	for _, pattern := range []string{"scala-library*.jar", "scala3-library*.jar"} {
		found, _ := filepath.Glob(filepath.Join(lib, pattern))
		jars = append(jars, found...)
	}
	if len(jars) > 0 {
		return jars, nil
	}
	if _, err := os.Stat(debianScalaLibrary); err == nil {
		return []string{debianScalaLibrary}, nil
	}
	return nil, fmt.Errorf("the Scala library of %s not found (in %s or %s): install it (Debian: %s)", scalac, lib, debianScalaLibrary, install)
}

// findJava returns the java that runs algorithms: the setting, else
// $JAVA_HOME/bin/java, else java on PATH.
func findJava(setting string) (string, error) {
	name := setting
	if name == "" {
		if home := os.Getenv("JAVA_HOME"); home != "" {
			name = filepath.Join(home, "bin", "java")
		} else {
			name = "java"
		}
	}
	path, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("java %q not found: install it (Debian: apt-get install default-jre-headless) or set java in the langpack \"scala\" block", name)
	}
	return path, nil
}

// toolchain is what serving, building and testing a Scala algorithm need.
type toolchain struct {
	scalac  sdk.Runtime
	java    string
	library []string
	lang    *jvm.Language
}

// find returns the toolchain, or an error that says what to install.
func (l *langPack) find(ctx context.Context) (*toolchain, error) {
	rt, err := l.Toolchain.Find(ctx)
	if err != nil {
		return nil, err
	}
	java, err := findJava(l.Setting("java"))
	if err != nil {
		return nil, err
	}
	library, err := scalaLibrary(rt.Path)
	if err != nil {
		return nil, err
	}
	return &toolchain{scalac: rt, java: java, library: library, lang: &jvm.Language{
		Name: "Scala", MainDir: "src/main/scala", TestDir: "src/test/scala", Ext: ".scala",
		Libraries: library,
		Command: func(out, classPath string, files []string) *exec.Cmd {
			args := append([]string{"-d", out, "-classpath", classPath, "-encoding", "UTF-8", "-deprecation", "-feature"}, files...)
			return exec.Command(rt.Path, args...)
		},
	}}, nil
}

// environ returns the environment of a process the LangPack starts: the
// adapter's own with the request's additions, and JAVACMD naming java so
// that scalac runs on the same JVM as the algorithm.
func (t *toolchain) environ(add map[string]string) []string {
	return sdk.MergeEnv(sdk.MergeEnv(os.Environ(), add), map[string]string{"JAVACMD": t.java})
}

func (l *langPack) runnerCommand(ctx context.Context, req *sdk.StartRunnerRequest) (pipe.Config, error) {
	tc, err := l.find(ctx)
	if err != nil {
		return pipe.Config{}, err
	}
	gson, err := jvm.Gson.Path()
	if err != nil {
		return pipe.Config{}, err
	}
	env := tc.environ(req.Env)
	runner, err := jvm.CompileRunner(ctx, scalalangpack.Files, "runner/Pipe.scala", "langserver-scala", tc.scalac.Version,
		func(ctx context.Context, source, out string) error {
			cmd := exec.Command(tc.scalac.Path, "-d", out, "-classpath", gson, "-encoding", "UTF-8", source)
			cmd.Env = env
			return sdk.RunTool(ctx, cmd, nil)
		})
	if err != nil {
		return pipe.Config{}, err
	}
	if err := tc.lang.Compile(ctx, req.Dir, env, false, nil); err != nil {
		return pipe.Config{}, fmt.Errorf("compiling the algorithm: %w", err)
	}
	classPath, err := tc.lang.RuntimeClassPath(req.Dir, runner)
	if err != nil {
		return pipe.Config{}, err
	}
	return pipe.Config{
		Command: []string{tc.java, "-cp", classPath, "langserver.runner.Pipe"},
		Dir:     req.Dir,
		Env:     env,
	}, nil
}

func (l *langPack) Build(ctx context.Context, req *sdk.StepRequest, out sdk.OutputFunc) (*sdk.StepResult, error) {
	tc, err := l.find(ctx)
	if err != nil {
		return nil, err
	}
	return tc.lang.Build(ctx, req.Dir, tc.environ(req.Env), out)
}

func (l *langPack) Test(ctx context.Context, req *sdk.StepRequest, out sdk.OutputFunc) (*sdk.StepResult, error) {
	tc, err := l.find(ctx)
	if err != nil {
		return nil, err
	}
	return tc.lang.Test(ctx, tc.java, req.Dir, tc.environ(req.Env), out)
}
