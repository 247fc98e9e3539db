package listener

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
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

// checkTLSFiles parses the files of t that can be read, so that a broken
// one fails the configuration check rather than the start or a reload:
// cert_file must hold certificates, key_file a private key, the two must
// belong together (tls.X509KeyPair), and client_ca_file must hold
// certificates. A file that cannot be read is left to the configuration,
// which reports every unreadable ",file" field once, itself.
func checkTLSFiles(t *TLSOptions) []error {
	var errs []error
	add := func(path string, err error) { errs = append(errs, &FieldError{Path: path, Err: err}) }
	read := func(name string) []byte {
		if name == "" {
			return nil
		}
		b, err := os.ReadFile(name)
		if err != nil {
			return nil
		}
		return b
	}
	certPEM, keyPEM := read(t.CertFile), read(t.KeyFile)
	if certPEM != nil {
		if err := parseCerts(t.CertFile, certPEM); err != nil {
			add("tls.cert_file", err)
			certPEM = nil
		}
	}
	if keyPEM != nil {
		if err := parseKey(t.KeyFile, keyPEM); err != nil {
			add("tls.key_file", err)
			keyPEM = nil
		}
	}
	if certPEM != nil && keyPEM != nil {
		if _, err := tls.X509KeyPair(certPEM, keyPEM); err != nil {
			add("tls.key_file", fmt.Errorf("certificate and key do not match: %s is not the key of the first certificate in %s", t.KeyFile, t.CertFile))
		}
	}
	if caPEM := read(t.ClientCAFile); caPEM != nil {
		if err := parseCerts(t.ClientCAFile, caPEM); err != nil {
			add("tls.client_ca_file", err)
		}
	}
	return errs
}

// parseCerts parses every CERTIFICATE block of a PEM file, which must hold
// at least one; other blocks are skipped, as crypto/tls skips them.
func parseCerts(name string, data []byte) error {
	n := 0
	for {
		var b *pem.Block
		if b, data = pem.Decode(data); b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		n++
		if _, err := x509.ParseCertificate(b.Bytes); err != nil {
			return fmt.Errorf("certificate %d in %s: %w", n, name, err)
		}
	}
	if n == 0 {
		return fmt.Errorf("no PEM certificate in %s", name)
	}
	return nil
}

// parseKey parses the first private key block of a PEM file in the forms
// crypto/tls reads: PKCS #1 (RSA), PKCS #8, SEC 1 (EC).
func parseKey(name string, data []byte) error {
	for {
		var b *pem.Block
		if b, data = pem.Decode(data); b == nil {
			return fmt.Errorf("no PEM private key in %s", name)
		}
		if b.Type != "PRIVATE KEY" && !strings.HasSuffix(b.Type, " PRIVATE KEY") {
			continue
		}
		if _, err := x509.ParsePKCS1PrivateKey(b.Bytes); err == nil {
			return nil
		}
		if _, err := x509.ParsePKCS8PrivateKey(b.Bytes); err == nil {
			return nil
		}
		if _, err := x509.ParseECPrivateKey(b.Bytes); err == nil {
			return nil
		}
		return fmt.Errorf("cannot parse the private key in %s (%s; want an unencrypted PKCS #1, PKCS #8 or EC key)", name, b.Type)
	}
}

// checkNamePattern reports an allowed_names entry that is not a host name
// or "*." and a host name.
func checkNamePattern(p string) error {
	name, _ := strings.CutPrefix(p, "*.")
	switch {
	case p == "":
		return errors.New("empty name")
	case strings.Contains(name, "*"):
		return fmt.Errorf("invalid name %q: a wildcard is only valid as the whole left-most label, as in *.edge.example.com", p)
	case slices.Contains(strings.Split(name, "."), ""):
		return fmt.Errorf("invalid name %q: empty label", p)
	}
	return nil
}

// allowedName reports whether a client certificate names one of patterns:
// any of its DNS names, or its common name when it has none (as crypto/x509
// did before it ignored common names).
func allowedName(cert *x509.Certificate, patterns []string) bool {
	names := cert.DNSNames
	if len(names) == 0 {
		names = []string{cert.Subject.CommonName}
	}
	for _, n := range names {
		for _, p := range patterns {
			if matchName(p, n) {
				return true
			}
		}
	}
	return false
}

// matchName matches one of the operator's patterns against one name of a
// client certificate, by RFC 6125's rules: case-insensitive, an exact
// pattern matches exactly, and "*.x.y" matches exactly one left-most label
// ("a.x.y", not "x.y" nor "a.b.x.y"). It is hand-written because crypto/x509
// matches the other way round: VerifyHostname takes a concrete host name
// and the certificate's names, which may hold the wildcard; here the
// pattern holds it and the certificate's names are concrete, so a name
// with a "*" in it (a wildcard certificate) matches nothing.
func matchName(pattern, name string) bool {
	if name == "" || strings.Contains(name, "*") {
		return false
	}
	if parent, ok := strings.CutPrefix(pattern, "*."); ok {
		label, rest, ok := strings.Cut(name, ".")
		return ok && label != "" && strings.EqualFold(rest, parent)
	}
	return strings.EqualFold(name, pattern)
}
