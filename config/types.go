package config

import (
	"net/netip"
	"time"
)

// Every field carries two identical tags: yaml for the node walk (unknown
// keys, types, positions) and mapstructure for viper's strict decode. A
// test checks that they agree. The sink tag lists the sink types a Sink
// key belongs to; keys without it are common to all types.

// Config is a loaded and validated configuration.
type Config struct {
	// File is the source path, or "embedded:default.yaml".
	File            string        `yaml:"-" mapstructure:"-"`
	Listeners       []Listener    `yaml:"listeners" mapstructure:"listeners"`
	Sinks           []Sink        `yaml:"sinks" mapstructure:"sinks"`
	Routes          []Route       `yaml:"routes" mapstructure:"routes"`
	Stats           Stats         `yaml:"stats" mapstructure:"stats"`
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout" mapstructure:"shutdown_timeout"`
	Log             Log           `yaml:"log" mapstructure:"log"`
}

// Listener is one socket that receives syslog frames.
type Listener struct {
	Name            string        `yaml:"name" mapstructure:"name"`
	Protocol        string        `yaml:"protocol" mapstructure:"protocol"` // udp | tcp | tls
	Address         string        `yaml:"address" mapstructure:"address"`   // host:port
	Format          string        `yaml:"format" mapstructure:"format"`     // auto | rfc5424 | rfc3164
	Framing         string        `yaml:"framing" mapstructure:"framing"`   // auto | octet_counting | non_transparent
	MaxMessageBytes int           `yaml:"max_message_bytes" mapstructure:"max_message_bytes"`
	MaxConnections  int           `yaml:"max_connections" mapstructure:"max_connections"`
	IdleTimeout     time.Duration `yaml:"idle_timeout" mapstructure:"idle_timeout"`
	// AllowedSources holds CIDRs; plain IPs become /32 or /128. Empty
	// means everyone.
	AllowedSources []netip.Prefix `yaml:"allowed_sources" mapstructure:"allowed_sources"`
	// Timezone is an IANA name, "Local" or "UTC"; RFC 3164 timestamps carry
	// no zone, so they are read in this one.
	Timezone string `yaml:"timezone" mapstructure:"timezone"`
	TLS      TLS    `yaml:"tls" mapstructure:"tls"`
}

// TLS configures a tls listener.
type TLS struct {
	CertFile     string `yaml:"cert_file" mapstructure:"cert_file"`
	KeyFile      string `yaml:"key_file" mapstructure:"key_file"`
	ClientCAFile string `yaml:"client_ca_file" mapstructure:"client_ca_file"`
	ClientAuth   string `yaml:"client_auth" mapstructure:"client_auth"` // none | request | require
}

// Sink is one destination. Which keys are valid depends on Type.
type Sink struct {
	Name      string `yaml:"name" mapstructure:"name"`
	Type      string `yaml:"type" mapstructure:"type"`             // file | nats | journald
	WhenFull  string `yaml:"when_full" mapstructure:"when_full"`   // block | drop_newest
	QueueSize int    `yaml:"queue_size" mapstructure:"queue_size"` // messages
	BatchSize int    `yaml:"batch_size" mapstructure:"batch_size"` // messages per Write

	Path         string `yaml:"path" mapstructure:"path" sink:"file"` // template
	Format       string `yaml:"format" mapstructure:"format" sink:"file,nats"`
	FSync        string `yaml:"fsync" mapstructure:"fsync" sink:"file"` // never | batch
	MaxOpenFiles int    `yaml:"max_open_files" mapstructure:"max_open_files" sink:"file"`

	URL           StringList  `yaml:"url" mapstructure:"url" sink:"nats"`         // one or a list
	Subject       string      `yaml:"subject" mapstructure:"subject" sink:"nats"` // template
	Mode          string      `yaml:"mode" mapstructure:"mode" sink:"nats"`       // core | jetstream
	User          string      `yaml:"user" mapstructure:"user" sink:"nats"`
	Password      string      `yaml:"password" mapstructure:"password" sink:"nats"`
	Token         string      `yaml:"token" mapstructure:"token" sink:"nats"`
	CredsFile     string      `yaml:"creds_file" mapstructure:"creds_file" sink:"nats"`
	NKeyFile      string      `yaml:"nkey_file" mapstructure:"nkey_file" sink:"nats"`
	CAFile        string      `yaml:"ca_file" mapstructure:"ca_file" sink:"nats"`
	CertFile      string      `yaml:"cert_file" mapstructure:"cert_file" sink:"nats"`
	KeyFile       string      `yaml:"key_file" mapstructure:"key_file" sink:"nats"`
	SpoolDir      string      `yaml:"spool_dir" mapstructure:"spool_dir" sink:"nats"`
	SpoolMaxBytes int         `yaml:"spool_max_bytes" mapstructure:"spool_max_bytes" sink:"nats"`
	MaxPending    int         `yaml:"max_pending" mapstructure:"max_pending" sink:"nats"` // unacknowledged publishes
	Stream        *NATSStream `yaml:"stream" mapstructure:"stream" sink:"nats"`           // created when missing

	Socket    string `yaml:"socket" mapstructure:"socket" sink:"journald"`
	Namespace string `yaml:"namespace" mapstructure:"namespace" sink:"journald"`
	// Fields are static journal fields added to every entry.
	Fields []JournalField `yaml:"fields" mapstructure:"fields" sink:"journald"`
}

// JournalField is one static journal field: a list of {name, value}
// rather than a map, because viper would lowercase the map keys.
type JournalField struct {
	Name  string `yaml:"name" mapstructure:"name"`
	Value string `yaml:"value" mapstructure:"value"`
}

// StringList is a list of strings that a single string may stand for
// ("url: nats://a" or "url: [nats://a, nats://b]").
type StringList []string

// NATSStream is the JetStream stream a nats sink creates if it is missing.
type NATSStream struct {
	Name     string        `yaml:"name" mapstructure:"name"`
	Subjects []string      `yaml:"subjects" mapstructure:"subjects"` // default: subject's first token + ".>"
	Storage  string        `yaml:"storage" mapstructure:"storage"`   // file | memory
	Replicas int           `yaml:"replicas" mapstructure:"replicas"`
	MaxAge   time.Duration `yaml:"max_age" mapstructure:"max_age"` // 0: no limit
}

// Route is one ordered routing rule; see router.Route for the semantics.
type Route struct {
	Name     string   `yaml:"name" mapstructure:"name"`
	Match    Match    `yaml:"match" mapstructure:"match"`
	Sinks    []string `yaml:"sinks" mapstructure:"sinks"`
	Final    bool     `yaml:"final" mapstructure:"final"`
	Fallback bool     `yaml:"fallback" mapstructure:"fallback"`
}

// Match selects messages; see router.Match for the semantics.
type Match struct {
	Facility    []string `yaml:"facility" mapstructure:"facility"`
	MinSeverity string   `yaml:"min_severity" mapstructure:"min_severity"`
	Severity    []string `yaml:"severity" mapstructure:"severity"`
	Hostname    []string `yaml:"hostname" mapstructure:"hostname"`
	AppName     []string `yaml:"app_name" mapstructure:"app_name"`
	Source      []string `yaml:"source" mapstructure:"source"`
	Listener    []string `yaml:"listener" mapstructure:"listener"`
	Message     string   `yaml:"message" mapstructure:"message"`
	Parsed      *bool    `yaml:"parsed" mapstructure:"parsed"`
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
