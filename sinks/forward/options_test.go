package forward

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"syslogd/sinks/format"
)

func TestOptionsCheck(t *testing.T) {
	p := newPKI(t)
	missing := filepath.Join(p.dir, "missing.pem")
	with := func(f func(*Options)) Options {
		o := DefaultOptions()
		o.Address = "logs.example.com:6514"
		f(&o)
		return o
	}
	tests := []struct {
		name string
		o    Options
		want []string // "path: reason prefix"
	}{
		{"defaults", with(func(*Options) {}), nil},
		{"udp", with(func(o *Options) { o.Protocol = UDP }), nil},
		{"tls, all keys", with(func(o *Options) {
			o.Protocol, o.Framing = TLS, FramingNonTransparent
			o.TLS = &TLSOptions{CAFile: p.caFile, CertFile: p.clientCert, KeyFile: p.clientKey, ServerName: "logs"}
		}), nil},
		{"tls, no block", with(func(o *Options) { o.Protocol = TLS }), nil},
		{"rfc3164, no resend", with(func(o *Options) { o.Format, o.ResendWindow = format.RFC3164, 0 }), nil},
		{"no address", with(func(o *Options) { o.Address = "" }), []string{"address: required"}},
		{"no port", with(func(o *Options) { o.Address = "logs.example.com" }), []string{`address: invalid address "logs.example.com": missing port in address`}},
		{"no host", with(func(o *Options) { o.Address = ":514" }), []string{`address: invalid address ":514": no host`}},
		{"port 0", with(func(o *Options) { o.Address = "h:0" }), []string{`address: invalid port "0"`}},
		{"port name", with(func(o *Options) { o.Address = "h:syslog" }), []string{`address: invalid port "syslog"`}},
		{"protocol", with(func(o *Options) { o.Protocol = 7 }), []string{"protocol: unknown protocol 7"}},
		{"framing on udp", with(func(o *Options) { o.Protocol, o.Framing = UDP, FramingOctetCounting }),
			[]string{"framing: framing octet_counting is for tcp and tls"}},
		{"framing unknown", with(func(o *Options) { o.Framing = 9 }), []string{"framing: unknown framing 9"}},
		{"format json", with(func(o *Options) { o.Format = format.JSON }), []string{`format: invalid value "json" (want rfc5424, rfc3164)`}},
		{"format raw", with(func(o *Options) { o.Format = format.Raw }), []string{`format: invalid value "raw"`}},
		{"max_message_bytes 0", with(func(o *Options) { o.MaxMessageBytes = 0 }), []string{"max_message_bytes: must be between 1 and 16777216 for tcp"}},
		{"max_message_bytes udp", with(func(o *Options) { o.Protocol, o.MaxMessageBytes = UDP, 65508 }),
			[]string{"max_message_bytes: must be between 1 and 65507 for udp"}},
		{"write_timeout", with(func(o *Options) { o.WriteTimeout = 0 }), []string{"write_timeout: must be > 0"}},
		{"resend_window", with(func(o *Options) { o.ResendWindow = -time.Second }), []string{"resend_window: must be >= 0"}},
		{"resend_max_bytes", with(func(o *Options) { o.ResendMaxBytes = 0 }), []string{"resend_max_bytes: must be > 0"}},
		{"tls on tcp", with(func(o *Options) { o.TLS = &TLSOptions{} }), []string{"tls: tls is only valid for protocol tls, not tcp"}},
		{"tls on udp", with(func(o *Options) { o.Protocol, o.TLS = UDP, &TLSOptions{CAFile: p.garbage} }),
			[]string{"tls: tls is only valid for protocol tls, not udp"}},
		{"ca not PEM", with(func(o *Options) { o.Protocol, o.TLS = TLS, &TLSOptions{CAFile: p.garbage} }),
			[]string{"tls.ca_file: no PEM certificate found in"}},
		{"ca is a key", with(func(o *Options) { o.Protocol, o.TLS = TLS, &TLSOptions{CAFile: p.clientKey} }),
			[]string{"tls.ca_file: no PEM certificate found in"}},
		{"cert without key", with(func(o *Options) { o.Protocol, o.TLS = TLS, &TLSOptions{CertFile: p.clientCert} }),
			[]string{"tls.key_file: required with cert_file"}},
		{"key without cert", with(func(o *Options) { o.Protocol, o.TLS = TLS, &TLSOptions{KeyFile: p.clientKey} }),
			[]string{"tls.cert_file: required with key_file"}},
		{"cert not PEM", with(func(o *Options) {
			o.Protocol, o.TLS = TLS, &TLSOptions{CertFile: p.garbage, KeyFile: p.clientKey}
		}), []string{"tls.cert_file: no PEM certificate found in"}},
		{"key not PEM", with(func(o *Options) {
			o.Protocol, o.TLS = TLS, &TLSOptions{CertFile: p.clientCert, KeyFile: p.clientCert}
		}), []string{"tls.key_file: no PEM private key found in"}},
		{"key of another cert", with(func(o *Options) {
			o.Protocol, o.TLS = TLS, &TLSOptions{CertFile: p.clientCert, KeyFile: p.otherKey}
		}), []string{"tls.key_file: does not go with cert_file: tls: private key does not match public key"}},
		// Readability is the configuration's ",file" check; New reports it.
		{"missing file", with(func(o *Options) { o.Protocol, o.TLS = TLS, &TLSOptions{CAFile: missing} }), nil},
		{"several", with(func(o *Options) {
			o.Address, o.Protocol, o.Framing, o.WriteTimeout = "", UDP, FramingNonTransparent, -1
		}),
			[]string{"address: required", "framing: framing non_transparent is for tcp and tls", "write_timeout: must be > 0"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, err := range tc.o.Check() {
				fe, ok := errors.AsType[interface {
					error
					FieldPath() string
				}](err)
				if !ok {
					t.Fatalf("%v has no field path", err)
				}
				got = append(got, fe.FieldPath()+": "+errors.Unwrap(err).Error())
			}
			if len(got) != len(tc.want) || !prefixes(got, tc.want) {
				t.Errorf("Check:\n got %q\nwant %q", got, tc.want)
			}
			if _, err := New(tc.o, nil, nil); (err == nil) != (tc.want == nil) && tc.name != "missing file" {
				t.Errorf("New agrees not with Check: %v", err)
			}
		})
	}
}

func prefixes(got, want []string) bool {
	for i := range got {
		if !strings.HasPrefix(got[i], want[i]) {
			return false
		}
	}
	return true
}

// The tls block on another protocol is reported at its key, as a key
// that should not be there.
func TestTLSBlockErrorIsAtKey(t *testing.T) {
	o := DefaultOptions()
	o.Address, o.TLS = "h:514", &TLSOptions{}
	errs := o.Check()
	k, ok := errors.AsType[interface {
		error
		OnKey() bool
	}](errors.Join(errs...))
	if len(errs) != 1 || !ok || !k.OnKey() {
		t.Fatalf("errors %v: want one placed at the key", errs)
	}
}

// New loads the files Check could not read, and says which.
func TestNewReportsUnreadableFile(t *testing.T) {
	o := DefaultOptions()
	o.Address, o.Protocol = "h:6514", TLS
	o.TLS = &TLSOptions{CAFile: filepath.Join(t.TempDir(), "missing.pem")}
	_, err := New(o, nil, nil)
	if err == nil || !strings.Contains(err.Error(), "tls.ca_file: open ") {
		t.Fatalf("New: %v, want the ca_file's read error", err)
	}
}

func TestEnumNames(t *testing.T) {
	var p Protocol
	var f Framing
	for _, tc := range []struct {
		text string
		u    interface{ UnmarshalText([]byte) error }
		want string
	}{
		{"udp", &p, "udp"}, {"tcp", &p, "tcp"}, {"tls", &p, "tls"},
		{"octet_counting", &f, "octet_counting"}, {"non_transparent", &f, "non_transparent"},
	} {
		if err := tc.u.UnmarshalText([]byte(tc.text)); err != nil || tc.u.(interface{ String() string }).String() != tc.want {
			t.Errorf("%s: %v", tc.text, err)
		}
	}
	if err := p.UnmarshalText([]byte("relp")); err == nil || err.Error() != `invalid value "relp" (want udp, tcp, tls)` {
		t.Errorf("protocol relp: %v", err)
	}
	if err := f.UnmarshalText([]byte("auto")); err == nil || err.Error() != `invalid value "auto" (want octet_counting, non_transparent)` {
		t.Errorf("framing auto: %v", err)
	}
}
