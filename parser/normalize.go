package parser

import (
	"bytes"
	"time"
)

// isoPlaceholder replaces an RFC 3339 timestamp go-syslog cannot read (it
// takes neither fractions nor a missing offset in RFC 3164 frames) so the
// rest of the header still parses; the real value is parsed here.
const isoPlaceholder = "1970-01-01T00:00:00Z"

// normalize rewrites an RFC 3164 frame that go-syslog rejected into dst
// (reused scratch), fixing what real senders emit and the grammar refuses:
//   - control bytes other than TAB, CR and LF (NUL, ESC of ANSI colours,
//     DEL) become spaces;
//   - "Oct 1 22:14:15" gets RFC 3164's space-padded day, "Oct  1";
//   - an RFC 3339 timestamp with fractions or without an offset is parsed
//     here (zone-less ones in loc) and replaced by isoPlaceholder.
//
// The rewrite never touches bytes after the timestamp except to replace
// control bytes one for one, so the message text go-syslog reports is the
// same length as, and lines up with, the end of the original frame: the
// caller takes the text from there, losing nothing. changed is false when
// there was nothing to fix, so retrying would be pointless. priEnd is the
// offset just past the PRI's '>'; out has the same PRI at the same offset.
func normalize(dst, in []byte, priEnd int, loc *time.Location) (out []byte, ts time.Time, hasTS, changed bool) {
	i := priEnd
	dst = append(dst[:0], in[:i]...)
	for i < len(in) && in[i] == ' ' {
		dst = append(dst, ' ')
		i++
	}
	rest := in[i:]
	switch {
	case isISODate(rest):
		j := bytes.IndexByte(rest, ' ')
		if j < 0 {
			j = len(rest)
		}
		if t, ok := parseISO(rest[:j], loc); ok {
			dst = append(dst, isoPlaceholder...)
			ts, hasTS, changed = t, true, true
			i += j
		}
	case len(rest) >= 6 && isMonth(rest[:3]) && rest[3] == ' ' && rest[4] >= '1' && rest[4] <= '9' && rest[5] == ' ':
		dst = append(dst, rest[:4]...)
		dst = append(dst, ' ')
		changed = true
		i += 4
	}
	for _, b := range in[i:] {
		if isCtl(b) {
			b = ' '
			changed = true
		}
		dst = append(dst, b)
	}
	return dst, ts, hasTS, changed
}

// isCtl reports the bytes go-syslog's RFC 3164 MSG rule refuses.
func isCtl(b byte) bool {
	return (b < 0x20 && b != '\t' && b != '\n' && b != '\r') || b == 0x7f
}

// isISODate reports whether b starts with "YYYY-".
func isISODate(b []byte) bool {
	return len(b) >= 5 && isDigit(b[0]) && isDigit(b[1]) && isDigit(b[2]) && isDigit(b[3]) && b[4] == '-'
}

// parseISO reads an RFC 3339-like timestamp, also with a "+0100" offset or
// none (then in loc). Go's parser accepts fractional seconds after "05"
// without them being in the layout.
func parseISO(b []byte, loc *time.Location) (time.Time, bool) {
	s := string(b)
	for _, layout := range [...]string{time.RFC3339, "2006-01-02T15:04:05Z0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	if t, err := time.ParseInLocation("2006-01-02T15:04:05", s, loc); err == nil {
		return t, true
	}
	return time.Time{}, false
}

func isMonth(b []byte) bool { return len(b) >= 3 && monthNum(b) != 0 }
