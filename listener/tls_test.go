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
	ca                        *x509.Certificate
	caKey                     *ecdsa.PrivateKey
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
	p := testPKI{
		caFile:   filepath.Join(dir, "ca.pem"),
		certFile: filepath.Join(dir, "server.pem"),
		keyFile:  filepath.Join(dir, "server.key"),
		roots:    x509.NewCertPool(),
		ca:       ca,
		caKey:    caKey,
	}
	p.roots.AddCert(ca)
	writePEM(t, p.caFile, "CERTIFICATE", caDER)
	p.writeServer(t, 2)
	p.client = p.clientCert(t, 3, "localhost")
	return p
}

// issue makes a certificate signed by the CA, for the loopback addresses
// and the given DNS names, with common name cn.
func (p testPKI) issue(t *testing.T, serial int64, usage x509.ExtKeyUsage, cn string, dns ...string) ([]byte, *ecdsa.PrivateKey) {
	t.Helper()
	key := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{usage},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:     dns,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.ca, &key.PublicKey, p.caKey)
	if err != nil {
		t.Fatal(err)
	}
	return der, key
}

// writeServer (re)writes certFile and keyFile with a new server
// certificate of this serial number, as a renewal does.
func (p testPKI) writeServer(t *testing.T, serial int64) {
	t.Helper()
	der, key := p.issue(t, serial, x509.ExtKeyUsageServerAuth, "localhost")
	writePEM(t, p.certFile, "CERTIFICATE", der)
	writePEM(t, p.keyFile, "PRIVATE KEY", marshalKey(t, key))
}

// clientCert is a client certificate with common name cn and these DNS
// names.
func (p testPKI) clientCert(t *testing.T, serial int64, cn string, dns ...string) tls.Certificate {
	t.Helper()
	der, key := p.issue(t, serial, x509.ExtKeyUsageClientAuth, cn, dns...)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
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
	return start(t, tlsOptions(p, auth), r, m), r, m
}

// tlsOptions are a tls listener's on the loopback with the PKI's files.
func tlsOptions(p testPKI, auth ClientAuth) Options {
	return withDefaults(Options{Protocol: "tls", Address: "127.0.0.1:0",
		TLS: &TLSOptions{CertFile: p.certFile, KeyFile: p.keyFile, ClientCAFile: p.caFile, ClientAuth: auth,
			HandshakeTimeout: DefaultHandshakeTimeout}})
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
	o := tlsOptions(p, ClientAuthNone)
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

// listenAsIs runs a listener with exactly these options (start fills
// zero limits from the defaults, and an idle_timeout of 0 is one under
// test here).
func listenAsIs(t *testing.T, o Options, r *recorder, m *Metrics) *Listener {
	t.Helper()
	l, err := Listen(t.Name(), o, r.newHandler, m, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitFor)
		defer cancel()
		if err := l.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return l
}

// deadlineCall is one deadline a connection was given: read (or both), to
// what, and when.
type deadlineCall struct {
	read    bool
	to, set time.Time
}

// deadlineConn is the server's end of a net.Pipe that reports every
// deadline set on it, so a test can see the deadline the listener chose
// without waiting for it to pass. Tests hand it to admit, as acceptLoop
// would.
type deadlineConn struct {
	net.Conn
	calls chan deadlineCall
}

func newDeadlineConn() (server *deadlineConn, client net.Conn) {
	s, c := net.Pipe()
	return &deadlineConn{Conn: s, calls: make(chan deadlineCall, 64)}, c
}

func (c *deadlineConn) SetDeadline(d time.Time) error {
	c.calls <- deadlineCall{to: d, set: time.Now()}
	return c.Conn.SetDeadline(d)
}

func (c *deadlineConn) SetReadDeadline(d time.Time) error {
	c.calls <- deadlineCall{read: true, to: d, set: time.Now()}
	return c.Conn.SetReadDeadline(d)
}

// next waits for the next deadline set.
func (c *deadlineConn) next(t *testing.T) deadlineCall {
	t.Helper()
	select {
	case d := <-c.calls:
		return d
	case <-time.After(waitFor):
		t.Fatal("no deadline set")
		return deadlineCall{}
	}
}

// noMore checks that no deadline was set since the last one taken. Call it
// after a later event (a frame delivered) proved the reads before it
// happened.
func (c *deadlineConn) noMore(t *testing.T) {
	t.Helper()
	select {
	case d := <-c.calls:
		t.Errorf("deadline set %v ahead (read only: %v)", d.to.Sub(d.set), d.read)
	default:
	}
}

// TestTLSHandshakeTimeout: a client that connects and sends no ClientHello
// is closed once handshake_timeout has passed, not before, and counted as
// a failed handshake, even with an idle_timeout of 0 (never).
func TestTLSHandshakeTimeout(t *testing.T) {
	const timeout = 300 * time.Millisecond
	p := newTestPKI(t)
	o := tlsOptions(p, ClientAuthNone)
	o.TLS.HandshakeTimeout, o.IdleTimeout = timeout, 0
	r, m := newRecorder(), new(Metrics)
	l := listenAsIs(t, o, r, m)
	began := time.Now() // before the dial: the server's deadline starts at accept, after it
	c := dial(t, l, nil)
	waitClosed(t, c)
	if el := time.Since(began); el < timeout {
		t.Errorf("closed after %v, before handshake_timeout %v", el, timeout)
	}
	eventually(t, "handshake failure counted", func() bool { return m.ReadErrors.Load() == 1 })
	r.none(t)
}

// TestTLSHandshakeDeadlineIsHandshakeTimeout: the handshake's deadline is
// handshake_timeout alone — a sender that connects at start and sends its
// ClientHello with its first message (syslog-ng) gets an hour here, not
// the former fixed 10 s nor the idle timeout — and it is lifted once the
// handshake is done; with idle_timeout 0 no deadline follows.
func TestTLSHandshakeDeadlineIsHandshakeTimeout(t *testing.T) {
	p := newTestPKI(t)
	o := tlsOptions(p, ClientAuthNone)
	o.TLS.HandshakeTimeout, o.IdleTimeout = time.Hour, 0
	r := newRecorder()
	l := listenAsIs(t, o, r, nil)
	server, client := newDeadlineConn()
	l.admit(server)
	d := server.next(t)
	if ahead := d.to.Sub(d.set); d.read || ahead < time.Hour-time.Second || ahead > time.Hour {
		t.Fatalf("handshake deadline %v ahead (read only: %v), want handshake_timeout 1h for reads and writes", ahead, d.read)
	}
	tc := tls.Client(client, &tls.Config{RootCAs: p.roots, ServerName: "127.0.0.1"})
	defer tc.Close()
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	if d := server.next(t); d.read || !d.to.IsZero() {
		t.Errorf("after the handshake: deadline %v (read only: %v), want none", d.to, d.read)
	}
	if _, err := tc.Write([]byte("<13>late hello\n")); err != nil {
		t.Fatal(err)
	}
	r.expect(t, "<13>late hello")
	server.noMore(t)
}

// TestIdleTimeoutZero: idle_timeout 0 sets no read deadline at all, so a
// connection may stay silent for ever (the same harness sees the deadline
// a non-zero idle timeout sets); frame_timeout still closes a dribbler,
// which the sweep does with a past deadline.
func TestIdleTimeoutZero(t *testing.T) {
	for _, tc := range []struct {
		idle time.Duration
		want time.Duration // the read deadline's distance, 0 for none
	}{
		{0, 0},
		{DefaultIdleTimeout, DefaultIdleTimeout + DefaultIdleTimeout/8},
	} {
		r := newRecorder()
		o := withDefaults(Options{Protocol: "tcp", Address: "127.0.0.1:0"})
		o.IdleTimeout = tc.idle
		l := listenAsIs(t, o, r, nil)
		server, client := newDeadlineConn()
		l.admit(server)
		if _, err := client.Write([]byte("<13>one\n")); err != nil {
			t.Fatal(err)
		}
		r.expect(t, "<13>one")
		if tc.want != 0 {
			d := server.next(t)
			if ahead := d.to.Sub(d.set); !d.read || ahead < tc.want-time.Second || ahead > tc.want {
				t.Errorf("idle_timeout %v: read deadline %v ahead (read only: %v), want %v", tc.idle, ahead, d.read, tc.want)
			}
		}
		server.noMore(t)
		_ = client.Close()
	}

	const frameTimeout = 200 * time.Millisecond
	r, m := newRecorder(), new(Metrics)
	o := withDefaults(Options{Protocol: "tcp", Address: "127.0.0.1:0", FrameTimeout: frameTimeout})
	o.IdleTimeout = 0
	l := listenAsIs(t, o, r, m)
	c := dial(t, l, nil)
	write(t, c, "<13>dribbled")
	waitClosed(t, c)
	r.expect(t, "<13>dribbled")
	eventually(t, "frame timeout counted", func() bool { return m.FrameTimeouts.Load() == 1 })
}

// dialTLSConn completes a handshake with l.
func dialTLSConn(t *testing.T, l *Listener, cfg *tls.Config) *tls.Conn {
	t.Helper()
	d := tls.Dialer{NetDialer: &net.Dialer{Timeout: waitFor}, Config: cfg}
	c, err := d.DialContext(t.Context(), "tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	_ = c.SetDeadline(time.Now().Add(waitFor))
	return c.(*tls.Conn)
}

// TestTLSUpdateRereadsCertificate: an Update with the same options
// re-reads the files (a renewed certificate, as the daemon's reload does
// for every tls listener): a new connection gets the new certificate while
// an open one goes on. A renewal that cannot be loaded fails the Update,
// and the certificate in use stays.
func TestTLSUpdateRereadsCertificate(t *testing.T) {
	p := newTestPKI(t)
	o := tlsOptions(p, ClientAuthNone)
	r := newRecorder()
	l := start(t, o, r, nil)
	cfg := &tls.Config{RootCAs: p.roots}
	serial := func(c *tls.Conn) int64 { return c.ConnectionState().PeerCertificates[0].SerialNumber.Int64() }

	old := dialTLSConn(t, l, cfg)
	write(t, old, "<13>before\n")
	r.expect(t, "<13>before")
	if got := serial(old); got != 2 {
		t.Fatalf("first certificate's serial %d, want 2", got)
	}

	p.writeServer(t, 20) // renewed on disk, same names
	if err := l.Update(o, r.newHandler); err != nil {
		t.Fatal(err)
	}
	fresh := dialTLSConn(t, l, cfg)
	write(t, fresh, "<13>fresh\n")
	r.expect(t, "<13>fresh")
	if got := serial(fresh); got != 20 {
		t.Errorf("after Update a new connection sees serial %d, want the renewed 20", got)
	}
	write(t, old, "<13>still open\n")
	r.expect(t, "<13>still open")

	if err := os.WriteFile(p.certFile, []byte("half-written"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := l.Update(o, r.newHandler); err == nil {
		t.Error("Update loaded a broken certificate file")
	}
	if got := serial(dialTLSConn(t, l, cfg)); got != 20 {
		t.Errorf("after a failed Update a new connection sees serial %d, want 20", got)
	}
	write(t, old, "<13>old again\n")
	r.expect(t, "<13>old again")
	r.none(t)
}
