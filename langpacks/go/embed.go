// Package golang holds the language-side files of the Go LangPack: the
// runner (runner/pipe.go) and the new-algorithm template, embedded into the
// langpack-go adapter.
package golang

import "embed"

// Files holds runner/pipe.go and template/. The template's module file is
// template/go.mod.template, since a go.mod would make the template a module
// of its own, which cannot be embedded; the adapter renames it.
//
//go:embed runner/pipe.go all:template
var Files embed.FS
