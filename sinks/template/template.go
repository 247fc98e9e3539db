// Package template expands path and subject templates ({hostname}, {date}, …)
// for the sinks that name their destination from a message: the file sink
// its paths, the NATS sink its subjects. Values are sanitised for the kind
// of template, so a path can never leave its directory and a subject value
// stays one token.
package template

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"syslogd/message"
)

// Kind selects how placeholder values are sanitised.
type Kind uint8

const (
	// Path values can never leave their directory: '/', '\', NUL,
	// control characters and leading dots become '_'.
	Path Kind = iota
	// Subject values stay one NATS subject token: '.', '*', '>',
	// whitespace, control characters and a leading '$' become '_'.
	Subject
)

type field uint8

const (
	fLiteral field = iota
	fHostname
	fAppName
	fProcID
	fMsgID
	fFacility
	fSeverity
	fListener
	fSourceIP
	// Time fields stay last: Template.usesTime tests f >= fDate.
	fDate
	fYear
	fMonth
	fDay
	fHour
)

var placeholders = map[string]field{
	"hostname": fHostname, "app_name": fAppName, "proc_id": fProcID, "msg_id": fMsgID,
	"facility": fFacility, "severity": fSeverity, "listener": fListener, "source_ip": fSourceIP,
	"date": fDate, "year": fYear, "month": fMonth, "day": fDay, "hour": fHour,
}

// Placeholders lists the names a template may use, for error messages and docs.
const Placeholders = "{hostname} {app_name} {proc_id} {msg_id} {facility} {severity} {listener} {source_ip} {date} {year} {month} {day} {hour}"

// MaxValueBytes caps one expanded placeholder value, so a hostile 10 kB
// hostname cannot make a path component longer than filesystems allow
// (255 bytes) and fail a whole batch.
const MaxValueBytes = 200

type part struct {
	f   field
	lit string
}

// Template is a compiled path or subject template. It is immutable and safe
// for concurrent use; Append does not allocate beyond growing dst.
type Template struct {
	src   string
	kind  Kind
	parts []part
	// usesTime is set when a date placeholder is present, so Append
	// converts the receipt time to UTC once, and only when needed.
	usesTime bool
}

// Parse compiles s once. An unknown placeholder or an unbalanced
// brace is an error.
func Parse(s string, kind Kind) (*Template, error) {
	t := &Template{src: s, kind: kind}
	rest := s
	for rest != "" {
		open := strings.IndexByte(rest, '{')
		closeAt := strings.IndexByte(rest, '}')
		if closeAt >= 0 && (open < 0 || closeAt < open) {
			return nil, fmt.Errorf("unexpected '}' at offset %d", len(s)-len(rest)+closeAt)
		}
		if open < 0 {
			t.parts = append(t.parts, part{lit: rest})
			break
		}
		if open > 0 {
			t.parts = append(t.parts, part{lit: rest[:open]})
		}
		end := strings.IndexByte(rest[open:], '}')
		if end < 0 {
			return nil, fmt.Errorf("unclosed '{' at offset %d", len(s)-len(rest)+open)
		}
		name := rest[open+1 : open+end]
		f, ok := placeholders[name]
		if !ok {
			return nil, fmt.Errorf("unknown placeholder {%s} (known: %s)", name, Placeholders)
		}
		t.parts = append(t.parts, part{f: f})
		t.usesTime = t.usesTime || f >= fDate
		rest = rest[open+end+1:]
	}
	return t, nil
}

// String returns the template source.
func (t *Template) String() string { return t.src }

// Static reports whether the template has no placeholders.
func (t *Template) Static() bool {
	for _, p := range t.parts {
		if p.f != fLiteral {
			return false
		}
	}
	return true
}

// StaticPrefix returns the literal text before the first placeholder.
func (t *Template) StaticPrefix() string {
	var b strings.Builder
	for _, p := range t.parts {
		if p.f != fLiteral {
			break
		}
		b.WriteString(p.lit)
	}
	return b.String()
}

// Append appends the template expanded for m to dst.
func (t *Template) Append(dst []byte, m *message.Message) []byte {
	var r time.Time
	if t.usesTime {
		r = m.Received.UTC()
	}
	for _, p := range t.parts {
		if p.f == fLiteral {
			dst = append(dst, p.lit...)
			continue
		}
		start := len(dst)
		dst = appendField(dst, p.f, m, r)
		if len(dst) == start {
			dst = append(dst, '-')
			continue
		}
		if len(dst)-start > MaxValueBytes {
			dst = dst[:start+MaxValueBytes]
		}
		t.sanitise(dst[start:])
	}
	return dst
}

// Same reports whether the template expands to the same text for a and b:
// every field it uses is equal (dates by the UTC hour of receipt, the
// finest they show). Cheaper than two Appends, so a sink can reuse the
// last expansion for a run of messages from one host and program.
func (t *Template) Same(a, b *message.Message) bool {
	for _, p := range t.parts {
		switch p.f {
		case fLiteral:
		case fHostname:
			if a.Hostname != b.Hostname {
				return false
			}
		case fAppName:
			if a.AppName != b.AppName {
				return false
			}
		case fProcID:
			if a.ProcID != b.ProcID {
				return false
			}
		case fMsgID:
			if a.MsgID != b.MsgID {
				return false
			}
		case fFacility:
			if a.Facility != b.Facility {
				return false
			}
		case fSeverity:
			if a.Severity != b.Severity {
				return false
			}
		case fListener:
			if a.Listener != b.Listener {
				return false
			}
		case fSourceIP:
			if a.Source.Addr() != b.Source.Addr() {
				return false
			}
		default: // fDate … fHour
			if hourOf(a.Received) != hourOf(b.Received) {
				return false
			}
		}
	}
	return true
}

// hourOf numbers the UTC hour t falls in (Unix hours align with UTC's).
func hourOf(t time.Time) int64 {
	u := t.Unix()
	if u < 0 {
		u -= 3599 // floor
	}
	return u / 3600
}

// appendField appends one raw value; r is the receipt time in UTC.
func appendField(dst []byte, f field, m *message.Message, r time.Time) []byte {
	switch f {
	case fHostname:
		return append(dst, m.Hostname...)
	case fAppName:
		return append(dst, m.AppName...)
	case fProcID:
		return append(dst, m.ProcID...)
	case fMsgID:
		return append(dst, m.MsgID...)
	case fFacility:
		return append(dst, m.Facility.String()...)
	case fSeverity:
		return append(dst, m.Severity.String()...)
	case fListener:
		return append(dst, m.Listener...)
	case fSourceIP:
		if !m.Source.IsValid() {
			return dst
		}
		return m.Source.Addr().AppendTo(dst)
	case fDate:
		y, mo, d := r.Date()
		dst = appendInt(dst, y, 4)
		dst = append(dst, '-')
		dst = appendInt(dst, int(mo), 2)
		dst = append(dst, '-')
		return appendInt(dst, d, 2)
	case fYear:
		return appendInt(dst, r.Year(), 4)
	case fMonth:
		return appendInt(dst, int(r.Month()), 2)
	case fDay:
		return appendInt(dst, r.Day(), 2)
	case fHour:
		return appendInt(dst, r.Hour(), 2)
	}
	return dst
}

func appendInt(dst []byte, v, width int) []byte {
	for n, w := v, 1; w < width; w++ {
		n /= 10
		if n == 0 {
			dst = append(dst, '0')
		}
	}
	return strconv.AppendInt(dst, int64(v), 10)
}

// sanitise rewrites one expanded placeholder value in place.
func (t *Template) sanitise(v []byte) {
	switch t.kind {
	case Path:
		leading := true
		for i, c := range v {
			if leading && c == '.' {
				v[i] = '_'
				continue
			}
			leading = false
			if c == '/' || c == '\\' || c < 0x20 || c == 0x7f {
				v[i] = '_'
			}
		}
	case Subject:
		for i, c := range v {
			if c == '.' || c == '*' || c == '>' || c <= ' ' || c == 0x7f || (i == 0 && c == '$') {
				v[i] = '_'
			}
		}
	}
}

// foreignNames maps the rsyslog properties and syslog-ng macros an
// operator coming from those daemons writes to this package's
// placeholders (their names are compared case-insensitively).
var foreignNames = map[string]string{
	"hostname": "{hostname}", "host": "{hostname}", "fromhost": "{hostname}",
	"programname": "{app_name}", "program": "{app_name}", "app-name": "{app_name}", "syslogtag": "{app_name}",
	"procid": "{proc_id}", "pid": "{proc_id}", "msgid": "{msg_id}",
	"syslogfacility-text": "{facility}", "facility": "{facility}",
	"syslogseverity-text": "{severity}", "level": "{severity}", "severity": "{severity}",
	"fromhost-ip": "{source_ip}", "sourceip": "{source_ip}", "host_from": "{source_ip}",
	"year": "{year}", "month": "{month}", "day": "{day}", "hour": "{hour}",
	"$year": "{year}", "$month": "{month}", "$day": "{day}", "$hour": "{hour}",
}

// Foreign finds rsyslog-style %NAME% properties and syslog-ng-style $NAME
// or ${NAME} macros in a template source. They are literal text here (a
// file literally named "%HOSTNAME%"), which is almost never what was meant,
// so each is returned as advice naming this package's placeholder where
// there is one.
func Foreign(src string) []string {
	var out []string
	for i := 0; i < len(src); i++ {
		var name, token string
		switch c := src[i]; {
		case c == '%':
			end := strings.IndexByte(src[i+1:], '%')
			if end <= 0 {
				continue
			}
			name, token = src[i+1:i+1+end], src[i:i+2+end]
		case c == '$' && i+1 < len(src) && src[i+1] == '{':
			end := strings.IndexByte(src[i+2:], '}')
			if end <= 0 {
				continue
			}
			name, token = src[i+2:i+2+end], src[i:i+3+end]
		case c == '$':
			j := i + 1
			for j < len(src) && (src[j] >= 'A' && src[j] <= 'Z' || src[j] >= 'a' && src[j] <= 'z' || src[j] == '_') {
				j++
			}
			if j == i+1 {
				continue
			}
			name, token = src[i+1:j], src[i:j]
		default:
			continue
		}
		if strings.ContainsAny(name, "/ ") {
			continue
		}
		i += len(token) - 1
		if ours, ok := foreignNames[strings.ToLower(name)]; ok {
			out = append(out, fmt.Sprintf("%s is literal text here, not a placeholder; write %s", token, ours))
		} else {
			out = append(out, fmt.Sprintf("%s is literal text here, not a placeholder (placeholders: %s)", token, Placeholders))
		}
	}
	return out
}
