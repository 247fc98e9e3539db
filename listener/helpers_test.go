package listener

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"
)

// waitFor bounds every wait in the socket tests; nothing here should take
// more than a fraction of it.
const waitFor = 10 * time.Second

type gotFrame struct {
	data     string
	src      netip.AddrPort
	received time.Time
	peer     Peer
}

type gotOversize struct {
	src  netip.AddrPort
	size int
}

// recorder collects what every Handler of a listener receives.
type recorder struct {
	frames   chan gotFrame
	oversize chan gotOversize
}

func newRecorder() *recorder {
	return &recorder{frames: make(chan gotFrame, 1024), oversize: make(chan gotOversize, 1024)}
}

func (r *recorder) newHandler() Handler { return recHandler{r} }

type recHandler struct{ r *recorder }

func (h recHandler) HandleFrame(f *Frame) {
	h.r.frames <- gotFrame{string(f.Data), f.Source, f.Received, f.Peer}
}

func (h recHandler) HandleOversize(src netip.AddrPort, size int) {
	h.r.oversize <- gotOversize{src, size}
}

var _ Handler = recHandler{}

// next waits for the next frame.
func (r *recorder) next(t *testing.T) gotFrame {
	t.Helper()
	select {
	case f := <-r.frames:
		return f
	case <-time.After(waitFor):
		t.Fatal("no frame delivered")
		return gotFrame{}
	}
}

// expect waits for frames with exactly these contents, in order.
func (r *recorder) expect(t *testing.T, want ...string) []gotFrame {
	t.Helper()
	got := make([]gotFrame, 0, len(want))
	for i, w := range want {
		f := r.next(t)
		if f.data != w {
			t.Fatalf("frame %d = %q, want %q", i, f.data, w)
		}
		got = append(got, f)
	}
	return got
}

// nextOversize waits for the next oversize report.
func (r *recorder) nextOversize(t *testing.T) gotOversize {
	t.Helper()
	select {
	case o := <-r.oversize:
		return o
	case <-time.After(waitFor):
		t.Fatal("no oversize reported")
		return gotOversize{}
	}
}

// none checks that nothing else was delivered. Call it after a later event
// proved the earlier ones were processed.
func (r *recorder) none(t *testing.T) {
	t.Helper()
	select {
	case f := <-r.frames:
		t.Fatalf("unexpected frame %q", f.data)
	case o := <-r.oversize:
		t.Fatalf("unexpected oversize report %+v", o)
	default:
	}
}

// start runs a listener that the test closes (and checks) at its end.
func start(t *testing.T, cfg Options, r *recorder, m *Metrics) *Listener {
	t.Helper()
	l, err := Listen(t.Name(), withDefaults(cfg), r.newHandler, m, nil)
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

// withDefaults fills o's zero limits from DefaultOptions, so that a test
// names only what it is about.
func withDefaults(o Options) Options {
	d := DefaultOptions(o.Protocol)
	if o.MaxMessageBytes == 0 {
		o.MaxMessageBytes = d.MaxMessageBytes
	}
	if o.MaxConnections == 0 {
		o.MaxConnections = d.MaxConnections
	}
	if o.IdleTimeout == 0 {
		o.IdleTimeout = d.IdleTimeout
	}
	if o.FrameTimeout == 0 {
		o.FrameTimeout = d.FrameTimeout
	}
	if o.Mode == "" {
		o.Mode = d.Mode
	}
	return o
}

// loopbacks lists the loopback addresses to test on: IPv4, and IPv6 when
// the machine has it.
func loopbacks(t *testing.T) []string {
	addrs := []string{"127.0.0.1:0"}
	if ln, err := net.Listen("tcp6", "[::1]:0"); err == nil {
		_ = ln.Close()
		addrs = append(addrs, "[::1]:0")
	} else {
		t.Logf("no IPv6 loopback, testing IPv4 only: %v", err)
	}
	return addrs
}

// eventually polls cond until it holds; for counters, which have no event
// to wait on.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// addrPort is the netip form of a socket address.
func addrPort(t *testing.T, a net.Addr) netip.AddrPort {
	t.Helper()
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		t.Fatal(err)
	}
	return ap
}

// dial connects to l with a deadline on every operation.
func dial(t *testing.T, l *Listener, local net.Addr) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: local, Timeout: waitFor}
	c, err := d.Dial(l.Addr().Network(), l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	_ = c.SetDeadline(time.Now().Add(waitFor))
	return c
}

func write(t *testing.T, c net.Conn, s string) {
	t.Helper()
	if _, err := c.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
}

// waitClosed reads until the server ends the connection, failing if it
// sends data or the deadline passes first.
func waitClosed(t *testing.T, c net.Conn) {
	t.Helper()
	var b [1]byte
	n, err := c.Read(b[:])
	if n > 0 {
		t.Fatalf("server sent %q", b[:n])
	}
	var ne net.Error
	if err == nil || (errors.As(err, &ne) && ne.Timeout()) {
		t.Fatalf("connection not closed by the server: %v", err)
	}
}
