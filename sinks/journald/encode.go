package journald

import (
	"bytes"
	"encoding/binary"
	"strconv"
	"strings"
	"time"

	"syslogd/message"
)

// maxEntryFields bounds the fields of one entry. journald drops an entry
// with more than 1024 fields (ENTRY_FIELD_COUNT_MAX) and, when the entry
// shares a datagram with others, the rest of the datagram with it; the
// structured-data params beyond the bound are left out instead.
const maxEntryFields = 1000

// appendEntry encodes m as one journal entry in the native protocol: the
// fixed fields, the structured data, then the pre-encoded static fields.
// Empty values are left out. Every name written here is either a constant
// or built by appendSDName, so no content can add a field of its own.
func appendEntry(dst []byte, m *message.Message, static []byte, nStatic int) []byte {
	dst = appendField(dst, "MESSAGE", m.Text)
	dst = append(dst, "PRIORITY="...)
	dst = strconv.AppendUint(dst, uint64(m.Severity), 10)
	dst = append(dst, "\nSYSLOG_FACILITY="...)
	dst = strconv.AppendUint(dst, uint64(m.Facility), 10)
	dst = append(dst, '\n')
	dst = appendField(dst, "SYSLOG_IDENTIFIER", m.AppName)
	dst = appendField(dst, "SYSLOG_PID", m.ProcID)
	dst = appendField(dst, "SYSLOG_MSGID", m.MsgID)
	dst = appendField(dst, "SYSLOG_HOSTNAME", m.Hostname)
	if !m.Timestamp.IsZero() {
		dst = append(dst, "SYSLOG_TIMESTAMP="...)
		dst = m.Timestamp.AppendFormat(dst, time.RFC3339Nano)
		dst = append(dst, '\n')
	}
	if m.Source.IsValid() {
		// An IPv6 zone is an interface name, which may hold any byte, so
		// the address goes through appendValue like any other value.
		var buf [64]byte
		dst = append(dst, "SYSLOG_SOURCE"...)
		dst = appendValue(dst, m.Source.Addr().AppendTo(buf[:0]))
	}
	dst = appendField(dst, "SYSLOG_LISTENER", m.Listener)
	if !m.Parsed() && len(m.Raw) > 0 {
		dst = append(dst, "SYSLOG_RAW"...)
		dst = appendValue(dst, m.Raw)
	}
	dst = appendSD(dst, m.StructuredData, maxEntryFields-len(fixedFields)-nStatic)
	return append(dst, static...)
}

// appendStatic encodes the static fields, once per sink.
func appendStatic(dst []byte, fields []Field) []byte {
	for _, f := range fields {
		dst = appendField(dst, f.Name, f.Value)
	}
	return dst
}

// appendSD writes each non-empty param as SD_<SDID>_<PARAM>, at most max
// of them. Repeated or colliding names become multi-valued journal fields,
// which journald supports.
func appendSD(dst []byte, sd []message.SDElement, max int) []byte {
	n := 0
	for _, e := range sd {
		for _, p := range e.Params {
			if p.Value == "" {
				continue
			}
			if n == max {
				return dst
			}
			n++
			dst = appendSDName(dst, e.ID, p.Name)
			dst = appendValue(dst, p.Value)
		}
	}
	return dst
}

// appendField writes name and value, or nothing when value is empty. name
// must be a valid field name.
func appendField(dst []byte, name, value string) []byte {
	if value == "" {
		return dst
	}
	return appendValue(append(dst, name...), value)
}

// appendValue writes the part of a field after its name. A value without a
// newline is `=value\n`; one with a newline uses the binary form
// `\n<little-endian uint64 length><value>\n`, so the newline can never end
// the field early and start another.
func appendValue[T string | []byte](dst []byte, value T) []byte {
	if !hasNewline(value) {
		dst = append(dst, '=')
		dst = append(dst, value...)
		return append(dst, '\n')
	}
	dst = append(dst, '\n')
	dst = binary.LittleEndian.AppendUint64(dst, uint64(len(value)))
	dst = append(dst, value...)
	return append(dst, '\n')
}

func hasNewline[T string | []byte](v T) bool {
	switch v := any(v).(type) {
	case string:
		return strings.IndexByte(v, '\n') >= 0
	case []byte:
		return bytes.IndexByte(v, '\n') >= 0
	}
	return false
}
