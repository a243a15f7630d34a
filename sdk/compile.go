package sdk

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/langserver/langserver/sdk/pipe"
)

// CompileIfStale runs compile when the stamp file is missing or any file
// under the sources paths (files or folders, walked recursively, skipping
// .langserver folders) is newer than it, then touches stamp. An exclusive
// lock on stamp+".lock" makes runners started at the same time compile once:
// the others wait, then find the stamp fresh. Compiled LangPacks call it
// from StartRunner, so a folder that was never built can still be served.
func CompileIfStale(ctx context.Context, stamp string, sources []string, compile func(context.Context) error) error {
	if err := os.MkdirAll(filepath.Dir(stamp), 0o755); err != nil {
		return err
	}
	lock, err := pipe.LockFile(ctx, stamp+".lock")
	if err != nil {
		return err
	}
	defer lock.Close()
	stale, err := isStale(stamp, sources)
	if err != nil || !stale {
		return err
	}
	if err := compile(ctx); err != nil {
		return err
	}
	now := time.Now()
	if err := os.Chtimes(stamp, now, now); errors.Is(err, fs.ErrNotExist) {
		return os.WriteFile(stamp, nil, 0o644)
	} else if err != nil {
		return err
	}
	return nil
}

// errNewer stops the walk at the first source newer than the stamp.
var errNewer = errors.New("newer")

// isStale reports whether stamp is missing or older than a file under sources.
func isStale(stamp string, sources []string) (bool, error) {
	info, err := os.Stat(stamp)
	if errors.Is(err, fs.ErrNotExist) {
		return true, nil
	} else if err != nil {
		return false, err
	}
	built := info.ModTime()
	for _, src := range sources {
		err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
			switch {
			case errors.Is(err, fs.ErrNotExist):
				return nil
			case err != nil:
				return err
			case d.IsDir() && d.Name() == ".langserver":
				return filepath.SkipDir
			}
			fi, err := d.Info()
			if err != nil {
				return err
			}
			if fi.ModTime().After(built) {
				return errNewer
			}
			return nil
		})
		if errors.Is(err, errNewer) {
			return true, nil
		} else if err != nil {
			return false, err
		}
	}
	return false, nil
}
