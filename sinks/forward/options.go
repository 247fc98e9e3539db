package forward

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"syslogd/sinks"
	"syslogd/sinks/format"
)

// Options configure one syslog sink. The struct, its defaults and its
// checks live here, once: the configuration decodes the file's keys over
// DefaultOptions and reports Check's errors at their keys, and New runs
// the same Check. Files tagged ",file" are checked for readability by the
// configuration; Check parses them, and New loads them.
type Options struct {
	// Address is the upstream server, host:port.
	Address  string   `yaml:"address" mapstructure:"address"`
	Protocol Protocol `yaml:"protocol" mapstructure:"protocol"`
	// Framing is for tcp and tls; the zero value is octet counting there,
	// and the only value udp takes (a datagram is one message).
	Framing Framing       `yaml:"framing" mapstructure:"framing"`
	Format  format.Format `yaml:"format" mapstructure:"format"` // rfc5424 or rfc3164
	// MaxMessageBytes bounds a message as sent (header and text, framing
	// not counted); a longer one is dropped, not truncated.
	MaxMessageBytes int `yaml:"max_message_bytes" mapstructure:"max_message_bytes"`
	// WriteTimeout bounds one batch's write, and a dial with its TLS
	// handshake: a peer that reads nothing for that long counts as gone.
	WriteTimeout time.Duration `yaml:"write_timeout" mapstructure:"write_timeout"`
	// ResendWindow (tcp, tls): what was written this long before a
	// connection died is sent again on the next one; 0 sends nothing
	// again. ResendMaxBytes bounds what is kept for it.
	ResendWindow   time.Duration `yaml:"resend_window" mapstructure:"resend_window"`
	ResendMaxBytes int           `yaml:"resend_max_bytes" mapstructure:"resend_max_bytes"`
	// TLS is only for protocol tls, where it is optional.
	TLS *TLSOptions `yaml:"tls" mapstructure:"tls"`
}

// TLSOptions configure the TLS client. Every key is optional: the
// system's roots verify the server, no client certificate is sent, and
// the server name is the host of the address.
type TLSOptions struct {
	CAFile     string `yaml:"ca_file,file" mapstructure:"ca_file"`
	CertFile   string `yaml:"cert_file,file" mapstructure:"cert_file"`
	KeyFile    string `yaml:"key_file,file" mapstructure:"key_file"`
	ServerName string `yaml:"server_name" mapstructure:"server_name"`
}

// Defaults and limits.
const (
	// DefaultMaxMessageBytes fits a UDP datagram over IPv4 and IPv6 and
	// stays under the 64 KiB a syslogd listener accepts by default.
	DefaultMaxMessageBytes = 65000
	// MaxUDPMessageBytes is the largest UDP payload over IPv4.
	MaxUDPMessageBytes = 65507
	// MaxStreamMessageBytes is the largest message a syslogd listener
	// can be configured to take.
	MaxStreamMessageBytes = 16 << 20
	DefaultWriteTimeout   = 10 * time.Second
	DefaultResendWindow   = 2 * time.Second
	DefaultResendMaxBytes = 8 << 20
)

// DefaultOptions returns a syslog sink's settings where the configuration
// names none (address has no default).
func DefaultOptions() Options {
	return Options{
		Protocol: TCP, Format: format.RFC5424, MaxMessageBytes: DefaultMaxMessageBytes,
		WriteTimeout: DefaultWriteTimeout, ResendWindow: DefaultResendWindow, ResendMaxBytes: DefaultResendMaxBytes,
	}
}

// Check reports every problem as an error with a FieldPath.
func (o *Options) Check() []error {
	var errs []error
	add := func(path, f string, args ...any) { errs = append(errs, sinks.Errorf(path, f, args...)) }
	if err := checkAddress(o.Address); err != nil {
		errs = append(errs, &sinks.FieldError{Path: "address", Err: err})
	}
	if o.Protocol > TLS {
		add("protocol", "unknown protocol %d", o.Protocol)
	}
	switch {
	case o.Framing > FramingNonTransparent:
		add("framing", "unknown framing %d", o.Framing)
	case o.Protocol == UDP && o.Framing != FramingDefault:
		add("framing", "framing %s is for tcp and tls; a udp datagram is one message", o.Framing)
	}
	if o.Format != format.RFC5424 && o.Format != format.RFC3164 {
		errs = append(errs, &sinks.FieldError{Path: "format", Err: sinks.EnumError(o.Format.String(), "rfc5424", "rfc3164")})
	}
	if limit := o.maxMessageLimit(); o.MaxMessageBytes <= 0 || o.MaxMessageBytes > limit {
		add("max_message_bytes", "must be between 1 and %d for %s", limit, o.Protocol)
	}
	if o.WriteTimeout <= 0 {
		add("write_timeout", "must be > 0")
	}
	if o.ResendWindow < 0 {
		add("resend_window", "must be >= 0 (0 sends nothing again)")
	}
	if o.ResendMaxBytes <= 0 {
		add("resend_max_bytes", "must be > 0")
	}
	switch {
	case o.TLS != nil && o.Protocol != TLS:
		errs = append(errs, &keyError{sinks.FieldError{Path: "tls",
			Err: fmt.Errorf("tls is only valid for protocol tls, not %s", o.Protocol)}})
	case o.Protocol == TLS:
		// A file that cannot be read is the configuration's ",file"
		// check to report (and New's); Check says what is wrong inside
		// those it can read.
		_, tlsErrs := o.tlsConfig()
		for _, err := range tlsErrs {
			if _, unreadable := errors.AsType[*fs.PathError](err); !unreadable {
				errs = append(errs, err)
			}
		}
	}
	return errs
}

func (o *Options) maxMessageLimit() int {
	if o.Protocol == UDP {
		return MaxUDPMessageBytes
	}
	return MaxStreamMessageBytes
}

// checkAddress requires host:port with a host and a port from 1 to 65535:
// it is where to send, not where to bind.
func checkAddress(addr string) error {
	if addr == "" {
		return errors.New("required")
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		reason := err.Error()
		if ae, ok := errors.AsType[*net.AddrError](err); ok {
			reason = ae.Err
		}
		return fmt.Errorf("invalid address %q: %s (want host:port)", addr, reason)
	}
	if host == "" {
		return fmt.Errorf("invalid address %q: no host", addr)
	}
	if p, err := strconv.ParseUint(port, 10, 16); err != nil || p == 0 {
		return fmt.Errorf("invalid port %q (want 1-65535)", port)
	}
	return nil
}

// tlsConfig builds the TLS client configuration: TLS 1.2 or newer, the
// CA bundle (else the system roots), the client certificate if any, and
// the server name (else the host of the address). Errors are field errors
// at the tls keys; a file that cannot be read gives one wrapping its
// *fs.PathError.
func (o *Options) tlsConfig() (*tls.Config, []error) {
	t := o.TLS
	if t == nil {
		t = &TLSOptions{}
	}
	var errs []error
	fail := func(path string, err error) { errs = append(errs, &sinks.FieldError{Path: "tls." + path, Err: err}) }
	tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: o.serverName()}
	if t.CAFile != "" {
		if b, err := os.ReadFile(t.CAFile); err != nil {
			fail("ca_file", err)
		} else if tc.RootCAs = x509.NewCertPool(); !tc.RootCAs.AppendCertsFromPEM(b) {
			fail("ca_file", fmt.Errorf("no PEM certificate found in %s", t.CAFile))
		}
	}
	switch {
	case t.CertFile == "" && t.KeyFile == "":
	case t.CertFile == "":
		fail("cert_file", errors.New("required with key_file"))
	case t.KeyFile == "":
		fail("key_file", errors.New("required with cert_file"))
	default:
		cert, err := loadKeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			errs = append(errs, err)
		} else {
			tc.Certificates = []tls.Certificate{cert}
		}
	}
	return tc, errs
}

// serverName is the name the server's certificate must carry: the
// configured server_name, else the host of the address.
func (o *Options) serverName() string {
	if o.TLS != nil && o.TLS.ServerName != "" {
		return o.TLS.ServerName
	}
	host, _, _ := net.SplitHostPort(o.Address) // a bad address is reported at address
	return host
}

// loadKeyPair reads the client certificate and its key, and says which
// file is at fault: one that cannot be read or holds no PEM block of its
// kind, or a key that does not belong to the certificate.
func loadKeyPair(certFile, keyFile string) (tls.Certificate, error) {
	fail := func(path string, err error) (tls.Certificate, error) {
		return tls.Certificate{}, &sinks.FieldError{Path: "tls." + path, Err: err}
	}
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return fail("cert_file", err)
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return fail("key_file", err)
	}
	if der := pemBlock(certPEM, func(typ string) bool { return typ == "CERTIFICATE" }); der == nil {
		return fail("cert_file", fmt.Errorf("no PEM certificate found in %s", certFile))
	} else if _, err := x509.ParseCertificate(der); err != nil {
		return fail("cert_file", err)
	}
	if pemBlock(keyPEM, func(typ string) bool { return strings.HasSuffix(typ, "PRIVATE KEY") }) == nil {
		return fail("key_file", fmt.Errorf("no PEM private key found in %s", keyFile))
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return fail("key_file", fmt.Errorf("does not go with cert_file: %w", err))
	}
	return cert, nil
}

// pemBlock returns the bytes of the first PEM block whose type ok accepts.
func pemBlock(b []byte, ok func(typ string) bool) []byte {
	for {
		var block *pem.Block
		if block, b = pem.Decode(b); block == nil {
			return nil
		}
		if ok(block.Type) {
			return block.Bytes
		}
	}
}

// keyError is a field error placed at the key: for a block that should
// not be there at all.
type keyError struct{ sinks.FieldError }

func (e *keyError) OnKey() bool { return true }

// Protocol is how messages travel: UDP datagrams (RFC 5426), a TCP stream
// (RFC 6587) or TLS over TCP (RFC 5425).
type Protocol uint8

// Protocols. The zero value is the default, tcp.
const (
	TCP Protocol = iota
	UDP
	TLS
)

var protocolNames = []string{TCP: "tcp", UDP: "udp", TLS: "tls"}

// UnmarshalText accepts udp, tcp and tls.
func (p *Protocol) UnmarshalText(b []byte) error {
	for i, n := range protocolNames {
		if string(b) == n {
			*p = Protocol(i)
			return nil
		}
	}
	return sinks.EnumError(string(b), "udp", "tcp", "tls")
}

func (p Protocol) String() string { return sinks.NameOf(p, protocolNames) }

// Framing is how messages are delimited on a stream (RFC 6587 §3.4).
type Framing uint8

const (
	// FramingDefault is octet counting on tcp and tls, and the only
	// value udp takes.
	FramingDefault Framing = iota
	// FramingOctetCounting sends "LEN SP MSG", LEN the byte length of
	// MSG (§3.4.1).
	FramingOctetCounting
	// FramingNonTransparent ends each message with LF (§3.4.2); the
	// formats escape LF inside a message, so none can end early.
	FramingNonTransparent
)

var framingNames = []string{FramingDefault: "octet_counting", FramingOctetCounting: "octet_counting", FramingNonTransparent: "non_transparent"}

// UnmarshalText accepts octet_counting and non_transparent.
func (f *Framing) UnmarshalText(b []byte) error {
	switch string(b) {
	case "octet_counting":
		*f = FramingOctetCounting
	case "non_transparent":
		*f = FramingNonTransparent
	default:
		return sinks.EnumError(string(b), "octet_counting", "non_transparent")
	}
	return nil
}

func (f Framing) String() string { return sinks.NameOf(f, framingNames) }
