package journald

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	"syslogd/message"
)

func encode(t *testing.T, m *message.Message, static ...Field) []field {
	t.Helper()
	s, err := New(Options{Fields: static}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b := appendEntry(nil, m, s.static, s.nStatic)
	got, err := decodeEntry(b)
	if err != nil {
		t.Fatalf("decode %q: %v", b, err)
	}
	return got
}

func TestEntryFields(t *testing.T) {
	withStatic := fullFields("hello")
	withStatic = append(withStatic, field{"SYSLOGD_SITE", "fra1"}, field{"NOTE", "two\nlines"})
	minimal := &message.Message{Facility: message.Kern, Severity: message.Emerg, Format: message.RFC3164}
	multi := fullMessage("first line\nsecond line\n\nfourth")
	nilSD := fullMessage("no sd")
	nilSD.StructuredData = nil
	for _, tc := range []struct {
		name   string
		m      *message.Message
		static []Field
		want   []field
	}{
		{"every field", fullMessage("hello"), nil, fullFields("hello")},
		{"static fields last", fullMessage("hello"), []Field{{"SYSLOGD_SITE", "fra1"}, {"NOTE", "two\nlines"}, {"EMPTY", ""}}, withStatic},
		{"multi-line message in binary form", multi, nil, fullFields("first line\nsecond line\n\nfourth")},
		{"no structured data", nilSD, nil, fullFields("no sd")[:10]},
		{"empty values left out", minimal, nil, []field{{"PRIORITY", "0"}, {"SYSLOG_FACILITY", "0"}}},
		{"unparsed keeps raw", unparsedMessage("<13>garbage\n"), nil, []field{
			{"MESSAGE", "<13>garbage\n"}, {"PRIORITY", "5"}, {"SYSLOG_FACILITY", "1"},
			{"SYSLOG_SOURCE", "2001:db8::1"}, {"SYSLOG_LISTENER", "udp"}, {"SYSLOG_RAW", "<13>garbage\n"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := encode(t, tc.m, tc.static...); !slices.Equal(got, tc.want) {
				t.Errorf("fields:\n got: %v\nwant: %v", got, tc.want)
			}
		})
	}
}

// TestInjection puts a newline and a field of its own into every value and
// every name a sender controls; the entry must keep exactly its own fields.
func TestInjection(t *testing.T) {
	m := fullMessage(injection)
	m.Hostname, m.AppName, m.ProcID, m.MsgID, m.Listener = injection, injection, injection, injection, injection
	m.StructuredData = []message.SDElement{{ID: injection, Params: []message.SDParam{{Name: injection, Value: injection}}}}
	m.Source = netip.AddrPortFrom(netip.MustParseAddr("fe80::1").WithZone(injection), 514)
	got := encode(t, m, Field{"STATIC", injection})
	var names []string
	for _, f := range got {
		names = append(names, f.name)
		if f.name != "PRIORITY" && f.name != "SYSLOG_FACILITY" && f.name != "SYSLOG_TIMESTAMP" && !strings.Contains(f.value, injection) {
			t.Errorf("%s = %q lost the value", f.name, f.value)
		}
	}
	want := []string{"MESSAGE", "PRIORITY", "SYSLOG_FACILITY", "SYSLOG_IDENTIFIER", "SYSLOG_PID", "SYSLOG_MSGID",
		"SYSLOG_HOSTNAME", "SYSLOG_TIMESTAMP", "SYSLOG_SOURCE", "SYSLOG_LISTENER", "SD_X_1_PRIORITY_0_X_1_PRIORITY_0", "STATIC"}
	if !slices.Equal(names, want) {
		t.Errorf("names:\n got: %q\nwant: %q", names, want)
	}
	if got[1] != (field{"PRIORITY", "4"}) {
		t.Errorf("PRIORITY = %v", got[1])
	}
}

func TestSDNames(t *testing.T) {
	long := strings.Repeat("a", 100)
	for _, tc := range []struct{ id, param, want string }{
		{"exampleSDID@32473", "iut", "SD_EXAMPLESDID_32473_IUT"},
		{"timeQuality", "tzKnown", "SD_TIMEQUALITY_TZKNOWN"},
		{"a.b-c", "d=e f", "SD_A_B_C_D_E_F"},
		{"_lead", "_x", "SD__LEAD__X"},
		{"9id", "0", "SD_9ID_0"},
		{"ünï", "x\x00y", "SD___N___X_Y"},
		{"", "", "SD__"},
		{long, "p", "SD_" + strings.Repeat("A", 61)},
		{"id", long, "SD_ID_" + strings.Repeat("A", 58)},
	} {
		got := string(appendSDName(nil, tc.id, tc.param))
		if got != tc.want {
			t.Errorf("appendSDName(%q, %q) = %q, want %q", tc.id, tc.param, got, tc.want)
		}
		if !validName([]byte(got)) {
			t.Errorf("appendSDName(%q, %q) = %q is not a valid journal field name", tc.id, tc.param, got)
		}
	}
}

// TestSDFieldCap: journald drops a whole entry with more than 1024 fields,
// so params beyond the cap are left out and the entry survives.
func TestSDFieldCap(t *testing.T) {
	m := fullMessage("many")
	params := make([]message.SDParam, 2000)
	for i := range params {
		params[i] = message.SDParam{Name: "p", Value: "v"}
	}
	m.StructuredData = []message.SDElement{{ID: "big", Params: params}}
	got := encode(t, m, Field{"A", "1"}, Field{"B", "2"})
	if len(got) != maxEntryFields-len(fixedFields)+10 {
		t.Errorf("%d fields, want %d", len(got), maxEntryFields-len(fixedFields)+10)
	}
	if len(got) > 1024 {
		t.Errorf("%d fields is more than journald accepts", len(got))
	}
	if last := got[len(got)-1]; last != (field{"B", "2"}) {
		t.Errorf("last field %v, want the static B=2", last)
	}
}

func TestCheckFieldName(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"SYSLOGD_SITE", true},
		{"A", true},
		{"X9_", true},
		{strings.Repeat("A", 64), true},
		{strings.Repeat("A", 65), false},
		{"", false},
		{"_PID", false},
		{"9LIVES", false},
		{"lower", false},
		{"WITH-DASH", false},
		{"X=1", false},
		{"X\nPRIORITY", false},
		{"MESSAGE", false},
		{"PRIORITY", false},
		{"SYSLOG_RAW", false},
		{"SD_ORIGIN_IP", false},
	} {
		if err := checkFieldName(tc.name); (err == nil) != tc.ok {
			t.Errorf("checkFieldName(%q) = %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
	if _, err := New(Options{Fields: []Field{{"X\nPRIORITY", "0"}}}, nil); err == nil {
		t.Error("New accepted an invalid static field name")
	}
}

func TestSocketPath(t *testing.T) {
	for _, tc := range []struct{ socket, namespace, want string }{
		{"", "", "/run/systemd/journal/socket"},
		{"", "audit", "/run/systemd/journal.audit/socket"},
		{"/tmp/j.sock", "", "/tmp/j.sock"},
	} {
		if got := SocketPath(tc.socket, tc.namespace); got != tc.want {
			t.Errorf("SocketPath(%q, %q) = %q, want %q", tc.socket, tc.namespace, got, tc.want)
		}
	}
	if _, err := New(Options{Socket: "/s", Namespace: "n"}, nil); err == nil {
		t.Error("New accepted both socket and namespace")
	}
	for _, ns := range []string{"../../tmp/x", ".hidden", "a\x00b"} {
		if _, err := New(Options{Namespace: ns}, nil); err == nil {
			t.Errorf("New accepted namespace %q", ns)
		}
	}
}
