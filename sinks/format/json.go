package format

import (
	"strconv"
	"time"
	"unicode/utf8"

	"syslogd/message"
)

// appendJSON writes one JSON object with the keys in the contract's order.
// Empty string fields, a zero timestamp and absent structured data are
// left out; raw and parse_error appear only for unparsed frames.
func appendJSON(dst []byte, m *message.Message) []byte {
	dst = append(dst, `{"received":"`...)
	dst = m.Received.UTC().AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, '"')
	if !m.Timestamp.IsZero() {
		dst = append(dst, `,"timestamp":"`...)
		dst = m.Timestamp.AppendFormat(dst, time.RFC3339Nano)
		dst = append(dst, '"')
	}
	dst = appendJSONField(dst, "facility", m.Facility.String())
	dst = appendJSONField(dst, "severity", m.Severity.String())
	dst = append(dst, `,"facility_code":`...)
	dst = strconv.AppendUint(dst, uint64(m.Facility), 10)
	dst = append(dst, `,"severity_code":`...)
	dst = strconv.AppendUint(dst, uint64(m.Severity), 10)
	dst = appendJSONField(dst, "hostname", m.Hostname)
	dst = appendJSONField(dst, "app_name", m.AppName)
	dst = appendJSONField(dst, "proc_id", m.ProcID)
	dst = appendJSONField(dst, "msg_id", m.MsgID)
	if len(m.StructuredData) > 0 {
		dst = append(dst, `,"structured_data":`...)
		dst = appendJSONSD(dst, m.StructuredData)
	}
	dst = appendJSONField(dst, "message", m.Text)
	if m.Source.IsValid() {
		// An IPv6 zone is an interface name, which may hold any byte; a
		// stack buffer lets it go through the string escaper for free.
		var buf [64]byte
		dst = append(dst, `,"source_ip":`...)
		dst = appendJSONString(dst, m.Source.Addr().AppendTo(buf[:0]))
	}
	if m.Peer.Known {
		dst = append(dst, `,"sender_pid":`...)
		dst = strconv.AppendUint(dst, uint64(m.Peer.PID), 10)
		dst = append(dst, `,"sender_uid":`...)
		dst = strconv.AppendUint(dst, uint64(m.Peer.UID), 10)
		dst = append(dst, `,"sender_gid":`...)
		dst = strconv.AppendUint(dst, uint64(m.Peer.GID), 10)
	}
	dst = appendJSONField(dst, "listener", m.Listener)
	dst = appendJSONField(dst, "format", m.Format.String())
	if !m.Parsed() {
		if len(m.Raw) > 0 {
			dst = append(dst, `,"raw":`...)
			dst = appendJSONString(dst, m.Raw)
		}
		dst = appendJSONField(dst, "parse_error", m.ParseError)
	}
	return append(dst, '}')
}

// appendJSONField writes `,"key":"value"`, or nothing when value is empty.
// Keys are constants that need no escaping.
func appendJSONField(dst []byte, key, value string) []byte {
	if value == "" {
		return dst
	}
	dst = append(dst, ',', '"')
	dst = append(dst, key...)
	dst = append(dst, '"', ':')
	return appendJSONString(dst, value)
}

// appendJSONSD writes structured data as {"SD-ID":{"name":"value",...},...}.
// RFC 5424 forbids a repeated SD-ID but allows a repeated PARAM-NAME; a JSON
// object cannot hold either, so the last occurrence wins, as it would for
// most JSON decoders, and the output never has duplicate keys.
func appendJSONSD(dst []byte, sd []message.SDElement) []byte {
	dst = append(dst, '{')
	first := true
	for i, el := range sd {
		if repeatedID(sd[i+1:], el.ID) {
			continue
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = appendJSONString(dst, el.ID)
		dst = append(dst, ':', '{')
		firstParam := true
		for j, p := range el.Params {
			if repeatedParam(el.Params[j+1:], p.Name) {
				continue
			}
			if !firstParam {
				dst = append(dst, ',')
			}
			firstParam = false
			dst = appendJSONString(dst, p.Name)
			dst = append(dst, ':')
			dst = appendJSONString(dst, p.Value)
		}
		dst = append(dst, '}')
	}
	return append(dst, '}')
}

func repeatedID(later []message.SDElement, id string) bool {
	for _, el := range later {
		if el.ID == id {
			return true
		}
	}
	return false
}

func repeatedParam(later []message.SDParam, name string) bool {
	for _, p := range later {
		if p.Name == name {
			return true
		}
	}
	return false
}

// appendJSONString writes s as a quoted JSON string, byte for byte what
// encoding/json writes with HTML escaping off, so consumers see the same
// text either way (see the package comment).
func appendJSONString[T string | []byte](dst []byte, s T) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := decodeRune(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// decodeRune decodes the first rune of a string or byte slice without
// converting (and so copying) the whole slice.
func decodeRune[T string | []byte](s T) (rune, int) {
	var buf [utf8.UTFMax]byte
	n := copy(buf[:], s)
	return utf8.DecodeRune(buf[:n])
}
