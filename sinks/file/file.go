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
// inside the template's base directory is never opened (see New), and the
// last path component is opened with O_NOFOLLOW, so a symlink planted where
// a log file should be is refused rather than written through. Directories
// are created 0750 and files 0640 (before the umask).
package file

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"

	"syslogd/message"
	"syslogd/sinks"
	"syslogd/sinks/format"
)

// PathTemplate expands a message into the path of its file. *router.Template
// satisfies it; the sink declares its own interface so that it does not
// depend on the router stage.
type PathTemplate interface {
	// Append appends the expanded, already sanitised path to dst.
	Append(dst []byte, m *message.Message) []byte
	// StaticPrefix returns the literal text before the first placeholder.
	StaticPrefix() string
}

// Config configures one file sink.
type Config struct {
	// Name is the sink's configured name, used in logs.
	Name string
	// Path names each message's file.
	Path PathTemplate
	// Format is the line format.
	Format format.Format
	// FSync is "never" (the default: the kernel writes back when it likes)
	// or "batch" (fsync every touched file after each batch, so a batch the
	// Runner counts as written survives a power loss).
	FSync string
	// MaxOpenFiles bounds the cache of open files (default 256); the least
	// recently used file is closed beyond it. A batch that touches more
	// distinct files keeps them all open until it has been written.
	MaxOpenFiles int
}

const (
	defaultMaxOpenFiles = 256
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
	name       string
	path       PathTemplate
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

// New checks cfg and returns a sink; no file is opened before the first
// Write. The base directory is the directory part of the template's static
// prefix ("/var/log/remote" for "/var/log/remote/{hostname}.log", "." for a
// relative template that starts with a placeholder).
func New(cfg Config, log *slog.Logger) (*Sink, error) {
	if cfg.Path == nil {
		return nil, errors.New("file sink: path template is required")
	}
	if _, err := format.Parse(cfg.Format.String()); err != nil {
		return nil, fmt.Errorf("file sink: %w", err)
	}
	var fsync bool
	switch cfg.FSync {
	case "", "never":
	case "batch":
		fsync = true
	default:
		return nil, fmt.Errorf("file sink: unknown fsync %q (want never or batch)", cfg.FSync)
	}
	switch {
	case cfg.MaxOpenFiles < 0:
		return nil, fmt.Errorf("file sink: max open files %d is negative", cfg.MaxOpenFiles)
	case cfg.MaxOpenFiles == 0:
		cfg.MaxOpenFiles = defaultMaxOpenFiles
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	base := filepath.Dir(cfg.Path.StaticPrefix())
	return &Sink{
		name:       cfg.Name,
		path:       cfg.Path,
		format:     cfg.Format,
		fsync:      fsync,
		maxOpen:    cfg.MaxOpenFiles,
		base:       base,
		unsafePath: filepath.Join(base, unsafeName),
		log:        log, // the caller names the sink in log
		files:      make(map[string]*entry),
	}, nil
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
