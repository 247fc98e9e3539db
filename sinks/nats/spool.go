package nats

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	diskqueue "github.com/nsqio/go-diskqueue"
)

// spool is the bounded on-disk FIFO that holds messages NATS has not taken:
// nsqio/go-diskqueue (the queue nsqd keeps its overflow in) stores the
// records, and this type adds what the sink needs around it — an exclusive
// lock so that two sinks never share the files, a byte bound, and a count
// that is cheap to read for /stats.
//
// The diskqueue writes every record with one write(2), so a record survives
// a crash of the daemon as soon as put returns; it fsyncs every syncEvery
// records or once a second, and on close. Reading a record removes it from
// the queue, so the sink keeps what it has read and not yet published in
// memory and puts it back on close.
type spool struct {
	q        diskqueue.Interface
	lock     *os.File
	maxBytes int64
	count    atomic.Int64 // records in the queue, reserved before put
	bytes    atomic.Int64 // their size on disk, reserved before put
}

const (
	// maxRecordBytes bounds one record; a larger one is refused, not
	// written, so that a corrupt length never makes the reader allocate
	// gigabytes. NATS itself refuses payloads over 64 MiB.
	maxRecordBytes = 64 << 20
	// syncEvery is how many queue operations may pass between fsyncs.
	syncEvery = 4096
	// syncTimeout is the longest a written record waits for an fsync.
	syncTimeout = time.Second
	// recordOverhead is the queue's length prefix per record.
	recordOverhead = 4
)

var (
	errSpoolFull   = errors.New("spool is full")
	errSpoolLocked = errors.New("spool is in use by another sink or process")
)

// openSpool locks and opens the spool for sink name in dir, creating dir
// (0750) when needed. It fails with errSpoolLocked while another instance
// (the one a reload replaces, or another daemon) still has it open.
func openSpool(dir, name string, maxBytes int64, log *slog.Logger) (*spool, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	lock, err := os.OpenFile(filepath.Join(dir, name+".lock"), os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lock.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s", errSpoolLocked, dir)
		}
		return nil, fmt.Errorf("spool: lock %s: %w", lock.Name(), err)
	}
	segment := min(max(maxBytes/8, 1<<20), 64<<20)
	s := &spool{
		lock:     lock,
		maxBytes: maxBytes,
		q:        diskqueue.New(name, dir, segment, 1, maxRecordBytes, syncEvery, syncTimeout, queueLogger(log)),
	}
	s.count.Store(s.q.Depth())
	s.bytes.Store(pendingBytes(dir, name))
	return s, nil
}

// put appends one record, or fails with errSpoolFull when it would take the
// spool past its bound. Safe for concurrent use.
func (s *spool) put(rec []byte) error {
	size := int64(len(rec) + recordOverhead)
	if len(rec) > maxRecordBytes {
		return fmt.Errorf("record of %d bytes exceeds the spool's limit of %d", len(rec), maxRecordBytes)
	}
	// Reserve first, so that the reader, which may take the record the
	// moment it is written, never sees the count go below zero, and two
	// writers cannot both squeeze into the last free bytes.
	if s.bytes.Add(size) > s.maxBytes {
		s.bytes.Add(-size)
		return errSpoolFull
	}
	s.count.Add(1)
	if err := s.q.Put(rec); err != nil {
		s.count.Add(-1)
		s.bytes.Add(-size)
		return fmt.Errorf("spool: %w", err)
	}
	return nil
}

// records is the channel the queue delivers records on, oldest first.
// Whoever receives a record must call took.
func (s *spool) records() <-chan []byte { return s.q.ReadChan() }

// took accounts for one record received from records.
func (s *spool) took(rec []byte) {
	s.count.Add(-1)
	s.bytes.Add(-int64(len(rec) + recordOverhead))
}

// len returns the number of records in the spool.
func (s *spool) len() int64 { return s.count.Load() }

// close syncs the queue's metadata and releases the lock.
func (s *spool) close() error {
	err := s.q.Close()
	return errors.Join(err, s.lock.Close()) // closing the file drops the flock
}

// pendingBytes estimates the bytes still to be read from the queue's files:
// the size of every segment minus the read position in the first one, as
// the queue's metadata file records it ("depth\nreadFile,readPos\n...").
func pendingBytes(dir, name string) int64 {
	entries, _ := os.ReadDir(dir)
	var total int64
	for _, e := range entries {
		n := e.Name()
		if !strings.HasPrefix(n, name+".diskqueue.") || !strings.HasSuffix(n, ".dat") || strings.HasSuffix(n, ".meta.dat") {
			continue
		}
		if info, err := e.Info(); err == nil {
			total += info.Size()
		}
	}
	if meta, err := os.ReadFile(filepath.Join(dir, name+".diskqueue.meta.dat")); err == nil {
		var depth, readFile, readPos int64
		if _, err := fmt.Sscanf(string(meta), "%d\n%d,%d\n", &depth, &readFile, &readPos); err == nil {
			total -= readPos
		}
	}
	return max(total, 0)
}

// queueLogger forwards the queue's log lines to slog. Its INFO lines (a
// segment opened, closing) are routine and go to DEBUG.
func queueLogger(log *slog.Logger) diskqueue.AppLogFunc {
	return func(lvl diskqueue.LogLevel, f string, args ...any) {
		msg := strings.TrimSpace(fmt.Sprintf(f, args...))
		switch {
		case lvl >= diskqueue.ERROR:
			log.Error("spool: " + msg)
		case lvl == diskqueue.WARN:
			log.Warn("spool: " + msg)
		default:
			log.Debug("spool: " + msg)
		}
	}
}
