package serve

import (
	"crypto/sha1"
	"encoding/hex"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// skippedDirs are folders that do not count towards a build hash: build
// output and caches.
var skippedDirs = map[string]bool{".git": true, ".langserver": true, "node_modules": true, "__pycache__": true, "target": true}

// BuildHash identifies the files of an algorithm folder: a SHA-1 over
// their relative paths and contents, in walk order, 40 hex digits like a
// commit hash.
func BuildHash(dir string) (string, error) {
	h := sha1.New()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != dir && skippedDirs[d.Name()] {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		io.WriteString(h, filepath.ToSlash(rel)+"\x00")
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(h, f)
		return err
	})
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
