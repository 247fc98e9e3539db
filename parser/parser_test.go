package parser

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/leodido/go-syslog/v4/rfc5424"

	"syslogd/message"
)

func TestNewFormat(t *testing.T) {
	for _, f := range []string{"", "auto", "rfc5424", "rfc3164"} {
		if _, err := New(Options{Format: f}); err != nil {
			t.Errorf("New(Format %q): %v", f, err)
		}
	}
	for _, f := range []string{"RFC5424", "json", "5424", " auto"} {
		if _, err := New(Options{Format: f}); err == nil {
			t.Errorf("New(Format %q) succeeded, want error", f)
		}
	}
}

// TestDefaults checks that the zero Options read RFC 3164 stamps in
// time.Local and infer the year from the wall clock.
func TestDefaults(t *testing.T) {
	p, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	stamp := now.Add(-time.Hour).In(time.Local)
	frame := "<13>" + stamp.Format(time.Stamp) + " host app: m"
	m := p.Parse([]byte(frame), goldenSrc, "test", now.UTC())
	if m.Timestamp.Location() != time.Local || !m.Timestamp.Equal(stamp.Truncate(time.Second)) {
		t.Errorf("%q: Timestamp = %v, want %v in Local", frame, m.Timestamp, stamp.Truncate(time.Second))
	}
}

// TestRawIsCopy checks that the message survives the caller reusing its
// read buffer, which listeners do for every frame.
func TestRawIsCopy(t *testing.T) {
	p := newTestParser(t, "")
	for _, frame := range []string{
		"<165>1 2003-10-11T22:14:15.003Z host app - ID47 [a b=\"c\"] text",
		"<13>Oct 11 22:14:15 host app[1]: text",
		"<13>Oct 11 22:14:15 host app[1]: te\x00xt",
		"no pri text",
		"<999>bad",
	} {
		buf := []byte(frame)
		m := p.Parse(buf, goldenSrc, "test", goldenReceived)
		before := render(m)
		for i := range buf {
			buf[i] = 'X'
		}
		if string(m.Raw) != frame {
			t.Errorf("Raw changed with the input buffer: %q", m.Raw)
		}
		if after := render(m); !reflect.DeepEqual(before, after) {
			t.Errorf("%q: message changed with the input buffer:\n%+v\n%+v", frame, before, after)
		}
	}
}

// TestParserReuse checks that scratch buffers reused between frames never
// leak into messages already returned.
func TestParserReuse(t *testing.T) {
	p := newTestParser(t, "")
	frames := []string{
		"Oct 11 22:14:15 host1 app: first\x00",
		"<13>2024-01-02T03:04:05.5Z host2 app: second\x01",
		"Oct 1 22:14:15 host3 app: third\x1b",
		"<13>Oct 1 22:14:15 host4 app: fourth",
	}
	var msgs []*message.Message
	var want []golden
	for _, f := range frames {
		m := p.Parse([]byte(f), goldenSrc, "test", goldenReceived)
		msgs = append(msgs, m)
		want = append(want, render(m))
	}
	for i, m := range msgs {
		if got := render(m); !reflect.DeepEqual(got, want[i]) {
			t.Errorf("message %d changed by later parses:\n%+v\n%+v", i, want[i], got)
		}
		if !strings.HasPrefix(m.Hostname, "host") || m.Format != message.RFC3164 {
			t.Errorf("message %d: %+v", i, want[i])
		}
	}
}

func TestNoPRISource(t *testing.T) {
	p := newTestParser(t, "")
	tests := []struct {
		src  netip.AddrPort
		want string
	}{
		{netip.MustParseAddrPort("192.0.2.10:514"), "192.0.2.10"},
		{netip.MustParseAddrPort("192.0.2.11:514"), "192.0.2.11"}, // as the listener unmaps ::ffff:192.0.2.11
		{netip.MustParseAddrPort("[2001:db8::1]:514"), "2001:db8::1"},
		{netip.AddrPort{}, ""}, // unix socket: no address to stand in
	}
	for _, tc := range tests {
		m := p.Parse([]byte("just text"), tc.src, "test", goldenReceived)
		if m.Hostname != tc.want || !m.NoPRI || m.PRI() != defaultPRI || m.Text != "just text" {
			t.Errorf("src %v: hostname %q no_pri %v pri %d text %q; want hostname %q, no_pri, pri 13",
				tc.src, m.Hostname, m.NoPRI, m.PRI(), m.Text, tc.want)
		}
	}
}

// TestStructuredDataMatchesGoSyslog checks the ordered structured data
// against go-syslog's maps: same elements, and per parameter name the last
// value, which is what the maps keep.
func TestStructuredDataMatchesGoSyslog(t *testing.T) {
	p := newTestParser(t, "")
	for _, frame := range []string{
		`<165>1 2003-10-11T22:14:15.003Z h a - - [z@1 b="1" a="2" c="\"q\" \\ \]"][y@1][x@1 k="v" k="w"] m`,
		`<165>1 2003-10-11T22:14:15.003Z h a - - [[x a="[[" b="é"] m`,
		`<165>1 - - - - - [a x=""][b y="\\\\\""]`,
	} {
		m := p.Parse([]byte(frame), goldenSrc, "test", goldenReceived)
		if m.Format != message.RFC5424 {
			t.Fatalf("%q: %s", frame, m.ParseError)
		}
		sdMatchesGoSyslog(t, []byte(frame), m)
	}
}

func sdMatchesGoSyslog(t *testing.T, frame []byte, m *message.Message) {
	t.Helper()
	res, err := rfc5424.NewMachine().Parse(trimTrailer(frame))
	if err != nil {
		t.Fatalf("go-syslog rejects %q which we parsed: %v", frame, err)
	}
	want := map[string]map[string]string{}
	if sd := res.(*rfc5424.SyslogMessage).StructuredData; sd != nil {
		want = *sd
	}
	got := map[string]map[string]string{}
	for _, e := range m.StructuredData {
		if _, dup := got[e.ID]; dup {
			t.Errorf("%q: element %q twice", frame, e.ID)
		}
		got[e.ID] = map[string]string{}
		for _, p := range e.Params {
			got[e.ID][p.Name] = p.Value
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%q: structured data %v, go-syslog has %v", frame, got, want)
	}
}

// TestParsersIndependent runs one Parser per goroutine, as listeners do;
// under -race it shows that Parsers share no mutable state.
func TestParsersIndependent(t *testing.T) {
	frames := []string{
		`<165>1 2003-10-11T22:14:15.003Z h a - - [x@1 k="v"] m`,
		"<13>Oct 1 22:14:15 host app: \x00m",
		"no pri",
	}
	done := make(chan error, 2)
	for range 2 {
		go func() {
			p, err := New(Options{Location: time.UTC, Now: func() time.Time { return goldenNow }})
			if err != nil {
				done <- err
				return
			}
			for i := range 200 {
				f := frames[i%len(frames)]
				if m := p.Parse([]byte(f), goldenSrc, "test", goldenReceived); m.Format == message.Unparsed {
					done <- &parseFailure{f, m.ParseError}
					return
				}
			}
			done <- nil
		}()
	}
	for range 2 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

type parseFailure struct{ frame, reason string }

func (e *parseFailure) Error() string { return "parse " + e.frame + ": " + e.reason }

// TestKeepRaw checks that turning Raw off spares parsed messages only:
// unparsed frames always keep their bytes.
func TestKeepRaw(t *testing.T) {
	p := newTestParser(t, "")
	p.SetKeepRaw(false)
	parsed := p.Parse([]byte("<13>Oct 11 22:14:15 host app: hi"), goldenSrc, "test", goldenReceived)
	if !parsed.Parsed() || parsed.Raw != nil {
		t.Errorf("parsed message: format %v, Raw %q; want parsed with nil Raw", parsed.Format, parsed.Raw)
	}
	bad := p.Parse([]byte("<192>x"), goldenSrc, "test", goldenReceived)
	if bad.Parsed() || string(bad.Raw) != "<192>x" {
		t.Errorf("unparsed message: format %v, Raw %q; want unparsed with Raw", bad.Format, bad.Raw)
	}
	p.SetKeepRaw(true)
	again := p.Parse([]byte("<13>Oct 11 22:14:15 host app: hi"), goldenSrc, "test", goldenReceived)
	if string(again.Raw) != "<13>Oct 11 22:14:15 host app: hi" {
		t.Errorf("Raw after SetKeepRaw(true) = %q", again.Raw)
	}
}

// TestStampCacheAgreesWithFreshParser: the remembered minute of year-less
// RFC 3164 stamps never shows: every stamp of a sequence that stays in,
// leaves and comes back to a minute, and crosses daylight-saving changes,
// parses as a fresh parser on the go-syslog path (which converts each
// stamp whole) reads it.
func TestStampCacheAgreesWithFreshParser(t *testing.T) {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skipf("no zone data: %v", err)
	}
	now := func() time.Time { return goldenNow }
	cached, err := New(Options{Location: loc, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	for _, stamp := range []string{
		"Oct 11 22:14:15", "Oct 11 22:14:16", "Oct 11 22:14:59.5", "Oct 11 22:15:00", "Oct 11 22:14:15",
		"Oct 12 22:14:15", "Mar 29 01:59:59", "Mar 29 03:00:00", "Oct 25 02:30:00", "Feb 29 12:00:00", "Apr 15 12:00:00",
	} {
		frame := []byte("<13>" + stamp + " host app: m")
		fresh, err := New(Options{Location: loc, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		fresh.noFast = true
		got := cached.Parse(frame, goldenSrc, "t", goldenReceived).Timestamp
		want := fresh.Parse(frame, goldenSrc, "t", goldenReceived).Timestamp
		if !got.Equal(want) || got.Location() != want.Location() {
			t.Errorf("%s: %v after earlier stamps, %v fresh", stamp, got, want)
		}
	}
}
