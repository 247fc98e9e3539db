package daemon

import (
	"time"

	"syslogd/listener/jetstream"
	"syslogd/sinks"
	"syslogd/stats"
)

// Snapshot builds the /stats document from the live counters.
func (d *Daemon) Snapshot() stats.Snapshot {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := stats.Snapshot{
		UptimeSeconds: time.Since(d.started).Seconds(),
		Listeners:     map[string]stats.ListenerStats{},
		Routes:        map[string]stats.RouteStats{},
		Sinks:         map[string]stats.SinkStats{},
	}
	hc := d.hosts.Counts()
	s.Hosts = stats.HostCounts{Tracked: hc.Tracked, Silent: hc.Silent, Evicted: hc.Evicted}
	if d.cfg != nil {
		s.Config = stats.ConfigInfo{
			File: d.cfg.File, LoadedAt: d.loadedAt.UTC().Format(time.RFC3339),
			Reloads: d.reloads, ReloadFailures: d.failures, LastReloadError: d.lastError,
		}
		for _, lc := range d.cfg.Listeners {
			ls := listenerStats(d.reg.listener(lc.Name))
			if lc.Protocol == "jetstream" {
				ls.JetStream = jetStreamStats(&d.reg.listener(lc.Name).js)
			}
			s.Listeners[lc.Name] = ls
		}
		for _, rc := range d.cfg.Routes {
			s.Routes[rc.Name] = stats.RouteStats{Matched: d.reg.route(rc.Name).Load()}
		}
		for _, sc := range d.cfg.Sinks {
			st := sinkStats(d.reg.sink(sc.Name))
			if rs, ok := d.sinks[sc.Name]; ok {
				st.Queued = rs.runner.Queued()
				st.QueueCapacity = rs.runner.QueueSize()
				st.State = "up"
				if rs.runner.Down() {
					st.State = "down"
				}
				if rs.spill != nil {
					n := rs.runner.Buffered()
					st.Buffered = &n
					if rs.spooled {
						st.Spooled = &n
					}
				}
				if _, ok := rs.runner.Sink().(interface{ Resends() }); ok {
					n := d.reg.sink(sc.Name).Resent.Load()
					st.Resent = &n
				}
				if ro, ok := rs.runner.Sink().(interface{ Reopens() uint64 }); ok {
					n := ro.Reopens()
					st.Reopens = &n
				}
			}
			s.Sinks[sc.Name] = st
		}
	}
	// Read totals last-to-first so a frame in flight can make routed lag,
	// never make the sum exceed received.
	s.Totals.Dropped = d.totals.dropped.Load()
	s.Totals.Unmatched = d.totals.unmatched.Load()
	s.Totals.Routed = d.totals.routed.Load()
	s.Totals.Received = d.totals.received.Load()
	return s
}

func listenerStats(c *listenerCounters) stats.ListenerStats {
	return stats.ListenerStats{
		Received: c.received.Load(), Bytes: c.bytes.Load(), ParseErrors: c.parseErrors.Load(),
		Dropped: c.dropped(), Connections: c.sock.Connections.Load(), NoPRI: c.noPRI.Load(),
		TooLarge: c.tooLarge.Load(), RateLimited: c.rateLimited.Load(), Rejected: c.sock.Rejected.Load(), KernelDrops: c.sock.KernelDrops.Load(),
		ReadErrors: c.sock.ReadErrors.Load(), FrameTimeouts: c.sock.FrameTimeouts.Load(),
	}
}

// jetStreamStats are a jetstream listener's own numbers.
func jetStreamStats(m *jetstream.Metrics) *stats.JetStream {
	return &stats.JetStream{
		Acked: m.Acked.Load(), Naked: m.Naked.Load(), Terminated: m.Terminated.Load(),
		Redelivered: m.Redelivered.Load(), InFlight: m.InFlight.Load(), FetchErrors: m.FetchErrors.Load(),
		Connected: m.Connected.Load(), Bound: m.Bound.Load(),
	}
}

func sinkStats(c *sinks.Counters) stats.SinkStats {
	st := stats.SinkStats{
		Enqueued: c.Enqueued.Load(), Written: c.Written.Load(), Failed: c.Failed.Load(), Dropped: c.DroppedTotal(),
		Connected: c.Connected.Load(), Retries: c.Retries.Load(),
	}
	for _, r := range sinks.Reasons() {
		if n := c.Dropped(r); n > 0 {
			if st.DroppedBy == nil {
				st.DroppedBy = map[string]uint64{}
			}
			st.DroppedBy[r.String()] = n
		}
	}
	return st
}

// Unsettled returns, summed over the sinks, the messages handed to a sink
// and not yet written, dropped, buffered or spooled: queued, or in a write
// that has not returned. Exact while the counters do not move.
func (d *Daemon) Unsettled() uint64 {
	var n uint64
	for _, st := range d.Snapshot().Sinks {
		settled := st.Written + st.Dropped
		if st.Buffered != nil {
			settled += uint64(*st.Buffered)
		}
		if st.Enqueued > settled {
			n += st.Enqueued - settled
		}
	}
	return n
}
