package nats

import (
	"net/netip"
	"strconv"
	"strings"
	"time"

	natsgo "github.com/nats-io/nats.go"

	"syslogd/message"
	"syslogd/sinks/format"
	"syslogd/sinks/template"
)

// Header names set on every message, so consumers can filter and route on
// them without parsing the payload.
const (
	HeaderFacility = "Syslog-Facility"
	HeaderSeverity = "Syslog-Severity"
	HeaderHostname = "Syslog-Hostname"
	HeaderAppName  = "Syslog-App-Name"
	HeaderSource   = "Syslog-Source"
	HeaderListener = "Syslog-Listener"
	// HeaderReceived is when the edge received the message (RFC 3339,
	// nanoseconds): a central instance reading an rfc5424 or raw payload
	// takes it from here.
	HeaderReceived = "Syslog-Received"
	// HeaderMsgID is JetStream's de-duplication header (JetStream mode only).
	HeaderMsgID = natsgo.MsgIdHdr
)

// maxHeaderValue caps a header value taken from message content.
const maxHeaderValue = 255

// builder turns syslog messages into NATS messages. It is used by the
// Runner's goroutine only.
type builder struct {
	subject  *template.Template
	format   format.Format
	withID   bool   // set Nats-Msg-Id (JetStream)
	idPrefix string // the sink's name and "-": two sinks into one stream do not collide
	scratch  []byte
	strings  interner
	// lastRecv and lastRecvS are the last Syslog-Received value made.
	lastRecv  time.Time
	lastRecvS string
}

func newBuilder(subject *template.Template, f format.Format, withID bool, name string) *builder {
	b := &builder{subject: subject, format: f, withID: withID, strings: interner{m: make(map[string]string)}}
	b.idPrefix = strings.Clone(b.value(name)) + "-"
	return b
}

// appendPayload appends m's payload: the line format without its newline
// (a NATS message needs no terminator), or for raw the frame's bytes as
// they were received, unescaped, since a NATS payload may hold any byte.
func (b *builder) appendPayload(dst []byte, m *message.Message) []byte {
	if b.format == format.Raw {
		return append(dst, m.Raw...)
	}
	dst = format.Append(dst, b.format, m)
	return dst[:len(dst)-1]
}

// build fills dst with the NATS message for m and the given payload. h
// and vals (headerValues long) are filled and attached; the caller decides
// whether they are fresh or reused.
func (b *builder) build(dst *natsgo.Msg, m *message.Message, data []byte, h natsgo.Header, vals []string) {
	b.scratch = b.subject.Append(b.scratch[:0], m)
	subject := b.strings.get(b.scratch)
	n := 7
	vals[0] = m.Facility.String()
	vals[1] = m.Severity.String()
	vals[2] = b.value(m.Hostname)
	vals[3] = b.value(m.AppName)
	vals[4] = b.source(m.Source)
	vals[5] = b.value(m.Listener)
	vals[6] = b.received(m.Received)
	h[HeaderFacility] = vals[0:1:1]
	h[HeaderSeverity] = vals[1:2:2]
	h[HeaderHostname] = vals[2:3:3]
	h[HeaderAppName] = vals[3:4:4]
	h[HeaderSource] = vals[4:5:5]
	h[HeaderListener] = vals[5:6:6]
	h[HeaderReceived] = vals[6:7:7]
	if b.withID && m.ID != 0 {
		// The message's own ID, kept with it in the disk buffer: the same
		// for every retry and replay. A message without one (none comes
		// from a listener) is published without, and not de-duplicated.
		b.scratch = strconv.AppendUint(append(b.scratch[:0], b.idPrefix...), m.ID, 36)
		vals[n] = string(b.scratch)
		h[HeaderMsgID] = vals[n : n+1 : n+1]
	}
	*dst = natsgo.Msg{Subject: subject, Header: h, Data: data}
}

// received returns t as the Syslog-Received value. Frames that arrived
// with one read share their receipt time, so the string made for the last
// one is reused while it matches.
func (b *builder) received(t time.Time) string {
	if !t.Equal(b.lastRecv) || b.lastRecvS == "" {
		b.scratch = t.UTC().AppendFormat(b.scratch[:0], time.RFC3339Nano)
		b.lastRecv, b.lastRecvS = t, string(b.scratch)
	}
	return b.lastRecvS
}

// headerValues is how many values build fills.
const headerValues = 8

// value returns s fit for a header value: control characters (CR and LF
// would end the header) become '_', and it is cut at maxHeaderValue bytes.
// The common case, a clean value, is returned without copying.
func (b *builder) value(s string) string {
	clean := len(s) <= maxHeaderValue
	for i := 0; clean && i < len(s); i++ {
		clean = s[i] >= 0x20 && s[i] != 0x7f
	}
	if clean {
		return s
	}
	b.scratch = append(b.scratch[:0], s[:min(len(s), maxHeaderValue)]...)
	for i, c := range b.scratch {
		if c < 0x20 || c == 0x7f {
			b.scratch[i] = '_'
		}
	}
	return b.strings.get(b.scratch)
}

// source returns the sender's IP as text, "" when unknown.
func (b *builder) source(ap netip.AddrPort) string {
	if !ap.IsValid() {
		return ""
	}
	b.scratch = ap.Addr().AppendTo(b.scratch[:0])
	return b.strings.get(b.scratch)
}

// interner turns byte slices into strings, reusing the string made for
// the same bytes before: subjects, sanitised hostnames and source
// addresses repeat from message to message. It is bounded: when full it
// starts afresh.
type interner struct {
	m map[string]string
}

const maxInterned = 4096

func (in *interner) get(b []byte) string {
	if s, ok := in.m[string(b)]; ok { // no allocation for the lookup
		return s
	}
	if len(in.m) >= maxInterned {
		clear(in.m)
	}
	s := string(b)
	in.m[s] = s
	return s
}
