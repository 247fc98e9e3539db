package message

import (
	"net/netip"
	"time"
)

// Format says how a frame was understood.
type Format uint8

// Formats a message can have. Unparsed frames keep their raw bytes and the
// parse error; they are routed like any other message.
const (
	Unparsed Format = iota
	RFC3164
	RFC5424
)

func (f Format) String() string {
	switch f {
	case RFC3164:
		return "rfc3164"
	case RFC5424:
		return "rfc5424"
	default:
		return "unparsed"
	}
}

// SDParam is one PARAM-NAME="PARAM-VALUE" pair of an SD element.
type SDParam struct {
	Name  string
	Value string
}

// SDElement is one RFC 5424 structured-data element, order preserved.
type SDElement struct {
	ID     string
	Params []SDParam
}

// Message is one received syslog message. It is built once by the parser
// and never modified afterwards, so sinks on different goroutines may read
// it concurrently.
type Message struct {
	// Received is when the frame was read (UTC).
	Received time.Time
	// Timestamp is the message's own time; zero when it carried none.
	Timestamp time.Time

	Facility Facility
	Severity Severity
	// NoPRI is set when the frame carried no PRI at all and got the
	// RFC 3164 §4.3.3 default user.notice.
	NoPRI bool

	Hostname string
	AppName  string
	ProcID   string
	MsgID    string
	// StructuredData is nil unless an RFC 5424 message carried some.
	StructuredData []SDElement
	// Text is the free-form MSG part.
	Text string

	// Raw is the frame exactly as received, framing removed. It is always
	// set for unparsed messages; for parsed ones it may be nil when no sink
	// asked for the raw format (see parser.SetKeepRaw).
	Raw []byte
	// Line5424, when set, is the message exactly as the rfc5424 output
	// format writes it, before that format escapes control bytes: the
	// parser sets it to the frame when the frame is already in that form
	// (six fraction digits, no BOM, structured data in canonical escapes),
	// so that the formatter copies one span instead of re-encoding the
	// same bytes. It shares its bytes with the fields, is derived (not
	// encoded, not kept in a disk buffer) and is never set on a message
	// built any other way.
	Line5424 string
	// Format is rfc5424, rfc3164, or unparsed when ParseError is set.
	Format Format
	// ParseError explains why Format is Unparsed.
	ParseError string

	// Peer is the local sender's process and user as the kernel reported
	// them (unix and unixgram listeners); Known is false for network
	// senders, and for messages that crossed a central tier's JSON.
	Peer Peer

	// Source is the sender's address. It is already unmapped: an IPv4
	// sender on a dual-stack socket is 10.0.0.1, never ::ffff:10.0.0.1, so
	// readers compare and print it as it is and never unmap it again.
	// Listener is the configured listener name.
	Source   netip.AddrPort
	Listener string

	// ID identifies the message for de-duplication downstream (the NATS
	// sink's Nats-Msg-Id): set once at reception from IDs, unique within a
	// run and, coming from a random start, across runs and instances in
	// all likelihood. It is kept in a disk buffer, so a message replayed
	// after a restart has the ID it was first published with. 0: none.
	ID uint64

	// Receipt, when set by the source, is settled by every sink the
	// message is routed to (see Receipt). It is not part of the message's
	// content: it is not encoded and not kept in a disk buffer.
	Receipt *Receipt
}

// Peer is a local sender's process and user: what the kernel says, which
// a sender cannot forge as it can its message's header.
type Peer struct {
	PID, UID, GID uint32
	Known         bool
}

// Parsed reports whether the frame was understood as RFC 5424 or RFC 3164.
func (m *Message) Parsed() bool { return m.Format != Unparsed }

// PRI returns the message's PRI value.
func (m *Message) PRI() int { return PRI(m.Facility, m.Severity) }
