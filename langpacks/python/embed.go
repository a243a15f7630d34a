// Package python holds the language-side files of the Python LangPack: the
// runner (runner/pipe.py) and the new-algorithm template, embedded into the
// langpack-python adapter.
package python

import "embed"

// Files holds runner/ and template/.
//
//go:embed all:runner all:template
var Files embed.FS
