// Package stats serves the daemon's numbers over HTTP: JSON /stats,
// Prometheus /metrics, /healthz and /readyz. It knows nothing of the
// pipeline; the daemon hands it a snapshot function and a gatherer.
package stats

// Snapshot is the /stats document (README.md "Stats reference").
type Snapshot struct {
	UptimeSeconds float64                  `json:"uptime_seconds"`
	Config        ConfigInfo               `json:"config"`
	Totals        Totals                   `json:"totals"`
	Listeners     map[string]ListenerStats `json:"listeners"`
	Routes        map[string]RouteStats    `json:"routes"`
	Sinks         map[string]SinkStats     `json:"sinks"`
	Hosts         HostCounts               `json:"hosts"`
}

// HostCounts are the hosts table's totals (GET /hosts lists the hosts).
type HostCounts struct {
	Tracked int    `json:"tracked"`
	Silent  int    `json:"silent"`
	Evicted uint64 `json:"evicted"`
}

// ConfigInfo describes the running configuration and reload history.
type ConfigInfo struct {
	File            string `json:"file"`
	LoadedAt        string `json:"loaded_at"`
	Reloads         uint64 `json:"reloads"`
	ReloadFailures  uint64 `json:"reload_failures"`
	LastReloadError string `json:"last_reload_error"`
}

// Totals balance: Received = Routed + Unmatched + Dropped.
type Totals struct {
	Received  uint64 `json:"received"`
	Routed    uint64 `json:"routed"`
	Unmatched uint64 `json:"unmatched"`
	Dropped   uint64 `json:"dropped"`
}

// ListenerStats are per listener. Dropped counts frames that never reached
// routing: too_large, rate_limited, and parse_error when no route takes
// unparsed frames.
type ListenerStats struct {
	Received    uint64 `json:"received"`
	Bytes       uint64 `json:"bytes"`
	ParseErrors uint64 `json:"parse_errors"`
	Dropped     uint64 `json:"dropped"`
	Connections int64  `json:"connections"`
	NoPRI       uint64 `json:"no_pri"`
	TooLarge    uint64 `json:"too_large"`
	RateLimited uint64 `json:"rate_limited"`
	Rejected    uint64 `json:"rejected"`
	KernelDrops uint64 `json:"kernel_drops"`
	ReadErrors  uint64 `json:"read_errors"`
	// FrameTimeouts counts connections closed for taking longer than
	// frame_timeout to send one frame (tcp/tls).
	FrameTimeouts uint64 `json:"frame_timeouts"`
	// JetStream is set for jetstream listeners only.
	*JetStream
}

// JetStream are a jetstream listener's own numbers: received = acked +
// naked + terminated + in_flight whenever nothing is being settled; a
// redelivered message is received again.
type JetStream struct {
	Acked       uint64 `json:"acked"`
	Naked       uint64 `json:"naked"`
	Terminated  uint64 `json:"terminated"`
	Redelivered uint64 `json:"redelivered"`
	InFlight    int64  `json:"in_flight"`
	FetchErrors uint64 `json:"fetch_errors"`
	Connected   bool   `json:"connected"`
	Bound       bool   `json:"bound"`
}

// RouteStats are per route.
type RouteStats struct {
	Matched uint64 `json:"matched"`
}

// SinkStats are per sink.
type SinkStats struct {
	Enqueued uint64 `json:"enqueued"` // = written + dropped + queued + buffered, when idle
	Written  uint64 `json:"written"`
	Failed   uint64 `json:"failed"`
	Dropped  uint64 `json:"dropped"`
	Queued   int    `json:"queued"`
	// QueueCapacity is queue_size: queued against it shows how full it is.
	QueueCapacity int               `json:"queue_capacity"`
	Spooled       *int64            `json:"spooled,omitempty"`  // NATS sinks only: the same as buffered, their disk buffer's old name
	Buffered      *int64            `json:"buffered,omitempty"` // sinks with a disk buffer only
	Reopens       *uint64           `json:"reopens,omitempty"`  // file sinks: SIGUSR1, and files found removed or renamed away
	Resent        *uint64           `json:"resent,omitempty"`   // syslog sinks: messages written again after a connection died (may arrive twice)
	Connected     bool              `json:"connected"`
	State         string            `json:"state"` // up | down (disconnected, or stalled with a full queue)
	Retries       uint64            `json:"retries"`
	DroppedBy     map[string]uint64 `json:"dropped_by_reason,omitempty"`
}
