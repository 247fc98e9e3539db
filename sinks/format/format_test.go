package format

import (
	"bytes"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"syslogd/message"
)

var update = flag.Bool("update", false, "rewrite testdata golden files")

// testZone stands in for the daemon's local time zone so rfc3164 output is
// the same on every machine.
var testZone = time.FixedZone("TEST", -5*3600)

func TestMain(m *testing.M) {
	time.Local = testZone
	os.Exit(m.Run())
}

var received = time.Date(2025, 10, 1, 9, 5, 3, 123456789, time.UTC)

// cases are the golden inputs; every case is rendered in every format into
// testdata/<name>.<format>.
var cases = []struct {
	name string
	msg  message.Message
}{
	{"rfc5424-sd", message.Message{
		Received:  received,
		Timestamp: time.Date(2025, 10, 1, 11, 5, 2, 987654321, time.FixedZone("", 2*3600)),
		Facility:  message.Local4, Severity: message.Notice,
		Hostname: "web-1.example.com", AppName: "nginx", ProcID: "812", MsgID: "ACCESS",
		StructuredData: []message.SDElement{
			{ID: "exampleSDID@32473", Params: []message.SDParam{
				{Name: "iut", Value: "3"}, {Name: "eventSource", Value: `Appl"ic\ation]`},
			}},
			{ID: "origin", Params: []message.SDParam{{Name: "ip", Value: "192.0.2.1"}}},
			{ID: "empty@1"},
		},
		Text:     "GET /index.html 200",
		Raw:      []byte(`<165>1 2025-10-01T11:05:02.987654+02:00 web-1.example.com nginx 812 ACCESS [exampleSDID@32473 iut="3" eventSource="Appl\"ic\\ation\]"][origin ip="192.0.2.1"][empty@1] GET /index.html 200`),
		Format:   message.RFC5424,
		Source:   netip.MustParseAddrPort("192.0.2.10:51514"),
		Listener: "tcp",
	}},
	{"rfc3164", message.Message{
		Received:  received,
		Timestamp: time.Date(2025, 10, 1, 9, 5, 1, 0, time.UTC),
		Facility:  message.Auth, Severity: message.Info,
		Hostname: "bastion", AppName: "sshd", ProcID: "1234",
		Text:     "Accepted publickey for alice from 198.51.100.7 port 50022 ssh2",
		Raw:      []byte("<38>Oct  1 09:05:01 bastion sshd[1234]: Accepted publickey for alice from 198.51.100.7 port 50022 ssh2"),
		Format:   message.RFC3164,
		Source:   netip.MustParseAddrPort("198.51.100.2:514"),
		Listener: "udp",
	}},
	{"no-hostname", message.Message{
		Received: received,
		Facility: message.User, Severity: message.Notice, NoPRI: true,
		Text:     "disk almost full",
		Raw:      []byte("disk almost full"),
		Format:   message.RFC3164,
		Source:   netip.MustParseAddrPort("10.0.0.5:40000"),
		Listener: "udp",
	}},
	{"unparsed", message.Message{
		Received:   received,
		Raw:        []byte("<999>not \"syslog\" at all"),
		Format:     message.Unparsed,
		ParseError: "invalid PRI: 999 is out of range",
		Source:     netip.MustParseAddrPort("[2001:db8::7]:6000"),
		Listener:   "tcp",
	}},
	{"multi-line", message.Message{
		Received:  received,
		Timestamp: time.Date(2025, 12, 24, 23, 59, 59, 500, time.UTC),
		Facility:  message.Daemon, Severity: message.Err,
		Hostname: "app host", AppName: "java", ProcID: "77",
		StructuredData: []message.SDElement{{ID: "trace", Params: []message.SDParam{
			{Name: "stack", Value: "at A\nat B"},
		}}},
		Text:     "Exception in thread \"main\"\r\n\tat Main.run(Main.java:7)\n\x00\x1b[31mred\x7f",
		Raw:      []byte("<27>1 2025-12-24T23:59:59Z app - - - - Exception\n\tat Main"),
		Format:   message.RFC5424,
		Listener: "tcp",
	}},
	{"invalid-utf8", message.Message{
		Received: received,
		Facility: message.Local0, Severity: message.Warning,
		Hostname: "h\xffst", AppName: "app",
		Text:     "caf\xc3\xa9 \xff\xfe bad \xe2\x80\xa8 sep \xc3",
		Raw:      []byte("<132>caf\xc3\xa9 \xff\xfe bad"),
		Format:   message.RFC3164,
		Listener: "udp",
	}},
	{"sd-duplicates", message.Message{
		Received:  received,
		Timestamp: received,
		Facility:  message.Kern, Severity: message.Emerg,
		StructuredData: []message.SDElement{
			{ID: "a", Params: []message.SDParam{{Name: "x", Value: "1"}, {Name: "y", Value: "2"}, {Name: "x", Value: "3"}}},
			{ID: "b", Params: []message.SDParam{{Name: "z", Value: "first"}}},
			{ID: "a", Params: []message.SDParam{{Name: "x", Value: "last"}}},
		},
		Format: message.RFC5424,
	}},
}

var allFormats = []Format{RFC3164, RFC5424, JSON, Raw}

func TestGolden(t *testing.T) {
	for _, tc := range cases {
		for _, f := range allFormats {
			t.Run(tc.name+"."+f.String(), func(t *testing.T) {
				got := Append(nil, f, &tc.msg)
				path := filepath.Join("testdata", tc.name+"."+f.String())
				if *update {
					if err := os.WriteFile(path, got, 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run go test -update to create it)", err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("Append mismatch\n got: %q\nwant: %q", got, want)
				}
			})
		}
	}
}

// TestOneLine checks the promise sinks rely on: exactly one line per
// message, whatever the values hold.
func TestOneLine(t *testing.T) {
	for _, tc := range cases {
		for _, f := range allFormats {
			checkOneLine(t, Append([]byte("prefix"), f, &tc.msg)[len("prefix"):], tc.name, f)
		}
	}
}

func checkOneLine(t *testing.T, line []byte, name string, f Format) {
	t.Helper()
	if len(line) == 0 || line[len(line)-1] != '\n' {
		t.Errorf("%s.%s: not terminated by a newline: %q", name, f, line)
		return
	}
	if i := bytes.IndexAny(line[:len(line)-1], "\n\r"); i >= 0 {
		t.Errorf("%s.%s: line break at %d: %q", name, f, i, line)
	}
}

func TestAppendKeepsPrefix(t *testing.T) {
	for _, f := range allFormats {
		got := Append([]byte("keep"), f, &cases[0].msg)
		if !bytes.HasPrefix(got, []byte("keep")) {
			t.Errorf("%s: prefix lost: %q", f, got)
		}
	}
}

func TestTextString(t *testing.T) {
	for _, f := range allFormats {
		var got Format = 9
		if err := got.UnmarshalText([]byte(f.String())); err != nil || got != f || !got.Valid() {
			t.Errorf("UnmarshalText(%q) = %v, %v; want %v", f.String(), got, err, f)
		}
	}
	for _, bad := range []string{"", "RFC3164", "text", "jsonl", "format(9)"} {
		var f Format
		if err := f.UnmarshalText([]byte(bad)); err == nil {
			t.Errorf("UnmarshalText(%q) accepted", bad)
		}
	}
	if Format(9).Valid() {
		t.Error("Format(9) is valid")
	}
	if s := Format(9).String(); s != "format(9)" {
		t.Errorf("Format(9).String() = %q", s)
	}
}

func TestUnknownFormatFallsBackToRFC3164(t *testing.T) {
	m := &cases[1].msg
	if got, want := Append(nil, Format(42), m), Append(nil, RFC3164, m); !bytes.Equal(got, want) {
		t.Errorf("Format(42): got %q, want %q", got, want)
	}
}
