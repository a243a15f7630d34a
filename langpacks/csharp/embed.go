// Package csharp holds the language-side files of the C# LangPack: the
// runner (runner/Pipe.cs) and the new-algorithm template, embedded into the
// langpack-csharp adapter.
package csharp

import "embed"

// Files holds runner/ and template/.
//
//go:embed all:runner all:template
var Files embed.FS
