package listener

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Options describe one listener as configured. The struct, its defaults
// and its checks live here, once: the configuration decodes the file's
// keys over DefaultOptions and reports Check's errors at their keys, and
// Listen runs the same Check.
type Options struct {
	// Protocol is one of Protocols. It is the listener's type, not one
	// of its keys: DefaultOptions sets it.
	Protocol        string        `yaml:"-" mapstructure:"-"`
	Address         string        `yaml:"address" mapstructure:"address"` // host:port (port 0 picks a free port), a path (unix), or systemd:NAME
	Framing         Framing       `yaml:"framing" mapstructure:"framing"` // tcp/tls
	MaxMessageBytes int           `yaml:"max_message_bytes" mapstructure:"max_message_bytes"`
	MaxConnections  int           `yaml:"max_connections" mapstructure:"max_connections"` // tcp/tls
	IdleTimeout     time.Duration `yaml:"idle_timeout" mapstructure:"idle_timeout"`       // tcp/tls; 0 means never
	// FrameTimeout bounds the time one frame may take to arrive (tcp/tls):
	// a sender dribbling bytes keeps resetting the idle timeout, not this.
	FrameTimeout time.Duration `yaml:"frame_timeout" mapstructure:"frame_timeout"`
	// AllowedSources holds prefixes (plain IPs are /32 or /128, see
	// message.ParsePrefix); empty means everyone.
	AllowedSources []netip.Prefix `yaml:"allowed_sources" mapstructure:"allowed_sources"`
	// TLS is required for protocol tls and refused for the others.
	TLS *TLSOptions `yaml:"tls" mapstructure:"tls"`
	// Mode is the permission of the socket file of a unix or unixgram
	// listener (octal, "0666" by default); refused for the others.
	Mode string `yaml:"mode" mapstructure:"mode"`
}

// TLSOptions name the files of a tls listener and who may connect. The
// ",file" flag tells the configuration to check that the file can be
// read; Check parses what it can read.
type TLSOptions struct {
	CertFile     string     `yaml:"cert_file,file" mapstructure:"cert_file"`
	KeyFile      string     `yaml:"key_file,file" mapstructure:"key_file"`
	ClientCAFile string     `yaml:"client_ca_file,file" mapstructure:"client_ca_file"`
	ClientAuth   ClientAuth `yaml:"client_auth" mapstructure:"client_auth"`
	// AllowedNames, when set, admits only clients whose certificate names
	// one of these: exact host names or "*.example.com" (one left-most
	// label), matched against its DNS names, or its common name when it
	// has none (see matchName). Needs client_auth require.
	AllowedNames []string `yaml:"allowed_names,scalar" mapstructure:"allowed_names"`
	// HandshakeTimeout bounds the TLS handshake, from accept to its end.
	HandshakeTimeout time.Duration `yaml:"handshake_timeout" mapstructure:"handshake_timeout"`
}

// SetDefaults fills a tls block the configuration names.
func (t *TLSOptions) SetDefaults() { t.HandshakeTimeout = DefaultHandshakeTimeout }

// Defaults and limits.
const (
	DefaultMaxMessageBytes = 64 << 10
	MaxMaxMessageBytes     = 16 << 20
	DefaultMaxConnections  = 1024
	DefaultIdleTimeout     = 5 * time.Minute
	DefaultFrameTimeout    = 30 * time.Second
	// DefaultHandshakeTimeout is as long as the idle timeout: some senders
	// connect long before their first message and send their ClientHello
	// only with it (syslog-ng's TLS destination connects at start), so a
	// short bound would close them over and over; a client that connects
	// and stays silent holds a slot no longer than an idle one would.
	DefaultHandshakeTimeout = DefaultIdleTimeout
)

// Protocols lists the protocols this package serves.
var Protocols = []string{"udp", "tcp", "tls", "unix", "unixgram"}

// DefaultOptions returns the settings of a listener of protocol that the
// configuration leaves at their defaults.
func DefaultOptions(protocol string) Options {
	mode := ""
	if isUnix(protocol) {
		mode = DefaultMode
	}
	return Options{
		Protocol:        protocol,
		Mode:            mode,
		MaxMessageBytes: DefaultMaxMessageBytes,
		MaxConnections:  DefaultMaxConnections,
		IdleTimeout:     DefaultIdleTimeout,
		FrameTimeout:    DefaultFrameTimeout,
	}
}

// Check reports every problem as a *FieldError, in the order of the keys.
func (o *Options) Check() []error {
	var errs []error
	add := func(path string, err error) { errs = append(errs, &FieldError{Path: path, Err: err}) }
	if !slices.Contains(Protocols, o.Protocol) {
		return []error{fmt.Errorf("unknown protocol %q (want %s)", o.Protocol, strings.Join(Protocols, ", "))}
	}
	switch {
	case strings.HasPrefix(o.Address, systemdPrefix):
		if strings.TrimPrefix(o.Address, systemdPrefix) == "" {
			add("address", errors.New(`"systemd:" needs the socket's FileDescriptorName or its index (systemd:syslog.socket, systemd:0)`))
		}
	case isUnix(o.Protocol):
		if !strings.HasPrefix(o.Address, "/") {
			add("address", fmt.Errorf("invalid address %q: a %s listener binds an absolute path (or systemd:NAME)", o.Address, o.Protocol))
		}
	default:
		if err := CheckAddress(o.Address); err != nil {
			add("address", err)
		}
	}
	if o.Framing >= numFramings {
		add("framing", fmt.Errorf("unknown framing %d", o.Framing))
	} else if isPacket(o.Protocol) && o.Framing != FramingAuto {
		add("framing", fmt.Errorf("framing %q is for stream protocols; a %s datagram is one message", o.Framing, o.Protocol))
	}
	switch {
	case isUnix(o.Protocol):
		if _, err := parseMode(o.Mode); err != nil {
			add("mode", err)
		}
		if len(o.AllowedSources) > 0 {
			errs = append(errs, &FieldError{Path: "allowed_sources", AtKey: true,
				Err: errors.New("a local socket has no source addresses; its file's mode decides who may write")})
		}
	case o.Mode != "":
		errs = append(errs, &FieldError{Path: "mode", AtKey: true, Err: fmt.Errorf("mode is for unix and unixgram listeners, not %s", o.Protocol)})
	}
	if o.MaxMessageBytes <= 0 || o.MaxMessageBytes > MaxMaxMessageBytes {
		add("max_message_bytes", fmt.Errorf("must be between 1 and %d (16 MiB)", MaxMaxMessageBytes))
	}
	if o.MaxConnections <= 0 {
		add("max_connections", errors.New("must be > 0"))
	}
	if o.IdleTimeout < 0 {
		add("idle_timeout", errors.New("must be >= 0 (0: never)"))
	}
	if o.FrameTimeout <= 0 {
		add("frame_timeout", errors.New("must be > 0"))
	}
	for i, p := range o.AllowedSources {
		if !p.IsValid() {
			add("allowed_sources["+strconv.Itoa(i)+"]", errors.New("not a valid prefix"))
		}
	}
	return append(errs, o.checkTLS()...)
}

// checkTLS requires the tls block exactly for protocol tls, and parses the
// files it can read (see checkTLSFiles) so that --check-config catches a
// broken one; Listen loads them again.
func (o *Options) checkTLS() []error {
	switch {
	case o.Protocol != "tls" && o.TLS != nil:
		return []error{&FieldError{Path: "tls", AtKey: true, Err: fmt.Errorf("tls is only valid for protocol tls, not %s", o.Protocol)}}
	case o.Protocol != "tls":
		return nil
	case o.TLS == nil:
		return []error{&FieldError{Path: "tls", Err: errors.New("required for protocol tls (cert_file and key_file)")}}
	}
	var errs []error
	t := o.TLS
	if t.CertFile == "" {
		errs = append(errs, &FieldError{Path: "tls.cert_file", Err: errors.New("required")})
	}
	if t.KeyFile == "" {
		errs = append(errs, &FieldError{Path: "tls.key_file", Err: errors.New("required")})
	}
	if t.ClientAuth >= numClientAuths {
		errs = append(errs, &FieldError{Path: "tls.client_auth", Err: fmt.Errorf("unknown client_auth %d", t.ClientAuth)})
	} else if t.ClientAuth == ClientAuthRequire && t.ClientCAFile == "" {
		errs = append(errs, &FieldError{Path: "tls.client_ca_file", Err: errors.New("required when client_auth is require")})
	}
	errs = append(errs, checkTLSFiles(t)...)
	if len(t.AllowedNames) > 0 && t.ClientAuth != ClientAuthRequire {
		// With request (or none) a client without a certificate gets in,
		// and there would be no name to check.
		errs = append(errs, &FieldError{Path: "tls.allowed_names", AtKey: true,
			Err: fmt.Errorf("needs client_auth require (not %s): a client without a certificate would not be checked", t.ClientAuth)})
	}
	for i, p := range t.AllowedNames {
		if err := checkNamePattern(p); err != nil {
			errs = append(errs, &FieldError{Path: "tls.allowed_names[" + strconv.Itoa(i) + "]", Err: err})
		}
	}
	if t.HandshakeTimeout <= 0 {
		errs = append(errs, &FieldError{Path: "tls.handshake_timeout", Err: errors.New("must be > 0")})
	}
	return errs
}

// Warnings reports what works but likely not as meant, as Check reports
// errors: a client_ca_file with client_auth none, which verifies nobody.
func (o *Options) Warnings() []error {
	if o.Protocol != "tls" || o.TLS == nil || o.TLS.ClientCAFile == "" || o.TLS.ClientAuth != ClientAuthNone {
		return nil
	}
	return []error{&FieldError{Path: "tls.client_ca_file",
		Err: errors.New("ignored: client_auth is none, so no client certificate is asked for and this CA verifies nobody (set client_auth: require or request)")}}
}

// Socket identifies the socket the listener binds, so that the
// configuration can refuse two listeners on one: key is "" when each bind
// gets its own socket (port 0) or the address is invalid; where says it as
// an operator would ("udp 127.0.0.1:5514"). Hosts are compared as written,
// IPs canonicalised; wildcard-versus-specific overlaps are left to bind(2).
func (o *Options) Socket() (field, key, where string) {
	if name, ok := strings.CutPrefix(o.Address, systemdPrefix); ok {
		if name == "" {
			return "address", "", ""
		}
		return "address", o.Address, o.Address
	}
	if isUnix(o.Protocol) {
		if o.Address == "" {
			return "address", "", ""
		}
		return "address", "unix " + o.Address, o.Protocol + " " + o.Address
	}
	network := "tcp" // tls listens on tcp too
	if o.Protocol == "udp" {
		network = "udp"
	}
	host, port, err := net.SplitHostPort(o.Address)
	if err != nil || strings.TrimLeft(port, "0") == "" {
		return "address", "", ""
	}
	if a, err := netip.ParseAddr(host); err == nil {
		host = a.String()
	}
	key = network + " " + strings.ToLower(net.JoinHostPort(host, strings.TrimLeft(port, "0")))
	return "address", key, network + " " + o.Address
}

// CheckAddress reports an address that is not host:port with a numeric
// port; the host may be empty (all interfaces). It is the rule for every
// address the daemon binds, the stats endpoint's included.
func CheckAddress(addr string) error {
	if addr == "" {
		return errors.New("required")
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		reason := err.Error()
		if ae, ok := errors.AsType[*net.AddrError](err); ok {
			reason = ae.Err
		}
		return fmt.Errorf("invalid address %q: %s (want host:port)", addr, reason)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Errorf("invalid port %q (want 0-65535)", port)
	}
	return nil
}

// FieldError is a problem with one option, at a path relative to the
// listener ("address", "tls.cert_file"). AtKey places it at the key rather
// than at the value, for a key that should not be there at all.
type FieldError struct {
	Path  string
	AtKey bool
	Err   error
}

func (e *FieldError) Error() string     { return e.Path + ": " + e.Err.Error() }
func (e *FieldError) Unwrap() error     { return e.Err }
func (e *FieldError) FieldPath() string { return e.Path }
func (e *FieldError) OnKey() bool       { return e.AtKey }

// allowed reports whether src may send. src is already unmapped (Frame
// and message.Message promise it), so an IPv4 prefix matches an IPv4
// client of a dual-stack socket.
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
