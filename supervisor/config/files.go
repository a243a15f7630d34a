package config

import (
	"io"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
)

// Files holds the parsed configuration sources, to render diagnostics about
// them with their source snippets.
type Files struct {
	parser *hclparse.Parser
}

// WriteDiagnostics writes diags to w as text: the summary, the file, line
// and column, the source snippet with the subject marked, and the detail.
// With color, it uses VT100 escapes and wraps at 100 columns for a
// terminal; without, it neither colors nor wraps. A nil Files renders
// without snippets.
func (f *Files) WriteDiagnostics(w io.Writer, diags hcl.Diagnostics, color bool) error {
	var files map[string]*hcl.File
	if f != nil && f.parser != nil {
		files = f.parser.Files()
	}
	var width uint
	if color {
		width = 100
	}
	return hcl.NewDiagnosticTextWriter(w, files, width, color).WriteDiagnostics(diags)
}
