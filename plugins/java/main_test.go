package main

import (
	"testing"

	"github.com/langserver/langserver/plugins/internal/jvm/jvmtest"
)

const example = "../../examples/java/conformance"

func TestConformance(t *testing.T) {
	jvmtest.Conformance(t, newLangPack(), example)
}

func TestCompileFailure(t *testing.T) {
	jvmtest.CompileFailure(t, newLangPack(), example, "src/main/java/algorithmia/conformance/conformance.java",
		"package algorithmia.conformance;\npublic class conformance { int x = }\n", "illegal start of expression")
}

func TestMissingJDKSaysWhatToInstall(t *testing.T) {
	jvmtest.MissingRuntime(t, newLangPack(), "javac", "apt-get install default-jdk-headless")
}
