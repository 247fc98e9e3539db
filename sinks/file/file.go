// Package file is the file sink: it appends formatted lines to files named
// by a path template, so one sink can keep a file per host and application
// (/var/log/remote/{hostname}/{app_name}.log).
//
// Each batch costs one write(2) per file it touches, and no allocation per
// message once the files are open: the path is expanded into a reused
// buffer, the open file is found by that buffer without copying it, and the
// line is formatted into the file's pending buffer.
//
// Paths come from message content, so the sink guards them even though the
// template already sanitises every value: a path that, once cleaned, is not
// inside the template's base directory is never opened (see open), and the
// last path component is opened with O_NOFOLLOW, so a symlink planted where
// a log file should be is refused rather than written through. Directories
// are created 0750 and files 0640 (before the umask).
package file

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"syslogd/message"
	"syslogd/sinks"
	"syslogd/sinks/format"
	"syslogd/sinks/template"
)

// expander names a message's file. *template.Template is the only one the
// sink is built with; the interface is the seam through which the tests
// hand the guard below paths the template would never produce.
type expander interface {
	// Append appends the expanded, already sanitised path to dst.
	Append(dst []byte, m *message.Message) []byte
	// StaticPrefix returns the literal text before the first placeholder.
	StaticPrefix() string
	// Same reports whether a and b expand to the same path.
	Same(a, b *message.Message) bool
}

const (
	// unsafeName receives the messages whose path would leave the base
	// directory, so they are kept for the operator instead of lost.
	unsafeName = "_unsafe-path.log"
	// maxIdleBuffer caps the pending buffer a file keeps between batches,
	// so one burst does not pin memory for every cached file.
	maxIdleBuffer = 1 << 20
)

var errClosed = errors.New("file sink is closed")

// Sink writes messages to files. Write, Reopen and Close may be called from
// different goroutines; they take turns on one mutex.
type Sink struct {
	path       expander
	enc        format.Encoder
	fsync      bool
	maxOpen    int
	base       string // no file is opened outside this directory
	unsafePath string
	log        *slog.Logger

	mu      sync.Mutex
	closed  bool
	files   map[string]*entry // by expanded path, as the template wrote it
	lru     lruList           // open files, most recently used first
	touched []*entry          // files the current batch writes to
	dest    []*entry          // per message of the current batch: its file
	ends    []int             // per message: where its line ends in its file's pending (0: none)
	pathBuf []byte
	// last is the entry of lastMsg, the previous message of the batch
	// (see entryFor); both nil between batches.
	last         *entry
	lastMsg      *message.Message
	warnedUnsafe bool
	now          time.Time     // of the current batch
	checkEvery   time.Duration // how often a cached path is checked (recheck)
	reopens      atomic.Uint64
}

// New checks o (with Check: a configuration that loaded has passed it)
// and returns a sink; no file is opened before the first Write. The base
// directory is the directory part of the template's static prefix
// ("/var/log/remote" for "/var/log/remote/{hostname}.log", "." for a
// relative template that starts with a placeholder). log should already
// name the sink.
func New(o Options, log *slog.Logger) (*Sink, error) {
	if errs := o.Check(); len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	tpl, err := template.Parse(o.Path, template.Path)
	if err != nil { // not reached: Check parsed it
		return nil, err
	}
	return build(o, tpl, log), nil
}

func build(o Options, path expander, log *slog.Logger) *Sink {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	base, unsafePath := baseDir(path.StaticPrefix())
	return &Sink{
		path:       path,
		enc:        format.Encoder{Format: o.Format},
		fsync:      o.FSync == FSyncBatch,
		maxOpen:    o.MaxOpenFiles,
		base:       base,
		unsafePath: unsafePath,
		log:        log,
		files:      make(map[string]*entry),
		checkEvery: time.Second,
	}
}

// baseDir returns the directory no file of a template with the static
// prefix prefix is opened outside of, and the file that takes the
// messages whose path would leave it.
func baseDir(prefix string) (base, unsafePath string) {
	base = filepath.Dir(prefix)
	return base, filepath.Join(base, unsafeName)
}

// Write appends every message of batch to its file, one write(2) per file.
// When a file fails (it cannot be opened, the disk is full), the messages
// of the other files are written all the same, and a *sinks.BatchError
// names the ones that were not, so that the Runner retries only those; the
// failed file is closed so that the retry opens it afresh. A short write
// never leaves part of a line behind: the file is truncated back to the
// last whole line, and the lines before it count as written.
func (s *Sink) Write(ctx context.Context, batch []*message.Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errClosed
	}
	s.now = time.Now()
	// Sized without copying: appending a slice of nil pointers costs a
	// bulk write barrier while the collector runs. Both are zero here
	// (cleared after the last batch, and just made or ends overwritten).
	if cap(s.dest) < len(batch) {
		s.dest, s.ends = make([]*entry, len(batch)), make([]int, len(batch))
	}
	s.dest, s.ends = s.dest[:len(batch)], s.ends[:len(batch)]
	clear(s.ends)
	for i, m := range batch {
		e := s.entryFor(m)
		s.dest[i] = e
		if e.err != nil {
			continue
		}
		e.pending = s.enc.Append(e.pending, m)
		s.ends[i] = len(e.pending)
	}
	err := s.flush(ctx)
	if err != nil {
		err = s.unwritten(err)
	}
	clear(s.dest)
	s.endBatch()
	return err
}

// unwritten turns a flush error into a *sinks.BatchError naming the
// messages whose lines did not reach their file.
func (s *Sink) unwritten(err error) error {
	var failed []int
	for i, e := range s.dest {
		if e.err != nil && (s.ends[i] == 0 || s.ends[i] > e.done) {
			failed = append(failed, i)
		}
	}
	if len(failed) == 0 {
		return nil
	}
	return &sinks.BatchError{Failed: failed, Err: err}
}

// flush writes each touched file's pending lines with one write(2), and
// fsyncs it when configured. An entry's done is how many bytes of pending
// are safely in the file.
func (s *Sink) flush(ctx context.Context) error {
	var errs []error
	for _, e := range s.touched {
		if e.err == nil && len(e.pending) > 0 {
			if err := ctx.Err(); err != nil {
				e.err = err
			} else {
				e.done, e.err = e.write()
				if e.err == nil && s.fsync {
					if e.err = e.f.Sync(); e.err != nil {
						e.done = 0 // nothing of this batch is known to be on disk
					}
				}
			}
		}
		if e.err != nil {
			errs = append(errs, e.err)
		}
	}
	return errors.Join(errs...)
}

// Reopen closes every cached file, so the next Write opens each path anew:
// after logrotate has renamed a file, new lines go to a new file.
func (s *Sink) Reopen() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.files)
	err := s.closeAll()
	s.reopens.Add(1)
	s.log.Debug("reopened files", "closed", n)
	return err
}

// Reopens counts SIGUSR1 reopens and files reopened because their path
// had been removed or renamed away. Safe for concurrent use.
func (s *Sink) Reopens() uint64 { return s.reopens.Load() }

// Close closes every file. Write fails afterwards; nothing is buffered
// between batches, so there is nothing to flush.
func (s *Sink) Close(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return s.closeAll()
}

var (
	_ sinks.Sink     = (*Sink)(nil)
	_ sinks.Reopener = (*Sink)(nil)
)
