// Package sinks defines the contract every destination implements and the
// Runner that wraps one sink with a bounded queue, batching, retry with
// backoff and drop accounting, so that sinks themselves stay small.
package sinks

import (
	"context"
	"errors"

	"syslogd/message"
)

// Sink is one destination. The Runner calls Write from a single goroutine,
// never concurrently, and never calls Write once Close has been called.
//
// Write delivers the whole batch or returns an error; on error the Runner
// retries the same batch with backoff, so a sink that wrote part of it may
// deliver those messages twice (at-least-once). Messages are shared and
// must not be modified. Write must honour ctx cancellation.
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

// ErrNotConnected is returned (wrapped) by Write when the destination is
// unreachable; the Runner reconnects before retrying.
var ErrNotConnected = errors.New("not connected")
