package journald

import (
	"strings"
	"testing"

	"syslogd/message"
)

// FuzzEntry: whatever a sender puts in the message, the entry decodes
// strictly, every name is valid, the fields are exactly the sink's own
// (one PRIORITY, with the message's severity), and every value survives.
func FuzzEntry(f *testing.F) {
	f.Add("hello", "host", "app", "id@1", "param", "value", []byte("raw"), uint8(4))
	f.Add(injection, injection, injection, injection, injection, injection, []byte(injection), uint8(0))
	f.Add("a\nb", "", "", "", "", "", []byte(nil), uint8(7))
	f.Fuzz(func(t *testing.T, text, host, app, sdID, sdName, sdValue string, raw []byte, sev uint8) {
		m := &message.Message{
			Severity: message.Severity(sev % message.NumSeverities), Facility: message.Local7,
			Hostname: host, AppName: app, Text: text, Raw: raw,
			StructuredData: []message.SDElement{{ID: sdID, Params: []message.SDParam{{Name: sdName, Value: sdValue}}}},
			Format:         message.RFC5424,
		}
		if len(raw)%2 == 1 {
			m.Format = message.Unparsed
		}
		b := appendEntry(nil, m, nil, 0)
		got, err := decodeEntry(b)
		if err != nil {
			t.Fatalf("decode %q: %v", b, err)
		}
		want := map[string]string{
			"MESSAGE": text, "SYSLOG_HOSTNAME": host, "SYSLOG_IDENTIFIER": app,
			"PRIORITY": string('0' + rune(m.Severity)), "SYSLOG_FACILITY": "23",
		}
		if !m.Parsed() {
			want["SYSLOG_RAW"] = string(raw)
		}
		sdField := ""
		if sdValue != "" {
			sdField = string(appendSDName(nil, sdID, sdName))
			want[sdField] = sdValue
		}
		seen := map[string]bool{}
		for _, fl := range got {
			if seen[fl.name] {
				t.Fatalf("field %s twice in %v", fl.name, got)
			}
			seen[fl.name] = true
			w, ok := want[fl.name]
			if !ok {
				t.Fatalf("unexpected field %v", fl)
			}
			if fl.value != w {
				t.Fatalf("%s = %q, want %q", fl.name, fl.value, w)
			}
		}
		for name, v := range want {
			if v != "" && !seen[name] {
				t.Fatalf("field %s missing from %v", name, got)
			}
		}
		if sdField != "" && !strings.HasPrefix(sdField, "SD_") {
			t.Fatalf("SD field %q", sdField)
		}
	})
}
