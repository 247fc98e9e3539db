package nats

import (
	"fmt"
	"time"

	"syslogd/message"
	"syslogd/sinks"
	"syslogd/sinks/format"
)

// SubjectTemplate expands a message into its subject, every placeholder
// value already one sanitised token. *router.Template (SubjectTemplate
// kind) satisfies it; the sink declares its own interface so that it does
// not depend on the router stage.
type SubjectTemplate interface {
	Append(dst []byte, m *message.Message) []byte
	// StaticPrefix returns the literal text before the first placeholder;
	// its first token names the subjects a created stream covers.
	StaticPrefix() string
}

// Mode selects core NATS or JetStream.
type Mode uint8

const (
	// JetStream publishes with acknowledgements and de-duplication.
	JetStream Mode = iota
	// Core publishes fire-and-forget, confirmed per batch by a flush.
	Core
)

// ParseMode accepts "jetstream" (also "") and "core".
func ParseMode(s string) (Mode, error) {
	switch s {
	case "", "jetstream":
		return JetStream, nil
	case "core":
		return Core, nil
	}
	return 0, fmt.Errorf("unknown mode %q (want core or jetstream)", s)
}

// Defaults for zero Config fields.
const (
	DefaultSpoolMaxBytes = 1 << 30
	DefaultMaxPending    = 1024
	DefaultAckTimeout    = 5 * time.Second
)

// Config configures one NATS sink.
type Config struct {
	Name    string   // the sink's configured name: logs, spool file names
	URLs    []string // servers; nats.go picks one and fails over
	Subject SubjectTemplate
	Format  format.Format // JSON, RFC5424 or Raw
	Mode    Mode
	// Authentication: at most one of user/password, token, creds file,
	// nkey seed file.
	User, Password, Token, CredsFile, NKeyFile string
	// TLS: a CA bundle to verify the server, a client certificate and key.
	CAFile, CertFile, KeyFile string
	// SpoolDir holds the spool; SpoolMaxBytes bounds it.
	SpoolDir      string
	SpoolMaxBytes int64
	// MaxPending bounds unacknowledged JetStream publishes.
	MaxPending int
	// AckTimeout is how long a publish may wait for its acknowledgement
	// (core: its flush) before the message goes to the spool.
	AckTimeout time.Duration
	// Stream, when set, is created if it does not exist (JetStream mode).
	Stream *Stream
	// Counters are the sink's numbers; the sink maintains them itself.
	Counters *sinks.Counters
}

// Stream describes the JetStream stream the sink may create.
type Stream struct {
	Name     string
	Subjects []string // default: the subject template's first token + ".>"
	Storage  string   // file (default) or memory
	Replicas int      // default 1
	MaxAge   time.Duration
}
