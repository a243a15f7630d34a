package sdk

import (
	"io/fs"
	"path"
	"strings"
)

// Template placeholders, replaced in paths and contents by ScaffoldFS.
const (
	PlaceholderName  = "__ALGO_NAME__"
	PlaceholderOwner = "__ALGO_OWNER__"
)

// ScaffoldFS turns the template in fsys (usually an embed.FS sub-tree) into
// the files of a new algorithm, replacing PlaceholderName and
// PlaceholderOwner in every path and file. Files under bin/ are
// executable (0755), the rest 0644, since embedded files carry no mode.
func ScaffoldFS(fsys fs.FS, req *ScaffoldRequest) (*ScaffoldResponse, error) {
	r := strings.NewReplacer(PlaceholderName, req.Name, PlaceholderOwner, req.Owner)
	var files []File
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		content, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		mode := fs.FileMode(0o644)
		if strings.HasPrefix(p, "bin/") {
			mode = 0o755
		}
		files = append(files, File{Path: path.Clean(r.Replace(p)), Content: []byte(r.Replace(string(content))), Mode: mode})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &ScaffoldResponse{Files: files}, nil
}
