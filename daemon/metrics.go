package daemon

import (
	"runtime"

	"github.com/prometheus/client_golang/prometheus"

	"syslogd/sinks"
)

// collector exports the daemon's atomic counters at scrape time, so /stats
// and /metrics read the same numbers and the hot path touches only atomics.
// Labels come from config names only, never from message content.
type collector struct {
	d     *Daemon
	descs map[string]*prometheus.Desc
}

type metricDef struct {
	name, help string
	labels     []string
}

var metricDefs = []metricDef{
	{"syslogd_messages_received_total", "Frames received on all listeners.", nil},
	{"syslogd_messages_routed_total", "Messages that matched at least one route.", nil},
	{"syslogd_messages_unmatched_total", "Parsed messages that matched no route.", nil},
	{"syslogd_messages_dropped_total", "Frames dropped before routing (too_large, rate_limited, parse_error).", nil},
	{"syslogd_listener_received_total", "Frames received.", []string{"listener"}},
	{"syslogd_listener_bytes_total", "Frame bytes received.", []string{"listener"}},
	{"syslogd_listener_parse_errors_total", "Frames that failed to parse (kept as unparsed).", []string{"listener"}},
	{"syslogd_listener_no_pri_total", "Frames without PRI, given user.notice.", []string{"listener"}},
	{"syslogd_listener_dropped_total", "Frames dropped before routing.", []string{"listener", "reason"}},
	{"syslogd_listener_connections", "Open connections.", []string{"listener"}},
	{"syslogd_listener_connections_total", "Accepted connections.", []string{"listener"}},
	{"syslogd_listener_rejected_total", "Connections or datagrams refused by allowed_sources or max_connections.", []string{"listener"}},
	{"syslogd_listener_kernel_drops_total", "Datagrams the kernel dropped because the socket buffer was full.", []string{"listener"}},
	{"syslogd_listener_read_errors_total", "Read and TLS handshake errors.", []string{"listener"}},
	{"syslogd_listener_frame_timeouts_total", "Connections closed for taking longer than frame_timeout to send one frame.", []string{"listener"}},
	{"syslogd_listener_jetstream_acks_total", "Acknowledgements a jetstream listener sent, by kind (ack, nak, term).", []string{"listener", "kind"}},
	{"syslogd_listener_jetstream_redelivered_total", "Messages a jetstream listener received again.", []string{"listener"}},
	{"syslogd_listener_jetstream_in_flight", "Messages a jetstream listener fetched and has not settled.", []string{"listener"}},
	{"syslogd_listener_jetstream_bound", "1 while a jetstream listener is bound to its consumer.", []string{"listener"}},
	{"syslogd_route_matched_total", "Messages matched by the route.", []string{"route"}},
	{"syslogd_sink_enqueued_total", "Messages handed to the sink's queue.", []string{"sink"}},
	{"syslogd_sink_written_total", "Messages written by the sink.", []string{"sink"}},
	{"syslogd_sink_failed_total", "Messages in failed write attempts.", []string{"sink"}},
	{"syslogd_sink_retries_total", "Retried write attempts.", []string{"sink"}},
	{"syslogd_sink_dropped_total", "Messages dropped by the sink.", []string{"sink", "reason"}},
	{"syslogd_sink_queued", "Messages waiting in the sink queue.", []string{"sink"}},
	{"syslogd_sink_spooled", "Messages in the sink's disk spool (NATS sinks).", []string{"sink"}},
	{"syslogd_sink_buffered", "Messages in the sink's disk buffer.", []string{"sink"}},
	{"syslogd_sink_resent_total", "Messages written again after the connection they went out on died (syslog sinks' resend_window); the receiver may have them twice.", []string{"sink"}},
	{"syslogd_sink_reopens_total", "File reopens: SIGUSR1, and files found removed or renamed away (file sinks).", []string{"sink"}},
	{"syslogd_sink_connected", "1 when the sink's destination is reachable.", []string{"sink"}},
	{"syslogd_sink_up", "1 while the sink is up; 0 while it is down (disconnected, or stalled with a full queue) and new messages that find its queue full are dropped.", []string{"sink"}},
	{"syslogd_sink_queue_capacity", "The sink queue's capacity in messages (queue_size).", []string{"sink"}},
	{"syslogd_hosts_tracked", "Senders in the hosts table (GET /hosts).", nil},
	{"syslogd_hosts_silent", "Tracked senders quiet for hosts.silent_after.", nil},
	{"syslogd_hosts_evicted_total", "Senders evicted from the hosts table to stay within hosts.max_tracked.", nil},
	{"syslogd_config_reloads_total", "Successful reloads.", nil},
	{"syslogd_config_last_reload_successful", "1 unless the last reload was rejected (then the previous configuration runs).", nil},
	{"syslogd_build_info", "Always 1; the labels say which build runs.", []string{"version", "goversion"}},
	{"syslogd_config_reload_failures_total", "Rejected reloads.", nil},
}

func newCollector(d *Daemon) *collector {
	c := &collector{d: d, descs: map[string]*prometheus.Desc{}}
	for _, m := range metricDefs {
		c.descs[m.name] = prometheus.NewDesc(m.name, m.help, m.labels, nil)
	}
	return c
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	s := c.d.Snapshot()
	counter := func(name string, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(c.descs[name], prometheus.CounterValue, v, labels...)
	}
	gauge := func(name string, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(c.descs[name], prometheus.GaugeValue, v, labels...)
	}
	counter("syslogd_messages_received_total", float64(s.Totals.Received))
	counter("syslogd_messages_routed_total", float64(s.Totals.Routed))
	counter("syslogd_messages_unmatched_total", float64(s.Totals.Unmatched))
	counter("syslogd_messages_dropped_total", float64(s.Totals.Dropped))
	counter("syslogd_config_reloads_total", float64(s.Config.Reloads))
	counter("syslogd_config_reload_failures_total", float64(s.Config.ReloadFailures))
	gauge("syslogd_config_last_reload_successful", b2f(s.Config.LastReloadError == ""))
	gauge("syslogd_build_info", 1, c.d.version, runtime.Version())
	gauge("syslogd_hosts_tracked", float64(s.Hosts.Tracked))
	gauge("syslogd_hosts_silent", float64(s.Hosts.Silent))
	counter("syslogd_hosts_evicted_total", float64(s.Hosts.Evicted))
	for name, l := range s.Listeners {
		lc := c.d.reg.listener(name)
		counter("syslogd_listener_received_total", float64(l.Received), name)
		counter("syslogd_listener_bytes_total", float64(l.Bytes), name)
		counter("syslogd_listener_parse_errors_total", float64(l.ParseErrors), name)
		counter("syslogd_listener_no_pri_total", float64(l.NoPRI), name)
		counter("syslogd_listener_dropped_total", float64(l.TooLarge), name, "too_large")
		counter("syslogd_listener_dropped_total", float64(lc.parseDropped.Load()), name, "parse_error")
		counter("syslogd_listener_dropped_total", float64(l.RateLimited), name, "rate_limited")
		gauge("syslogd_listener_connections", float64(l.Connections), name)
		counter("syslogd_listener_connections_total", float64(lc.sock.ConnectionsTotal.Load()), name)
		counter("syslogd_listener_rejected_total", float64(l.Rejected), name)
		counter("syslogd_listener_kernel_drops_total", float64(l.KernelDrops), name)
		counter("syslogd_listener_read_errors_total", float64(l.ReadErrors), name)
		counter("syslogd_listener_frame_timeouts_total", float64(l.FrameTimeouts), name)
		if js := l.JetStream; js != nil {
			counter("syslogd_listener_jetstream_acks_total", float64(js.Acked), name, "ack")
			counter("syslogd_listener_jetstream_acks_total", float64(js.Naked), name, "nak")
			counter("syslogd_listener_jetstream_acks_total", float64(js.Terminated), name, "term")
			counter("syslogd_listener_jetstream_redelivered_total", float64(js.Redelivered), name)
			gauge("syslogd_listener_jetstream_in_flight", float64(js.InFlight), name)
			gauge("syslogd_listener_jetstream_bound", b2f(js.Bound), name)
		}
	}
	for name, r := range s.Routes {
		counter("syslogd_route_matched_total", float64(r.Matched), name)
	}
	for name, st := range s.Sinks {
		sc := c.d.reg.sink(name)
		counter("syslogd_sink_enqueued_total", float64(st.Enqueued), name)
		counter("syslogd_sink_written_total", float64(st.Written), name)
		counter("syslogd_sink_failed_total", float64(st.Failed), name)
		counter("syslogd_sink_retries_total", float64(st.Retries), name)
		for _, r := range sinks.Reasons() {
			counter("syslogd_sink_dropped_total", float64(sc.Dropped(r)), name, r.String())
		}
		gauge("syslogd_sink_queued", float64(st.Queued), name)
		gauge("syslogd_sink_queue_capacity", float64(st.QueueCapacity), name)
		if st.Buffered != nil {
			gauge("syslogd_sink_buffered", float64(*st.Buffered), name)
		}
		if st.Resent != nil {
			counter("syslogd_sink_resent_total", float64(*st.Resent), name)
		}
		if st.Reopens != nil {
			counter("syslogd_sink_reopens_total", float64(*st.Reopens), name)
		}
		if st.Spooled != nil {
			gauge("syslogd_sink_spooled", float64(*st.Spooled), name)
		}
		gauge("syslogd_sink_connected", b2f(st.Connected), name)
		gauge("syslogd_sink_up", b2f(st.State == "up"), name)
	}
}

// b2f is a boolean gauge's value.
func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
