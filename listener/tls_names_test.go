package listener

import (
	"bytes"
	"context"
	"crypto/tls"
	"log/slog"
	"strings"
	"sync"
	"testing"
)

func TestMatchName(t *testing.T) {
	for _, tc := range []struct {
		pattern, name string
		want          bool
	}{
		{"*.edge.example.com", "a.edge.example.com", true},
		{"*.edge.example.com", "A-1.EDGE.Example.com", true},
		{"*.edge.example.com", "edge.example.com", false},     // the wildcard is one label, not none
		{"*.edge.example.com", "a.b.edge.example.com", false}, // nor two
		{"*.edge.example.com", ".edge.example.com", false},
		{"*.edge.example.com", "aedge.example.com", false},
		{"*.edge.example.com", "*.edge.example.com", false}, // a wildcard certificate names nobody in particular
		{"central.example.com", "Central.Example.COM", true},
		{"central.example.com", "a.central.example.com", false},
		{"central.example.com", "central.example.co", false},
		{"central.example.com", "", false},
	} {
		if got := matchName(tc.pattern, tc.name); got != tc.want {
			t.Errorf("matchName(%q, %q) = %v, want %v", tc.pattern, tc.name, got, tc.want)
		}
	}
}

// lockedBuffer is a log destination the test reads while the listener
// writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// TestTLSAllowedNames: with allowed_names, a client whose certificate
// names one of the patterns (a DNS name, or its common name when it has no
// DNS names) is served; one that names none is closed after the
// handshake, counted as rejected (not as a read error) and logged, once
// for a burst.
func TestTLSAllowedNames(t *testing.T) {
	p := newTestPKI(t)
	o := tlsOptions(p, ClientAuthRequire)
	o.TLS.AllowedNames = []string{"*.edge.example.com", "central.example.com"}
	r, m, logs := newRecorder(), new(Metrics), new(lockedBuffer)
	l, err := Listen(t.Name(), o, r.newHandler, m, slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close(context.Background()) })
	client := func(serial int64, cn string, dns ...string) *tls.Config {
		return &tls.Config{RootCAs: p.roots, Certificates: []tls.Certificate{p.clientCert(t, serial, cn, dns...)}}
	}

	for _, refused := range []*tls.Config{
		client(10, "a.edge.example.com", "edge.example.com", "a.b.edge.example.com"), // the CN does not count beside DNS names
		client(11, "other.example.com"),
	} {
		if err := dialTLS(t, l, refused, "<13>refused\n"); err == nil {
			t.Fatal("a refused client's connection stayed open")
		}
	}
	eventually(t, "refusals counted", func() bool { return m.Rejected.Load() == 2 })

	if err := dialTLS(t, l, client(12, "whatever", "x.example.org", "b.Edge.Example.com"), "<13>edge\n"); err == nil {
		t.Fatal("server did not close the connection")
	}
	r.expect(t, "<13>edge")
	if err := dialTLS(t, l, client(13, "Central.example.com"), "<13>central\n"); err == nil {
		t.Fatal("server did not close the connection")
	}
	r.expect(t, "<13>central")
	r.none(t) // a refused connection is closed before any frame is read
	if got := m.ReadErrors.Load(); got != 0 {
		t.Errorf("ReadErrors = %d, want 0", got)
	}
	if got := m.Rejected.Load(); got != 2 {
		t.Errorf("Rejected = %d, want 2", got)
	}
	const line = "client certificate names none of allowed_names"
	eventually(t, "refusal logged", func() bool { return strings.Contains(logs.String(), line) })
	if n := strings.Count(logs.String(), line); n != 1 {
		t.Errorf("refusal logged %d times, want once a minute:\n%s", n, logs)
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "a.b.edge.example.com") {
		t.Errorf("log does not warn with the certificate's names:\n%s", logs)
	}
}
