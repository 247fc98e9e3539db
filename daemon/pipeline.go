package daemon

import (
	"net/netip"
	"sync/atomic"

	"syslogd/hosts"
	"syslogd/listener"
	"syslogd/message"
	"syslogd/parser"
	"syslogd/ratelimit"
	"syslogd/router"
	"syslogd/sinks"
)

// table is one immutable generation of routing: the router, the runners
// its sink indexes point at, and the route counters. A reload publishes a
// new table atomically; handlers load it once per frame.
type table struct {
	router *router.Router
	sinks  []*sinks.Runner
	routes []*atomic.Uint64
	// keepRaw is set when some sink writes the raw format, the only reader
	// of a parsed message's Raw.
	keepRaw bool
}

// handler runs on the goroutine that read the frame: parse, route,
// enqueue. One per listener goroutine, so the parser and the decision
// buffer are reused without locking.
type handler struct {
	table  *atomic.Pointer[table]
	totals *totals
	c      *listenerCounters
	parser *parser.Parser
	name   string
	dec    router.Decision
	ids    *message.IDs
	idr    message.IDRange
	// seer records senders in the daemon's hosts table; limit, when the
	// listener has a rate_limit, is its table of buckets.
	seer  *hosts.Seer
	limit *ratelimit.Limiter
}

func (h *handler) HandleFrame(f *listener.Frame) {
	h.count(len(f.Data))
	t := h.table.Load()
	h.parser.SetKeepRaw(t.keepRaw)
	m := h.parser.Parse(f.Data, f.Source, h.name, f.Received)
	m.ID = h.idr.Next(h.ids)
	if f.Peer.Known {
		m.Peer = message.Peer(f.Peer)
	}
	h.dispatch(t, m)
}

// count counts one received frame (or record) of n bytes.
func (h *handler) count(n int) {
	h.c.received.Add(1)
	h.c.bytes.Add(uint64(n))
	h.totals.received.Add(1)
}

// dispatch counts what the parser made of m, records its sender, holds
// it to the listener's rate limit and routes it.
func (h *handler) dispatch(t *table, m *message.Message) {
	if !m.Parsed() {
		h.c.parseErrors.Add(1)
	}
	if m.NoPRI {
		h.c.noPRI.Add(1)
	}
	src := m.Source.Addr()
	h.seer.Seen(m.Hostname, src, m.Listener, m.Received)
	if h.limit != nil && !h.limit.Allow(m.Hostname, ratelimit.Source{Addr: src, PID: m.Peer.PID}, m.Received) {
		h.c.rateLimited.Add(1)
		h.totals.dropped.Add(1)
		settleNowhere(m, message.Committed) // dropped by configuration, which no retry would change
		return
	}
	route(t, m, &h.dec, h.c, h.totals)
}

// route routes m and hands it to its sinks. A message with a Receipt is
// settled by each sink it goes to, or at once when it goes to none (it is
// not routed by configuration, which no retry would change).
func route(t *table, m *message.Message, dec *router.Decision, c *listenerCounters, totals *totals) {
	t.router.Route(m, dec)
	switch {
	case len(dec.Routes) == 0 && !m.Parsed():
		// No route takes unparsed frames: dropped as parse_error, counted.
		c.parseDropped.Add(1)
		totals.dropped.Add(1)
		settleNowhere(m, message.Reject)
		return
	case len(dec.Routes) == 0:
		totals.unmatched.Add(1)
		settleNowhere(m, message.Committed)
		return
	}
	totals.routed.Add(1)
	for _, r := range dec.Routes {
		t.routes[r].Add(1)
	}
	if m.Receipt != nil {
		m.Receipt.Add(len(dec.Sinks))
	}
	for _, s := range dec.Sinks {
		t.sinks[s].Enqueue(m)
	}
}

// settleNowhere settles the receipt of a message no route takes: done
// with (unmatched) or rejected (unparsed and unrouted).
func settleNowhere(m *message.Message, o message.Outcome) {
	if m.Receipt != nil {
		m.Receipt.Add(1)
		m.Receipt.Settle(o)
	}
}

func (h *handler) HandleOversize(netip.AddrPort, int) {
	h.c.received.Add(1)
	h.c.tooLarge.Add(1)
	h.totals.received.Add(1)
	h.totals.dropped.Add(1)
}

var _ listener.Handler = (*handler)(nil)
