package listener

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
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

// TestTLSClientThatWritesAndCloses: a TLS client that writes and closes at
// once, never reading (loggen, many one-shot senders), must lose nothing,
// even when the server has not read its data yet. A TLS 1.3 server that
// sends session tickets leaves them unread in such a client; its close
// then sends a TCP reset, which makes the server's kernel discard
// everything it had received and not yet handed over. The client here
// reads exactly the records its handshake needs (recordConn), as OpenSSL
// does, and offers resumption (a session cache), as OpenSSL does.
func TestTLSClientThatWritesAndCloses(t *testing.T) {
	p := newTestPKI(t)
	r := newRecorder()
	h := gateHandler{recHandler{r}, make(chan struct{}, 1), make(chan struct{})}
	o := withDefaults(Options{Protocol: "tls", Address: "127.0.0.1:0",
		TLS: &TLSOptions{CertFile: p.certFile, KeyFile: p.keyFile}})
	m := new(Metrics)
	l, err := Listen("tls", o, func() Handler { return h }, m, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close(context.Background()) })
	raw, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c := tls.Client(&recordConn{Conn: raw}, &tls.Config{RootCAs: p.roots, ServerName: "127.0.0.1",
		ClientSessionCache: tls.NewLRUClientSessionCache(1)})
	const n = 600
	frame := "<13>" + strings.Repeat("x", 1000) + "\n"
	if _, err := c.Write([]byte(frame)); err != nil {
		t.Fatal(err)
	}
	<-h.entered // the server is parked on the first frame: the rest stays in its kernel buffer
	for range n - 1 {
		if _, err := c.Write([]byte(frame)); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	close(h.release)
	for i := 1; i < n; i++ { // the first one was taken by the gate
		select {
		case <-r.frames:
		case <-time.After(waitFor):
			t.Fatalf("got %d of %d frames (read errors %d)", i, n, m.ReadErrors.Load())
		}
	}
}

// recordConn hands the TLS client one whole TLS record per Read, so that
// it never reads ahead of what it needs (crypto/tls reads ahead in chunks,
// OpenSSL does not).
type recordConn struct {
	net.Conn
	rec []byte // the rest of the current record
}

func (c *recordConn) Read(p []byte) (int, error) {
	if len(c.rec) == 0 {
		hdr := make([]byte, 5)
		if _, err := io.ReadFull(c.Conn, hdr); err != nil {
			return 0, err
		}
		c.rec = append(hdr, make([]byte, int(hdr[3])<<8|int(hdr[4]))...)
		if _, err := io.ReadFull(c.Conn, c.rec[5:]); err != nil {
			return 0, err
		}
	}
	n := copy(p, c.rec)
	c.rec = c.rec[n:]
	return n, nil
}
