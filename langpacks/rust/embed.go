// Package rust holds the language-side files of the Rust LangPack: the
// langserver crate (the runner, with the Input, Output and Error types an
// algorithm may use) and the new-algorithm template, embedded into the
// langpack-rust adapter.
package rust

import "embed"

// Files holds crate/ and template/.
//
//go:embed all:crate all:template
var Files embed.FS
