package sinks

import (
	"errors"
	"sync"

	"syslogd/message"
)

// Buffer is a durable FIFO of records on disk with explicit commit
// (sinks/buffer implements it): what is appended survives a SIGKILL, and a
// record leaves it only when committed.
type Buffer interface {
	Append(rec []byte) error
	// Read returns up to max records after the last one read; they stay
	// until Commit.
	Read(max int) ([][]byte, error)
	// Commit removes the oldest n records read and not yet committed.
	Commit(n int) error
	// Rewind makes the records read and not committed the next to read.
	Rewind()
	// Len is the number of records appended and not committed.
	Len() int64
	// Sync forces what was appended and committed to disk (fsync).
	Sync() error
}

// Spill is a sink's disk buffer as its Runners use it. The daemon opens the
// buffer and hands the same Spill to the Runner that replaces another on a
// reload, so the two share it while the old one drains: the old one may
// still append, and the lock keeps one Runner at a time in a
// read-write-commit cycle.
type Spill struct {
	Buffer Buffer
	mu     sync.Mutex
	// appendMu orders appends: a Runner moving its queue into the buffer
	// holds it, so that senders append behind what was queued before
	// them.
	appendMu sync.Mutex
	enc      sync.Pool // *[]byte encoding buffers
}

// maxPooledRecord caps the encoding buffers kept for reuse.
const maxPooledRecord = 256 << 10

// NewSpill wraps b.
func NewSpill(b Buffer) *Spill { return &Spill{Buffer: b} }

// Buffered returns the records in the buffer now. Safe for concurrent use.
func (r *Runner) Buffered() int64 {
	if r.spill == nil {
		return 0
	}
	return r.spill.Buffer.Len()
}

// toBuffer appends m to the disk buffer, which settles it for this sink;
// false when there is none or it is full (or failed: the error is logged at
// most once a burst).
func (r *Runner) toBuffer(m *message.Message) bool {
	if r.spill == nil {
		return false
	}
	r.spill.appendMu.Lock()
	defer r.spill.appendMu.Unlock()
	return r.toBufferLocked(m)
}

// toBufferLocked is toBuffer for a caller holding spill.appendMu.
func (r *Runner) toBufferLocked(m *message.Message) bool {
	p, _ := r.spill.enc.Get().(*[]byte)
	if p == nil {
		p = new([]byte)
	}
	defer func() {
		if cap(*p) <= maxPooledRecord { // one huge message must not stay pinned
			r.spill.enc.Put(p)
		}
	}()
	rec, err := m.AppendBinary((*p)[:0])
	if err == nil {
		*p = rec
		err = r.spill.Buffer.Append(rec)
	}
	if err != nil {
		if !errors.Is(err, ErrBufferFull) && r.bufferErr.CompareAndSwap(false, true) {
			r.log.Error("disk buffer append failed", "error", err)
		}
		return false
	}
	r.bufferErr.Store(false)
	r.spilling.Store(true)
	settle1(m, message.Committed) // safely on disk: settled for this sink
	select {
	case r.wake <- struct{}{}:
	default:
	}
	return true
}

// ErrBufferFull is what a Buffer's Append returns when the record does not
// fit: expected under load, so not logged.
var ErrBufferFull = errors.New("buffer full")

// replay writes one batch from the disk buffer and commits it once every
// message of it is written (or dropped: a record that does not decode). A
// batch still unsettled when the Runner stops is not committed: it is read
// again. Runner goroutine
// only. It reports whether it read anything.
func (r *Runner) replay(batch []*message.Message) bool {
	r.spill.mu.Lock()
	defer r.spill.mu.Unlock()
	recs, err := r.spill.Buffer.Read(r.cfg.BatchSize)
	if err != nil || len(recs) == 0 {
		if err != nil && r.bufferErr.CompareAndSwap(false, true) {
			r.log.Error("disk buffer read failed", "error", err)
		}
		return false
	}
	batch = batch[:0]
	for _, rec := range recs {
		m := new(message.Message)
		if err := m.UnmarshalBinary(rec); err != nil {
			// A record that passed its checksum but does not decode (a
			// newer format?): keep counting it, but as lost.
			r.c.drop(ReasonSinkError, 1)
			r.log.Error("disk buffer record does not decode; dropped", "error", err)
			continue
		}
		batch = append(batch, m)
	}
	// A batch that cannot be settled now (see giveUp) is retried here,
	// what is unsettled of it, until it is or the Runner stops: read again
	// from the buffer, its messages already written would be written and
	// counted again.
	r.replaying = true
	settled, rest := len(batch) == 0, batch
	for !settled && !r.stopped() {
		settled, rest = r.write(rest)
	}
	r.replaying = false
	if !settled {
		// Left for the next reader: the next run, or the Runner that
		// replaces this one on a reload and shares the buffer. What of
		// the batch was written already is written again then.
		r.spill.Buffer.Rewind()
		return true
	}
	if err := r.spill.Buffer.Commit(len(recs)); err != nil {
		r.log.Error("disk buffer commit failed; its records will be written again", "error", err)
	}
	// Under appendMu: a sender's append between the check and the store
	// would otherwise leave a record in the buffer with spilling cleared,
	// and the messages after it would overtake it through the queue.
	r.spill.appendMu.Lock()
	if r.spill.Buffer.Len() == 0 {
		r.spilling.Store(false)
	}
	r.spill.appendMu.Unlock()
	return true
}

// stopped reports whether Stop has begun.
func (r *Runner) stopped() bool {
	select {
	case <-r.stopping:
		return true
	default:
		return false
	}
}

// syncBuffer fsyncs the buffer while it holds messages, so that a power
// loss costs at most the last interval of them: Append survives a crash of
// the process without it, not one of the machine. Watchdog goroutine.
func (r *Runner) syncBuffer() {
	if r.spill == nil || r.spill.Buffer.Len() == 0 {
		return
	}
	if err := r.spill.Buffer.Sync(); err != nil && r.bufferErr.CompareAndSwap(false, true) {
		r.log.Error("disk buffer sync failed", "error", err)
	}
}

// lose settles messages the Runner could not write before it was aborted:
// into the disk buffer when there is one (not for a batch that came from
// it: that one stays there uncommitted), else dropped as shutdown_timeout.
func (r *Runner) lose(msgs []*message.Message) {
	if r.replaying {
		return
	}
	for _, m := range msgs {
		if !r.toBuffer(m) {
			r.dropOne(m, ReasonShutdownTimeout)
		}
	}
}
