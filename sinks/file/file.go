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
	format     format.Format
	fsync      bool
	maxOpen    int
	base       string // no file is opened outside this directory
	unsafePath string
	log        *slog.Logger

	mu           sync.Mutex
	closed       bool
	files        map[string]*entry // by expanded path, as the template wrote it
	lru          lruList           // open files, most recently used first
	touched      []*entry          // files the current batch writes to
	dest         []*entry          // per message of the current batch: its file
	pathBuf      []byte
	warnedUnsafe bool
	retry        retryState
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
	base := filepath.Dir(path.StaticPrefix())
	return &Sink{
		path:       path,
		format:     o.Format,
		fsync:      o.FSync == FSyncBatch,
		maxOpen:    o.MaxOpenFiles,
		base:       base,
		unsafePath: filepath.Join(base, unsafeName),
		log:        log,
		files:      make(map[string]*entry),
	}
}

// Write appends every message of batch to its file. On error (which names
// the failing path) the messages whose files were written are remembered, so
// the Runner's retry of the same batch writes only the others, and the
// failed file is closed so that the retry opens it afresh.
func (s *Sink) Write(ctx context.Context, batch []*message.Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errClosed
	}
	skip := s.retry.skip(batch)
	s.dest = append(s.dest[:0], make([]*entry, len(batch))...)
	for i, m := range batch {
		if skip != nil && skip[i] {
			continue
		}
		e := s.entryFor(m)
		if e.err != nil {
			continue
		}
		e.pending = format.Append(e.pending, s.format, m)
		s.dest[i] = e
	}
	err := s.flush(ctx)
	s.retry.record(batch, s.dest, err != nil)
	clear(s.dest)
	s.endBatch()
	return err
}

// flush writes each touched file's pending lines with one write(2), and
// fsyncs it when configured.
func (s *Sink) flush(ctx context.Context) error {
	var errs []error
	for _, e := range s.touched {
		if e.err == nil && len(e.pending) > 0 {
			if err := ctx.Err(); err != nil {
				return errors.Join(append(errs, err)...)
			}
			_, e.err = e.f.Write(e.pending)
			if e.err == nil && s.fsync {
				e.err = e.f.Sync()
			}
			e.written = e.err == nil
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
	s.log.Debug("reopened files", "closed", n)
	return err
}

// Close closes every file. Write fails afterwards; nothing is buffered
// between batches, so there is nothing to flush.
func (s *Sink) Close(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	s.retry.reset()
	return s.closeAll()
}

var (
	_ sinks.Sink     = (*Sink)(nil)
	_ sinks.Reopener = (*Sink)(nil)
)
