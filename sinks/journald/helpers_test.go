package journald

import (
	"fmt"
	"net/netip"
	"time"

	"syslogd/message"
)

// field is one decoded journal field.
type field struct{ name, value string }

func (f field) String() string { return fmt.Sprintf("%s=%q", f.name, f.value) }

// decodeEntry parses one entry as decodeFields does, and also refuses a
// name journald would drop as invalid.
func decodeEntry(b []byte) ([]field, error) {
	fields, err := decodeFields(b)
	if err != nil {
		return nil, err
	}
	out := make([]field, len(fields))
	for i, f := range fields {
		if !validName([]byte(f.Name)) {
			return nil, fmt.Errorf("invalid field name %q", f.Name)
		}
		out[i] = field{f.Name, f.Value}
	}
	return out, nil
}

// validName is journald's journal_field_valid for client fields.
func validName(name []byte) bool {
	if len(name) == 0 || len(name) > 64 || name[0] == '_' || name[0] >= '0' && name[0] <= '9' {
		return false
	}
	for _, c := range name {
		if !fieldChar(c) {
			return false
		}
	}
	return true
}

var t0 = time.Date(2025, 10, 1, 9, 5, 3, 123456000, time.FixedZone("", 2*3600))

// fullMessage sets every field the sink maps.
func fullMessage(text string) *message.Message {
	return &message.Message{
		Received: t0.UTC(), Timestamp: t0,
		Facility: message.AuthPriv, Severity: message.Warning,
		Hostname: "web-1.example.org", AppName: "sshd", ProcID: "4242", MsgID: "AUTHFAIL",
		StructuredData: []message.SDElement{
			{ID: "exampleSDID@32473", Params: []message.SDParam{{Name: "iut", Value: "3"}, {Name: "eventSource", Value: "Application"}}},
			{ID: "origin", Params: []message.SDParam{{Name: "ip", Value: "10.0.0.1"}, {Name: "empty", Value: ""}}},
		},
		Text:     text,
		Format:   message.RFC5424,
		Source:   netip.MustParseAddrPort("192.0.2.7:51514"),
		Listener: "tcp",
	}
}

// fullFields is what fullMessage(text) becomes, in order.
func fullFields(text string) []field {
	return []field{
		{"MESSAGE", text},
		{"PRIORITY", "4"},
		{"SYSLOG_FACILITY", "10"},
		{"SYSLOG_IDENTIFIER", "sshd"},
		{"SYSLOG_PID", "4242"},
		{"SYSLOG_MSGID", "AUTHFAIL"},
		{"SYSLOG_HOSTNAME", "web-1.example.org"},
		{"SYSLOG_TIMESTAMP", "2025-10-01T09:05:03.123456+02:00"},
		{"SYSLOG_SOURCE", "192.0.2.7"},
		{"SYSLOG_LISTENER", "tcp"},
		{"SD_EXAMPLESDID_32473_IUT", "3"},
		{"SD_EXAMPLESDID_32473_EVENTSOURCE", "Application"},
		{"SD_ORIGIN_IP", "10.0.0.1"},
	}
}

// unparsedMessage is a frame the parser could not understand.
func unparsedMessage(raw string) *message.Message {
	return &message.Message{
		Received: t0.UTC(), Facility: message.User, Severity: message.Notice,
		Text: raw, Raw: []byte(raw), Format: message.Unparsed, ParseError: "rfc5424: bad header",
		Source: netip.MustParseAddrPort("[2001:db8::1]:514"), Listener: "udp",
	}
}

// injection is the value the issue names: a newline and a field of its own.
const injection = "X=1\nPRIORITY=0"
