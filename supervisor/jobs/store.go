package jobs

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// The buckets: jobs by submission sequence (so that they list in order),
// the sequence of each job id, the job id of each idempotency key, and the
// finished jobs by the time they finished (so that a purge reads only
// what it deletes).
var (
	jobsBucket     = []byte("jobs")
	idsBucket      = []byte("ids")
	idemBucket     = []byte("idempotency")
	finishedBucket = []byte("finished")
)

// finishedKey orders finished jobs by time, then sequence.
func finishedKey(at time.Time, seq []byte) []byte {
	return append(binary.BigEndian.AppendUint64(nil, uint64(at.UnixNano())), seq...)
}

// FileName is the database's file in the data folder.
const FileName = "jobs.db"

// lockTimeout is how long Open waits for another process's lock.
const lockTimeout = 500 * time.Millisecond

// store is the bbolt database of jobs.
type store struct {
	db *bolt.DB
	// mu is held for reading by every use of db, and for writing by close.
	mu     sync.RWMutex
	closed bool
	// writes feeds the group-commit writer.
	writes chan *write
	done   chan struct{}
}

// write is one change for the group-commit writer.
type write struct {
	fn  func(*bolt.Tx) error
	err chan error
}

// maxGroup bounds the changes committed together.
const maxGroup = 512

// openStore opens (creating it and its folder on first use) the database in
// dir. A file locked by another process or not a database is a clear
// error, never a hang or a panic.
func openStore(dir string) (s *store, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating the data dir: %w", err)
	}
	path := filepath.Join(dir, FileName)
	defer func() {
		// bbolt may panic on some damaged files.
		if p := recover(); p != nil {
			s, err = nil, fmt.Errorf("data dir %s: %s is corrupt (%v); move it away to start with an empty job store", dir, path, p)
		}
	}()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: lockTimeout})
	switch {
	case errors.Is(err, berrors.ErrTimeout):
		return nil, fmt.Errorf("data dir %s is in use by another langserver (%s is locked)", dir, path)
	case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrChecksum), errors.Is(err, berrors.ErrVersionMismatch):
		return nil, fmt.Errorf("data dir %s: %s is corrupt or not a job store (%v); move it away to start with an empty one", dir, path, err)
	case err != nil:
		return nil, fmt.Errorf("data dir %s: opening %s: %w", dir, path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{jobsBucket, idsBucket, idemBucket, finishedBucket} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("data dir %s: %s is corrupt or not a job store (%v); move it away to start with an empty one", dir, path, err)
	}
	s = &store{db: db, writes: make(chan *write), done: make(chan struct{})}
	go s.writer()
	return s, nil
}

func (s *store) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	close(s.writes)
	<-s.done
	return s.db.Close()
}

// view runs fn in a read-only transaction, unless the store is closed.
func (s *store) view(fn func(*bolt.Tx) error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	return s.db.View(fn)
}

// batch runs fn in a read-write transaction and returns once it is
// committed to disk. Changes that arrive while a commit is being written
// share the next one, and so one fsync, without waiting for company when
// none comes. fn must return its errors before it changes anything
// (errUnchanged, ErrNotFound), or fail the whole commit.
func (s *store) batch(fn func(*bolt.Tx) error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	w := &write{fn: fn, err: make(chan error, 1)}
	s.writes <- w
	return <-w.err
}

// writer commits the queued writes in groups.
func (s *store) writer() {
	defer close(s.done)
	for first := range s.writes {
		group := []*write{first}
	more:
		for len(group) < maxGroup {
			select {
			case w, ok := <-s.writes:
				if !ok {
					break more
				}
				group = append(group, w)
			default:
				break more
			}
		}
		errs := make([]error, len(group))
		err := s.db.Update(func(tx *bolt.Tx) error {
			for i, w := range group {
				if errs[i] = w.fn(tx); errs[i] != nil && !errors.Is(errs[i], ErrNotFound) && !errors.Is(errs[i], errUnchanged) {
					return errs[i]
				}
			}
			return nil
		})
		for i, w := range group {
			if err != nil {
				errs[i] = err
			}
			w.err <- errs[i]
		}
	}
}

func seqKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }

// insert stores a new job, unless its idempotency key is already taken:
// then it returns the id of the job that took it.
func (s *store) insert(r *record) (existing string, err error) {
	err = s.batch(func(tx *bolt.Tx) error {
		existing = ""
		if r.IdempotencyKey != "" {
			if id := tx.Bucket(idemBucket).Get([]byte(r.IdempotencyKey)); id != nil {
				existing = string(id)
				return nil
			}
		}
		jobs := tx.Bucket(jobsBucket)
		seq, err := jobs.NextSequence()
		if err != nil {
			return err
		}
		value, err := json.Marshal(r)
		if err != nil {
			return err
		}
		if err := jobs.Put(seqKey(seq), value); err != nil {
			return err
		}
		if err := tx.Bucket(idsBucket).Put([]byte(r.ID), seqKey(seq)); err != nil {
			return err
		}
		if r.IdempotencyKey != "" {
			return tx.Bucket(idemBucket).Put([]byte(r.IdempotencyKey), []byte(r.ID))
		}
		return nil
	})
	return existing, err
}

// get returns the job with id.
func (s *store) get(id string) (*record, error) {
	var r *record
	err := s.view(func(tx *bolt.Tx) error {
		key := tx.Bucket(idsBucket).Get([]byte(id))
		if key == nil {
			return ErrNotFound
		}
		var err error
		r, err = decode(tx.Bucket(jobsBucket).Get(key))
		return err
	})
	return r, err
}

func decode(value []byte) (*record, error) {
	if value == nil {
		return nil, ErrNotFound
	}
	r := &record{}
	if err := json.Unmarshal(value, r); err != nil {
		return nil, fmt.Errorf("decoding a stored job: %w", err)
	}
	return r, nil
}

// errUnchanged, returned by an update's change, leaves the job as it is.
var errUnchanged = errors.New("unchanged")

// update applies change to the job with id in one transaction and returns
// the job as it then is. When change returns errUnchanged, nothing is
// written and update returns the job as it was with errUnchanged.
func (s *store) update(id string, change func(*record) error) (*record, error) {
	var r *record
	err := s.batch(func(tx *bolt.Tx) error {
		key := tx.Bucket(idsBucket).Get([]byte(id))
		if key == nil {
			return ErrNotFound
		}
		var err error
		if r, err = decode(tx.Bucket(jobsBucket).Get(key)); err != nil {
			return err
		}
		wasFinished := r.FinishedAt != nil
		if err := change(r); err != nil {
			return err
		}
		value, err := json.Marshal(r)
		if err != nil {
			return err
		}
		if !wasFinished && r.FinishedAt != nil {
			if err := tx.Bucket(finishedBucket).Put(finishedKey(*r.FinishedAt, key), nil); err != nil {
				return err
			}
		}
		return tx.Bucket(jobsBucket).Put(key, value)
	})
	return r, err
}

// scan calls fn with each job in submission order, from the one after
// the sequence number after, until fn returns false.
func (s *store) scan(after uint64, fn func(seq uint64, r *record) bool) error {
	return s.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(jobsBucket).Cursor()
		for k, v := c.Seek(seqKey(after + 1)); k != nil; k, v = c.Next() {
			r, err := decode(v)
			if err != nil {
				return err
			}
			if !fn(binary.BigEndian.Uint64(k), r) {
				return nil
			}
		}
		return nil
	})
}

// purge deletes the jobs that finished before cutoff and have no delivery
// pending, with their id and idempotency key; it returns how many. A job
// whose delivery is pending keeps its place and is looked at again.
func (s *store) purge(cutoff time.Time) (int, error) {
	n := 0
	err := s.batch(func(tx *bolt.Tx) error {
		n = 0
		jobs, ids, idem, finished := tx.Bucket(jobsBucket), tx.Bucket(idsBucket), tx.Bucket(idemBucket), tx.Bucket(finishedBucket)
		var doomed [][]byte
		end := finishedKey(cutoff, nil)
		c := finished.Cursor()
		for k, _ := c.First(); k != nil && bytes.Compare(k[:8], end) < 0; k, _ = c.Next() {
			seq := k[8:]
			r, err := decode(jobs.Get(seq))
			if errors.Is(err, ErrNotFound) {
				doomed = append(doomed, append([]byte(nil), k...))
				continue
			}
			if err != nil {
				return err
			}
			if r.Callback != nil && r.Callback.State == DeliveryPending {
				continue
			}
			doomed = append(doomed, append([]byte(nil), k...))
			for _, del := range []struct {
				b   *bolt.Bucket
				key []byte
			}{{jobs, seq}, {ids, []byte(r.ID)}, {idem, []byte(r.IdempotencyKey)}} {
				if len(del.key) == 0 {
					continue
				}
				if err := del.b.Delete(del.key); err != nil {
					return err
				}
			}
			n++
		}
		for _, k := range doomed {
			if err := finished.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}

// scanIdempotency sets *id to the job that holds key, "" when none does.
func (s *store) scanIdempotency(key string, id *string) error {
	return s.view(func(tx *bolt.Tx) error {
		*id = string(tx.Bucket(idemBucket).Get([]byte(key)))
		return nil
	})
}

// requeueRunning puts the jobs left running by a crash or a shutdown back
// in the queue, keeping their attempt count; it returns how many.
func (s *store) requeueRunning() (int, error) {
	n := 0
	err := s.batch(func(tx *bolt.Tx) error {
		jobs := tx.Bucket(jobsBucket)
		type change struct{ key, value []byte }
		var changes []change
		c := jobs.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			r, err := decode(v)
			if err != nil {
				return err
			}
			if r.State != Running {
				continue
			}
			r.State = Queued
			value, err := json.Marshal(r)
			if err != nil {
				return err
			}
			changes = append(changes, change{append([]byte(nil), k...), value})
		}
		for _, ch := range changes {
			if err := jobs.Put(ch.key, ch.value); err != nil {
				return err
			}
		}
		n = len(changes)
		return nil
	})
	return n, err
}
