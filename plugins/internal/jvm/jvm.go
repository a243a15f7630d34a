package jvm

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/langserver/langserver/sdk"
)

// Folders of an algorithm, relative to its root, shared by the Java and
// Scala LangPacks (Maven/sbt layout, as the original LangPacks used).
const (
	// LibDir holds the algorithm's own jars; they are on every class path.
	LibDir = "lib"
	// ResourcesDir is put on the runner's class path as it is.
	ResourcesDir = "src/main/resources"
	// OutDir is where the LangPack writes what it compiles.
	OutDir = ".langserver"
)

// Compiled output under OutDir.
var (
	classesDir     = filepath.Join(OutDir, "classes")
	testClassesDir = filepath.Join(OutDir, "test-classes")
	stampFile      = filepath.Join(OutDir, "classes.stamp")
)

// Debian's jars: the file under /usr/share/java and the package that
// installs it.
var (
	Gson     = DebianJar{File: "gson.jar", Package: "libgoogle-gson-java", What: "Gson"}
	JUnit    = DebianJar{File: "junit4.jar", Package: "junit4", What: "JUnit 4"}
	Hamcrest = DebianJar{File: "hamcrest-core.jar", Package: "libhamcrest-java", What: "Hamcrest"}
)

// sharedJars is Debian's jar folder; a variable so tests can move it.
var sharedJars = "/usr/share/java"

// DebianJar is a library jar that Debian installs under /usr/share/java.
type DebianJar struct {
	File    string
	Package string
	What    string
}

// Path returns the jar's path, or an error that says which Debian package
// installs it.
func (j DebianJar) Path() (string, error) {
	p := filepath.Join(sharedJars, j.File)
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("%s (%s) not found: install it (Debian: apt-get install %s)", j.What, p, j.Package)
	}
	return p, nil
}

// Paths returns the paths of jars, or the first jar's error.
func Paths(jars ...DebianJar) ([]string, error) {
	paths := make([]string, 0, len(jars))
	for _, j := range jars {
		p, err := j.Path()
		if err != nil {
			return nil, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}

// ClassPath joins class path entries, skipping empty ones.
func ClassPath(entries ...string) string {
	return strings.Join(slices.DeleteFunc(entries, func(s string) bool { return s == "" }), string(os.PathListSeparator))
}

// Libraries returns the class path entries of an algorithm's own jars:
// "lib/*" (the JVM expands it) when dir has a lib folder.
func Libraries(dir string) []string {
	if info, err := os.Stat(filepath.Join(dir, LibDir)); err == nil && info.IsDir() {
		return []string{filepath.Join(dir, LibDir, "*")}
	}
	return nil
}

// RuntimeClassPath returns the class path entries of a built algorithm:
// its classes, its resources folder when it has one, and its own jars.
func RuntimeClassPath(dir string) []string {
	entries := []string{filepath.Join(dir, classesDir)}
	if info, err := os.Stat(filepath.Join(dir, ResourcesDir)); err == nil && info.IsDir() {
		entries = append(entries, filepath.Join(dir, ResourcesDir))
	}
	return append(entries, Libraries(dir)...)
}

// SourceFiles returns the files under dir/root whose names end with ext,
// sorted, or an empty list when root does not exist.
func SourceFiles(dir, root, ext string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(filepath.Join(dir, root), func(path string, d fs.DirEntry, err error) error {
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil
		case err != nil:
			return err
		case !d.IsDir() && strings.HasSuffix(d.Name(), ext):
			files = append(files, path)
		}
		return nil
	})
	slices.Sort(files)
	return files, err
}

// Compiler compiles sources into the folder out, creating it first.
// Lines the compiler prints go to output.
type Compiler func(ctx context.Context, out string, output sdk.OutputFunc) error

// CompileAlgorithm compiles the algorithm in dir into its classes folder
// when the classes are missing or older than a file under sources (paths
// relative to dir); force compiles in any case. The compiler writes into a
// fresh folder that replaces the old one only when it succeeds, so a failed
// build leaves the last good classes in place.
func CompileAlgorithm(ctx context.Context, dir string, sources []string, force bool, compile Compiler, output sdk.OutputFunc) error {
	stamp := filepath.Join(dir, stampFile)
	if force {
		if err := os.Remove(stamp); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	paths := make([]string, len(sources))
	for i, s := range sources {
		paths[i] = filepath.Join(dir, s)
	}
	return sdk.CompileIfStale(ctx, stamp, paths, func(ctx context.Context) error {
		return compileInto(ctx, filepath.Join(dir, classesDir), compile, output)
	})
}

// compileInto runs compile into a new folder beside final, then puts it in
// final's place.
func compileInto(ctx context.Context, final string, compile Compiler, output sdk.OutputFunc) error {
	next := final + ".new"
	if err := os.RemoveAll(next); err != nil {
		return err
	}
	if err := os.MkdirAll(next, 0o755); err != nil {
		return err
	}
	if err := compile(ctx, next, output); err != nil {
		os.RemoveAll(next)
		return err
	}
	old := final + ".old"
	if err := os.RemoveAll(old); err != nil {
		return err
	}
	if err := os.Rename(final, old); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := os.Rename(next, final); err != nil {
		return err
	}
	return os.RemoveAll(old)
}

// CompileTests compiles an algorithm's tests into its test-classes folder
// (always: tests run rarely and are quick to compile) and returns it.
func CompileTests(ctx context.Context, dir string, compile Compiler, output sdk.OutputFunc) (string, error) {
	final := filepath.Join(dir, testClassesDir)
	return final, compileInto(ctx, final, compile, output)
}

// CompileRunner extracts a runner source file from fsys (an adapter's
// embedded files) and compiles it once per content and compiler version
// into a folder beside it, which it returns. Adapters call it on every
// runner start; after the first it costs a stat.
func CompileRunner(ctx context.Context, fsys fs.FS, name, prefix, compilerVersion string, compile func(ctx context.Context, source, out string) error) (string, error) {
	source, err := sdk.ExtractFile(fsys, name, prefix)
	if err != nil {
		return "", err
	}
	tag := strings.Map(func(r rune) rune {
		if r == '.' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			return r
		}
		return '_'
	}, compilerVersion)
	classes := filepath.Join(filepath.Dir(source), "classes-"+tag)
	err = sdk.CompileIfStale(ctx, classes+".stamp", []string{source}, func(ctx context.Context) error {
		return compileInto(ctx, classes, func(ctx context.Context, out string, _ sdk.OutputFunc) error {
			return compile(ctx, source, out)
		}, nil)
	})
	if err != nil {
		return "", fmt.Errorf("compiling the runner %s: %w", name, err)
	}
	return classes, nil
}

// TestClasses returns the names of the test classes compiled into
// classes: top-level classes named as Maven Surefire finds them by
// default (Test*, *Test, *Tests, *TestCase).
func TestClasses(classes string) ([]string, error) {
	var names []string
	err := filepath.WalkDir(classes, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		base, ok := strings.CutSuffix(d.Name(), ".class")
		if !ok || strings.Contains(base, "$") || !IsTestClassName(base) {
			return nil
		}
		rel, err := filepath.Rel(classes, path)
		if err != nil {
			return err
		}
		names = append(names, strings.ReplaceAll(strings.TrimSuffix(rel, ".class"), string(filepath.Separator), "."))
		return nil
	})
	slices.Sort(names)
	return names, err
}

// IsTestClassName reports whether a simple class name is one Maven
// Surefire runs by default.
func IsTestClassName(name string) bool {
	return strings.HasPrefix(name, "Test") || strings.HasSuffix(name, "Test") ||
		strings.HasSuffix(name, "Tests") || strings.HasSuffix(name, "TestCase")
}

// RunJUnit runs the test classes found in testClasses with JUnit 4's
// console runner, on classPath (which must hold JUnit, Hamcrest and
// testClasses).
func RunJUnit(ctx context.Context, java, classPath, testClasses string, env []string, dir string, out sdk.OutputFunc) (*sdk.StepResult, error) {
	names, err := TestClasses(testClasses)
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return &sdk.StepResult{Skipped: true, Message: "no test classes (named *Test, *Tests, *TestCase or Test*): nothing to run"}, nil
	}
	cmd := exec.Command(java, append([]string{"-cp", classPath, "org.junit.runner.JUnitCore"}, names...)...)
	cmd.Dir = dir
	cmd.Env = env
	return sdk.RunStep(ctx, cmd, out)
}

// versionPattern finds a version number in a tool's -version output.
var versionPattern = regexp.MustCompile(`(\d+)(\.\d+)*([._+-][0-9A-Za-z.+-]*)?`)

// ParseVersion returns the first version number in a -version output
// ("javac 17.0.15", "openjdk version \"1.8.0_392\"", "Scala compiler
// version 2.11.12 -- Copyright") and its major number, counting Java 1.x
// as x; "" when there is none.
func ParseVersion(output string) (string, int) {
	v := versionPattern.FindString(output)
	if v == "" {
		return "", 0
	}
	parts := strings.FieldsFunc(v, func(r rune) bool { return r == '.' || r == '_' || r == '-' || r == '+' })
	major, _ := strconv.Atoi(parts[0])
	if major == 1 && len(parts) > 1 {
		major, _ = strconv.Atoi(parts[1])
	}
	return v, major
}

// Probe runs tool with -version and returns its resolved path (behind
// symbolic links such as Debian's alternatives) and version; what names
// the tool in messages.
func Probe(ctx context.Context, path, what string) (string, string, int, error) {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return "", "", 0, fmt.Errorf("%s %s: %v", what, path, err)
	}
	real, err = filepath.Abs(real)
	if err != nil {
		return "", "", 0, err
	}
	out, err := exec.CommandContext(ctx, real, "-version").CombinedOutput()
	if err != nil {
		return "", "", 0, fmt.Errorf("%s %s does not run: %v: %s", what, path, err, strings.TrimSpace(string(out)))
	}
	version, major := ParseVersion(string(out))
	if version == "" {
		return "", "", 0, fmt.Errorf("%s %s printed no version: %s", what, path, strings.TrimSpace(string(out)))
	}
	return real, version, major, nil
}
