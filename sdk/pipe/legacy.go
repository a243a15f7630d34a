package pipe

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// lockPoll is how often LockFile retries a lock; flock(2) cannot
// wait for a lock and a context at once.
const lockPoll = 20 * time.Millisecond

// lockLegacy takes the exclusive flock on LegacyLockPath, waiting for it
// until ctx ends. The lock lasts until the returned file is closed.
func lockLegacy(ctx context.Context) (*os.File, error) {
	f, err := LockFile(ctx, LegacyLockPath)
	if err != nil {
		return nil, fmt.Errorf("pipe: legacy lock: %w", err)
	}
	return f, nil
}

// LockFile takes an exclusive flock on path (created when missing), waiting
// for it until ctx ends. The lock lasts until the returned file is closed,
// and ends with the process that holds it.
func LockFile(ctx context.Context, path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o666)
	if err != nil {
		return nil, err
	}
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return f, nil
		}
		if err != unix.EWOULDBLOCK && err != unix.EINTR {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("waiting for the lock on %s: %w", path, ctx.Err())
		case <-time.After(lockPoll):
		}
	}
}

// makeLegacyFIFO makes sure LegacyFIFOPath is a FIFO, replacing anything
// else found there.
func makeLegacyFIFO() error {
	fi, err := os.Lstat(LegacyFIFOPath)
	switch {
	case err == nil && fi.Mode()&fs.ModeNamedPipe != 0:
		return nil
	case err == nil:
		if err := os.RemoveAll(LegacyFIFOPath); err != nil {
			return fmt.Errorf("pipe: replacing %s: %w", LegacyFIFOPath, err)
		}
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("pipe: %w", err)
	}
	if err := unix.Mkfifo(LegacyFIFOPath, 0o600); err != nil {
		return fmt.Errorf("pipe: mkfifo %s: %w", LegacyFIFOPath, err)
	}
	return nil
}
