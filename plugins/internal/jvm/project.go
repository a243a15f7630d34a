package jvm

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"

	"github.com/langserver/langserver/sdk"
)

// Language describes how a JVM language's algorithms are laid out and
// compiled; its methods are the build, test and compile-before-serving
// steps of its LangPack.
type Language struct {
	// Name names the language in messages ("Java").
	Name string
	// MainDir and TestDir hold the algorithm's and its tests' sources,
	// relative to its root ("src/main/java", "src/test/java").
	MainDir, TestDir string
	// Ext is the sources' file name extension (".java").
	Ext string
	// Libraries are jars the language's compiled code needs at run time,
	// besides Gson (the Scala library).
	Libraries []string
	// Command returns the command that compiles files into the folder out
	// against classPath.
	Command func(out, classPath string, files []string) *exec.Cmd
}

// compileClassPath returns the class path the algorithm compiles against:
// its own jars, the language's libraries and Gson.
func (l *Language) compileClassPath(dir string, extra ...string) (string, error) {
	gson, err := Gson.Path()
	if err != nil {
		return "", err
	}
	return ClassPath(slices.Concat(extra, Libraries(dir), l.Libraries, []string{gson})...), nil
}

// RuntimeClassPath returns the class path of a runner of the algorithm in
// dir: runner (the runner's classes), the algorithm's classes, resources
// and jars, the language's libraries and Gson.
func (l *Language) RuntimeClassPath(dir, runner string) (string, error) {
	gson, err := Gson.Path()
	if err != nil {
		return "", err
	}
	return ClassPath(slices.Concat([]string{runner}, RuntimeClassPath(dir), l.Libraries, []string{gson})...), nil
}

// Compile compiles the algorithm in dir into .langserver/classes when its
// sources (or jars) changed since the last compile, or in any case with
// force. The compiler's lines go to out; a failed compile is a
// *sdk.StepError that carries them.
func (l *Language) Compile(ctx context.Context, dir string, env []string, force bool, out sdk.OutputFunc) error {
	return CompileAlgorithm(ctx, dir, []string{l.MainDir, LibDir}, force, func(ctx context.Context, classes string, output sdk.OutputFunc) error {
		files, err := SourceFiles(dir, l.MainDir, l.Ext)
		if err != nil {
			return err
		}
		if len(files) == 0 {
			return &sdk.StepError{Result: &sdk.StepResult{ExitCode: 1, Message: fmt.Sprintf("no %s sources (*%s) under %s", l.Name, l.Ext, l.MainDir)}}
		}
		return l.compileFiles(ctx, dir, env, classes, files, nil, output)
	}, out)
}

// compileFiles compiles files of the algorithm in dir into the folder
// into, against its compile class path with extra in front.
func (l *Language) compileFiles(ctx context.Context, dir string, env []string, into string, files, extra []string, output sdk.OutputFunc) error {
	classPath, err := l.compileClassPath(dir, extra...)
	if err != nil {
		return err
	}
	cmd := l.Command(into, classPath, files)
	cmd.Dir, cmd.Env = dir, env
	return sdk.RunTool(ctx, cmd, output)
}

// Build compiles the algorithm in dir, whether or not it changed.
func (l *Language) Build(ctx context.Context, dir string, env []string, out sdk.OutputFunc) (*sdk.StepResult, error) {
	for _, manifest := range []string{"pom.xml", "build.sbt", "build.gradle"} {
		if _, err := os.Stat(filepath.Join(dir, manifest)); err == nil && out != nil {
			out(sdk.OutputLine{Stream: sdk.Stderr, Text: []byte("note: " + manifest + " is not read (no package registry is reachable): put the jars the algorithm needs in lib/")})
		}
	}
	if err := l.Compile(ctx, dir, env, true, out); err != nil {
		return sdk.StepOutcome(err)
	}
	return &sdk.StepResult{Message: fmt.Sprintf("compiled %s into %s", l.MainDir, classesDir)}, nil
}

// Test compiles the algorithm when it changed, compiles its tests and runs
// them with JUnit 4 on java.
func (l *Language) Test(ctx context.Context, java, dir string, env []string, out sdk.OutputFunc) (*sdk.StepResult, error) {
	junit, err := Paths(JUnit, Hamcrest)
	if err != nil {
		return nil, err
	}
	tests, err := SourceFiles(dir, l.TestDir, l.Ext)
	if err != nil {
		return nil, err
	}
	if len(tests) == 0 {
		return &sdk.StepResult{Skipped: true, Message: fmt.Sprintf("no tests (*%s) under %s", l.Ext, l.TestDir)}, nil
	}
	if err := l.Compile(ctx, dir, env, false, out); err != nil {
		return sdk.StepOutcome(err)
	}
	classes := filepath.Join(dir, classesDir)
	testClasses, err := CompileTests(ctx, dir, func(ctx context.Context, into string, output sdk.OutputFunc) error {
		return l.compileFiles(ctx, dir, env, into, tests, slices.Concat([]string{classes}, junit), output)
	}, out)
	if err != nil {
		return sdk.StepOutcome(err)
	}
	runtime, err := l.RuntimeClassPath(dir, testClasses)
	if err != nil {
		return nil, err
	}
	var resources string
	if info, err := os.Stat(filepath.Join(dir, "src/test/resources")); err == nil && info.IsDir() {
		resources = filepath.Join(dir, "src/test/resources")
	}
	classPath := ClassPath(slices.Concat([]string{runtime, resources}, junit)...)
	return RunJUnit(ctx, java, classPath, testClasses, env, dir, out)
}
