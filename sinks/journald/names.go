package journald

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// maxFieldName is journald's limit on a field name (JOURNAL_FIELD_NAME_MAX
// in journal_field_valid): a longer name is silently dropped by journald.
const maxFieldName = 64

// fixedFields are the fields the sink fills from each message. Static
// fields may not reuse them, nor the SD_ prefix that structured data uses,
// so that an operator's field never shadows or mixes with a message's.
var fixedFields = [...]string{
	"MESSAGE", "PRIORITY", "SYSLOG_FACILITY", "SYSLOG_IDENTIFIER", "SYSLOG_PID",
	"SYSLOG_MSGID", "SYSLOG_HOSTNAME", "SYSLOG_TIMESTAMP", "SYSLOG_SOURCE",
	"SYSLOG_LISTENER", "SYSLOG_RAW",
}

// sdPrefix starts every field made from structured data.
const sdPrefix = "SD_"

// checkFieldName returns why name cannot be a static field, or nil. It is
// journald's rule for names a client may set (journal_field_valid without
// protected fields): 1 to 64 characters from [A-Z0-9_], not starting with
// a digit or with '_' (those fields are trusted, set by journald itself) —
// plus the sink's own reservations. journald silently drops a field with
// an invalid name, so a typo would otherwise vanish without a trace.
func checkFieldName(name string) error {
	switch {
	case name == "":
		return errors.New("required")
	case len(name) > maxFieldName:
		return fmt.Errorf("field name %q is longer than %d characters", name, maxFieldName)
	case name[0] == '_':
		return fmt.Errorf("field name %q starts with '_' (reserved for journald's trusted fields)", name)
	case name[0] >= '0' && name[0] <= '9':
		return fmt.Errorf("field name %q starts with a digit", name)
	case slices.Contains(fixedFields[:], name):
		return fmt.Errorf("field name %q is set by the sink from each message", name)
	case strings.HasPrefix(name, sdPrefix):
		return fmt.Errorf("field name %q uses the %s prefix reserved for structured data", name, sdPrefix)
	}
	for i := 0; i < len(name); i++ {
		if !fieldChar(name[i]) {
			return fmt.Errorf("invalid field name %q (use A-Z, 0-9 and _)", name)
		}
	}
	return nil
}

func fieldChar(c byte) bool { return c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' }

// appendSDName writes SD_<id>_<param>: ASCII letters upper-cased, every
// other byte outside [A-Z0-9_] turned into '_', cut at 64 characters. The
// SD_ prefix keeps the name from starting with '_' or a digit, so the
// result is always a valid field name whatever the sender put in the SD-ID
// or PARAM-NAME — `X=1\nPRIORITY` becomes SD_..._X_1_PRIORITY.
func appendSDName(dst []byte, id, param string) []byte {
	start := len(dst)
	dst = append(dst, sdPrefix...)
	dst = appendUpper(dst, id)
	dst = append(dst, '_')
	dst = appendUpper(dst, param)
	if len(dst)-start > maxFieldName {
		dst = dst[:start+maxFieldName]
	}
	return dst
}

func appendUpper(dst []byte, s string) []byte {
	for i := 0; i < len(s) && i < maxFieldName; i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z':
			c -= 'a' - 'A'
		case !fieldChar(c):
			c = '_'
		}
		dst = append(dst, c)
	}
	return dst
}
