package forward

import (
	"testing"

	"syslogd/message"
	"syslogd/sinks/format"
)

// TestDestination holds Destination's size and verdict to the frames the
// sink encodes.
func TestDestination(t *testing.T) {
	for _, tc := range []struct {
		protocol Protocol
		framing  Framing
		fmt      format.Format
		max      int
		want     Destination
	}{
		{TCP, FramingNonTransparent, format.RFC3164, 1000, Destination{Protocol: "tcp", Framing: "non_transparent", Format: "rfc3164"}},
		{TCP, FramingDefault, format.RFC5424, 1000, Destination{Protocol: "tcp", Framing: "octet_counting", Format: "rfc5424"}},
		{UDP, FramingDefault, format.RFC5424, 10, Destination{Protocol: "udp", Framing: "datagram", Format: "rfc5424", TooLarge: true}},
		{TLS, FramingOctetCounting, format.RFC5424, 1000, Destination{Protocol: "tls", Framing: "octet_counting", Format: "rfc5424", ServerName: "relay.example.com"}},
	} {
		o := DefaultOptions()
		o.Address, o.Protocol, o.Framing, o.Format, o.MaxMessageBytes = "relay.example.com:6514", tc.protocol, tc.framing, tc.fmt, tc.max
		m := numbered(7)
		d, err := o.Destination(m)
		if err != nil {
			t.Fatal(err)
		}
		got := d.(Destination)
		s := &Sink{o: o, enc: format.Encoder{Format: o.Format}}
		s.encode([]*message.Message{m})
		tc.want.Address, tc.want.MaxMessageBytes = o.Address, tc.max
		tc.want.Bytes = len(appendMessage(nil, &s.enc, m))
		if got != tc.want {
			t.Errorf("%v/%v: %+v, want %+v", tc.protocol, tc.framing, got, tc.want)
		}
		if got.TooLarge != (len(s.dropped) == 1) {
			t.Errorf("%v: too_large %v, the sink drops %v", tc.protocol, got.TooLarge, s.dropped)
		}
	}
}
