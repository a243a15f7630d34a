// Package node holds the language-side files of the Node.js LangPack: the
// runner (runner/pipe.cjs) and the new-algorithm template, embedded into the
// langpack-node adapter.
package node

import "embed"

// Files holds runner/ and template/.
//
//go:embed all:runner all:template
var Files embed.FS
