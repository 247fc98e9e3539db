package parser

import (
	"bytes"
	"time"
)

// liftTimestamp takes a well-formed RFC 5424 TIMESTAMP out of the header
// before go-syslog sees the frame. go-syslog parses it with time.Parse and
// a layout of its own, which misses the standard library's RFC 3339 fast
// path: in a profile under load that one call was over a tenth of the
// daemon's CPU. Here the timestamp is checked against the RFC 5424 grammar
// (TIME-SECFRAC at most 6 digits, upper-case 'T' and 'Z'), parsed with
// time.RFC3339Nano (the fast path), and replaced by NILVALUE in a scratch
// copy that go-syslog parses instead; the result is the same message.
// Anything unusual is left to go-syslog (ok false), so its acceptance and
// error messages stay the reference; FuzzLiftedTimestamp holds both paths
// to the same answers.
//
// in is the frame from '<' and priEnd the offset just past the PRI's '>'.
// The scratch slice aliases p.lifted.
func (p *Parser) liftTimestamp(in []byte, priEnd int) (scratch []byte, ts time.Time, ok bool) {
	// "<PRI>VERSION SP TIMESTAMP SP ..."
	i := priEnd
	for i < len(in) && isDigit(in[i]) {
		i++
	}
	if i >= len(in) || in[i] != ' ' {
		return nil, time.Time{}, false
	}
	start := i + 1
	end := bytes.IndexByte(in[start:], ' ')
	if end < 0 {
		return nil, time.Time{}, false
	}
	end += start
	tok := in[start:end]
	if !rfc5424Stamp(tok) {
		return nil, time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, string(tok))
	if err != nil {
		return nil, time.Time{}, false
	}
	p.lifted = append(append(append(p.lifted[:0], in[:start]...), '-'), in[end:]...)
	return p.lifted, t, true
}

// rfc5424Stamp checks the shape RFC 5424 §6.2.3 allows:
// YYYY-MM-DDTHH:MM:SS[.1-6 digits](Z|+HH:MM|-HH:MM). Ranges are left to
// time.Parse.
func rfc5424Stamp(b []byte) bool { return stampShape(b, 6) }

// stampShape is rfc5424Stamp with up to maxFrac fraction digits.
func stampShape(b []byte, maxFrac int) bool {
	const base = len("2006-01-02T15:04:05")
	if len(b) < base+1 {
		return false
	}
	for i, c := range b[:base] {
		switch i {
		case 4, 7:
			if c != '-' {
				return false
			}
		case 10:
			if c != 'T' {
				return false
			}
		case 13, 16:
			if c != ':' {
				return false
			}
		default:
			if !isDigit(c) {
				return false
			}
		}
	}
	rest := b[base:]
	if rest[0] == '.' {
		n := 1
		for n < len(rest) && isDigit(rest[n]) {
			n++
		}
		if n == 1 || n > maxFrac+1 {
			return false
		}
		rest = rest[n:]
	}
	switch {
	case len(rest) == 1 && rest[0] == 'Z':
		return true
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		return isDigit(rest[1]) && isDigit(rest[2]) && isDigit(rest[4]) && isDigit(rest[5])
	}
	return false
}
