package parser

import "errors"

// defaultPRI is user.notice, the PRI RFC 3164 §4.3.3 tells a relay to
// assume when a frame has none.
const defaultPRI = 13

// defaultPRIText is defaultPRI as a PRI part: a frame without one is parsed
// behind it (see parseNoPRI).
const defaultPRIText = "<13>"

// Parse errors that need no formatting are constants so that rejecting a
// frame does not allocate beyond the message itself.
const (
	errEmpty         = "empty frame"
	errPanic         = "internal parser error"
	errPRINoClose    = "invalid pri: missing closing '>'"
	errPRIEmpty      = "invalid pri: empty"
	errPRINotNumber  = "invalid pri: not a number"
	errPRILeadZero   = "invalid pri: leading zero"
	errPRITooLong    = "invalid pri: more than 3 digits"
	errPRIOutOfRange = "invalid pri: out of range 0-191"
)

// errMalformed stands in for the error go-syslog leaves nil on some frames.
var errMalformed = errors.New("malformed message")

// parsePRI reads the "<PRI>" at the start of in (in[0] is '<'). It returns
// the value and the offset just past '>', or a reason when the PRI is
// invalid. RFC 5424 §6.2.1 PRIVAL is 1–3 digits without leading zeros and
// at most 191; RFC 3164 agrees on the range.
func parsePRI(in []byte) (pri, end int, reason string) {
	i := 1
	for i < len(in) && isDigit(in[i]) && i <= 4 {
		pri = pri*10 + int(in[i]-'0')
		i++
	}
	digits := i - 1
	if i < len(in) && in[i] == '>' {
		switch {
		case digits == 0:
			return 0, 0, errPRIEmpty
		case digits > 1 && in[1] == '0':
			return 0, 0, errPRILeadZero
		case digits > 3:
			return 0, 0, errPRITooLong
		case pri > 191:
			return 0, 0, errPRIOutOfRange
		}
		return pri, i + 1, ""
	}
	switch {
	case digits > 1 && in[1] == '0':
		return 0, 0, errPRILeadZero
	case digits > 3:
		return 0, 0, errPRITooLong
	case closesSoon(in[1:]):
		return 0, 0, errPRINotNumber
	}
	return 0, 0, errPRINoClose
}

// closesSoon reports whether a '>' follows within a PRI's worth of bytes,
// telling "<ab>" (not a number) from "<13 Oct" (never closed).
func closesSoon(b []byte) bool {
	for i := 0; i < len(b) && i < 4; i++ {
		if b[i] == '>' {
			return true
		}
	}
	return false
}

// looks5424 reports whether the bytes after PRI start with an RFC 5424
// VERSION: 1–3 digits, the first non-zero, then a space. RFC 3164 never
// has that there (a Stamp starts with a month, RFC 3339 with 4 digits, a
// Cisco counter ends with ':').
func looks5424(b []byte) bool {
	if len(b) < 2 || b[0] < '1' || b[0] > '9' {
		return false
	}
	for i := 1; i < len(b) && i <= 3; i++ {
		if b[i] == ' ' {
			return true
		}
		if !isDigit(b[i]) {
			return false
		}
	}
	return false
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }
