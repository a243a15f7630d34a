// Package java holds the language-side files of the Java LangPack: the
// runner (runner/Pipe.java) and the new-algorithm template, embedded into
// the langpack-java adapter.
package java

import "embed"

// Files holds runner/ and template/.
//
//go:embed all:runner all:template
var Files embed.FS
