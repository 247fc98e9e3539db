package forward

import (
	"strconv"

	"syslogd/message"
	"syslogd/sinks"
	"syslogd/sinks/format"
)

// Destination is the server a message would be relayed to, and how.
type Destination struct {
	Protocol string `json:"protocol"` // udp, tcp or tls
	Address  string `json:"address"`
	// Framing is octet_counting or non_transparent on a stream, datagram
	// on udp.
	Framing string `json:"framing"`
	Format  string `json:"format"`
	// ServerName is the name a tls server's certificate must carry; ""
	// for udp and tcp.
	ServerName string `json:"server_name"`
	// Bytes is the size of the message as sent, framing not counted;
	// TooLarge reports that it exceeds MaxMessageBytes, so the sink drops
	// it instead.
	Bytes           int  `json:"bytes"`
	MaxMessageBytes int  `json:"max_message_bytes"`
	TooLarge        bool `json:"too_large"`
}

// String reads "syslog PROTOCOL ADDRESS, FRAMING, FORMAT (N bytes)".
func (d Destination) String() string {
	s := "syslog " + d.Protocol + " " + sinks.Printable(d.Address) + ", " + d.Framing + ", " + d.Format
	if d.ServerName != "" {
		s += ", server name " + sinks.Printable(d.ServerName)
	}
	s += " (" + strconv.Itoa(d.Bytes) + " bytes)"
	if d.TooLarge {
		s += "\ntoo large: dropped, not sent (max_message_bytes " + strconv.Itoa(d.MaxMessageBytes) + ")"
	}
	return s
}

// Destination returns where and how the sink configured with o relays m:
// the message encoded as Write encodes it, without dialling.
func (o *Options) Destination(m *message.Message) (sinks.Destination, error) {
	n := len(appendMessage(nil, &format.Encoder{Format: o.Format}, m))
	d := Destination{
		Protocol: o.Protocol.String(), Address: o.Address, Framing: o.Framing.String(), Format: o.Format.String(),
		Bytes: n, MaxMessageBytes: o.MaxMessageBytes, TooLarge: n > o.MaxMessageBytes,
	}
	switch o.Protocol {
	case UDP:
		d.Framing = "datagram"
	case TLS:
		d.ServerName = o.serverName()
	}
	return d, nil
}

var _ sinks.Explainer = (*Options)(nil)
