package sdk

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// ExtractFile writes the file name from fsys (usually an adapter's embedded
// runner) to disk and returns its path. The folder is named after prefix and
// the content's hash, so adapters of different versions never overwrite a
// runner in use, and extracting the same content again is free.
func ExtractFile(fsys fs.FS, name, prefix string) (string, error) {
	content, err := fs.ReadFile(fsys, name)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(content)
	dir := filepath.Join(os.TempDir(), prefix+"-"+hex.EncodeToString(sum[:6]))
	dest := filepath.Join(dir, path.Base(name))
	if existing, err := os.ReadFile(dest); err == nil && string(existing) == string(content) {
		return dest, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("extracting %s: %w", name, err)
	}
	tmp, err := os.CreateTemp(dir, ".extract-*")
	if err != nil {
		return "", fmt.Errorf("extracting %s: %w", name, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(content); err != nil {
		tmp.Close()
		return "", fmt.Errorf("extracting %s: %w", name, err)
	}
	if err := tmp.Chmod(0o755); err != nil {
		tmp.Close()
		return "", fmt.Errorf("extracting %s: %w", name, err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("extracting %s: %w", name, err)
	}
	if err := os.Rename(tmp.Name(), dest); err != nil {
		return "", fmt.Errorf("extracting %s: %w", name, err)
	}
	return dest, nil
}

// MergeEnv returns base (KEY=value entries) with the variables in add set,
// replacing any earlier value of the same name.
func MergeEnv(base []string, add map[string]string) []string {
	out := make([]string, 0, len(base)+len(add))
	for _, kv := range base {
		name, _, _ := strings.Cut(kv, "=")
		if _, replaced := add[name]; !replaced {
			out = append(out, kv)
		}
	}
	keys := make([]string, 0, len(add))
	for k := range add {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		out = append(out, k+"="+add[k])
	}
	return out
}
