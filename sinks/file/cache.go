package file

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"syslogd/message"
)

const (
	dirMode  = 0o750
	fileMode = 0o640
	// openFlags append (so lines from several writers never interleave
	// inside a write) and refuse a symlink as the last path component.
	openFlags = os.O_WRONLY | os.O_APPEND | os.O_CREATE | syscall.O_NOFOLLOW
)

// entry is one path of the cache. An entry whose open failed stays in the
// map, without a file, until the end of the batch, so the batch's other
// messages for that path fail fast instead of retrying the open.
type entry struct {
	key     string    // map key: the path as the template expanded it
	path    string    // the file opened (cleaned, or the unsafe-path file)
	checked time.Time // when the path was last seen to name f
	f       *os.File
	pending []byte // lines of the current batch
	touched bool   // in Sink.touched
	done    int    // bytes of pending safely in the file
	err     error  // open, write or fsync failure in this batch

	prev, next *entry // lruList links
}

// entryFor returns the entry for m's path, opening the file on a miss.
func (s *Sink) entryFor(m *message.Message) *entry {
	// A batch is mostly runs of one host and program: the previous
	// message's entry serves while the template would expand the same.
	// It is touched (in this batch) and at the front of the LRU already.
	if s.last != nil && s.path.Same(s.lastMsg, m) {
		s.lastMsg = m
		return s.last
	}
	e := s.lookup(m)
	s.last, s.lastMsg = e, m
	return e
}

// lookup is entryFor by the expanded path.
func (s *Sink) lookup(m *message.Message) *entry {
	s.pathBuf = s.path.Append(s.pathBuf[:0], m)
	e, ok := s.files[string(s.pathBuf)] // no allocation: the compiler avoids the copy
	if ok && !e.touched && e.f != nil && s.now.Sub(e.checked) >= s.checkEvery {
		e = s.recheck(e)
	}
	if !ok {
		e = s.open(string(s.pathBuf))
	}
	if !e.touched {
		e.touched = true
		s.touched = append(s.touched, e)
	}
	if e.f != nil {
		s.lru.moveToFront(e)
	}
	return e
}

// open opens the file for key, or the unsafe-path file when key leaves the
// base directory or holds a NUL byte (which no system call accepts, so the
// message could never be written and would be retried forever).
func (s *Sink) open(key string) *entry {
	path, safe := resolvePath(s.base, s.unsafePath, key)
	if !safe {
		if !s.warnedUnsafe {
			s.warnedUnsafe = true
			s.log.Warn("unsafe path (outside the sink directory or with a NUL byte); writing such messages to "+s.unsafePath+" (logged once)",
				"path", key, "base", s.base)
		}
		if e, ok := s.files[s.unsafePath]; ok {
			return e
		}
		key = s.unsafePath
	}
	e := &entry{key: key, path: path, checked: s.now}
	e.f, e.err = openFile(path)
	if e.f != nil {
		s.lru.pushFront(e)
	}
	s.files[key] = e
	return e
}

// recheck makes sure e's path still names its open file, at most every
// checkEvery: a file deleted or renamed away (by hand, or by a rotation
// that sent no SIGUSR1) is reopened, so new lines go to a file someone can
// read instead of an unlinked inode. Lines written between the removal and
// the check are in the old inode.
func (s *Sink) recheck(e *entry) *entry {
	e.checked = s.now
	onDisk, err := os.Lstat(e.path)
	if err == nil {
		if open, ferr := e.f.Stat(); ferr == nil && os.SameFile(onDisk, open) {
			return e
		}
	}
	s.reopens.Add(1)
	s.log.Info("file was removed or replaced; reopening", "path", e.path)
	if cerr := e.f.Close(); cerr != nil {
		s.log.Warn("closing replaced file", "path", e.path, "err", cerr)
	}
	s.forget(e)
	return s.open(e.key)
}

// write appends pending with one write(2) and returns how many of its
// bytes are in the file. A short write (a full disk) that ends inside a
// line is truncated back to the end of the last whole line, so the retry
// of the rest never glues onto a torn line.
func (e *entry) write() (int, error) {
	n, err := e.f.Write(e.pending)
	if err == nil || n == 0 {
		return n, err
	}
	whole := bytes.LastIndexByte(e.pending[:n], '\n') + 1
	if whole == n {
		return n, err
	}
	end, serr := e.f.Seek(0, io.SeekEnd)
	if serr == nil {
		serr = e.f.Truncate(end - int64(n-whole))
	}
	if serr != nil {
		return whole, errors.Join(err, fmt.Errorf("remove torn line from %s: %w", e.key, serr))
	}
	return whole, err
}

func openFile(path string) (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(path), dirMode); err != nil {
		return nil, fmt.Errorf("create directory for %s: %w", path, err)
	}
	return os.OpenFile(path, openFlags, fileMode)
}

// resolvePath returns the file key, an expanded path, names: key cleaned,
// or unsafePath and false when that is not inside base or holds a NUL
// byte (which no system call accepts, so the message could never be
// written and would be retried forever).
func resolvePath(base, unsafePath, key string) (path string, safe bool) {
	path = filepath.Clean(key)
	if !within(base, path) || strings.IndexByte(path, 0) >= 0 {
		return unsafePath, false
	}
	return path, true
}

// within reports whether the clean path p lies strictly inside dir.
func within(dir, p string) bool {
	switch dir {
	case ".":
		return p != "." && p != ".." && !strings.HasPrefix(p, "../") && !filepath.IsAbs(p)
	case "/":
		return len(p) > 1 && p[0] == '/'
	}
	return len(p) > len(dir)+1 && p[len(dir)] == '/' && strings.HasPrefix(p, dir)
}

// endBatch resets the batch state, drops the entries that failed (a retry
// reopens them) and closes the least recently used files beyond the limit.
func (s *Sink) endBatch() {
	s.last, s.lastMsg = nil, nil // entries may be closed or forgotten below
	for _, e := range s.touched {
		e.touched, e.done = false, 0
		if cap(e.pending) > maxIdleBuffer {
			e.pending = nil
		} else {
			e.pending = e.pending[:0]
		}
		if e.err != nil {
			if e.f != nil {
				_ = e.f.Close() // the write already failed; that error is reported
			}
			s.forget(e)
		}
	}
	clear(s.touched)
	s.touched = s.touched[:0]
	for s.lru.len > s.maxOpen {
		e := s.lru.tail
		if err := e.f.Close(); err != nil {
			s.log.Warn("closing evicted file", "err", err)
		}
		s.forget(e)
	}
}

func (s *Sink) forget(e *entry) {
	if e.f != nil {
		s.lru.remove(e)
		e.f = nil
	}
	delete(s.files, e.key)
}

// closeAll closes and forgets every cached file.
func (s *Sink) closeAll() error {
	var errs []error
	for _, e := range s.files {
		if e.f != nil {
			if err := e.f.Close(); err != nil {
				errs = append(errs, err)
			}
		}
	}
	clear(s.files)
	s.lru = lruList{}
	return errors.Join(errs...)
}
