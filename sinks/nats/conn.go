package nats

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"time"

	natsgo "github.com/nats-io/nats.go"

	"syslogd/sinks"
)

// Connection tuning. nats.go reconnects forever; the first retry comes
// quickly (a restarted server is usually back within a second) and later
// ones back off, so a long outage does not mean a busy loop: the delay is
// the sinks' default backoff (see reconnectDelay). A server that stops
// answering without closing the connection is noticed after two missed
// pings.
const (
	pingInterval = 10 * time.Second
	maxPingsOut  = 2
	dialTimeout  = 2 * time.Second
)

// reconnectDelay is nats.go's CustomReconnectDelay callback, called after
// each failed pass over the server list with the number of passes so far.
// nats.go counts from 1, so the first delay is twice DefaultBackoffMin;
// then it doubles up to DefaultBackoffMax.
func reconnectDelay(attempts int) time.Duration {
	return sinks.Backoff{}.Delay(attempts)
}

// options builds the nats.go options: reconnection, authentication, TLS
// and the connection handlers. Files are read here, so a missing
// certificate fails the sink's construction rather than every reconnect.
func (s *Sink) options() ([]natsgo.Option, error) {
	cfg := s.cfg
	opts := []natsgo.Option{
		natsgo.Name("syslogd/" + cfg.Name),
		natsgo.RetryOnFailedConnect(true),
		natsgo.MaxReconnects(-1),
		natsgo.CustomReconnectDelay(reconnectDelay),
		natsgo.Timeout(dialTimeout),
		natsgo.PingInterval(pingInterval),
		natsgo.MaxPingsOutstanding(maxPingsOut),
		natsgo.NoCallbacksAfterClientClose(),
		natsgo.ConnectHandler(s.onConnect),
		natsgo.ReconnectHandler(s.onConnect),
		natsgo.DisconnectErrHandler(s.onDisconnect),
	}
	if cfg.Mode == JetStream {
		// Publishing while disconnected fails at once and the message
		// goes to the disk buffer, rather than into a memory buffer that
		// a crash would lose.
		opts = append(opts, natsgo.ReconnectBufSize(-1))
	}
	// Options.Check has made sure that at most one way is configured.
	switch {
	case cfg.User != "" || cfg.Password != "":
		opts = append(opts, natsgo.UserInfo(cfg.User, cfg.Password))
	case cfg.Token != "":
		opts = append(opts, natsgo.Token(cfg.Token))
	case cfg.CredsFile != "":
		if _, err := os.Stat(cfg.CredsFile); err != nil {
			return nil, fmt.Errorf("creds_file: %w", err)
		}
		opts = append(opts, natsgo.UserCredentials(cfg.CredsFile))
	case cfg.NKeyFile != "":
		o, err := natsgo.NkeyOptionFromSeed(cfg.NKeyFile)
		if err != nil {
			return nil, fmt.Errorf("nkey_file: %w", err)
		}
		opts = append(opts, o)
	}
	if cfg.CAFile != "" || cfg.CertFile != "" || cfg.KeyFile != "" {
		tc, err := tlsConfig(cfg.CAFile, cfg.CertFile, cfg.KeyFile)
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

// onConnect runs on nats.go's callback goroutine after the first
// connection and every reconnection.
func (s *Sink) onConnect(nc *natsgo.Conn) {
	if s.closing.Load() {
		return
	}
	s.gen.Add(1)
	s.c.Connected.Store(true)
	s.log.Info("connected to NATS", "url", nc.ConnectedUrlRedacted())
}

// onDisconnect runs when the connection is lost. nats.go fails every
// unacknowledged JetStream publish at this point; Write reports them not
// connected and the Runner keeps them in the disk buffer. Connected is
// kept here too (the Runner learns of it only at the next Write), so
// /stats shows an outage while no message is flowing.
func (s *Sink) onDisconnect(_ *natsgo.Conn, err error) {
	if s.closing.Load() {
		return
	}
	s.c.Connected.Store(false)
	s.log.Warn("disconnected from NATS; buffering on disk until it is back", "error", err)
}
