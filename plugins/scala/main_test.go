package main

import (
	"strings"
	"testing"

	"github.com/langserver/langserver/plugins/internal/jvm/jvmtest"
)

const example = "../../examples/scala/conformance"

func TestConformance(t *testing.T) {
	jvmtest.Conformance(t, newLangPack(), example)
}

func TestCompileFailure(t *testing.T) {
	jvmtest.CompileFailure(t, newLangPack(), example, "src/main/scala/algorithmia/conformance/conformance.scala",
		"package algorithmia.conformance\nclass conformance { val x: Int = \"text\" }\n", "type mismatch")
}

func TestMissingScalaSaysWhatToInstall(t *testing.T) {
	jvmtest.MissingRuntime(t, newLangPack(), "scalac", "apt-get install scala")
}

func TestMissingJavaSaysWhatToInstall(t *testing.T) {
	_, err := findJava("/nonexistent/java")
	if err == nil || !strings.Contains(err.Error(), "apt-get install default-jre-headless") {
		t.Errorf("findJava error %v; want one with the Debian package to install", err)
	}
}
