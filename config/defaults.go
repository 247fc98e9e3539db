package config

import "time"

// Defaults of the keys config itself owns. Listener and sink defaults live
// with their stages (Kind.New). The file's keys are decoded over these, so
// a key present in the file keeps its value even when it is zero or empty:
// "shutdown_timeout: 0s" is reported instead of silently becoming 10s.
const (
	DefaultStatsAddress    = "127.0.0.1:9514"
	DefaultShutdownTimeout = 10 * time.Second
	DefaultHostsMaxTracked = 10000
)

func defaults() Config {
	return Config{
		Stats:           Stats{Address: DefaultStatsAddress},
		ShutdownTimeout: DefaultShutdownTimeout,
		Log:             Log{Level: "info", Format: "text"},
		Hosts:           Hosts{MaxTracked: DefaultHostsMaxTracked},
	}
}
