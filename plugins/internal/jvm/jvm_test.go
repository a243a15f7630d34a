package jvm

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/langserver/langserver/sdk"
)

func TestParseVersion(t *testing.T) {
	tests := []struct {
		output  string
		version string
		major   int
	}{
		{"javac 17.0.15\n", "17.0.15", 17},
		{"javac 1.8.0_392\n", "1.8.0_392", 8},
		{"javac 21\n", "21", 21},
		{"Scala compiler version 2.11.12 -- Copyright 2002-2017, LAMP/EPFL\n", "2.11.12", 2},
		{"Scala compiler version 3.3.1 -- Copyright 2002-2023, LAMP/EPFL\n", "3.3.1", 3},
		{"javac 22-ea\n", "22-ea", 22},
		{"no number here", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.output, func(t *testing.T) {
			version, major := ParseVersion(tt.output)
			if version != tt.version || major != tt.major {
				t.Errorf("ParseVersion(%q) = %q, %d; want %q, %d", tt.output, version, major, tt.version, tt.major)
			}
		})
	}
}

func TestIsTestClassName(t *testing.T) {
	for name, want := range map[string]bool{
		"helloTest": true, "HelloTests": true, "TestHello": true, "HelloTestCase": true,
		"hello": false, "Testing": true, "Contest": false, "Helper": false,
	} {
		if got := IsTestClassName(name); got != want {
			t.Errorf("IsTestClassName(%q) = %v, want %v", name, got, want)
		}
	}
}

func writeFiles(t *testing.T, root string, files ...string) {
	t.Helper()
	for _, f := range files {
		p := filepath.Join(root, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestTestClasses(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir,
		"algorithmia/hello/helloTest.class",
		"algorithmia/hello/helloTest$1.class",
		"algorithmia/hello/hello.class",
		"algorithmia/hello/TestUtil.class",
		"OtherTests.class",
		"notes.txt",
	)
	got, err := TestClasses(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"OtherTests", "algorithmia.hello.TestUtil", "algorithmia.hello.helloTest"}
	if !slices.Equal(got, want) {
		t.Errorf("TestClasses = %q, want %q", got, want)
	}
}

func TestSourceFiles(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, "src/main/java/a/B.java", "src/main/java/A.java", "src/main/java/a/notes.md")
	got, err := SourceFiles(dir, "src/main/java", ".java")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, "src/main/java/A.java"), filepath.Join(dir, "src/main/java/a/B.java")}
	if !slices.Equal(got, want) {
		t.Errorf("SourceFiles = %q, want %q", got, want)
	}
	if got, err := SourceFiles(dir, "src/main/scala", ".scala"); err != nil || len(got) != 0 {
		t.Errorf("SourceFiles of a missing folder = %q, %v; want none", got, err)
	}
}

func TestClassPaths(t *testing.T) {
	dir := t.TempDir()
	if got := ClassPath("a", "", "b"); got != "a:b" {
		t.Errorf("ClassPath = %q", got)
	}
	if got := RuntimeClassPath(dir); !slices.Equal(got, []string{filepath.Join(dir, ".langserver/classes")}) {
		t.Errorf("RuntimeClassPath without lib or resources = %q", got)
	}
	writeFiles(t, dir, "lib/x.jar", "src/main/resources/model.txt")
	want := []string{filepath.Join(dir, ".langserver/classes"), filepath.Join(dir, "src/main/resources"), filepath.Join(dir, "lib/*")}
	if got := RuntimeClassPath(dir); !slices.Equal(got, want) {
		t.Errorf("RuntimeClassPath = %q, want %q", got, want)
	}
}

func TestDebianJarNamesPackage(t *testing.T) {
	old := sharedJars
	sharedJars = t.TempDir()
	defer func() { sharedJars = old }()
	_, err := Gson.Path()
	if err == nil || !strings.Contains(err.Error(), "apt-get install libgoogle-gson-java") {
		t.Fatalf("Gson.Path() error = %v; want one that names the Debian package", err)
	}
	writeFiles(t, sharedJars, "gson.jar")
	if p, err := Gson.Path(); err != nil || p != filepath.Join(sharedJars, "gson.jar") {
		t.Errorf("Gson.Path() = %q, %v", p, err)
	}
}

// fakeCompiler "compiles" by writing out/compiled.txt, or fails with
// *sdk.StepError when fail is set; it counts its runs.
type fakeCompiler struct {
	runs int
	fail bool
}

func (f *fakeCompiler) compile(_ context.Context, out string, output sdk.OutputFunc) error {
	f.runs++
	if f.fail {
		output(sdk.OutputLine{Stream: sdk.Stderr, Text: []byte("A.java:1: error: ';' expected")})
		return &sdk.StepError{Result: &sdk.StepResult{ExitCode: 1, Message: "javac exited with code 1"}, Output: []byte("A.java:1: error: ';' expected\n")}
	}
	return os.WriteFile(filepath.Join(out, "compiled.txt"), []byte{byte(f.runs)}, 0o644)
}

func TestCompileAlgorithm(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	writeFiles(t, dir, "src/main/java/A.java")
	var lines []string
	output := func(l sdk.OutputLine) { lines = append(lines, string(l.Text)) }
	fc := &fakeCompiler{}
	sources := []string{"src/main/java", "lib"}

	if err := CompileAlgorithm(ctx, dir, sources, false, fc.compile, output); err != nil || fc.runs != 1 {
		t.Fatalf("first compile: err %v, runs %d", err, fc.runs)
	}
	if err := CompileAlgorithm(ctx, dir, sources, false, fc.compile, output); err != nil || fc.runs != 1 {
		t.Fatalf("unchanged sources: err %v, runs %d; want no compile", err, fc.runs)
	}
	if err := CompileAlgorithm(ctx, dir, sources, true, fc.compile, output); err != nil || fc.runs != 2 {
		t.Fatalf("forced: err %v, runs %d; want a compile", err, fc.runs)
	}
	later := time.Now().Add(2 * time.Second)
	if err := os.Chtimes(filepath.Join(dir, "src/main/java/A.java"), later, later); err != nil {
		t.Fatal(err)
	}
	fc.fail = true
	err := CompileAlgorithm(ctx, dir, sources, false, fc.compile, output)
	var se *sdk.StepError
	if !errors.As(err, &se) || fc.runs != 3 || !strings.Contains(err.Error(), "';' expected") {
		t.Fatalf("changed source, failing compiler: err %v, runs %d; want a StepError with the output", err, fc.runs)
	}
	if len(lines) != 1 {
		t.Errorf("compiler output lines = %q; want the one line", lines)
	}
	// The failed compile left the last good classes in place.
	got, err := os.ReadFile(filepath.Join(dir, ".langserver/classes/compiled.txt"))
	if err != nil || len(got) != 1 || got[0] != 2 {
		t.Errorf("classes after a failed compile = %v, %v; want those of run 2", got, err)
	}
	if res, err := sdk.StepOutcome(se); err != nil || res.ExitCode != 1 {
		t.Errorf("StepOutcome(StepError) = %+v, %v; want exit code 1", res, err)
	}
}
