package sinks

import (
	"sync"
	"sync/atomic"
	"time"
)

// health says whether a sink is up or down. A sink is down while it is
// disconnected (its Connect or Write reports ErrNotConnected), once it has
// written nothing for StallTimeout with a full queue, and, with a disk
// buffer, while its writes keep failing. While it is down,
// Enqueue never waits for it: a message that finds the queue full is
// dropped and counted sink_down, so one dead sink cannot stall the
// listeners and, through them, every other sink.
type health struct {
	down     atomic.Bool
	progress atomic.Int64 // unix nanoseconds: a batch began, or a write got something through

	mu sync.Mutex
	// fall is closed when the sink goes down and replaced when it comes
	// back: a sender blocked on a full queue waits on it too.
	fall   chan struct{}
	reason string
}

func newHealth() *health {
	h := &health{fall: make(chan struct{})}
	h.progress.Store(time.Now().UnixNano())
	return h
}

// falls returns a channel that is closed while the sink is down.
func (h *health) falls() <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.fall
}

// setDown marks the sink down and reports whether it was up.
func (h *health) setDown(reason string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.down.Load() {
		return false
	}
	h.down.Store(true)
	h.reason = reason
	close(h.fall)
	return true
}

// setUp marks the sink up and reports whether it was down, and why.
func (h *health) setUp() (bool, string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.down.Load() {
		return false, ""
	}
	h.down.Store(false)
	h.fall = make(chan struct{})
	return true, h.reason
}

func (h *health) progressed() { h.progress.Store(time.Now().UnixNano()) }

// stalled reports whether nothing got through for d.
func (h *health) stalled(d time.Duration) bool {
	return time.Since(time.Unix(0, h.progress.Load())) >= d
}

// Down reports whether the sink is down. Safe for concurrent use.
func (r *Runner) Down() bool { return r.h.down.Load() }

func (r *Runner) markDown(reason string) {
	if !r.h.setDown(reason) {
		return
	}
	if r.spill != nil {
		r.log.Warn("sink down: its messages go to the disk buffer until it recovers", "reason", reason, "queued", len(r.q))
		return
	}
	r.log.Warn("sink down: messages that find its queue full are dropped as sink_down until it recovers",
		"reason", reason, "queued", len(r.q))
}

func (r *Runner) markUp() {
	if was, reason := r.h.setUp(); was {
		r.log.Warn("sink recovered", "was", reason)
	}
}

// watch marks the sink down when its queue has been full and nothing got
// through for StallTimeout (the Runner's goroutine cannot notice that
// itself: it is the one stuck in Write), and fsyncs the disk buffer about
// once a second while it holds messages.
func (r *Runner) watch() {
	defer close(r.watched)
	t := time.NewTicker(min(max(r.cfg.StallTimeout/4, time.Millisecond), time.Second))
	defer t.Stop()
	for {
		select {
		case <-t.C:
			if r.queueFull() && r.h.stalled(r.cfg.StallTimeout) {
				r.markDown("stalled")
			}
			r.syncBuffer()
		case <-r.finished:
			return
		}
	}
}
