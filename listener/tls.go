package listener

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
)

// TLSConfig builds a server config: TLS 1.2 minimum, the certificate and key
// from files, and client authentication none, request or require. With
// request a client certificate is optional but, when ClientCAFile is
// given, verified if presented; require needs ClientCAFile and rejects a
// client without a certificate that chains to it (Options.Check says so
// before the files are read).
func TLSConfig(o TLSOptions) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(o.CertFile, o.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("load tls certificate: %w", err)
	}
	cfg := &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{cert},
		// No session tickets. A TLS 1.3 server sends them unasked after the
		// handshake; a sender that writes, never reads and closes (loggen,
		// most one-shot clients) leaves them unread in its socket, and
		// closing a socket with unread data sends a TCP reset, which makes
		// our kernel discard everything it had received for us and not yet
		// handed over: the sender's tail was lost. Syslog senders do not
		// resume sessions, so nothing is lost by not offering it.
		SessionTicketsDisabled: true,
	}
	var pool *x509.CertPool
	if o.ClientCAFile != "" && o.ClientAuth != ClientAuthNone {
		pem, err := os.ReadFile(o.ClientCAFile)
		if err != nil {
			return nil, fmt.Errorf("read client ca file: %w", err)
		}
		pool = x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("client ca file %s: no PEM certificates", o.ClientCAFile)
		}
	}
	switch o.ClientAuth {
	case ClientAuthNone:
		cfg.ClientAuth = tls.NoClientCert
	case ClientAuthRequest:
		cfg.ClientAuth = tls.RequestClientCert
		if pool != nil {
			cfg.ClientAuth = tls.VerifyClientCertIfGiven
			cfg.ClientCAs = pool
		}
	case ClientAuthRequire:
		if pool == nil {
			return nil, fmt.Errorf("client_auth require needs client_ca_file")
		}
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
		cfg.ClientCAs = pool
	default:
		return nil, fmt.Errorf("unknown client_auth %v", o.ClientAuth)
	}
	return cfg, nil
}
