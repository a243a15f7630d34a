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

// legacyLockPoll is how often Start retries the legacy lock; flock(2) cannot
// wait for a lock and a context at once.
const legacyLockPoll = 20 * time.Millisecond

// lockLegacy takes the exclusive flock on LegacyLockPath, waiting for it
// until ctx ends. The lock lasts until the returned file is closed.
func lockLegacy(ctx context.Context) (*os.File, error) {
	f, err := os.OpenFile(LegacyLockPath, os.O_RDWR|os.O_CREATE, 0o666)
	if err != nil {
		return nil, fmt.Errorf("pipe: legacy lock: %w", err)
	}
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return f, nil
		}
		if err != unix.EWOULDBLOCK && err != unix.EINTR {
			f.Close()
			return nil, fmt.Errorf("pipe: legacy lock %s: %w", LegacyLockPath, err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("pipe: waiting for legacy lock %s: %w", LegacyLockPath, ctx.Err())
		case <-time.After(legacyLockPoll):
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
