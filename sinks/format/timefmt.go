package format

import (
	"strconv"
	"time"
)

// Hand-written time layouts: time.AppendFormat re-parses its layout on
// every call (only RFC3339 and RFC3339Nano have a fast path), which costs
// more than the rest of a line.

// appendStamp writes the RFC 3164 TIMESTAMP, "Mmm dd hh:mm:ss" with the day
// padded by a space ("Oct  1 09:05:03").
func appendStamp(dst []byte, t time.Time) []byte {
	_, month, day := t.Date()
	dst = append(dst, month.String()[:3]...)
	dst = append(dst, ' ')
	if day < 10 {
		dst = append(dst, ' ')
	}
	dst = appendInt(dst, day, 1)
	dst = append(dst, ' ')
	return appendClock(dst, t)
}

// stampCache holds the last RFC 3164 TIMESTAMP appendStamp wrote, by the
// Unix second and zone it was written for.
type stampCache struct {
	sec  int64
	loc  *time.Location
	n    int
	text [len("Jan _2 15:04:05")]byte
}

// appendStamp is appendStamp through the cache; a nil cache writes anew.
// t's second and location decide its text, so the same pair always gives
// the same stamp.
func (c *stampCache) appendStamp(dst []byte, t time.Time) []byte {
	if c == nil {
		return appendStamp(dst, t)
	}
	sec, loc := t.Unix(), t.Location()
	if c.n > 0 && c.sec == sec && c.loc == loc {
		return append(dst, c.text[:c.n]...)
	}
	start := len(dst)
	dst = appendStamp(dst, t)
	c.sec, c.loc, c.n = sec, loc, copy(c.text[:], dst[start:])
	return dst
}

// layoutMicro is the fallback for years RFC 3339 cannot write in 4 digits.
const layoutMicro = "2006-01-02T15:04:05.000000Z07:00"

// appendRFC3339Micro writes an RFC 3339 timestamp with exactly six
// fractional digits, in t's own offset ("Z" for UTC).
func appendRFC3339Micro(dst []byte, t time.Time) []byte {
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.AppendFormat(dst, layoutMicro)
	}
	dst = appendInt(dst, year, 4)
	dst = append(dst, '-')
	dst = appendInt(dst, int(month), 2)
	dst = append(dst, '-')
	dst = appendInt(dst, day, 2)
	dst = append(dst, 'T')
	dst = appendClock(dst, t)
	dst = append(dst, '.')
	dst = appendInt(dst, t.Nanosecond()/1000, 6)
	_, off := t.Zone()
	if off == 0 {
		return append(dst, 'Z')
	}
	sign := byte('+')
	if off < 0 {
		sign, off = '-', -off
	}
	off /= 60
	dst = append(dst, sign)
	dst = appendInt(dst, off/60, 2)
	dst = append(dst, ':')
	return appendInt(dst, off%60, 2)
}

func appendClock(dst []byte, t time.Time) []byte {
	h, m, s := t.Clock()
	dst = appendInt(dst, h, 2)
	dst = append(dst, ':')
	dst = appendInt(dst, m, 2)
	dst = append(dst, ':')
	return appendInt(dst, s, 2)
}

// appendInt writes a non-negative v zero-padded to width digits.
func appendInt(dst []byte, v, width int) []byte {
	digits := 1
	for n := v; n >= 10; n /= 10 {
		digits++
	}
	for ; digits < width; digits++ {
		dst = append(dst, '0')
	}
	return strconv.AppendInt(dst, int64(v), 10)
}
