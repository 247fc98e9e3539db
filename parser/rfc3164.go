package parser

import (
	"net/netip"
	"time"

	syslog "github.com/leodido/go-syslog/v4"
	"github.com/leodido/go-syslog/v4/rfc3164"

	"syslogd/message"
)

// parsed3164 is what go-syslog made of an RFC 3164 frame, plus what is
// needed to check it against the bytes it came from.
type parsed3164 struct {
	sm *rfc3164.SyslogMessage
	// in is the input go-syslog parsed: the frame, or normalize's rewrite.
	in []byte
	// normalized is set when in is a rewrite; ts then holds the timestamp
	// normalize parsed itself, if hasTS.
	normalized bool
	hasTS      bool
	ts         time.Time
}

// parse3164 fills m from an RFC 3164 frame with a valid PRI; priEnd is
// the offset just past its '>' (from parsePRI).
func (p *Parser) parse3164(m *message.Message, in, data []byte, pri, priEnd int) {
	if !p.noFast && p.fast3164(m, in, pri, priEnd, false) {
		return
	}
	r, err := p.run3164(in, priEnd)
	if err != nil {
		// Neither grammar: read it as a header without a timestamp, the way
		// RFC 3164 §4.3.2 tells a relay to (PRI valid, the rest is kept).
		if !p.noFast && p.fast3164(m, in, pri, priEnd, true) {
			return
		}
		unparsed(m, data, pri, reason3164(in[priEnd:], err))
		return
	}
	m.Format = message.RFC3164
	m.Facility, m.Severity, _ = message.DecodePRI(pri)
	p.fill3164(m, r, in)
}

// parseNoPRI handles a frame that does not start with '<' the way
// RFC 3164 §4.3.3 tells a relay to: it is user.notice, and the sender's
// address and the receipt time stand in for a hostname and timestamp the
// text does not carry. If the text is no RFC 3164 header without its PRI
// either, all of it is the message. Neither case is an error.
func (p *Parser) parseNoPRI(m *message.Message, in []byte, src netip.AddrPort) {
	i := 0
	for i < len(in) && in[i] == ' ' {
		i++
	}
	if _, _, ok := p.stamp3164(in, i, m.Received); ok && !p.noFast && p.fast3164(m, in, defaultPRI, 0, false) {
		m.NoPRI = true
		return
	}
	m.Format = message.RFC3164
	m.NoPRI = true
	m.Facility, m.Severity, _ = message.DecodePRI(defaultPRI)
	p.withPRI = append(append(p.withPRI[:0], defaultPRIText...), in...)
	if r, err := p.run3164(p.withPRI, len(defaultPRIText)); err == nil {
		p.fill3164(m, r, in)
	} else {
		m.Text = string(in)
	}
	if m.Hostname == "" { // all of it was the message
		m.Hostname = p.senderName(src)
	}
	if m.Timestamp.IsZero() {
		m.Timestamp = m.Received
	}
}

// run3164 parses in strictly and, if that fails, once more after
// normalize; the first error is the one reported, as its columns refer to
// the frame the sender wrote. priEnd is the offset just past the PRI's '>',
// the same in normalize's rewrite.
func (p *Parser) run3164(in []byte, priEnd int) (parsed3164, error) {
	res, err := machineParse(p.pick3164(in[priEnd:]), in)
	if err == nil {
		return as3164(res, in)
	}
	fixed, ts, hasTS, changed := normalize(p.fixed, in, priEnd, p.loc)
	p.fixed = fixed
	if !changed {
		return parsed3164{}, err
	}
	res, err2 := machineParse(p.pick3164(fixed[priEnd:]), fixed)
	if err2 != nil {
		return parsed3164{}, err
	}
	r, err2 := as3164(res, fixed)
	r.normalized, r.hasTS, r.ts = true, hasTS, ts
	return r, err2
}

// reason3164 explains a rejected RFC 3164 frame from what follows its PRI.
// go-syslog's own error is kept where it helps, but with its Cisco
// extensions on it blames counters and hostnames for frames that simply
// lack a timestamp.
func reason3164(afterPRI []byte, err error) string {
	i := 0
	for i < len(afterPRI) && afterPRI[i] == ' ' {
		i++
	}
	rest := afterPRI[i:]
	switch {
	case len(rest) == 0:
		return "rfc3164: nothing after pri"
	case len(rest) >= 3 && isMonth(rest[:3]), isISODate(rest), rest[0] == '*', isDigit(rest[0]):
		return "rfc3164: " + err.Error()
	}
	return "rfc3164: no timestamp after pri"
}

func as3164(res syslog.Message, in []byte) (parsed3164, error) {
	sm, ok := res.(*rfc3164.SyslogMessage)
	if !ok {
		return parsed3164{}, errMalformed
	}
	return parsed3164{sm: sm, in: in}, nil
}

// pick3164 chooses the machine by the first bytes after PRI: "YYYY-" is an
// RFC 3339 timestamp, anything else a BSD Stamp, maybe behind Cisco IOS
// counters.
func (p *Parser) pick3164(afterPRI []byte) syslog.Machine {
	i := 0
	for i < len(afterPRI) && afterPRI[i] == ' ' {
		i++
	}
	if isISODate(afterPRI[i:]) {
		return p.m3164Stamp
	}
	return p.m3164
}

// fill3164 copies r into m. orig is the frame the text is cut from: the
// message text is always a suffix of what go-syslog parsed, so after a
// normalize rewrite the same number of bytes at the end of orig is the
// sender's own text, control bytes included.
func (p *Parser) fill3164(m *message.Message, r parsed3164, orig []byte) {
	sm := r.sm
	text := str(sm.Message)
	if len(text) > len(r.in) {
		text = ""
	}
	m.Hostname, m.AppName, m.ProcID = checkHeader(r.in[:len(r.in)-len(text)],
		str(sm.Hostname), str(sm.Appname), str(sm.ProcID))
	if r.normalized && len(text) <= len(orig) {
		text = string(orig[len(orig)-len(text):])
	}
	m.Text = text
	if m.Hostname == "" {
		// No hostname in the header: the sender's address stands in, as
		// RFC 3164 §4.3.3 tells a relay, so that every output (line
		// formats, JSON, path and subject templates, headers) names the
		// same host.
		m.Hostname = p.senderName(m.Source)
	}
	switch {
	case r.hasTS:
		m.Timestamp = r.ts
	case sm.Timestamp == nil:
	case sm.Timestamp.Year() == 0:
		m.Timestamp = p.withYear(*sm.Timestamp)
	default:
		m.Timestamp = *sm.Timestamp
	}
}
