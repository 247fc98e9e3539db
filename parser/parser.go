package parser

import (
	"fmt"
	"net/netip"
	"time"

	syslog "github.com/leodido/go-syslog/v4"
	"github.com/leodido/go-syslog/v4/ciscoios"
	"github.com/leodido/go-syslog/v4/rfc3164"
	"github.com/leodido/go-syslog/v4/rfc5424"

	"syslogd/message"
)

// Options configure a Parser. The zero value parses both formats, reads
// year-less RFC 3164 timestamps in time.Local and uses the wall clock.
type Options struct {
	// Format is "auto" (also when empty), "rfc5424" or "rfc3164"; see
	// Config for the configured form.
	Format string
	// Location is the zone for RFC 3164 timestamps that carry none; nil
	// means time.Local.
	Location *time.Location
	// Now is only used to infer the year of RFC 3164 timestamps; nil means
	// time.Now. Tests inject a fixed clock.
	Now func() time.Time
	// Hostname names the host of an RFC 3164 message that names none and
	// comes from no network address (a local socket: /dev/log): the local
	// host, as rsyslog and syslog-ng write it. Network senders are named
	// by their address.
	Hostname string
}

type format uint8

const (
	formatAuto format = iota
	format5424
	format3164
)

// Parser turns frames into messages. It owns go-syslog machines and scratch
// buffers that are reused across calls, so a Parser must be used by one
// goroutine at a time: create one per connection or reader.
type Parser struct {
	format format
	loc    *time.Location
	now    func() time.Time

	m5424 syslog.Machine
	// Two RFC 3164 machines because go-syslog's grammar cannot hold both
	// extensions at once: with the Cisco counters enabled, a leading
	// "2024-" is taken for a message counter and RFC 3339 stamps fail.
	// A peek at the first byte after PRI picks one (see pick3164).
	m3164      syslog.Machine // BSD Stamp timestamps and Cisco IOS prefixes
	m3164Stamp syslog.Machine // RFC 3339 timestamps

	// withPRI holds a no-PRI frame behind the synthetic "<13>" it is parsed
	// with; fixed holds a frame rewritten by normalize. Both are reused.
	withPRI []byte
	fixed   []byte
	// lifted holds an RFC 5424 frame with its timestamp taken out (see
	// liftTimestamp); noLift turns that off, for the differential tests.
	lifted []byte
	noLift bool
	// noFast turns the fast path off: the oracle side of FuzzFastPath.
	noFast bool

	// keepRaw says whether parsed messages keep a copy of their frame in
	// Raw; unparsed ones always do. See SetKeepRaw.
	keepRaw bool

	// block is where the next messages come from (see alloc); sdElems
	// and sdParams where their structured data does (see sdSlices).
	block    []message.Message
	sdElems  []message.SDElement
	sdParams []message.SDParam
	// sdSpans is scanSD's scratch: where the frame's SD parts are.
	sdSpans []sdSpan
	// lastSender and lastSenderName cache senderName; stampCache the last
	// year-less RFC 3164 timestamp.
	lastSender     netip.Addr
	lastSenderName string
	localName      string // Options.Hostname
	stampCache     stampCache
}

// messageBlock is how many messages alloc takes from the heap at once.
const messageBlock = 32

// alloc returns a zeroed message. Messages are allocated in blocks: one
// allocation serves messageBlock messages, and a block is freed once all
// of its messages are (a message is about 300 bytes, so a block held by a
// single queued message keeps under 10 KiB alive).
func (p *Parser) alloc() *message.Message {
	if len(p.block) == 0 {
		p.block = make([]message.Message, messageBlock)
	}
	m := &p.block[0]
	p.block = p.block[1:]
	return m
}

// SetKeepRaw chooses whether parsed messages carry Raw (the default) or
// leave it nil. Only the raw output format reads Raw of a parsed message,
// so the daemon turns it off when no sink uses that format: one copy of
// every frame less on the hot path. Unparsed messages always keep Raw.
func (p *Parser) SetKeepRaw(keep bool) { p.keepRaw = keep }

// New returns a Parser for opts. An unknown Format is an error.
func New(opts Options) (*Parser, error) {
	p := &Parser{loc: opts.Location, now: opts.Now, keepRaw: true, localName: opts.Hostname}
	if opts.Format != "" {
		f, err := parseFormat(opts.Format)
		if err != nil {
			return nil, err
		}
		p.format = f
	}
	if p.loc == nil {
		p.loc = time.Local
	}
	if p.now == nil {
		p.now = time.Now
	}
	// Strict machines only: go-syslog's best-effort mode returns the header
	// of a frame it gave up on but drops its MSG, which would lose text.
	// normalize and the unparsed fallback recover those frames instead.
	common3164 := []syslog.MachineOption{
		rfc3164.WithLenientDay(),
		// Frames arrive with framing already removed by listener/, so an
		// LF inside one (octet-counted streams) is part of the message.
		rfc3164.WithEmbeddedNewlines(),
	}
	p.m5424 = rfc5424.NewMachine()
	p.m3164 = rfc3164.NewMachine(append(common3164,
		rfc3164.WithCiscoIOSComponents(ciscoios.All))...)
	p.m3164Stamp = rfc3164.NewMachine(append(common3164,
		rfc3164.WithRFC3339(), rfc3164.WithSecondFractions())...)
	return p, nil
}

// Parse decodes one frame. It never returns nil and never panics: whatever
// cannot be understood becomes an Unparsed message carrying the frame as
// Text and Raw. data is only read during the call; the message keeps a
// copy. received is the receipt time (UTC), src the sender and listener the
// configured listener name.
func (p *Parser) Parse(data []byte, src netip.AddrPort, listener string, received time.Time) (m *message.Message) {
	m = p.alloc()
	m.Received, m.Source, m.Listener = received, src, listener
	defer func() {
		// A bug here or in go-syslog must cost one frame, not the daemon.
		if r := recover(); r != nil {
			*m = message.Message{Received: received, Source: src, Listener: listener}
			unparsed(m, data, -1, fmt.Sprintf("%s: %v", errPanic, r))
		}
		if p.keepRaw || m.Format == message.Unparsed {
			m.Raw = append([]byte(nil), data...)
		}
	}()

	in := trimTrailer(data)
	if len(in) == 0 {
		unparsed(m, data, -1, errEmpty)
		return m
	}
	if in[0] != '<' {
		if p.format == format5424 {
			unparsed(m, data, -1, "rfc5424: missing pri")
			return m
		}
		p.parseNoPRI(m, in, src)
		return m
	}
	pri, end, perr := parsePRI(in)
	if perr != "" {
		unparsed(m, data, -1, perr)
		return m
	}
	switch p.format {
	case format5424:
		p.parse5424(m, in, data, pri, end)
	case format3164:
		p.parse3164(m, in, data, pri, end)
	default:
		if looks5424(in[end:]) {
			p.parse5424(m, in, data, pri, end)
		} else {
			p.parse3164(m, in, data, pri, end)
		}
	}
	return m
}

// unparsed turns m into an Unparsed message. pri is the decoded PRI when
// the frame's PRI was valid, or -1 for the RFC 3164 default user.notice.
func unparsed(m *message.Message, data []byte, pri int, reason string) {
	if pri < 0 {
		pri = defaultPRI
	}
	m.Facility, m.Severity, _ = message.DecodePRI(pri)
	m.Format = message.Unparsed
	m.ParseError = reason
	m.Text = string(data)
}

// machineParse runs a go-syslog machine. go-syslog returns (nil, nil) for
// some rejected frames, so a nil message always comes with an error here.
func machineParse(mc syslog.Machine, in []byte) (syslog.Message, error) {
	msg, err := mc.Parse(in)
	if msg == nil && err == nil {
		err = errMalformed
	}
	if err != nil {
		return nil, err
	}
	return msg, nil
}

// trimTrailer drops every LF, CR and NUL at the end of a frame: senders
// end messages as they would end a stream line, and those bytes are
// framing residue, not message text.
//
// listener/ owns framing and already removes the one delimiter it knows
// of (trimDatagram: one LF, CRLF or NUL per datagram; Framer: the LF or
// NUL delimiter and one CR before it). What reaches the parser can still
// end in such bytes, and framing cannot tell they are residue:
//   - an octet-counted frame (RFC 6587 §3.4.1) is passed on exactly as
//     counted, and some senders count the LF they append;
//   - a datagram may end in more than one ("msg\r\n\x00", "msg\n\n") or
//     in a lone CR, and trimDatagram removes one LF, CRLF or NUL only;
//   - a non-transparent frame may end "\r\r" before its LF.
//
// Nor can the parser know whether a trailer was removed before it, so
// trimming only "the rest" is not possible: it trims all of them, which is
// idempotent after the listener's trim. The golden cases newline-only,
// nopri-nul-bytes, rfc3164-trailer-bytes and rfc5424-trailing-newline pin
// this. The trimmed bytes are dropped from parsed fields only: data, and
// so Raw (when kept) and an unparsed message's Text, holds whatever trailer
// bytes the listener passed on, but never the ones it removed.
func trimTrailer(b []byte) []byte {
	for len(b) > 0 {
		switch b[len(b)-1] {
		case '\n', '\r', 0:
			b = b[:len(b)-1]
		default:
			return b
		}
	}
	return b
}

// str dereferences a go-syslog field; nil (absent or NILVALUE) is "".
func str(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
