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

// BatchError reports a Write that wrote part of its batch. Failed holds the
// indexes of the messages that were not written and may be retried;
// Dropped those that were not written and never will be (the destination
// refused them for good, or cannot say whether it got them), which the
// Runner counts as dropped with Reason (sink_error when zero). Both are
// ascending and disjoint; every other message of the batch was written.
// Err is why (and may wrap ErrNotConnected).
type BatchError struct {
	Failed  []int
	Dropped []int
	Reason  Reason
	Err     error
}

func (e *BatchError) Error() string {
	switch {
	case len(e.Dropped) == 0:
		return fmt.Sprintf("%d messages of the batch not written: %v", len(e.Failed), e.Err)
	case len(e.Failed) == 0:
		return fmt.Sprintf("%d messages of the batch dropped: %v", len(e.Dropped), e.Err)
	}
	return fmt.Sprintf("%d messages of the batch not written, %d dropped: %v", len(e.Failed), len(e.Dropped), e.Err)
}

func (e *BatchError) Unwrap() error { return e.Err }

// check reports whether e is usable for a batch of n: both lists
// ascending, without repeats, in range, disjoint. A sink that breaks that
// promise has its whole batch retried.
func (e *BatchError) check(n int) bool {
	ok := func(idx []int) bool {
		for k, i := range idx {
			if i < 0 || i >= n || k > 0 && i <= idx[k-1] {
				return false
			}
		}
		return true
	}
	if !ok(e.Failed) || !ok(e.Dropped) || e.Reason >= numReasons {
		return false
	}
	for i, k := 0, 0; i < len(e.Failed) && k < len(e.Dropped); {
		switch {
		case e.Failed[i] == e.Dropped[k]:
			return false
		case e.Failed[i] < e.Dropped[k]:
			i++
		default:
			k++
		}
	}
	return true
}

// ErrNotConnected is returned (wrapped) by Write when the destination is
// unreachable; the Runner reconnects before retrying.
var ErrNotConnected = errors.New("not connected")
