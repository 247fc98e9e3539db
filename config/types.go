package config

import (
	"time"

	"syslogd/router"
)

// Every field carries two identical tags: yaml for the node walk (unknown
// keys, types, positions) and mapstructure for the decode. A test checks
// that they agree. Listener and sink options are not here: each stage
// owns its own (see Schema).

// Config is a loaded and validated configuration.
type Config struct {
	// File is the source path, or "embedded:default.yaml".
	File            string         `yaml:"-" mapstructure:"-"`
	Listeners       []Listener     `yaml:"listeners" mapstructure:"-"` // decoded per protocol, not by viper
	Sinks           []Sink         `yaml:"sinks" mapstructure:"-"`     // decoded per type, not by viper
	Routes          []router.Route `yaml:"routes" mapstructure:"routes"`
	Stats           Stats          `yaml:"stats" mapstructure:"stats"`
	ShutdownTimeout time.Duration  `yaml:"shutdown_timeout" mapstructure:"shutdown_timeout"`
	Log             Log            `yaml:"log" mapstructure:"log"`
	Hosts           Hosts          `yaml:"hosts" mapstructure:"hosts"`
	// Warnings are what a stage advises about the file without refusing
	// it ("FILE:LINE:COL: path: reason", as errors are): --check-config
	// prints them, the daemon logs them.
	Warnings []Error `yaml:"-" mapstructure:"-"`
}

// Listener is one configured listener: its name, its protocol and the
// options the schema's row for that protocol decoded.
type Listener struct {
	Name     string  `yaml:"name" mapstructure:"name"`
	Protocol string  `yaml:"protocol" mapstructure:"protocol"`
	Options  Options `yaml:"-" mapstructure:"-"`
}

// Sink is one configured sink: its name, its type and the options the
// schema's row for that type decoded.
type Sink struct {
	Name    string  `yaml:"name" mapstructure:"name"`
	Type    string  `yaml:"type" mapstructure:"type"`
	Options Options `yaml:"-" mapstructure:"-"`
}

// Stats configures the HTTP stats endpoint.
type Stats struct {
	// Address is host:port; "" or "off" disables the endpoint.
	Address string `yaml:"address" mapstructure:"address"`
}

// Enabled reports whether the stats endpoint should be served.
func (s Stats) Enabled() bool { return s.Address != "" && s.Address != "off" }

// Log configures the daemon's own log.
type Log struct {
	Level  string `yaml:"level" mapstructure:"level"`   // debug | info | warn | error
	Format string `yaml:"format" mapstructure:"format"` // text | json
}

// Hosts configures the table of senders the daemon keeps (GET /hosts).
type Hosts struct {
	// MaxTracked bounds the table; beyond it the least recently seen host
	// is evicted (and counted). 0 turns tracking off.
	MaxTracked int `yaml:"max_tracked" mapstructure:"max_tracked"`
	// SilentAfter marks a host that sent before and has been quiet this
	// long as silent; 0 turns silence detection off.
	SilentAfter time.Duration `yaml:"silent_after" mapstructure:"silent_after"`
}
