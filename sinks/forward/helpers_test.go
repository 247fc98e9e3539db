package forward

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"syslogd/message"
)

// testZone is time.Local for the tests, so that rfc3164 stamps are the
// same on every machine.
var testZone = time.FixedZone("TEST", 2*3600)

func TestMain(m *testing.M) {
	time.Local = testZone
	os.Exit(m.Run())
}

// numbered returns message i of a stream whose texts say their number.
func numbered(i int) *message.Message {
	return &message.Message{
		Received: time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC), Timestamp: time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC),
		Facility: 1, Severity: 6, Hostname: "h", AppName: "app", Text: fmt.Sprintf("message %04d", i), Format: message.RFC5424,
	}
}

func numberedRange(from, to int) []*message.Message {
	var out []*message.Message
	for i := from; i < to; i++ {
		out = append(out, numbered(i))
	}
	return out
}

// numberOf reads the number back from a frame of a numbered message.
func numberOf(t *testing.T, frame string) int {
	t.Helper()
	i := strings.LastIndex(frame, "message ")
	n, err := strconv.Atoi(frame[i+len("message "):])
	if i < 0 || err != nil {
		t.Fatalf("not a numbered message: %q", frame)
	}
	return n
}

// frame is one message a test server read, and on which of its
// connections (0 for the first).
type frame struct {
	conn int
	data string
}

// streamServer is a syslog server over TCP or TLS that hands every frame
// it reads to frames, parsing the framing strictly.
type streamServer struct {
	ln      net.Listener
	framing Framing
	frames  chan frame
	// cutAfter, when > 0, closes the first connection after that many
	// frames, with whatever it has not read unread (as a server that
	// crashes); crash closes the listener first, so nothing can connect
	// until the test starts another server.
	cutAfter int
	crash    bool
	cut      chan struct{} // closed once the first connection was cut

	mu    sync.Mutex
	conns []net.Conn
	wg    sync.WaitGroup
}

func startStream(t *testing.T, addr string, framing Framing, tc *tls.Config, setup ...func(*streamServer)) *streamServer {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	if tc != nil {
		ln = tls.NewListener(ln, tc)
	}
	srv := &streamServer{ln: ln, framing: framing, frames: make(chan frame, 100000), cut: make(chan struct{})}
	for _, f := range setup {
		f(srv)
	}
	srv.wg.Add(1)
	go srv.accept()
	t.Cleanup(srv.stop)
	return srv
}

func (srv *streamServer) addr() string { return srv.ln.Addr().String() }

func (srv *streamServer) accept() {
	defer srv.wg.Done()
	for i := 0; ; i++ {
		c, err := srv.ln.Accept()
		if err != nil {
			return
		}
		srv.mu.Lock()
		srv.conns = append(srv.conns, c)
		srv.mu.Unlock()
		srv.wg.Add(1)
		go srv.serve(c, i)
	}
}

func (srv *streamServer) serve(c net.Conn, idx int) {
	defer srv.wg.Done()
	defer c.Close()
	if tc, ok := c.(*tls.Conn); ok && tc.Handshake() != nil {
		return // a client the test means to fail
	}
	r := bufio.NewReader(c)
	for n := 0; ; n++ {
		if idx == 0 && srv.cutAfter > 0 && n == srv.cutAfter {
			if srv.crash {
				srv.ln.Close()
			}
			close(srv.cut)
			return
		}
		data, err := readFrame(r, srv.framing)
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				srv.frames <- frame{idx, "ERROR " + err.Error()}
			}
			return
		}
		srv.frames <- frame{idx, data}
	}
}

func (srv *streamServer) stop() {
	srv.ln.Close()
	srv.mu.Lock()
	for _, c := range srv.conns {
		c.Close()
	}
	srv.mu.Unlock()
	srv.wg.Wait()
}

// readFrame reads one frame: strictly "LEN SP MSG" (LEN without leading
// zeros) or "MSG LF".
func readFrame(r *bufio.Reader, f Framing) (string, error) {
	if f == FramingNonTransparent {
		line, err := r.ReadString('\n')
		if err != nil {
			if line != "" && errors.Is(err, io.EOF) {
				return "", fmt.Errorf("torn frame %q", line)
			}
			return "", err
		}
		return strings.TrimSuffix(line, "\n"), nil
	}
	head, err := r.ReadString(' ')
	if err != nil {
		if head != "" && errors.Is(err, io.EOF) {
			return "", fmt.Errorf("torn frame %q", head)
		}
		return "", err
	}
	digits := strings.TrimSuffix(head, " ")
	n, err := strconv.Atoi(digits)
	if err != nil || n <= 0 || digits[0] == '0' {
		return "", fmt.Errorf("bad octet count %q", digits)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("torn frame of %d bytes: %w", n, err)
	}
	return string(b), nil
}

// udpServer hands every datagram it gets to frames.
type udpServer struct {
	pc     net.PacketConn
	frames chan frame
	done   chan struct{}
}

func startUDP(t *testing.T) *udpServer {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &udpServer{pc: pc, frames: make(chan frame, 10000), done: make(chan struct{})}
	go func() {
		defer close(srv.done)
		b := make([]byte, 1<<16)
		for {
			n, _, err := pc.ReadFrom(b)
			if err != nil {
				return
			}
			srv.frames <- frame{0, string(b[:n])}
		}
	}()
	t.Cleanup(func() { pc.Close(); <-srv.done })
	return srv
}

// receive returns the next n frames, failing the test if they take more
// than a generous bound (a guard, not a synchronisation).
func receive(t *testing.T, frames <-chan frame, n int) []frame {
	t.Helper()
	timeout := time.After(20 * time.Second)
	var out []frame
	for len(out) < n {
		select {
		case f := <-frames:
			if strings.HasPrefix(f.data, "ERROR ") {
				t.Fatalf("server: %s", f.data)
			}
			out = append(out, f)
		case <-timeout:
			t.Fatalf("received %d frames of %d", len(out), n)
		}
	}
	return out
}

// pki is a test CA with a server certificate for 127.0.0.1 and a client
// certificate, as PEM files.
type pki struct {
	dir                       string
	caFile, certFile, keyFile string // the server's
	clientCert, clientKey     string
	otherKey, garbage         string
	pool                      *x509.CertPool
	serverTLS                 tls.Certificate
}

func newPKI(t *testing.T) *pki {
	t.Helper()
	dir := t.TempDir()
	p := &pki{dir: dir}
	caKey := newKey(t)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	p.pool = x509.NewCertPool()
	p.pool.AddCert(ca)
	p.caFile = writePEM(t, dir, "ca.pem", "CERTIFICATE", caDER)

	leaf := func(name string, serial int64, usage x509.ExtKeyUsage) (certFile, keyFile string) {
		key := newKey(t)
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
			IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		kder, _ := x509.MarshalPKCS8PrivateKey(key)
		return writePEM(t, dir, name+".pem", "CERTIFICATE", der), writePEM(t, dir, name+"-key.pem", "PRIVATE KEY", kder)
	}
	p.certFile, p.keyFile = leaf("server", 2, x509.ExtKeyUsageServerAuth)
	p.clientCert, p.clientKey = leaf("client", 3, x509.ExtKeyUsageClientAuth)
	kder, _ := x509.MarshalPKCS8PrivateKey(newKey(t))
	p.otherKey = writePEM(t, dir, "other-key.pem", "PRIVATE KEY", kder)
	p.garbage = filepath.Join(dir, "garbage.pem")
	if err := os.WriteFile(p.garbage, []byte("not a PEM file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if p.serverTLS, err = tls.LoadX509KeyPair(p.certFile, p.keyFile); err != nil {
		t.Fatal(err)
	}
	return p
}

// server returns a TLS server configuration; with clients, it requires a
// client certificate from the CA.
func (p *pki) server(clients bool) *tls.Config {
	tc := &tls.Config{Certificates: []tls.Certificate{p.serverTLS}, MinVersion: tls.VersionTLS12}
	if clients {
		tc.ClientAuth, tc.ClientCAs = tls.RequireAndVerifyClientCert, p.pool
	}
	return tc
}

func newKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func writePEM(t *testing.T, dir, name, typ string, der []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
