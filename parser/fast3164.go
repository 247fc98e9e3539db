package parser

import (
	"net/netip"
	"time"

	"syslogd/message"
)

// maxTag bounds an RFC 3164 TAG's program name. RFC 3164 says 32; real
// programs exceed that, and 48 is what an RFC 5424 APP-NAME may hold, so an
// app name read here can always be written out as RFC 5424. A longer first
// word is taken as text, not as a tag.
const maxTag = maxAppName

// fast3164 parses an RFC 3164 frame the way rsyslog and syslog-ng read the
// shapes real senders emit (see testdata/peers), where the two agree:
//
//	[TIMESTAMP [':'] SP [HOSTNAME SP]] [TAG ['[' PID ']'] [':']] [SP] MSG
//
// TIMESTAMP is "Mmm dd hh:mm:ss" (day space- or zero-padded or not padded,
// optional fraction, optional year before the time), or RFC 3339 (also
// with a space for 'T', with or without a zone). HOSTNAME is only read
// after a timestamp, as a word of hostname characters (IPv6 literals
// included) that does not end in ':'. TAG is the next word up to '[', ':'
// or a space: "app[12]: x", "app: x", "app[12] x" (rsyslog's forwarding
// format) and "app x" all name app. in is the frame without trailer bytes,
// priEnd the offset just past the PRI's '>' (0 when the frame had none).
//
// It declines (false) frames that do not start with a timestamp, as Cisco
// IOS headers (counters, '*', origin hostnames) are go-syslog's, and frames
// that start like a timestamp but hold none it can read. With headerless
// set (for frames go-syslog rejected too) a frame without a timestamp is
// read as tag and text.
func (p *Parser) fast3164(m *message.Message, in []byte, pri, priEnd int, headerless bool) bool {
	i := priEnd
	for i < len(in) && in[i] == ' ' {
		i++
	}
	ts, end, ok := p.stamp3164(in, i, m.Received)
	var host field
	if ok {
		i = end
		if i < len(in) && in[i] == ':' {
			i++ // Cisco ASA: "Dec 01 2026 10:00:00: %ASA-…"
		}
		if i < len(in) && in[i] != ' ' {
			return false
		}
		for i < len(in) && in[i] == ' ' {
			i++
		}
		if j := hostnameEnd(in, i); j > i {
			host = field{i, j}
			i = j
			for i < len(in) && in[i] == ' ' {
				i++
			}
		}
	} else {
		switch rest := in[i:]; {
		case len(rest) >= 4 && isMonth(rest[:3]) && rest[3] == ' ', isISODate(rest):
			return false // a timestamp we cannot read: go-syslog's, or unparsed
		case !headerless && len(rest) > 0:
			// Cisco IOS headers (counters, '*', origin hostnames) are
			// go-syslog's; what its grammar refuses too comes back with
			// headerless set.
			return false
		}
		ts = m.Received
	}
	app, pid, text := tag3164(in, i)
	if !headerless {
		// Control bytes in the header, or right after it, are normalize's
		// (the go-syslog path): it reads them as separators.
		var bad byte
		for _, c := range in[priEnd:min(text+1, len(in))] {
			bad |= ctlByte[c] // no branch per byte: this loop was a third of the parse
		}
		if bad != 0 {
			return false
		}
	}

	frame := string(in)
	m.Format = message.RFC3164
	m.Facility, m.Severity, _ = message.DecodePRI(pri)
	m.Timestamp = ts
	m.Hostname = host.of(frame)
	m.AppName = app.of(frame)
	m.ProcID = pid.of(frame)
	m.Text = frame[text:]
	if m.Hostname == "" {
		m.Hostname = p.senderName(m.Source)
	}
	return true
}

// ctlByte is isCtl as a table (1 for true). Never written after
// initialisation.
var ctlByte = func() (t [256]byte) {
	for c := range t {
		if isCtl(byte(c)) {
			t[c] = 1
		}
	}
	return t
}()

// tag3164 reads TAG and PID at in[i:] and returns where MSG starts.
func tag3164(in []byte, i int) (app, pid field, text int) {
	k := i
	for k < len(in) && in[k] > ' ' && in[k] != 0x7f && in[k] != '[' && in[k] != ':' {
		k++
	}
	if k-i > maxTag || (k == i && (k >= len(in) || in[k] != ':')) {
		return field{}, field{}, i // no tag: all of it is text
	}
	app = field{i, k}
	if k < len(in) && in[k] == '[' {
		// PID runs to ']' (spaces and ':' allowed, as go-syslog allows
		// them); the end, or more than maxProcID bytes, first means it is
		// not closed.
		e := k + 1
		for e < len(in) && in[e] != ']' && e-k <= maxProcID {
			e++
		}
		if e < len(in) && in[e] == ']' {
			pid = field{k + 1, e}
			k = e + 1
		} else {
			for k < len(in) && in[k] != ':' && in[k] != ' ' {
				k++ // "app[12: x": no PID; the text starts after the word
			}
		}
	}
	if k < len(in) && in[k] == ':' {
		k++
	}
	if k < len(in) && in[k] == ' ' {
		k++
	}
	if pid.a == pid.b {
		pid = field{}
	}
	return app, pid, k
}

// hostnameEnd returns the end of the HOSTNAME at in[i:], or i when the word
// there is no hostname: it must be followed by a space or the end, hold
// only printable ASCII without '[' (names, IPv4 and IPv6 literals
// with a zone; the characters go-syslog takes), and not end in ':' (that
// is a tag).
func hostnameEnd(in []byte, i int) int {
	j := i
	for j < len(in) && j-i <= maxHostname {
		c := in[j]
		if c == ' ' {
			break
		}
		if c < '!' || c > '~' || c == '[' {
			return i
		}
		j++
	}
	if j == i || j-i > maxHostname || in[j-1] == ':' {
		return i
	}
	return j
}

// senderName is the sender's address as text, the hostname of a message
// that names none (RFC 3164 §4.3.3), or the local host's name for a
// local socket. A reader's frames mostly come from one
// sender, so the last one is kept: no allocation per message.
func (p *Parser) senderName(src netip.AddrPort) string {
	a := src.Addr()
	if !a.IsValid() {
		return p.localName // a local socket: this host
	}
	if a != p.lastSender {
		p.lastSender, p.lastSenderName = a, a.String()
	}
	return p.lastSenderName
}

// stamp3164 reads an RFC 3164 timestamp at in[i:] and returns it with its
// end, or ok false. received decides a year-less stamp's year (see
// withYear); the year is decided per minute (of stamp and of receipt), so
// at the edge of withYear's window a stamp may land a minute early.
func (p *Parser) stamp3164(in []byte, i int, received time.Time) (ts time.Time, end int, ok bool) {
	b := in[i:]
	if isISODate(b) {
		ts, n, ok := parseISOStamp(b, p.loc)
		return ts, i + n, ok
	}
	// "Mmm dd hh:mm:ss", "Mmm  d", "Mmm d", "Mmm dd yyyy hh:mm:ss".
	if len(b) < 14 || b[3] != ' ' {
		return time.Time{}, 0, false
	}
	mo := monthNum(b)
	if mo == 0 {
		return time.Time{}, 0, false
	}
	j := 4
	if b[j] == ' ' {
		j++
	}
	dayAt := j
	for j < len(b) && isDigit(b[j]) && j-dayAt < 2 {
		j++
	}
	if j == dayAt || j >= len(b) || b[j] != ' ' {
		return time.Time{}, 0, false
	}
	day := num(b[dayAt:j])
	j++
	year := -1
	if j+5 <= len(b) && isDigit(b[j]) && isDigit(b[j+1]) && isDigit(b[j+2]) && isDigit(b[j+3]) && b[j+4] == ' ' {
		year = num(b[j : j+4])
		j += 5
	}
	if j+8 > len(b) || !isClock(b[j:j+8]) {
		return time.Time{}, 0, false
	}
	clock := b[j : j+8]
	j += 8
	ns, rest := fraction(b[j:])
	j = len(b) - len(rest)
	h, mi, s := num(clock[0:2]), num(clock[3:5]), num(clock[6:8])
	if day < 1 || day > 31 || h > 23 || mi > 59 || s > 59 || (year >= 0 && day > daysIn(mo, year)) {
		return time.Time{}, 0, false
	}
	if year >= 0 {
		return time.Date(year, time.Month(mo), day, h, mi, s, ns, p.loc), i + j, true
	}
	if day > daysIn(mo, 2000) { // 2000 is a leap year: Feb 29 passes
		return time.Time{}, 0, false
	}
	// The year and the zone's offset are worked out once per minute of
	// stamps (and of receipt): the seconds add on. Zone transitions fall on
	// whole minutes, so within one the offset holds.
	c := &p.stampCache
	key := stampKey{mo, day, h, mi}
	if !c.valid || c.key != key || received.Unix()/60 != c.received {
		minute := p.withYear(time.Date(0, time.Month(mo), day, h, mi, 0, 0, time.UTC))
		c.valid, c.key, c.received, c.base = true, key, received.Unix()/60, minute.Unix()
	}
	return time.Unix(c.base+int64(s), int64(ns)).In(p.loc), i + j, true
}

// stampCache remembers the minute of the last year-less RFC 3164 stamp a
// Parser read: converting it (the year inferred, the zone looked up) was
// half of parsing a frame.
type stampCache struct {
	valid    bool
	key      stampKey
	received int64 // Unix minute of the frame it was worked out for
	base     int64 // Unix seconds of the stamp's minute
}

type stampKey struct{ month, day, hour, minute int }

// parseISOStamp reads an RFC 3339 timestamp at the start of b as RFC 3164
// senders write it: 'T' or a space between date and time, up to 9 fraction
// digits, a zone of 'Z', "+hh:mm", "+hhmm", or none (then loc). It returns
// the length read.
func parseISOStamp(b []byte, loc *time.Location) (time.Time, int, bool) {
	if len(b) < 19 || (b[10] != 'T' && b[10] != ' ') || b[7] != '-' || !isDigit(b[5]) || !isDigit(b[6]) ||
		!isDigit(b[8]) || !isDigit(b[9]) || !isClock(b[11:19]) {
		return time.Time{}, 0, false
	}
	if b[0] == '0' {
		// Years before 1000 are garbage, and two collide with "none": the
		// go-syslog path reads year 0 as a year-less stamp, and 0001-01-01
		// is time.Time's zero.
		return time.Time{}, 0, false
	}
	ns, rest := fraction(b[19:])
	n := len(b) - len(rest)
	if len(rest) > 0 && rest[0] == '.' {
		return time.Time{}, 0, false // more than 9 digits
	}
	switch {
	case len(rest) > 0 && rest[0] == 'Z':
		t, ok := civil(b, ns, 0, time.UTC)
		return t, n + 1, ok
	case len(rest) >= 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		off, ok := offset(rest[1:3], rest[4:6], rest[0])
		if !ok {
			return time.Time{}, 0, false
		}
		t, ok := civil(b, ns, off, nil)
		return t, n + 6, ok
	case len(rest) >= 5 && (rest[0] == '+' || rest[0] == '-'):
		off, ok := offset(rest[1:3], rest[3:5], rest[0])
		if !ok {
			return time.Time{}, 0, false
		}
		t, ok := civil(b, ns, off, nil)
		return t, n + 5, ok
	}
	y, mo, d := num(b[0:4]), num(b[5:7]), num(b[8:10])
	h, mi, s := num(b[11:13]), num(b[14:16]), num(b[17:19])
	if mo < 1 || mo > 12 || d < 1 || d > daysIn(mo, y) || h > 23 || mi > 59 || s > 59 {
		return time.Time{}, 0, false
	}
	return time.Date(y, time.Month(mo), d, h, mi, s, ns, loc), n, true
}

// isClock reports whether b is "hh:mm:ss" (digits; ranges checked later).
func isClock(b []byte) bool {
	return len(b) == 8 && isDigit(b[0]) && isDigit(b[1]) && b[2] == ':' && isDigit(b[3]) && isDigit(b[4]) &&
		b[5] == ':' && isDigit(b[6]) && isDigit(b[7])
}

// monthNum is 1–12 for an RFC 3164 month name at the start of b (len(b)
// >= 3), else 0. A switch over the three bytes as one number: comparing
// strings in a loop was a sixth of an RFC 3164 parse.
func monthNum(b []byte) int {
	switch uint32(b[0])<<16 | uint32(b[1])<<8 | uint32(b[2]) {
	case 'J'<<16 | 'a'<<8 | 'n':
		return 1
	case 'F'<<16 | 'e'<<8 | 'b':
		return 2
	case 'M'<<16 | 'a'<<8 | 'r':
		return 3
	case 'A'<<16 | 'p'<<8 | 'r':
		return 4
	case 'M'<<16 | 'a'<<8 | 'y':
		return 5
	case 'J'<<16 | 'u'<<8 | 'n':
		return 6
	case 'J'<<16 | 'u'<<8 | 'l':
		return 7
	case 'A'<<16 | 'u'<<8 | 'g':
		return 8
	case 'S'<<16 | 'e'<<8 | 'p':
		return 9
	case 'O'<<16 | 'c'<<8 | 't':
		return 10
	case 'N'<<16 | 'o'<<8 | 'v':
		return 11
	case 'D'<<16 | 'e'<<8 | 'c':
		return 12
	}
	return 0
}
