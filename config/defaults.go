package config

import "time"

// Defaults for keys the file leaves out. A key present in the file keeps
// its value even when it is zero, so "max_connections: 0" is reported
// instead of silently becoming 1024.
const (
	DefaultStatsAddress    = "127.0.0.1:9514"
	DefaultShutdownTimeout = 10 * time.Second
	DefaultMaxMessageBytes = 64 << 10
	MaxMaxMessageBytes     = 16 << 20
	DefaultMaxConnections  = 1024
	DefaultIdleTimeout     = 5 * time.Minute
	DefaultQueueSize       = 10000
	DefaultBatchSize       = 512
	DefaultMaxOpenFiles    = 256
	DefaultSpoolDir        = "spool" // relative to the working directory
	DefaultSpoolMaxBytes   = 1 << 30
	DefaultMaxPending      = 1024
)

func applyDefaults(c *Config, ix *index) {
	def(ix, "stats.address", &c.Stats.Address, DefaultStatsAddress)
	def(ix, "shutdown_timeout", &c.ShutdownTimeout, DefaultShutdownTimeout)
	def(ix, "log.level", &c.Log.Level, "info")
	def(ix, "log.format", &c.Log.Format, "text")
	for i := range c.Listeners {
		l, p := &c.Listeners[i], elem("listeners", i)
		def(ix, p+".format", &l.Format, "auto")
		def(ix, p+".framing", &l.Framing, "auto")
		def(ix, p+".max_message_bytes", &l.MaxMessageBytes, DefaultMaxMessageBytes)
		def(ix, p+".max_connections", &l.MaxConnections, DefaultMaxConnections)
		def(ix, p+".idle_timeout", &l.IdleTimeout, DefaultIdleTimeout)
		def(ix, p+".timezone", &l.Timezone, "Local")
		if l.Protocol == "tls" {
			def(ix, p+".tls.client_auth", &l.TLS.ClientAuth, "none")
		}
	}
	for i := range c.Sinks {
		s, p := &c.Sinks[i], elem("sinks", i)
		def(ix, p+".when_full", &s.WhenFull, "block")
		def(ix, p+".queue_size", &s.QueueSize, DefaultQueueSize)
		def(ix, p+".batch_size", &s.BatchSize, DefaultBatchSize)
		switch s.Type {
		case "file":
			def(ix, p+".format", &s.Format, "rfc3164")
			def(ix, p+".fsync", &s.FSync, "never")
			def(ix, p+".max_open_files", &s.MaxOpenFiles, DefaultMaxOpenFiles)
		case "nats":
			def(ix, p+".format", &s.Format, "json")
			def(ix, p+".mode", &s.Mode, "jetstream")
			def(ix, p+".spool_dir", &s.SpoolDir, DefaultSpoolDir)
			def(ix, p+".spool_max_bytes", &s.SpoolMaxBytes, DefaultSpoolMaxBytes)
			def(ix, p+".max_pending", &s.MaxPending, DefaultMaxPending)
			if s.Stream != nil {
				def(ix, p+".stream.storage", &s.Stream.Storage, "file")
				def(ix, p+".stream.replicas", &s.Stream.Replicas, 1)
			}
		}
	}
}

// def sets *p to v when the file does not set path and nothing else
// (the environment) has set *p either.
func def[T comparable](ix *index, path string, p *T, v T) {
	var zero T
	if *p == zero && !ix.has(path) {
		*p = v
	}
}
