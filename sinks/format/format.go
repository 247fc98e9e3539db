// Package format renders a message.Message as one line of text for the sinks
// that write text: the file sink, and the NATS sink's payload. The four
// formats are part of the external contract (README.md "Output formats");
// changing their shape breaks operators' parsers.
//
// Every format produces exactly one line, terminated by '\n'. A value can
// never break that line:
//
//   - rfc3164, rfc5424 and raw escape LF as `\n`, CR as `\r`, and every
//     other ASCII control byte except TAB (0x00–0x1F, 0x7F) as `\xHH`.
//     Backslashes are not doubled, so a literal `\n` in the text reads the
//     same as an escaped newline: the escaping keeps files line-oriented,
//     it is not meant to be reversible. Bytes ≥ 0x80 are copied as they
//     are, valid UTF-8 or not, as a traditional syslog file would hold them.
//   - json escapes strings exactly as encoding/json does (with HTML
//     escaping off): `\n`, `\r`, `\t`, `\b`, `\f`, `\u00XX` for other
//     control characters, U+2028/U+2029 as `\u2028`/`\u2029`, and each
//     byte of invalid UTF-8 as `\ufffd`.
//
// Other choices that shape the lines:
//
//   - rfc3164 shows the message's own timestamp, or the receipt time when
//     it has none, in the daemon's local time zone (time.Local); an empty
//     HOSTNAME becomes the sender's IP address, then "-".
//   - rfc5424 keeps the sender's UTC offset, writes microseconds, uses the
//     receipt time when the message has no timestamp and "-" for empty
//     header fields; a space inside a header field is escaped as `\x20`.
//   - A frame that failed to parse has no text: rfc3164 and rfc5424 write
//     its raw bytes as the MESSAGE, so the line still carries the data.
//   - raw writes Message.Raw; a message without raw bytes gives an empty line.
//   - json leaves out empty strings, a zero timestamp and absent structured
//     data; a repeated SD-ID or PARAM-NAME keeps its last value, so the
//     object never holds duplicate keys.
//
// Append does not allocate beyond growing dst, so a sink that reuses its
// buffer formats messages for free.
package format

import (
	"fmt"
	"strconv"
	"strings"

	"syslogd/message"
)

// Format selects an output format. The zero value is RFC3164.
type Format uint8

// The output formats, named in configuration by their String value.
const (
	// RFC3164 is the traditional /var/log/messages line:
	// `Mmm dd hh:mm:ss HOSTNAME APP[PROCID]: MESSAGE`.
	RFC3164 Format = iota
	// RFC5424 is the RFC 5424 line, structured data included.
	RFC5424
	// JSON is one JSON object per line.
	JSON
	// Raw is the frame exactly as received (framing removed).
	Raw
)

var names = [...]string{RFC3164: "rfc3164", RFC5424: "rfc5424", JSON: "json", Raw: "raw"}

// UnmarshalText accepts the names a configuration uses: rfc3164,
// rfc5424, json, raw.
func (f *Format) UnmarshalText(b []byte) error {
	for i, n := range names {
		if n == string(b) {
			*f = Format(i)
			return nil
		}
	}
	return fmt.Errorf("invalid value %q (want %s)", b, strings.Join(names[:], ", "))
}

// Valid reports whether f is one of the four formats.
func (f Format) Valid() bool { return int(f) < len(names) }

// String returns the configuration name of f.
func (f Format) String() string {
	if int(f) < len(names) {
		return names[f]
	}
	return "format(" + strconv.Itoa(int(f)) + ")"
}

// Append appends one line for m in format f, terminated by '\n', to dst and
// returns the extended buffer. A Format outside the four defined values
// formats as RFC3164, the zero value, rather than losing the message.
func Append(dst []byte, f Format, m *message.Message) []byte {
	return appendLine(dst, f, m, nil)
}

// Encoder appends lines in one format, like Append, and remembers the last
// RFC 3164 timestamp it wrote: a run of messages within one second writes
// it once (converting a time to month, day and clock was a twentieth of the
// daemon's CPU under load). Not safe for concurrent use: one per sink
// goroutine.
type Encoder struct {
	Format Format
	stamp  stampCache
}

// Append appends one line for m, as Append(dst, e.Format, m) does.
func (e *Encoder) Append(dst []byte, m *message.Message) []byte {
	return appendLine(dst, e.Format, m, &e.stamp)
}

func appendLine(dst []byte, f Format, m *message.Message, c *stampCache) []byte {
	switch f {
	case RFC5424:
		dst = appendRFC5424(dst, m)
	case JSON:
		dst = appendJSON(dst, m)
	case Raw:
		dst = appendEscaped(dst, m.Raw)
	default:
		dst = appendRFC3164(dst, m, c)
	}
	return append(dst, '\n')
}
