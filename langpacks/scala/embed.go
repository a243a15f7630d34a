// Package scala holds the language-side files of the Scala LangPack: the
// runner (runner/Pipe.scala) and the new-algorithm template, embedded into
// the langpack-scala adapter.
package scala

import "embed"

// Files holds runner/ and template/.
//
//go:embed all:runner all:template
var Files embed.FS
