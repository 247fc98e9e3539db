package daemon

import (
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"syslogd/parser"
	"syslogd/sinks/format"
)

// line5424Seeds are frames in the rfc5424 output form (Line5424 set) and
// near misses (not set).
var line5424Seeds = []struct {
	frame     string
	canonical bool
}{
	{`<165>1 2003-10-11T22:14:15.003000Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application"] An application event`, true},
	{"<38>1 2026-11-21T06:13:25.123456+01:00 localhost prg00000 1234 - - seq: 0000000001", true},
	{`<14>1 2026-11-21T06:13:25.123456-05:30 h a p m [a@1 k="q\"uote\\ \]"][b@1] text`, true},
	{"<14>1 2026-11-21T06:13:25.123456Z h a p m -", true},
	{"<14>1 2026-11-21T06:13:25.123456Z h a p m - ", false},                  // space, no text
	{"<14>1 2026-11-21T06:13:25.123456+00:00 h a p m - x", false},            // writes Z
	{"<14>1 2026-11-21T06:13:25.123Z h a p m - x", false},                    // three digits
	{"<14>1 2026-11-21T06:13:25.123456789Z h a p m - x", false},              // nine
	{"<14>1 - h a p m - x", false},                                           // writes the receipt time
	{"<14>1 2026-11-21T06:13:25.123456Z h a p m - \xef\xbb\xbfBOM", false},   // BOM dropped
	{`<14>1 2026-11-21T06:13:25.123456Z h a p m [a@1 k="C:\new"] x`, false},  // backslash doubled
	{"<14>1 2026-11-21T06:13:25.123456Z h a p m - tab\there\nnewline", true}, // escaped alike
}

// TestLine5424IsTheFormattedLine holds the parser's Line5424 to what it
// promises: the rfc5424 output of a message with it is the output without
// it, on the seeds and every parser golden input.
func TestLine5424IsTheFormattedLine(t *testing.T) {
	for _, s := range line5424Seeds {
		m := checkLine5424(t, []byte(s.frame))
		if (m != "") != s.canonical {
			t.Errorf("%q: Line5424 set = %v, want %v", s.frame, m != "", s.canonical)
		}
	}
	inputs, err := filepath.Glob(filepath.Join("..", "parser", "testdata", "*", "input"))
	if err != nil || len(inputs) == 0 {
		t.Fatalf("golden inputs: %v (%d)", err, len(inputs))
	}
	for _, in := range inputs {
		data, err := os.ReadFile(in)
		if err != nil {
			t.Fatal(err)
		}
		checkLine5424(t, data)
	}
}

func FuzzLine5424(f *testing.F) {
	for _, s := range line5424Seeds {
		f.Add([]byte(s.frame))
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkLine5424(t, data) })
}

// checkLine5424 parses data and fails unless formatting with and without
// Line5424 gives the same bytes; it returns Line5424.
func checkLine5424(t *testing.T, data []byte) string {
	t.Helper()
	p, err := parser.New(parser.Options{Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	p.SetKeepRaw(false)
	m := p.Parse(data, netip.MustParseAddrPort("192.0.2.1:514"), "test", time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
	got := format.Append(nil, format.RFC5424, m)
	plain := *m
	plain.Line5424 = ""
	want := format.Append(nil, format.RFC5424, &plain)
	if !bytes.Equal(got, want) {
		t.Errorf("%q: rfc5424 output from Line5424\n %q\nre-encoded\n %q", data, got, want)
	}
	return m.Line5424
}
