package main

import (
	"testing"

	"github.com/langserver/langserver/plugins/internal/jvm/jvmtest"
)

func TestLangPack(t *testing.T) {
	jvmtest.Run(t, newLangPack, jvmtest.Suite{
		Example:   "../../examples/java/conformance",
		Source:    "src/main/java/algorithmia/conformance/conformance.java",
		Broken:    "package algorithmia.conformance;\npublic class conformance { int x = }\n",
		Complaint: "illegal start of expression",
		Setting:   "javac",
		Install:   "apt-get install default-jdk-headless",
	})
}
