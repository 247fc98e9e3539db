package sinks

import (
	"sync/atomic"

	"syslogd/message"
)

// Reason says why a message was dropped.
type Reason uint8

// Drop reasons, as they appear in metrics labels.
const (
	ReasonQueueFull Reason = iota
	ReasonSinkError
	ReasonShutdownTimeout
	// ReasonUnconfirmed: core NATS could not confirm that the server got
	// the message (a flush failed); it may or may not have arrived.
	ReasonUnconfirmed
	// ReasonSinkDown: the sink was down (disconnected or stalled) and its
	// queue was full.
	ReasonSinkDown
	// ReasonSpoolFull is no longer counted: it was the NATS sink's own
	// spool running full, and a full disk buffer now leads to when_full
	// (queue_full or sink_down) for every sink. It stays in the list so
	// that /stats and /metrics keep the series they always had (at 0).
	ReasonSpoolFull
	numReasons
)

var reasonNames = [numReasons]string{"queue_full", "sink_error", "shutdown_timeout", "unconfirmed", "sink_down", "spool_full"}

func (r Reason) String() string { return reasonNames[r] }

// outcome is what a drop for r means to the message's source: shed on
// purpose (queue_full: the configuration lets this sink lose messages),
// else worth another try.
func (r Reason) outcome() message.Outcome {
	if r == ReasonQueueFull {
		return message.Shed
	}
	return message.Retry
}

// Reasons lists every drop reason, for exporting counters.
func Reasons() []Reason {
	return []Reason{ReasonQueueFull, ReasonSinkError, ReasonShutdownTimeout, ReasonUnconfirmed, ReasonSinkDown, ReasonSpoolFull}
}

// Counters are one sink's numbers. They live outside the Runner so that a
// reload replacing the runner keeps counting from where it was. While the
// sink is idle, Enqueued = Written + DroppedTotal + queued + buffered.
type Counters struct {
	Enqueued atomic.Uint64 // messages handed to Enqueue
	Written  atomic.Uint64 // messages acknowledged by the sink
	Failed   atomic.Uint64 // messages in failed Write attempts (each attempt counts)
	Retries  atomic.Uint64 // retried Write attempts
	// Resent counts messages a sink wrote again, after they had been
	// counted written, because the connection they went out on died (the
	// syslog sink's resend_window): the receiver may have them twice.
	Resent    atomic.Uint64
	Connected atomic.Bool
	dropped   [numReasons]atomic.Uint64
}

func (c *Counters) drop(r Reason, n uint64) { c.dropped[r].Add(n) }

// Dropped returns the messages dropped for reason r.
func (c *Counters) Dropped(r Reason) uint64 { return c.dropped[r].Load() }

// DroppedTotal sums drops over all reasons.
func (c *Counters) DroppedTotal() uint64 {
	var n uint64
	for i := range c.dropped {
		n += c.dropped[i].Load()
	}
	return n
}
