// Package ruby holds the language-side files of the Ruby LangPack: the
// runner (runner/pipe.rb) and the new-algorithm template, embedded into the
// langpack-ruby adapter.
package ruby

import "embed"

// Files holds runner/ and template/.
//
//go:embed all:runner all:template
var Files embed.FS
