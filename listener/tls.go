package listener

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
)

// TLSConfig builds a server config: TLS 1.2 minimum, the certificate and key
// from files, and client authentication "none", "request" or "require".
// With "request" a client certificate is optional but, when clientCAFile is
// given, verified if presented; "require" needs clientCAFile and rejects a
// client without a certificate that chains to it.
func TLSConfig(certFile, keyFile, clientCAFile, clientAuth string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("load tls certificate: %w", err)
	}
	cfg := &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{cert},
	}
	var pool *x509.CertPool
	if clientCAFile != "" && clientAuth != "none" {
		pem, err := os.ReadFile(clientCAFile)
		if err != nil {
			return nil, fmt.Errorf("read client ca file: %w", err)
		}
		pool = x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("client ca file %s: no PEM certificates", clientCAFile)
		}
	}
	switch clientAuth {
	case "", "none":
		cfg.ClientAuth = tls.NoClientCert
	case "request":
		cfg.ClientAuth = tls.RequestClientCert
		if pool != nil {
			cfg.ClientAuth = tls.VerifyClientCertIfGiven
			cfg.ClientCAs = pool
		}
	case "require":
		if pool == nil {
			return nil, errors.New("client_auth require needs client_ca_file")
		}
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
		cfg.ClientCAs = pool
	default:
		return nil, fmt.Errorf("unknown client_auth %q (want none, request or require)", clientAuth)
	}
	return cfg, nil
}
