package listener

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"testing"
)

// TestOptionsCheck: each rule reports at its key; config places these
// paths in the file (its tests check the wording end to end).
func TestOptionsCheck(t *testing.T) {
	tlsOK := &TLSOptions{CertFile: "c.pem", KeyFile: "k.pem"}
	tests := []struct {
		name string
		edit func(*Options)
		want []string // "path: reason" (+ " @key" when placed at the key)
	}{
		{"defaults with an address", func(*Options) {}, nil},
		{"no address", func(o *Options) { o.Address = "" }, []string{"address: required"}},
		{"bad port", func(o *Options) { o.Address = "h:99999" }, []string{`address: invalid port "99999" (want 0-65535)`}},
		{"framing on udp", func(o *Options) { o.Protocol, o.Framing = "udp", FramingOctetCounting }, []string{
			`framing: framing "octet_counting" is for stream protocols; a udp datagram is one message`}},
		{"unixgram defaults", func(o *Options) { *o = DefaultOptions("unixgram"); o.Address = "/dev/log" }, nil},
		{"unix stream with framing", func(o *Options) {
			*o = DefaultOptions("unix")
			o.Address, o.Framing = "/run/syslogd/stream.sock", FramingOctetCounting
		}, nil},
		{"unix relative path", func(o *Options) { *o = DefaultOptions("unix"); o.Address = "dev/log" }, []string{
			`address: invalid address "dev/log": a unix listener binds an absolute path (or systemd:NAME)`}},
		{"unixgram framing, mode, allowlist", func(o *Options) {
			*o = DefaultOptions("unixgram")
			o.Address, o.Framing, o.Mode = "/dev/log", FramingNonTransparent, "0888"
			o.AllowedSources = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
		}, []string{
			`framing: framing "non_transparent" is for stream protocols; a unixgram datagram is one message`,
			`mode: invalid mode "0888" (want octal permissions such as 0666)`,
			"allowed_sources: a local socket has no source addresses; its file's mode decides who may write @key"}},
		{"mode on tcp", func(o *Options) { o.Mode = "0666" }, []string{"mode: mode is for unix and unixgram listeners, not tcp @key"}},
		{"activated", func(o *Options) { *o = DefaultOptions("unixgram"); o.Address = "systemd:syslog.socket" }, nil},
		{"activated tcp by index", func(o *Options) { o.Address = "systemd:0" }, nil},
		{"activated without a name", func(o *Options) { o.Address = "systemd:" }, []string{
			`address: "systemd:" needs the socket's FileDescriptorName or its index (systemd:syslog.socket, systemd:0)`}},
		{"limits", func(o *Options) { o.MaxMessageBytes, o.MaxConnections, o.IdleTimeout = MaxMaxMessageBytes+1, 0, -1 }, []string{
			"max_message_bytes: must be between 1 and 16777216 (16 MiB)", "max_connections: must be > 0", "idle_timeout: must be > 0"}},
		{"invalid prefix", func(o *Options) { o.AllowedSources = []netip.Prefix{{}} }, []string{"allowed_sources[0]: not a valid prefix"}},
		{"tls on tcp", func(o *Options) { o.TLS = tlsOK }, []string{"tls: tls is only valid for protocol tls, not tcp @key"}},
		{"tls without block", func(o *Options) { o.Protocol = "tls" }, []string{"tls: required for protocol tls (cert_file and key_file)"}},
		{"tls ok", func(o *Options) { o.Protocol, o.TLS = "tls", tlsOK }, nil},
		{"tls require without ca", func(o *Options) {
			o.Protocol, o.TLS = "tls", &TLSOptions{ClientAuth: ClientAuthRequire}
		}, []string{"tls.cert_file: required", "tls.key_file: required", "tls.client_ca_file: required when client_auth is require"}},
	}
	for _, tc := range tests {
		o := DefaultOptions("tcp")
		o.Address = "127.0.0.1:0"
		tc.edit(&o)
		var got []string
		for _, err := range o.Check() {
			fe, ok := errors.AsType[*FieldError](err)
			if !ok {
				t.Fatalf("%s: %T %v is not a *FieldError", tc.name, err, err)
			}
			s := fmt.Sprintf("%s: %v", fe.FieldPath(), fe.Err)
			if fe.OnKey() {
				s += " @key"
			}
			got = append(got, s)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
	}
	if o := DefaultOptions("sctp"); len(o.Check()) != 1 {
		t.Error("unknown protocol not reported")
	}
}

func TestSocket(t *testing.T) {
	for _, tc := range []struct{ protocol, address, key, where string }{
		{"udp", "127.0.0.1:05514", "udp 127.0.0.1:5514", "udp 127.0.0.1:05514"},
		{"tls", "[::1]:6514", "tcp [::1]:6514", "tcp [::1]:6514"},
		{"tcp", "Host:514", "tcp host:514", "tcp Host:514"},
		{"tcp", "127.0.0.1:0", "", ""},
		{"tcp", "nonsense", "", ""},
	} {
		o := DefaultOptions(tc.protocol)
		o.Address = tc.address
		if f, key, where := o.Socket(); f != "address" || key != tc.key || where != tc.where {
			t.Errorf("%s %s: Socket() = %q %q %q", tc.protocol, tc.address, f, key, where)
		}
	}
}
