package listener

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net/netip"
	"time"
)

// Defaults applied by Listen to zero Config fields.
const (
	DefaultMaxMessageBytes = 65536
	DefaultMaxConnections  = 1024
	DefaultIdleTimeout     = 5 * time.Minute
)

// Config describes one listener. Listen applies the defaults to zero fields.
type Config struct {
	Name            string
	Protocol        string // "udp" | "tcp" | "tls"
	Address         string // host:port; port 0 picks a free port
	Framing         Framing
	MaxMessageBytes int            // default 65536 if 0
	MaxConnections  int            // tcp/tls; default 1024 if 0
	IdleTimeout     time.Duration  // tcp/tls; default 5m if 0
	AllowedSources  []netip.Prefix // empty = everyone
	TLS             *tls.Config    // required for "tls"
}

// withDefaults validates cfg and fills in the defaults.
func (cfg Config) withDefaults() (Config, error) {
	switch cfg.Protocol {
	case "udp", "tcp":
	case "tls":
		if cfg.TLS == nil {
			return cfg, errors.New("protocol tls needs a TLS config")
		}
	default:
		return cfg, fmt.Errorf("unknown protocol %q (want udp, tcp or tls)", cfg.Protocol)
	}
	if cfg.Framing > FramingNonTransparent {
		return cfg, fmt.Errorf("unknown framing %v", cfg.Framing)
	}
	if cfg.MaxMessageBytes < 0 || cfg.MaxConnections < 0 || cfg.IdleTimeout < 0 {
		return cfg, errors.New("max_message_bytes, max_connections and idle_timeout must not be negative")
	}
	if cfg.MaxMessageBytes == 0 {
		cfg.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if cfg.MaxConnections == 0 {
		cfg.MaxConnections = DefaultMaxConnections
	}
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	for i, p := range cfg.AllowedSources {
		if !p.IsValid() {
			return cfg, fmt.Errorf("allowed_sources[%d] is not a valid prefix", i)
		}
		cfg.AllowedSources[i] = p.Masked()
	}
	return cfg, nil
}

// allowed reports whether src may send. IPv4 clients of a dual-stack socket
// appear as ::ffff:a.b.c.d; callers unmap them first so that an IPv4 prefix
// matches them.
func allowed(prefixes []netip.Prefix, src netip.Addr) bool {
	if len(prefixes) == 0 {
		return true
	}
	for _, p := range prefixes {
		if p.Contains(src) {
			return true
		}
	}
	return false
}
