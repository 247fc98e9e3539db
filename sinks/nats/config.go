package nats

import (
	"time"

	"syslogd/sinks"
)

// Config is what New takes: the configured Options and what only the
// daemon and the tests set.
type Config struct {
	Name string // the sink's configured name: logs, Nats-Msg-Id prefix
	Options
	// AckTimeout is how long a publish may wait for its acknowledgement
	// (core: its flush) before it counts as failed; 0 means
	// DefaultAckTimeout.
	AckTimeout time.Duration
	// Counters are the sink's numbers (the Runner's); the sink keeps
	// Connected up to date as nats.go reports the connection.
	Counters *sinks.Counters
}
