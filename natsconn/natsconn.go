// Package natsconn is what the NATS sink and the jetstream listener share:
// the options that say how to reach NATS (servers, authentication, TLS),
// their checks, and the nats.go options that connect with them, reconnecting
// forever. It is a leaf: stages do not import each other, so the code both
// need lives here rather than in either.
package natsconn

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	natsgo "github.com/nats-io/nats.go"
)

// Options say how to reach NATS. Files tagged ",file" are checked for
// readability by the configuration and loaded by Connect.
type Options struct {
	// URL lists the servers; nats.go picks one and fails over. One string
	// stands for a list of one (",scalar").
	URL []string `yaml:"url,scalar" mapstructure:"url"`
	// Authentication: at most one of user/password, token, creds file,
	// nkey seed file.
	User      string `yaml:"user" mapstructure:"user"`
	Password  string `yaml:"password" mapstructure:"password"`
	Token     string `yaml:"token" mapstructure:"token"`
	CredsFile string `yaml:"creds_file,file" mapstructure:"creds_file"`
	NKeyFile  string `yaml:"nkey_file,file" mapstructure:"nkey_file"`
	// TLS: a CA bundle to verify the server, a client certificate and key.
	CAFile   string `yaml:"ca_file,file" mapstructure:"ca_file"`
	CertFile string `yaml:"cert_file,file" mapstructure:"cert_file"`
	KeyFile  string `yaml:"key_file,file" mapstructure:"key_file"`
}

// FieldError is a problem with one option; the configuration reports it at
// its key.
type FieldError struct {
	Path string
	Err  error
}

func (e *FieldError) Error() string     { return e.Path + ": " + e.Err.Error() }
func (e *FieldError) Unwrap() error     { return e.Err }
func (e *FieldError) FieldPath() string { return e.Path }

func errorf(path, format string, args ...any) error {
	return &FieldError{Path: path, Err: fmt.Errorf(format, args...)}
}

// Check reports every problem as a *FieldError.
func (o *Options) Check() []error {
	errs := checkURLs(o.URL)
	var auth []string
	for _, a := range []struct{ key, v string }{{"user", o.User}, {"token", o.Token}, {"creds_file", o.CredsFile}, {"nkey_file", o.NKeyFile}} {
		if a.v != "" {
			auth = append(auth, a.key)
		}
	}
	if len(auth) > 1 {
		errs = append(errs, errorf(auth[1], "%s and %s are alternatives; use one way to authenticate", auth[0], auth[1]))
	}
	if o.Password != "" && o.User == "" {
		errs = append(errs, errorf("password", "password needs user"))
	}
	if (o.CertFile == "") != (o.KeyFile == "") {
		errs = append(errs, errorf("cert_file", "cert_file and key_file go together"))
	}
	return errs
}

// checkURLs reports a missing url and every entry that is not a NATS
// server URL.
func checkURLs(urls []string) []error {
	if len(urls) == 0 {
		return []error{errorf("url", "required")}
	}
	var errs []error
	for i, u := range urls {
		at := "url[" + strconv.Itoa(i) + "]"
		parsed, err := url.Parse(u)
		switch {
		case u == "":
			errs = append(errs, errorf(at, "empty url"))
		case err != nil || parsed.Host == "":
			errs = append(errs, errorf(at, "invalid url %q (want e.g. nats://host:4222)", u))
		case !slices.Contains([]string{"nats", "tls", "ws", "wss"}, parsed.Scheme):
			errs = append(errs, errorf(at, "invalid url scheme %q (want nats, tls, ws or wss)", parsed.Scheme))
		}
	}
	return errs
}

// Servers is the URL list as nats.Connect takes it.
func (o *Options) Servers() string { return strings.Join(o.URL, ",") }

// Connection tuning. nats.go reconnects forever; the first retry comes
// quickly (a restarted server is usually back within a second) and later
// ones back off (reconnectDelay), so a long outage does not mean a busy
// loop. A server that stops answering without closing the connection is
// noticed after two missed pings.
const (
	pingInterval = 10 * time.Second
	maxPingsOut  = 2
	dialTimeout  = 2 * time.Second
	delayMin     = 100 * time.Millisecond
	delayMax     = 5 * time.Second
)

// reconnectDelay is nats.go's CustomReconnectDelay callback, called after
// each failed pass over the server list with the number of passes so far
// (from 1): 200 ms, doubling, at most 5 s.
func reconnectDelay(attempts int) time.Duration {
	d := delayMin
	for range min(attempts, 16) {
		d *= 2
		if d >= delayMax {
			return delayMax
		}
	}
	return d
}

// NATS returns the nats.go options for a client named name: reconnection,
// authentication and TLS, with files read now, so that a missing
// certificate fails at construction rather than at every reconnect.
// Callers append their handlers.
func (o *Options) NATS(name string) ([]natsgo.Option, error) {
	opts := []natsgo.Option{
		natsgo.Name(name),
		natsgo.RetryOnFailedConnect(true),
		natsgo.MaxReconnects(-1),
		natsgo.CustomReconnectDelay(reconnectDelay),
		natsgo.Timeout(dialTimeout),
		natsgo.PingInterval(pingInterval),
		natsgo.MaxPingsOutstanding(maxPingsOut),
		natsgo.NoCallbacksAfterClientClose(),
	}
	// Check has made sure that at most one way is configured.
	switch {
	case o.User != "" || o.Password != "":
		opts = append(opts, natsgo.UserInfo(o.User, o.Password))
	case o.Token != "":
		opts = append(opts, natsgo.Token(o.Token))
	case o.CredsFile != "":
		if _, err := os.Stat(o.CredsFile); err != nil {
			return nil, fmt.Errorf("creds_file: %w", err)
		}
		opts = append(opts, natsgo.UserCredentials(o.CredsFile))
	case o.NKeyFile != "":
		nk, err := natsgo.NkeyOptionFromSeed(o.NKeyFile)
		if err != nil {
			return nil, fmt.Errorf("nkey_file: %w", err)
		}
		opts = append(opts, nk)
	}
	if o.CAFile != "" || o.CertFile != "" || o.KeyFile != "" {
		tc, err := tlsConfig(o.CAFile, o.CertFile, o.KeyFile)
		if err != nil {
			return nil, err
		}
		opts = append(opts, natsgo.Secure(tc))
	}
	return opts, nil
}

// tlsConfig loads the CA bundle (the system pool when empty) and the
// client certificate (none when empty). TLS 1.2 is the minimum.
func tlsConfig(caFile, certFile, keyFile string) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("ca_file: %w", err)
		}
		tc.RootCAs = x509.NewCertPool()
		if !tc.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ca_file %s: no PEM certificate found", caFile)
		}
	}
	if (certFile == "") != (keyFile == "") {
		return nil, errors.New("cert_file and key_file go together")
	}
	if certFile != "" {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("client certificate: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}
