package listener

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// testPKI is a throwaway CA with a server certificate for the loopback
// addresses and a client certificate, written where TLSConfig reads them.
type testPKI struct {
	caFile, certFile, keyFile string
	roots                     *x509.CertPool
	client                    tls.Certificate
}

func newTestPKI(t *testing.T) testPKI {
	t.Helper()
	dir := t.TempDir()
	caKey := newKey(t)
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "syslogd test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	issue := func(serial int64, usage x509.ExtKeyUsage) ([]byte, *ecdsa.PrivateKey) {
		key := newKey(t)
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial),
			Subject:      pkix.Name{CommonName: "localhost"},
			NotBefore:    time.Now().Add(-time.Hour),
			NotAfter:     time.Now().Add(time.Hour),
			KeyUsage:     x509.KeyUsageDigitalSignature,
			ExtKeyUsage:  []x509.ExtKeyUsage{usage},
			IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		return der, key
	}
	p := testPKI{
		caFile:   filepath.Join(dir, "ca.pem"),
		certFile: filepath.Join(dir, "server.pem"),
		keyFile:  filepath.Join(dir, "server.key"),
		roots:    x509.NewCertPool(),
	}
	p.roots.AddCert(ca)
	writePEM(t, p.caFile, "CERTIFICATE", caDER)
	serverDER, serverKey := issue(2, x509.ExtKeyUsageServerAuth)
	writePEM(t, p.certFile, "CERTIFICATE", serverDER)
	writePEM(t, p.keyFile, "PRIVATE KEY", marshalKey(t, serverKey))
	clientDER, clientKey := issue(3, x509.ExtKeyUsageClientAuth)
	p.client = tls.Certificate{Certificate: [][]byte{clientDER}, PrivateKey: clientKey}
	return p
}

func newKey(t *testing.T) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func marshalKey(t *testing.T, k *ecdsa.PrivateKey) []byte {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// startTLS runs a TLS listener with the given client_auth.
func startTLS(t *testing.T, p testPKI, clientAuth string) (*Listener, *recorder, *Metrics) {
	t.Helper()
	var auth ClientAuth
	if err := auth.UnmarshalText([]byte(clientAuth)); err != nil {
		t.Fatal(err)
	}
	r, m := newRecorder(), new(Metrics)
	o := Options{Protocol: "tls", Address: "127.0.0.1:0",
		TLS: &TLSOptions{CertFile: p.certFile, KeyFile: p.keyFile, ClientCAFile: p.caFile, ClientAuth: auth}}
	return start(t, o, r, m), r, m
}

// dialTLS connects and sends s, returning the client's first error (TLS 1.3
// reports a rejected client certificate only on the next read).
func dialTLS(t *testing.T, l *Listener, cfg *tls.Config, s string) error {
	t.Helper()
	d := tls.Dialer{NetDialer: &net.Dialer{Timeout: waitFor}, Config: cfg}
	c, err := d.DialContext(t.Context(), "tcp", l.Addr().String())
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(waitFor))
	if _, err := c.Write([]byte(s)); err != nil {
		return err
	}
	if err := c.(*tls.Conn).CloseWrite(); err != nil {
		return err
	}
	var b [1]byte
	_, err = c.Read(b[:]) // the server closes after our close_notify, or rejects us
	return err
}

func TestTLSClientCertificate(t *testing.T) {
	p := newTestPKI(t)
	l, r, m := startTLS(t, p, "require")
	good := &tls.Config{RootCAs: p.roots, Certificates: []tls.Certificate{p.client}}
	if err := dialTLS(t, l, good, "9 <13>octet<13>lf\n<13>trailing"); err == nil {
		t.Fatal("server did not close the connection")
	}
	r.expect(t, "<13>octet", "<13>lf", "<13>trailing")
	if got := m.ReadErrors.Load(); got != 0 {
		t.Errorf("ReadErrors = %d, want 0", got)
	}

	// Without a certificate the handshake fails on the server, which counts it.
	if err := dialTLS(t, l, &tls.Config{RootCAs: p.roots}, "<13>no cert\n"); err == nil {
		t.Fatal("client without certificate was served")
	}
	eventually(t, "handshake failure counted", func() bool { return m.ReadErrors.Load() == 1 })
	r.none(t)
}

func TestTLSRefusesOldVersions(t *testing.T) {
	p := newTestPKI(t)
	l, r, m := startTLS(t, p, "none")
	old := &tls.Config{RootCAs: p.roots, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}
	if err := dialTLS(t, l, old, "<13>old\n"); err == nil {
		t.Fatal("TLS 1.1 client was served")
	}
	eventually(t, "handshake failure counted", func() bool { return m.ReadErrors.Load() == 1 })

	tls12 := &tls.Config{RootCAs: p.roots, MaxVersion: tls.VersionTLS12}
	_ = dialTLS(t, l, tls12, "<13>tls12\n")
	r.expect(t, "<13>tls12")
	r.none(t)
}

func TestTLSPlainClientCounted(t *testing.T) {
	p := newTestPKI(t)
	l, r, m := startTLS(t, p, "none")
	c := dial(t, l, nil)
	write(t, c, "<13>plain text on a tls port\n")
	waitClosed(t, c)
	eventually(t, "handshake failure counted", func() bool { return m.ReadErrors.Load() == 1 })
	r.none(t)
}

func TestTLSConfig(t *testing.T) {
	p := newTestPKI(t)
	tests := []struct {
		name, ca string
		auth     ClientAuth
		want     tls.ClientAuthType
		wantErr  bool
	}{
		{"none", "", ClientAuthNone, tls.NoClientCert, false},
		{"none ignores the ca", p.caFile, ClientAuthNone, tls.NoClientCert, false},
		{"request without ca", "", ClientAuthRequest, tls.RequestClientCert, false},
		{"request with ca", p.caFile, ClientAuthRequest, tls.VerifyClientCertIfGiven, false},
		{"require with ca", p.caFile, ClientAuthRequire, tls.RequireAndVerifyClientCert, false},
		{"require without ca", "", ClientAuthRequire, 0, true},
		{"unknown mode", "", numClientAuths, 0, true},
		{"ca is not pem", p.keyFile + ".missing", ClientAuthRequire, 0, true},
		{"ca without certificates", p.keyFile, ClientAuthRequire, 0, true},
	}
	for _, tc := range tests {
		cfg, err := TLSConfig(TLSOptions{CertFile: p.certFile, KeyFile: p.keyFile, ClientCAFile: tc.ca, ClientAuth: tc.auth})
		if tc.wantErr {
			if err == nil {
				t.Errorf("%s: no error", tc.name)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if cfg.ClientAuth != tc.want || cfg.MinVersion != tls.VersionTLS12 || len(cfg.Certificates) != 1 {
			t.Errorf("%s: client_auth %v min_version %x certs %d", tc.name, cfg.ClientAuth, cfg.MinVersion, len(cfg.Certificates))
		}
		if (tc.ca != "" && tc.auth != ClientAuthNone) != (cfg.ClientCAs != nil) {
			t.Errorf("%s: ClientCAs set = %v", tc.name, cfg.ClientCAs != nil)
		}
	}
	if _, err := TLSConfig(TLSOptions{CertFile: p.certFile, KeyFile: p.caFile}); err == nil {
		t.Error("mismatched key accepted")
	}
}
