package nats

import (
	"time"

	"syslogd/sinks"
)

// Config is what New takes: the configured Options and what only the
// daemon and the tests set.
type Config struct {
	Name string // the sink's configured name: logs, spool file names
	Options
	// AckTimeout is how long a publish may wait for its acknowledgement
	// (core: its flush) before the message goes to the spool; 0 means
	// DefaultAckTimeout.
	AckTimeout time.Duration
	// Counters are the sink's numbers; the sink maintains them itself.
	Counters *sinks.Counters
}
