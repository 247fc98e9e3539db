package parser

import (
	"time"
	"unicode/utf8"

	"syslogd/message"
)

// The fast path: RFC 5424 and RFC 3164 parsed here, over the frame's bytes,
// without go-syslog. It is written by hand because go-syslog's machines
// cost the daemon more than reading and writing the messages do (a profile
// under load put parsing at over half of the daemon's CPU, a third of it
// inside the machine, a tenth re-ordering its structured-data maps): the
// fast path makes one copy of the frame and takes every field as a
// substring of it, so a message costs one allocation for its bytes (plus
// two for structured data, if any), and the Message itself comes from a
// block (see alloc).
//
// It decides three ways: a message, or "decline", when the frame is
// something it does not handle as go-syslog would. Declined frames go the
// go-syslog way (see Parse), which stays the reference: the differential
// fuzz test (FuzzFastPath) holds the two to the same fields on every frame
// both accept, except for the deliberate differences listed there and in
// README.md. The scanners index with bounds checks throughout and every
// loop advances, so a frame costs time linear in its length and never
// panics.

// field is a byte range [a, b) of the frame; the zero field is "absent".
type field struct{ a, b int }

func (s field) of(frame string) string { return frame[s.a:s.b] }

// RFC 5424 §6 field limits.
const (
	maxHostname = 255
	maxAppName  = 48
	maxProcID   = 128
	maxMsgID    = 32
	maxSDName   = 32
)

// fast5424 parses an RFC 5424 frame: in is the frame without trailer
// bytes, priEnd the offset just past the PRI's '>'. It fills m and reports
// true, or leaves m alone and reports false (decline).
func (p *Parser) fast5424(m *message.Message, in []byte, pri, priEnd int) bool {
	i := priEnd
	if i+1 >= len(in) || in[i] != '1' || in[i+1] != ' ' {
		return false // VERSION other than 1: go-syslog's
	}
	i += 2
	var ts time.Time
	var stamp []byte
	if i < len(in) && in[i] == '-' {
		i++
	} else {
		j := i
		for j < len(in) && in[j] != ' ' {
			j++
		}
		t, ok := parseRFC5424Stamp(in[i:j])
		if !ok {
			return false
		}
		ts, stamp, i = t, in[i:j], j
	}
	var hdr [4]field // HOSTNAME APP-NAME PROCID MSGID
	limits := [4]int{maxHostname, maxAppName, maxProcID, maxMsgID}
	for k := range hdr {
		if i >= len(in) || in[i] != ' ' {
			return false
		}
		i++
		j := i
		for j < len(in) && in[j] > ' ' && in[j] < 0x7f {
			j++
		}
		if n := j - i; n == 0 || n > limits[k] || (j < len(in) && in[j] != ' ') {
			return false
		}
		if j-i != 1 || in[i] != '-' {
			hdr[k] = field{i, j}
		}
		i = j
	}
	if i >= len(in) || in[i] != ' ' {
		return false
	}
	i++
	elems, params, lone := 0, 0, false
	switch {
	case i >= len(in):
		return false // no STRUCTURED-DATA: go-syslog's
	case in[i] == '-':
		i++
	case in[i] != '[':
		return false // go-syslog's
	default:
		var ok bool
		if i, elems, params, lone, ok = p.scanSD(in, i); !ok {
			return false
		}
	}
	text := field{len(in), len(in)}
	hasBOM := false
	if i < len(in) {
		if in[i] != ' ' {
			return false // "[...]msg": go-syslog's
		}
		text.a = i + 1
		if len(in)-text.a >= len(bom) && string(in[text.a:text.a+len(bom)]) == bom {
			text.a += len(bom)
			hasBOM = true
		}
	}
	// The frame is the rfc5424 output line as it is when that format would
	// write the same bytes: a timestamp with six fraction digits and 'Z'
	// only for offset 0, no BOM, text after a space only when there is
	// some, and no backslash in SD values that the format would double.
	canonical := !lone && !hasBOM && (text.a == len(in)) == (i == len(in)) && canonicalStamp(stamp, ts)

	frame := string(in)
	m.Format = message.RFC5424
	m.Facility, m.Severity, _ = message.DecodePRI(pri)
	m.Timestamp = ts
	m.Hostname = hdr[0].of(frame)
	m.AppName = hdr[1].of(frame)
	m.ProcID = hdr[2].of(frame)
	m.MsgID = hdr[3].of(frame)
	m.Text = text.of(frame)
	if elems > 0 {
		es, ps := p.sdSlices(elems, params)
		m.StructuredData = p.fillSD(frame, es, ps)
	}
	if canonical {
		m.Line5424 = frame
	}
	return true
}

// canonicalStamp reports whether b, a TIMESTAMP read as ts, is written as
// the rfc5424 output format writes ts: six fraction digits, and 'Z' exactly
// when the offset is 0.
func canonicalStamp(b []byte, ts time.Time) bool {
	if len(b) == 0 {
		return false // "-": the output writes the receipt time
	}
	_, off := ts.Zone()
	switch len(b) {
	case len("2006-01-02T15:04:05.000000Z"):
		return b[19] == '.' && b[26] == 'Z'
	case len("2006-01-02T15:04:05.000000+00:00"):
		return b[19] == '.' && (b[26] == '+' || b[26] == '-') && off != 0
	}
	return false
}

// sdSpan is where scanSD found one SD-ELEMENT or SD-PARAM: for an element
// its SD-ID and its parameter count, for a parameter its name and value
// (escaped when esc).
type sdSpan struct {
	name, value field
	params      int
	esc         bool
}

// scanSD checks STRUCTURED-DATA (RFC 5424 §6.3) from in[i], which is '[',
// and appends where each element and parameter is to p.sdSpans (reset
// here), an element before its parameters, so that fillSD need not scan
// again. lone reports a backslash that escapes nothing (kept in the
// value). PARAM-VALUE must be UTF-8 and may hold any escape: RFC 5424
// §6.3.3 says a backslash before a byte other than '"', '\' or ']' is kept
// as it is, where go-syslog rejects the frame. An unescaped ']' in a value
// is left to go-syslog.
func (p *Parser) scanSD(in []byte, i int) (end, elems, params int, lone, ok bool) {
	spans := p.sdSpans[:0] // kept in p on success only: no defer, so it stays in registers
	for i < len(in) && in[i] == '[' {
		j := sdName(in, i+1)
		if j == i+1 || j-(i+1) > maxSDName {
			return 0, 0, 0, false, false
		}
		el := len(spans)
		spans = append(spans, sdSpan{name: field{i + 1, j}})
		i = j
		for i < len(in) && in[i] == ' ' {
			j = sdName(in, i+1)
			if j == i+1 || j-(i+1) > maxSDName || j+1 >= len(in) || in[j] != '=' || in[j+1] != '"' {
				return 0, 0, 0, false, false
			}
			name := field{i + 1, j}
			i = j + 2
			start, ascii, esc := i, true, false
			for i < len(in) && in[i] != '"' {
				for i < len(in) && sdPlain[in[i]] {
					i++ // the common bytes, one table lookup each
				}
				if i >= len(in) || in[i] == '"' {
					break
				}
				switch c := in[i]; {
				case c == '\\':
					esc = true
					i++ // the escaped byte, whatever it is
					if i < len(in) && in[i] != '"' && in[i] != '\\' && in[i] != ']' {
						lone = true
					}
				case c == ']':
					return 0, 0, 0, false, false
				case c >= 0x80:
					ascii = false
				}
				i++
			}
			if i >= len(in) || (!ascii && !utf8.Valid(in[start:i])) {
				return 0, 0, 0, false, false
			}
			spans = append(spans, sdSpan{name: name, value: field{start, i}, esc: esc})
			spans[el].params++
			i++ // '"'
			params++
		}
		if i >= len(in) || in[i] != ']' {
			return 0, 0, 0, false, false
		}
		i++
		elems++
	}
	p.sdSpans = spans
	return i, elems, params, lone, true
}

// sdNameByte and sdPlain classify bytes for scanSD: SD-NAME's, and the
// PARAM-VALUE bytes that need no look (not '"', '\\', ']' or >= 0x80).
// Never written after initialisation.
var sdNameByte, sdPlain = func() (name, plain [256]bool) {
	for c := range 256 {
		b := byte(c)
		name[c] = b > ' ' && b < 0x7f && b != '=' && b != ']' && b != '"'
		plain[c] = b < 0x80 && b != '"' && b != '\\' && b != ']'
	}
	return name, plain
}()

// sdName returns the end of the SD-NAME at in[i:]: PRINTUSASCII except
// '=', SP, ']' and '"'.
func sdName(in []byte, i int) int {
	for i < len(in) && sdNameByte[in[i]] {
		i++
	}
	return i
}

// SD block sizes (see sdSlices): a block is freed once every message
// using part of it is.
const (
	sdElementBlock = 64  // 40 bytes each
	sdParamBlock   = 256 // 32 bytes each
)

// sdSlices returns empty slices with room for exactly ne elements and np
// parameters, cut from blocks as alloc cuts messages: structured data then
// costs no allocation of its own, where two slices per message were a
// quarter of parsing one with SD. The capacities are exact, so an append
// to a message's slices copies rather than writing into a neighbour's.
func (p *Parser) sdSlices(ne, np int) ([]message.SDElement, []message.SDParam) {
	if ne > len(p.sdElems) {
		p.sdElems = make([]message.SDElement, max(ne, sdElementBlock))
	}
	if np > len(p.sdParams) {
		p.sdParams = make([]message.SDParam, max(np, sdParamBlock))
	}
	es, ps := p.sdElems[:0:ne], p.sdParams[:0:np]
	p.sdElems, p.sdParams = p.sdElems[ne:], p.sdParams[np:]
	return es, ps
}

// fillSD builds the structured data scanSD found (p.sdSpans) in frame,
// in wire order with repeats kept, into elems and params (empty, with room
// for what scanSD counted). A value is a substring of the frame unless it
// holds an escape.
func (p *Parser) fillSD(frame string, elems []message.SDElement, params []message.SDParam) []message.SDElement {
	spans := p.sdSpans
	for k := 0; k < len(spans); {
		el := spans[k]
		k++
		first := len(params)
		for n := 0; n < el.params && k < len(spans); n++ {
			pv := spans[k]
			k++
			value := pv.value.of(frame)
			if pv.esc {
				value = unescapeSD(value)
			}
			params = append(params, message.SDParam{Name: pv.name.of(frame), Value: value})
		}
		elems = append(elems, message.SDElement{ID: el.name.of(frame), Params: params[first:len(params):len(params)]})
	}
	return elems
}

// unescapeSD removes the backslash of \" \\ and \] (RFC 5424 §6.3.3) and
// keeps any other.
func unescapeSD(v string) string {
	out := make([]byte, 0, len(v))
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+1 < len(v) && (v[i+1] == '"' || v[i+1] == '\\' || v[i+1] == ']') {
			i++
		}
		out = append(out, v[i])
	}
	return string(out)
}

// parseRFC5424Stamp reads TIMESTAMP (RFC 5424 §6.2.3: upper-case 'T' and
// 'Z') with the ranges time.Parse enforces. RFC 5424 allows 6 fraction
// digits; up to 9 are read, as rsyslog and syslog-ng do (go-syslog rejects
// the frame). It does the arithmetic itself: time.Parse allocates a zone
// for every offset other than the local one. One pass: checking the shape
// first and reading the digits after cost a tenth of a parse.
func parseRFC5424Stamp(b []byte) (time.Time, bool) {
	if len(b) < 20 || b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' {
		return time.Time{}, false
	}
	y1, ok1 := d2(b, 0)
	y2, ok2 := d2(b, 2)
	mo, ok3 := d2(b, 5)
	d, ok4 := d2(b, 8)
	h, ok5 := d2(b, 11)
	mi, ok6 := d2(b, 14)
	sec, ok7 := d2(b, 17)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7) {
		return time.Time{}, false
	}
	ns, rest := fraction(b[19:])
	if len(rest) == len(b)-20 && b[19] == '.' || len(b)-len(rest) > 29 {
		return time.Time{}, false // "." without digits, or more than 9
	}
	off, loc := 0, time.UTC
	switch {
	case len(rest) == 1 && rest[0] == 'Z':
	case len(rest) == 6 && rest[3] == ':':
		o, ok := offset(rest[1:3], rest[4:6], rest[0])
		if !ok {
			return time.Time{}, false
		}
		off, loc = o, fixedZone(o)
	default:
		return time.Time{}, false
	}
	y := y1*100 + y2
	if mo < 1 || mo > 12 || d < 1 || d > daysIn(mo, y) || h > 23 || mi > 59 || sec > 59 {
		return time.Time{}, false
	}
	unix := daysSinceEpoch(y, mo, d)*86400 + int64(h*3600+mi*60+sec) - int64(off)
	return time.Unix(unix, int64(ns)).In(loc), true
}

// d2 reads the two decimal digits at b[i:].
func d2(b []byte, i int) (int, bool) {
	c0, c1 := b[i]-'0', b[i+1]-'0'
	return int(c0)*10 + int(c1), c0 <= 9 && c1 <= 9
}

// civil turns "YYYY-MM-DDTHH:MM:SS" at the start of b (any separators,
// digits already checked) into a time, checking ranges; loc nil means the
// unnamed zone of off seconds east of UTC.
func civil(b []byte, ns, off int, loc *time.Location) (time.Time, bool) {
	y := num(b[0:4])
	mo, d := num(b[5:7]), num(b[8:10])
	h, mi, s := num(b[11:13]), num(b[14:16]), num(b[17:19])
	if mo < 1 || mo > 12 || d < 1 || d > daysIn(mo, y) || h > 23 || mi > 59 || s > 59 {
		return time.Time{}, false
	}
	sec := daysSinceEpoch(y, mo, d)*86400 + int64(h*3600+mi*60+s) - int64(off)
	if loc == nil {
		loc = fixedZone(off)
	}
	return time.Unix(sec, int64(ns)).In(loc), true
}

// fraction reads ".ddd" (up to 9 digits) at the start of b as nanoseconds
// and returns the rest.
func fraction(b []byte) (ns int, rest []byte) {
	if len(b) == 0 || b[0] != '.' {
		return 0, b
	}
	i, scale := 1, 100000000
	for i < len(b) && isDigit(b[i]) && i <= 9 {
		ns += int(b[i]-'0') * scale
		scale /= 10
		i++
	}
	return ns, b[i:]
}

// offset reads a zone offset's two-digit hours and minutes; time.Parse
// refuses hours over 23 and minutes over 59.
func offset(hh, mm []byte, sign byte) (int, bool) {
	if len(hh) != 2 || len(mm) != 2 || !isDigit(hh[0]) || !isDigit(hh[1]) || !isDigit(mm[0]) || !isDigit(mm[1]) {
		return 0, false
	}
	h, m := num(hh), num(mm)
	if h > 23 || m > 59 {
		return 0, false
	}
	off := h*3600 + m*60
	switch sign {
	case '-':
		return -off, true
	case '+':
		return off, true
	}
	return 0, false
}

func num(b []byte) int {
	n := 0
	for _, c := range b {
		n = n*10 + int(c-'0')
	}
	return n
}
