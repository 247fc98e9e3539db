package listener

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"slices"
	"testing"
)

// TestOptionsCheck: each rule reports at its key; config places these
// paths in the file (its tests check the wording end to end).
func TestOptionsCheck(t *testing.T) {
	tlsOK := &TLSOptions{CertFile: "c.pem", KeyFile: "k.pem", HandshakeTimeout: DefaultHandshakeTimeout}
	// withTLS makes o a tls listener whose tls block is tlsOK's, edited.
	withTLS := func(o *Options, edit func(*TLSOptions)) {
		t := *tlsOK
		edit(&t)
		o.Protocol, o.TLS = "tls", &t
	}
	p := newTestPKI(t)
	otherKey := filepath.Join(t.TempDir(), "other.key")
	writePEM(t, otherKey, "PRIVATE KEY", marshalKey(t, newKey(t)))
	badCert := filepath.Join(t.TempDir(), "bad.pem")
	writePEM(t, badCert, "CERTIFICATE", []byte("not DER"))
	_, badCertErr := x509.ParseCertificate([]byte("not DER"))
	badKey := filepath.Join(t.TempDir(), "bad.key")
	writePEM(t, badKey, "ENCRYPTED PRIVATE KEY", []byte("not DER"))
	files := func(cert, key, ca string, auth ClientAuth) func(*Options) {
		return func(o *Options) {
			withTLS(o, func(t *TLSOptions) { t.CertFile, t.KeyFile, t.ClientCAFile, t.ClientAuth = cert, key, ca, auth })
		}
	}
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
			"max_message_bytes: must be between 1 and 16777216 (16 MiB)", "max_connections: must be > 0", "idle_timeout: must be >= 0 (0: never)"}},
		{"idle_timeout 0 is never", func(o *Options) { o.IdleTimeout = 0 }, nil},
		{"invalid prefix", func(o *Options) { o.AllowedSources = []netip.Prefix{{}} }, []string{"allowed_sources[0]: not a valid prefix"}},
		{"tls on tcp", func(o *Options) { o.TLS = tlsOK }, []string{"tls: tls is only valid for protocol tls, not tcp @key"}},
		{"tls without block", func(o *Options) { o.Protocol = "tls" }, []string{"tls: required for protocol tls (cert_file and key_file)"}},
		{"tls ok", func(o *Options) { o.Protocol, o.TLS = "tls", tlsOK }, nil},
		{"tls require without ca", func(o *Options) {
			o.Protocol, o.TLS = "tls", &TLSOptions{ClientAuth: ClientAuthRequire}
		}, []string{"tls.cert_file: required", "tls.key_file: required", "tls.client_ca_file: required when client_auth is require",
			"tls.handshake_timeout: must be > 0"}},
		{"tls handshake_timeout", func(o *Options) { withTLS(o, func(t *TLSOptions) { t.HandshakeTimeout = -1 }) },
			[]string{"tls.handshake_timeout: must be > 0"}},
		{"tls allowed_names with require", func(o *Options) {
			withTLS(o, func(t *TLSOptions) {
				t.ClientAuth, t.ClientCAFile = ClientAuthRequire, "ca.pem"
				t.AllowedNames = []string{"*.edge.example.com", "Host.Example.COM", "", "a.*.example.com", "*example.com", "a..b", "**.b.c"}
			})
		}, []string{
			"tls.allowed_names[2]: empty name",
			`tls.allowed_names[3]: invalid name "a.*.example.com": a wildcard is only valid as the whole left-most label, as in *.edge.example.com`,
			`tls.allowed_names[4]: invalid name "*example.com": a wildcard is only valid as the whole left-most label, as in *.edge.example.com`,
			`tls.allowed_names[5]: invalid name "a..b": empty label`,
			`tls.allowed_names[6]: invalid name "**.b.c": a wildcard is only valid as the whole left-most label, as in *.edge.example.com`}},
		{"tls allowed_names without require", func(o *Options) {
			withTLS(o, func(t *TLSOptions) { t.AllowedNames = []string{"a.example.com"} })
		}, []string{"tls.allowed_names: needs client_auth require (not none): a client without a certificate would not be checked @key"}},
		{"tls allowed_names with request", func(o *Options) {
			withTLS(o, func(t *TLSOptions) {
				t.ClientAuth, t.ClientCAFile, t.AllowedNames = ClientAuthRequest, "ca.pem", []string{"a.example.com"}
			})
		}, []string{"tls.allowed_names: needs client_auth require (not request): a client without a certificate would not be checked @key"}},
		{"tls files parse", files(p.certFile, p.keyFile, p.caFile, ClientAuthRequire), nil},
		{"tls files unreadable are config's", files(p.certFile+".missing", t.TempDir(), p.caFile+".missing", ClientAuthRequire), nil},
		{"tls cert_file holds a key", files(p.keyFile, p.keyFile, "", ClientAuthNone), []string{
			"tls.cert_file: no PEM certificate in " + p.keyFile}},
		{"tls key_file holds a certificate", files(p.certFile, p.certFile, "", ClientAuthNone), []string{
			"tls.key_file: no PEM private key in " + p.certFile}},
		{"tls key_file is not a key", files(p.certFile, badCert, "", ClientAuthNone), []string{
			"tls.key_file: no PEM private key in " + badCert}},
		{"tls key does not parse", files(p.certFile, badKey, "", ClientAuthNone), []string{
			"tls.key_file: cannot parse the private key in " + badKey + " (ENCRYPTED PRIVATE KEY; want an unencrypted PKCS #1, PKCS #8 or EC key)"}},
		{"tls certificate does not parse", files(badCert, p.keyFile, badCert, ClientAuthRequest), []string{
			fmt.Sprintf("tls.cert_file: certificate 1 in %s: %v", badCert, badCertErr),
			fmt.Sprintf("tls.client_ca_file: certificate 1 in %s: %v", badCert, badCertErr)}},
		{"tls certificate and key do not match", files(p.certFile, otherKey, "", ClientAuthNone), []string{
			fmt.Sprintf("tls.key_file: certificate and key do not match: %s is not the key of the first certificate in %s", otherKey, p.certFile)}},
		{"tls client_ca_file without certificates", files(p.certFile, p.keyFile, p.keyFile, ClientAuthRequire), []string{
			"tls.client_ca_file: no PEM certificate in " + p.keyFile}},
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

// TestOptionsWarnings: a client_ca_file that client_auth none ignores is
// a warning, at the key Check would use.
func TestOptionsWarnings(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    Options
		want []string
	}{
		{"ca with none", Options{Protocol: "tls", TLS: &TLSOptions{ClientCAFile: "ca.pem"}}, []string{
			"tls.client_ca_file: ignored: client_auth is none, so no client certificate is asked for and this CA verifies nobody (set client_auth: require or request)"}},
		{"ca with request", Options{Protocol: "tls", TLS: &TLSOptions{ClientCAFile: "ca.pem", ClientAuth: ClientAuthRequest}}, nil},
		{"ca with require", Options{Protocol: "tls", TLS: &TLSOptions{ClientCAFile: "ca.pem", ClientAuth: ClientAuthRequire}}, nil},
		{"no ca", Options{Protocol: "tls", TLS: &TLSOptions{}}, nil},
		{"tcp", DefaultOptions("tcp"), nil},
	} {
		var got []string
		for _, err := range tc.o.Warnings() {
			fe, ok := errors.AsType[*FieldError](err)
			if !ok {
				t.Fatalf("%s: %T %v is not a *FieldError", tc.name, err, err)
			}
			got = append(got, fmt.Sprintf("%s: %v", fe.FieldPath(), fe.Err))
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
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
