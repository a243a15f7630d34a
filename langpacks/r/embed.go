// Package r holds the language-side files of the R LangPack: the runner
// (runner/pipe.r), the test runner (runner/testthat.r) and the
// new-algorithm template, embedded into the langpack-r adapter.
package r

import "embed"

// Files holds runner/ and template/.
//
//go:embed all:runner all:template
var Files embed.FS
