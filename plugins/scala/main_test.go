package main

import (
	"strings"
	"testing"

	"github.com/langserver/langserver/plugins/internal/jvm/jvmtest"
)

func TestLangPack(t *testing.T) {
	jvmtest.Run(t, newLangPack, jvmtest.Suite{
		Example:   "../../examples/scala/conformance",
		Source:    "src/main/scala/algorithmia/conformance/conformance.scala",
		Broken:    "package algorithmia.conformance\nclass conformance { val x: Int = \"text\" }\n",
		Complaint: "type mismatch",
		Setting:   "scalac",
		Install:   "apt-get install scala",
	})
}

func TestMissingJavaSaysWhatToInstall(t *testing.T) {
	_, err := findJava("/nonexistent/java")
	if err == nil || !strings.Contains(err.Error(), "apt-get install default-jre-headless") {
		t.Errorf("findJava error %v; want one with the Debian package to install", err)
	}
}
