package format

import (
	"strings"
	"testing"
	"time"

	"syslogd/message"
)

func TestAppendEscaped(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"plain text", "plain text"},
		{"tab\tstays", "tab\tstays"},
		{"a\nb", `a\nb`},
		{"a\r\nb", `a\r\nb`},
		{"\x00\x01\x1f\x7f", `\x00\x01\x1f\x7f`},
		{"back\\slash", `back\slash`},
		{"caf\xc3\xa9 \xff", "caf\xc3\xa9 \xff"},
		{"\n", `\n`},
	}
	for _, tc := range tests {
		if got := string(appendEscaped(nil, tc.in)); got != tc.want {
			t.Errorf("appendEscaped(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if got := string(appendEscaped(nil, []byte(tc.in))); got != tc.want {
			t.Errorf("appendEscaped([]byte %q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestRFC3164Layout(t *testing.T) {
	base := message.Message{Received: time.Date(2025, 3, 9, 4, 7, 9, 0, time.UTC), Text: "hi", Format: message.RFC3164}
	tests := []struct {
		name string
		edit func(*message.Message)
		want string
	}{
		{"day padded, local zone", func(*message.Message) {}, "Mar  8 23:07:09 - hi\n"},
		{"timestamp wins", func(m *message.Message) { m.Timestamp = time.Date(2025, 11, 20, 15, 0, 0, 0, time.UTC) }, "Nov 20 10:00:00 - hi\n"},
		{"app without pid", func(m *message.Message) { m.Hostname, m.AppName = "h", "cron" }, "Mar  8 23:07:09 h cron: hi\n"},
		{"pid without app is dropped", func(m *message.Message) { m.Hostname, m.ProcID = "h", "9" }, "Mar  8 23:07:09 h hi\n"},
		{"app with pid", func(m *message.Message) { m.Hostname, m.AppName, m.ProcID = "h", "cron", "9" }, "Mar  8 23:07:09 h cron[9]: hi\n"},
	}
	for _, tc := range tests {
		m := base
		tc.edit(&m)
		if got := string(Append(nil, RFC3164, &m)); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestRFC3339Micro(t *testing.T) {
	tests := []struct {
		t    time.Time
		want string
	}{
		{time.Date(2025, 1, 2, 3, 4, 5, 6789, time.UTC), "2025-01-02T03:04:05.000006Z"},
		{time.Date(2025, 1, 2, 3, 4, 5, 999999999, time.FixedZone("", -(9*3600+30*60))), "2025-01-02T03:04:05.999999-09:30"},
		{time.Date(999, 1, 2, 3, 4, 5, 0, time.FixedZone("", 5*3600+45*60)), "0999-01-02T03:04:05.000000+05:45"},
		{time.Date(10000, 1, 2, 3, 4, 5, 0, time.UTC), time.Date(10000, 1, 2, 3, 4, 5, 0, time.UTC).Format(layoutMicro)},
	}
	for _, tc := range tests {
		if got := string(appendRFC3339Micro(nil, tc.t)); got != tc.want {
			t.Errorf("appendRFC3339Micro(%v) = %q, want %q", tc.t, got, tc.want)
		}
		if tc.t.Year() <= 9999 {
			if want := tc.t.Format(layoutMicro); tc.want != want {
				t.Errorf("table disagrees with time.Format: %q vs %q", tc.want, want)
			}
		}
	}
}

// FuzzLines feeds arbitrary values into every field that reaches a line and
// checks that each format still yields exactly one line (and valid JSON).
func FuzzLines(f *testing.F) {
	f.Add("host", "app", "1", "id", "text", "v", []byte("raw"), false)
	f.Add("a\nb", "c\rd", "\x00", "\x7f", "x\ny\r\n", "v\n]\"\\", []byte("r\naw"), true)
	f.Add("\xff", "\xe2\x80\xa8", "", "", "\xc3", "\xed\xa0\x80", []byte{0xff, '\n'}, true)
	f.Fuzz(func(t *testing.T, host, app, pid, msgid, text, sdval string, raw []byte, unparsed bool) {
		m := message.Message{
			Received: received, Hostname: host, AppName: app, ProcID: pid, MsgID: msgid, Text: text, Raw: raw,
			StructuredData: []message.SDElement{{ID: "id", Params: []message.SDParam{{Name: "p", Value: sdval}}}},
			Format:         message.RFC5424,
		}
		if unparsed {
			m.Format, m.ParseError = message.Unparsed, text
		}
		for _, f := range allFormats {
			line := Append(nil, f, &m)
			checkOneLine(t, line, "fuzz", f)
			if f == JSON {
				checkJSON(t, &m, line)
			}
		}
	})
}

// TestPlainPrefixNeverSkipsControl checks the word-at-a-time scan against
// the byte rule: no byte it skips may need escaping.
func TestPlainPrefixNeverSkipsControl(t *testing.T) {
	for c := 0; c < 256; c++ {
		for pos := 0; pos < 24; pos++ {
			b := []byte(strings.Repeat("abcdefgh", 4))
			b[pos] = byte(c)
			n := plainPrefix(b)
			for i := 0; i < n; i++ {
				if isControl(b[i]) {
					t.Fatalf("plainPrefix skipped control byte %#x at %d", b[i], i)
				}
			}
			if !isControl(byte(c)) && c != '\t' && c < 0x80 && n != 32 {
				t.Fatalf("plainPrefix stopped at %d for plain byte %#x at %d", n, c, pos)
			}
		}
	}
}
