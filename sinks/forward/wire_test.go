package forward

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"syslogd/message"
	"syslogd/sinks"
	"syslogd/sinks/format"
)

// wireMessages are sent by TestWire; wireWant holds what the server must
// read for them, byte for byte, in each format.
func wireMessages() []*message.Message {
	recv := time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)
	return []*message.Message{
		{ // RFC 5424 §6.5, example 3
			Received: recv, Timestamp: time.Date(2003, 10, 11, 22, 14, 15, 3_000_000, time.UTC),
			Facility: 20, Severity: 5, Hostname: "mymachine.example.com", AppName: "evntslog", MsgID: "ID47",
			StructuredData: []message.SDElement{{ID: "exampleSDID@32473", Params: []message.SDParam{
				{Name: "iut", Value: "3"}, {Name: "eventSource", Value: "Application"}, {Name: "eventID", Value: "1011"}}}},
			Text: "An application event log entry...", Format: message.RFC5424,
		},
		{ // an RFC 3164 message with a PID
			Received: recv, Timestamp: time.Date(2024, 3, 5, 9, 5, 3, 0, time.UTC),
			Facility: 4, Severity: 2, Hostname: "web01", AppName: "su", ProcID: "123",
			Text: "'su root' failed for lonvick on /dev/pts/8", Format: message.RFC3164,
		},
		{ // a newline, an SD value to escape, a sender's own offset
			Received: recv, Timestamp: time.Date(2024, 1, 2, 3, 4, 5, 500_000_000, time.FixedZone("", 3600)),
			Facility: 1, Severity: 6, Hostname: "h", AppName: "app", ProcID: "7", MsgID: "m",
			StructuredData: []message.SDElement{{ID: "x@1", Params: []message.SDParam{{Name: "k", Value: `a"b]c`}}}},
			Text:           "line one\nline two", Format: message.RFC5424,
		},
		{ // no hostname and no app: rfc3164 names the sender, rfc5424 says "-"
			Received: recv, Facility: 16, Severity: 3, Source: netip.MustParseAddrPort("192.0.2.7:514"), Text: "bare", Format: message.RFC3164,
		},
	}
}

var wireWant = map[format.Format][]string{
	format.RFC5424: {
		`<165>1 2003-10-11T22:14:15.003000Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] An application event log entry...`,
		`<34>1 2024-03-05T09:05:03.000000Z web01 su 123 - - 'su root' failed for lonvick on /dev/pts/8`,
		`<14>1 2024-01-02T03:04:05.500000+01:00 h app 7 m [x@1 k="a\"b\]c"] line one\nline two`,
		`<131>1 2024-06-01T12:00:00.000000Z - - - - - bare`,
	},
	// rfc3164 stamps are in time.Local, testZone (UTC+2) here.
	format.RFC3164: {
		`<165>Oct 12 00:14:15 mymachine.example.com evntslog: An application event log entry...`,
		`<34>Mar  5 11:05:03 web01 su[123]: 'su root' failed for lonvick on /dev/pts/8`,
		`<14>Jan  2 04:04:05 h app[7]: line one\nline two`,
		`<131>Jun  1 14:00:00 192.0.2.7 bare`,
	},
}

// TestWire sends the messages over every protocol and framing, in both
// formats, to a server that reads them strictly, and compares the bytes.
func TestWire(t *testing.T) {
	p := newPKI(t)
	for _, tc := range []struct {
		name     string
		protocol Protocol
		framing  Framing
	}{
		{"udp", UDP, FramingDefault},
		{"tcp/default", TCP, FramingDefault},
		{"tcp/octet_counting", TCP, FramingOctetCounting},
		{"tcp/non_transparent", TCP, FramingNonTransparent},
		{"tls/octet_counting", TLS, FramingDefault},
		{"tls/non_transparent", TLS, FramingNonTransparent},
	} {
		for _, f := range []format.Format{format.RFC5424, format.RFC3164} {
			t.Run(tc.name+"/"+f.String(), func(t *testing.T) {
				o := DefaultOptions()
				o.Protocol, o.Framing, o.Format = tc.protocol, tc.framing, f
				var frames <-chan frame
				switch tc.protocol {
				case UDP:
					srv := startUDP(t)
					o.Address, frames = srv.pc.LocalAddr().String(), srv.frames
				case TLS:
					// A client certificate too, which the server requires.
					srv := startStream(t, "127.0.0.1:0", effective(tc.framing), p.server(true))
					o.Address, frames = srv.addr(), srv.frames
					o.TLS = &TLSOptions{CAFile: p.caFile, CertFile: p.clientCert, KeyFile: p.clientKey}
				default:
					srv := startStream(t, "127.0.0.1:0", effective(tc.framing), nil)
					o.Address, frames = srv.addr(), srv.frames
				}
				s := connected(t, o)
				// Two writes: the second batch follows the first on the
				// same stream.
				msgs := wireMessages()
				for _, batch := range [][]*message.Message{msgs[:1], msgs[1:]} {
					if err := s.Write(context.Background(), batch); err != nil {
						t.Fatal(err)
					}
				}
				var got []string
				for _, fr := range receive(t, frames, len(msgs)) {
					got = append(got, fr.data)
				}
				if !slices.Equal(got, wireWant[f]) {
					t.Errorf("received:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wireWant[f], "\n"))
				}
			})
		}
	}
}

// effective is the framing a stream gets for a configured one.
func effective(f Framing) Framing {
	if f == FramingDefault {
		return FramingOctetCounting
	}
	return f
}

func connected(t *testing.T, o Options) *Sink {
	t.Helper()
	s, err := New(o, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(context.Background()) })
	return s
}

// A message longer than max_message_bytes is not sent, and reported
// dropped; the others of its batch are.
func TestTooLongIsDropped(t *testing.T) {
	for _, protocol := range []Protocol{UDP, TCP} {
		t.Run(protocol.String(), func(t *testing.T) {
			o := DefaultOptions()
			o.Protocol, o.MaxMessageBytes = protocol, 100
			var frames <-chan frame
			if protocol == UDP {
				srv := startUDP(t)
				o.Address, frames = srv.pc.LocalAddr().String(), srv.frames
			} else {
				srv := startStream(t, "127.0.0.1:0", FramingOctetCounting, nil)
				o.Address, frames = srv.addr(), srv.frames
			}
			s := connected(t, o)
			long := numbered(1)
			long.Text = strings.Repeat("x", 100)
			err := s.Write(context.Background(), []*message.Message{numbered(0), long, numbered(2)})
			be, ok := errors.AsType[*sinks.BatchError](err)
			if !ok || !slices.Equal(be.Dropped, []int{1}) || len(be.Failed) != 0 || be.Reason != sinks.ReasonSinkError ||
				errors.Is(err, sinks.ErrNotConnected) {
				t.Fatalf("Write: %v, want message 1 dropped as sink_error", err)
			}
			got := receive(t, frames, 2)
			if numberOf(t, got[0].data) != 0 || numberOf(t, got[1].data) != 2 {
				t.Fatalf("received %+v", got)
			}
		})
	}
}

// The server's certificate is checked against server_name (by default
// the address's host): a name it does not carry fails the handshake, and
// the failure makes the Runner retry.
func TestTLSVerifiesServerName(t *testing.T) {
	p := newPKI(t)
	srv := startStream(t, "127.0.0.1:0", FramingOctetCounting, p.server(false))
	o := DefaultOptions()
	o.Address, o.Protocol = srv.addr(), TLS
	o.TLS = &TLSOptions{CAFile: p.caFile, ServerName: "logs.example.com"}
	s, err := New(o, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	err = s.Connect(context.Background())
	if !errors.Is(err, sinks.ErrNotConnected) || !strings.Contains(err.Error(), "logs.example.com") {
		t.Fatalf("Connect: %v, want a certificate error, not connected", err)
	}
	// Without a CA the system roots do not know the test CA either.
	o.TLS = nil
	s2, err := New(o, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close(context.Background())
	if err := s2.Connect(context.Background()); !errors.Is(err, sinks.ErrNotConnected) {
		t.Fatalf("Connect with system roots: %v", err)
	}
}

// Close shuts down the sending side and waits for the server to close:
// once it returns, the server has read everything.
func TestCloseWaitsForTheServer(t *testing.T) {
	srv := startStream(t, "127.0.0.1:0", FramingNonTransparent, nil)
	o := DefaultOptions()
	o.Address, o.Framing = srv.addr(), FramingNonTransparent
	s, err := New(o, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.Write(context.Background(), numberedRange(0, 500)); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.frames); n != 500 {
		t.Fatalf("the server had read %d of 500 frames when Close returned", n)
	}
	if err := s.Write(context.Background(), numberedRange(0, 1)); err == nil {
		t.Fatal("Write after Close succeeded")
	}
}

// The TLS files are read again for every connection: a CA bundle (or a
// client certificate) renewed on disk applies from the next one, without
// a reload; a file that cannot be read meanwhile leaves the last one.
func TestTLSFilesReadPerConnection(t *testing.T) {
	old, renewed := newPKI(t), newPKI(t)
	srv := startStream(t, "127.0.0.1:0", FramingOctetCounting, renewed.server(false))
	ca := filepath.Join(t.TempDir(), "ca.pem")
	copyFile(t, old.caFile, ca)
	o := DefaultOptions()
	o.Address, o.Protocol, o.TLS = srv.addr(), TLS, &TLSOptions{CAFile: ca}
	s, err := New(o, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	if err := s.Connect(context.Background()); !errors.Is(err, sinks.ErrNotConnected) {
		t.Fatalf("Connect with the old CA: %v", err)
	}
	copyFile(t, renewed.caFile, ca)
	if err := s.Connect(context.Background()); err != nil {
		t.Fatalf("Connect with the renewed CA: %v", err)
	}
	if err := s.Write(context.Background(), numberedRange(0, 1)); err != nil {
		t.Fatal(err)
	}
	receive(t, srv.frames, 1)
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err == nil {
		err = os.WriteFile(to, b, 0o600)
	}
	if err != nil {
		t.Fatal(err)
	}
}
