package parser

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"syslogd/message"
)

var update = flag.Bool("update", false, "rewrite testdata/*/expected.json from the parser's output")

// The fixed world golden cases run in: a clock, a sender and a listener.
var (
	goldenNow      = time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)
	goldenReceived = time.Date(2026, 3, 15, 12, 0, 1, 500, time.UTC)
	goldenSrc      = netip.MustParseAddrPort("192.0.2.10:514")
)

const goldenListener = "test"

func newTestParser(t testing.TB, format string) *Parser {
	t.Helper()
	p, err := New(Options{Format: format, Location: time.UTC, Now: func() time.Time { return goldenNow }})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// golden is the stable JSON rendering of a message the golden files hold.
// Strings that are not valid UTF-8 are written as "invalid-utf8:" plus a Go
// quoted string, since JSON would silently replace the bad bytes.
type golden struct {
	Format         string     `json:"format"`
	Facility       string     `json:"facility"`
	Severity       string     `json:"severity"`
	NoPRI          bool       `json:"no_pri"`
	Timestamp      string     `json:"timestamp"`
	Hostname       string     `json:"hostname"`
	AppName        string     `json:"app_name"`
	ProcID         string     `json:"proc_id"`
	MsgID          string     `json:"msg_id"`
	StructuredData []goldenSD `json:"structured_data"`
	Text           string     `json:"text"`
	ParseError     bool       `json:"parse_error"`
}

type goldenSD struct {
	ID     string      `json:"id"`
	Params [][2]string `json:"params"`
}

func render(m *message.Message) golden {
	g := golden{
		Format:     m.Format.String(),
		Facility:   m.Facility.String(),
		Severity:   m.Severity.String(),
		NoPRI:      m.NoPRI,
		Hostname:   jstr(m.Hostname),
		AppName:    jstr(m.AppName),
		ProcID:     jstr(m.ProcID),
		MsgID:      jstr(m.MsgID),
		Text:       jstr(m.Text),
		ParseError: m.ParseError != "",
	}
	if !m.Timestamp.IsZero() {
		g.Timestamp = m.Timestamp.Format(time.RFC3339Nano)
	}
	for _, e := range m.StructuredData {
		sd := goldenSD{ID: jstr(e.ID), Params: [][2]string{}}
		for _, p := range e.Params {
			sd.Params = append(sd.Params, [2]string{jstr(p.Name), jstr(p.Value)})
		}
		g.StructuredData = append(g.StructuredData, sd)
	}
	return g
}

func jstr(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return "invalid-utf8:" + strconv.Quote(s)
}

// TestGolden parses every testdata/<case>/input (with the format named in
// an optional testdata/<case>/format file) and compares the result with
// expected.json. Run with -update to regenerate after a deliberate change,
// then review the diff.
func TestGolden(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("testdata", "*", "input"))
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) < 35 {
		t.Fatalf("found %d golden cases, want at least 35", len(dirs))
	}
	for _, in := range dirs {
		dir := filepath.Dir(in)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			data, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			format := ""
			if b, err := os.ReadFile(filepath.Join(dir, "format")); err == nil {
				format = strings.TrimSpace(string(b))
			}
			m := newTestParser(t, format).Parse(data, goldenSrc, goldenListener, goldenReceived)
			checkInvariants(t, data, m)
			if m.Source != goldenSrc || m.Listener != goldenListener || !m.Received.Equal(goldenReceived) {
				t.Errorf("source/listener/received = %v/%q/%v, want %v/%q/%v",
					m.Source, m.Listener, m.Received, goldenSrc, goldenListener, goldenReceived)
			}
			got, err := json.MarshalIndent(render(m), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			want := filepath.Join(dir, "expected.json")
			if *update {
				if err := os.WriteFile(want, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			exp, err := os.ReadFile(want)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, exp) {
				t.Errorf("input %q (parse error %q)\ngot:\n%s\nwant:\n%s", data, m.ParseError, got, exp)
			}
		})
	}
}

// checkInvariants holds for every frame, golden or fuzzed.
func checkInvariants(t *testing.T, data []byte, m *message.Message) {
	t.Helper()
	if m == nil {
		t.Fatal("Parse returned nil")
	}
	if !bytes.Equal(m.Raw, data) {
		t.Errorf("Raw = %q, want the input %q", m.Raw, data)
	}
	if len(data) > 0 && &m.Raw[0] == &data[0] {
		t.Error("Raw aliases the input buffer")
	}
	if (m.Format == message.Unparsed) != (m.ParseError != "") {
		t.Errorf("Format %v with ParseError %q", m.Format, m.ParseError)
	}
	if strings.HasPrefix(m.ParseError, errPanic) {
		t.Errorf("parser panicked: %s", m.ParseError)
	}
	if int(m.Facility) >= message.NumFacilities || int(m.Severity) >= message.NumSeverities {
		t.Errorf("facility/severity %d/%d out of range", m.Facility, m.Severity)
	}
	if m.Format == message.Unparsed {
		if m.Text != string(data) {
			t.Errorf("unparsed Text = %q, want the whole frame %q", m.Text, data)
		}
		return
	}
	// No text is lost: the message is always the end of the frame (less
	// trailer bytes and a BOM), so header fields only ever cover the rest.
	if !strings.HasSuffix(string(trimTrailer(data)), m.Text) {
		t.Errorf("Text %q is not the end of the frame %q", m.Text, data)
	}
	if m.NoPRI && (m.Hostname == "" || m.Timestamp.IsZero()) {
		t.Errorf("no-PRI message without hostname %q or timestamp %v", m.Hostname, m.Timestamp)
	}
}
