package daemon

import (
	"net/netip"
	"strconv"
	"strings"
	"time"

	"syslogd/config"
	"syslogd/listener/jetstream"
	"syslogd/message"
	"syslogd/parser"
	"syslogd/sinks/nats"
)

// jetstreamOptions are what a jetstream listener reads: its own options and
// the parser's (for rfc5424 and raw payloads), in one YAML mapping.
type jetstreamOptions struct {
	Listener jetstream.Options `yaml:",inline" mapstructure:",squash"`
	Parser   parser.Config     `yaml:",inline" mapstructure:",squash"`
}

func (o *jetstreamOptions) Check() []error { return append(o.Listener.Check(), o.Parser.Check()...) }

// Relays tells the configuration that messages from this listener keep the
// listener name the edge received them on, so match.listener may name
// listeners of the edge.
func (*jetstreamOptions) Relays() {}

// jetstreamListener is the central tier's row: a durable JetStream consumer
// that edge instances' NATS sinks fill.
func jetstreamListener() listenerType {
	return listenerType{
		name: "jetstream",
		options: func() config.Options {
			return &jetstreamOptions{Listener: jetstream.DefaultOptions(), Parser: parser.DefaultConfig()}
		},
		start: func(d *Daemon, name string, o config.Options) (source, error) {
			jo := o.(*jetstreamOptions)
			popts, err := jo.Parser.Options()
			if err != nil {
				return nil, err
			}
			p, err := parser.New(popts)
			if err != nil {
				return nil, err
			}
			c := d.reg.listener(name)
			h := &recordHandler{handler: handler{table: &d.table, totals: &d.totals, c: c, parser: p, name: name, ids: d.ids, seer: d.hosts.Seer()},
				payload: jo.Listener.Payload}
			l, err := jetstream.Listen(name, jo.Listener, h, &c.js, d.log)
			if err != nil {
				return nil, err
			}
			return l, nil
		},
	}
}

// recordHandler turns what the edge published back into the message the
// edge had, and routes it with its receipt. It runs on the listener's
// fetching goroutine.
type recordHandler struct {
	handler
	payload jetstream.Payload
}

func (h *recordHandler) HandleRecord(r *jetstream.Record) {
	h.count(len(r.Data))
	t := h.table.Load()
	var m *message.Message
	if h.payload == jetstream.PayloadJSON {
		m = new(message.Message)
		if err := parser.DecodeJSON(r.Data, m); err != nil {
			m = &message.Message{Received: r.Stored.UTC(), Format: message.Unparsed, Raw: append([]byte(nil), r.Data...),
				ParseError: "jetstream json payload: " + err.Error(), Listener: h.name}
		}
	} else {
		h.parser.SetKeepRaw(t.keepRaw || h.payload == jetstream.PayloadRaw)
		m = h.parser.Parse(r.Data, origin(r), listenerName(r, h.name), received(r))
	}
	m.ID = recordID(r)
	m.Receipt = r.Receipt
	h.dispatch(t, m)
}

// origin is the edge's sender address from its Syslog-Source header (the
// port is not carried).
func origin(r *jetstream.Record) netip.AddrPort {
	a, err := netip.ParseAddr(r.Header.Get(nats.HeaderSource))
	if err != nil {
		return netip.AddrPort{}
	}
	return netip.AddrPortFrom(a, 0)
}

// listenerName is the edge's listener, from its Syslog-Listener header, or
// this listener's name.
func listenerName(r *jetstream.Record, own string) string {
	if n := r.Header.Get(nats.HeaderListener); n != "" {
		return n
	}
	return own
}

// received is the edge's receipt time from its Syslog-Received header, or
// when the stream stored the message.
func received(r *jetstream.Record) time.Time {
	if t, err := time.Parse(time.RFC3339Nano, r.Header.Get(nats.HeaderReceived)); err == nil {
		return t.UTC()
	}
	return r.Stored.UTC()
}

// recordID is the message ID the edge gave it (the end of its
// Nats-Msg-Id, "<sink>-<id in base 36>"), so that a central NATS sink
// publishes a redelivered message under the same ID as before; without
// one, the stream sequence, which redelivery keeps too.
func recordID(r *jetstream.Record) uint64 {
	id := r.Header.Get(nats.HeaderMsgID)
	if i := strings.LastIndexByte(id, '-'); i >= 0 {
		if n, err := strconv.ParseUint(id[i+1:], 36, 64); err == nil && n != 0 {
			return n
		}
	}
	return r.Sequence
}

var _ jetstream.Handler = (*recordHandler)(nil)
