// Package sinks defines the contract every destination implements and the
// Runner that wraps one sink with a bounded queue, batching, retry with
// backoff and drop accounting, so that sinks themselves stay small.
package sinks

import (
	"context"
	"errors"
	"fmt"

	"syslogd/message"
)

// Sink is one destination. The Runner calls Write from a single goroutine,
// never concurrently, and never calls Write once Close has been called.
//
// Write returns nil when the whole batch is written (committed: for a file,
// write(2) done and, under fsync: batch, fsynced). A sink that wrote part of
// the batch returns a *BatchError naming the messages it did not write; the
// Runner counts the others written and retries only the failed ones, so a
// sink keeps no memory of earlier batches. Any other error means nothing of
// the batch was written, and the Runner retries all of it. Messages are
// shared and must not be modified. Write must honour ctx cancellation.
type Sink interface {
	Write(ctx context.Context, batch []*message.Message) error
	// Close flushes and releases resources. It is called once.
	Close(ctx context.Context) error
}

// Connecter is implemented by sinks that hold a connection. The Runner calls
// Connect before the first Write and again, with capped exponential
// backoff, after Write returns an error wrapping ErrNotConnected.
type Connecter interface {
	Connect(ctx context.Context) error
}

// Reopener is implemented by sinks that hold files, so SIGUSR1 can make them
// reopen after log rotation. Reopen may be called concurrently with Write.
type Reopener interface {
	Reopen() error
}

// Spooler is implemented by sinks that keep what they cannot deliver yet
// in a spool of their own (the NATS sink's disk spool). For such a sink
// Write returning nil means the batch was taken over, published or
// spooled, not that it was delivered; so the Runner leaves Written and
// Connected to the sink, which updates the Counters it was given as
// acknowledgements arrive and its connection comes and goes.
type Spooler interface {
	// Spooled returns the number of messages in the spool now. Safe for
	// concurrent use.
	Spooled() int64
}

// BatchError reports a Write that wrote part of its batch. Failed holds the
// indexes of the messages that were not written, ascending; every other
// message of the batch was. Err is why (and may wrap ErrNotConnected).
type BatchError struct {
	Failed []int
	Err    error
}

func (e *BatchError) Error() string {
	return fmt.Sprintf("%d messages of the batch not written: %v", len(e.Failed), e.Err)
}

func (e *BatchError) Unwrap() error { return e.Err }

// failed returns e.Failed if it is usable for a batch of n: ascending,
// without repeats, in range. A sink that breaks that promise has its whole
// batch retried.
func (e *BatchError) failed(n int) ([]int, bool) {
	for k, i := range e.Failed {
		if i < 0 || i >= n || k > 0 && i <= e.Failed[k-1] {
			return nil, false
		}
	}
	return e.Failed, true
}

// ErrNotConnected is returned (wrapped) by Write when the destination is
// unreachable; the Runner reconnects before retrying.
var ErrNotConnected = errors.New("not connected")
