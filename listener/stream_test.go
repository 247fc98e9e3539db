package listener

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestTCPMixedFraming(t *testing.T) {
	for _, addr := range loopbacks(t) {
		t.Run(addr, func(t *testing.T) {
			r, m := newRecorder(), new(Metrics)
			l := start(t, Options{Protocol: "tcp", Address: addr, MaxMessageBytes: 64}, r, m)
			c := dial(t, l, nil)
			src := addrPort(t, c.LocalAddr())
			write(t, c, "5 hello<13>lf\n<13>nul\x0010 <13>octet2<13>crlf\r\n\n\r\n")
			write(t, c, "100 "+strings.Repeat("x\n", 50)+"2 ok")
			write(t, c, strings.Repeat("y", 200)+"\n<13>after long line\n<13>trailing")
			if err := c.(*net.TCPConn).CloseWrite(); err != nil {
				t.Fatal(err)
			}
			got := r.expect(t, "hello", "<13>lf", "<13>nul", "<13>octet2", "<13>crlf", "ok", "<13>after long line", "<13>trailing")
			if got[0].src != src {
				t.Errorf("source %v, want %v", got[0].src, src)
			}
			if o := r.nextOversize(t); o.size != 100 || o.src != src {
				t.Errorf("oversize %+v, want 100 from %v", o, src)
			}
			if o := r.nextOversize(t); o.size <= 64 {
				t.Errorf("oversize %+v, want more than 64", o)
			}
			waitClosed(t, c)
			eventually(t, "connection count back to 0", func() bool { return m.Connections.Load() == 0 })
			if m.ConnectionsTotal.Load() != 1 || m.ReadErrors.Load() != 0 {
				t.Errorf("connections_total=%d read_errors=%d, want 1 and 0", m.ConnectionsTotal.Load(), m.ReadErrors.Load())
			}
			r.none(t)
		})
	}
}

func TestTCPFixedFraming(t *testing.T) {
	tests := []struct {
		framing Framing
		in      string
		want    []string
	}{
		{FramingOctetCounting, "5 hello\n<13>lf\n5 world", []string{"hello", "world"}},
		{FramingNonTransparent, "5 hello\n<13>lf\n", []string{"5 hello", "<13>lf"}},
	}
	for _, tc := range tests {
		t.Run(tc.framing.String(), func(t *testing.T) {
			r, m := newRecorder(), new(Metrics)
			l := start(t, Options{Protocol: "tcp", Address: "127.0.0.1:0", Framing: tc.framing}, r, m)
			c := dial(t, l, nil)
			write(t, c, tc.in)
			_ = c.(*net.TCPConn).CloseWrite()
			r.expect(t, tc.want...)
			waitClosed(t, c)
			wantErrs := uint64(0)
			if tc.framing == FramingOctetCounting {
				wantErrs = 1 // "<13>lf" has no length
			}
			eventually(t, "connection closed", func() bool { return m.Connections.Load() == 0 })
			if got := m.ReadErrors.Load(); got != wantErrs {
				t.Errorf("ReadErrors = %d, want %d", got, wantErrs)
			}
		})
	}
}

func TestTCPMaxConnections(t *testing.T) {
	r, m := newRecorder(), new(Metrics)
	l := start(t, Options{Protocol: "tcp", Address: "127.0.0.1:0", MaxConnections: 1}, r, m)
	a := dial(t, l, nil)
	write(t, a, "<13>a\n")
	r.expect(t, "<13>a") // a is admitted and counted

	for range 3 {
		waitClosed(t, dial(t, l, nil))
	}
	if got := m.Rejected.Load(); got != 3 {
		t.Errorf("Rejected = %d, want 3", got)
	}
	write(t, a, "<13>a still served\n")
	r.expect(t, "<13>a still served")

	_ = a.Close()
	eventually(t, "slot freed", func() bool { return m.Connections.Load() == 0 })
	b := dial(t, l, nil)
	write(t, b, "<13>b\n")
	r.expect(t, "<13>b")
	if got := m.ConnectionsTotal.Load(); got != 2 {
		t.Errorf("ConnectionsTotal = %d, want 2", got)
	}
	r.none(t)
}

func TestTCPAllowedSources(t *testing.T) {
	r, m := newRecorder(), new(Metrics)
	l := start(t, Options{
		Protocol: "tcp", Address: "127.0.0.1:0",
		AllowedSources: []netip.Prefix{netip.MustParsePrefix("127.0.0.2/32")},
	}, r, m)
	denied := dial(t, l, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	_, _ = denied.Write([]byte("<13>denied\n"))
	waitClosed(t, denied)
	if got := m.Rejected.Load(); got != 1 {
		t.Errorf("Rejected = %d, want 1", got)
	}
	ok := dial(t, l, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)})
	write(t, ok, "<13>allowed\n")
	r.expect(t, "<13>allowed")
	r.none(t)
	if got := m.ConnectionsTotal.Load(); got != 1 {
		t.Errorf("ConnectionsTotal = %d, want 1", got)
	}
}

func TestTCPIdleTimeout(t *testing.T) {
	const idle = 150 * time.Millisecond
	r, m := newRecorder(), new(Metrics)
	l := start(t, Options{Protocol: "tcp", Address: "127.0.0.1:0", IdleTimeout: idle}, r, m)
	c := dial(t, l, nil)
	began := time.Now()
	write(t, c, "<13>partial")
	waitClosed(t, c)
	if el := time.Since(began); el < idle {
		t.Errorf("closed after %v, before the idle timeout %v", el, idle)
	}
	r.expect(t, "<13>partial") // the unterminated frame is not lost
	eventually(t, "connection closed", func() bool { return m.Connections.Load() == 0 })
	if got := m.ReadErrors.Load(); got != 0 {
		t.Errorf("ReadErrors = %d, want 0 (an idle timeout is not an error)", got)
	}
}

// TestTCPIdleTimeoutRefreshed checks that the timeout measures silence, not
// connection age: a sender that keeps talking is not cut off.
func TestTCPIdleTimeoutRefreshed(t *testing.T) {
	const idle = 300 * time.Millisecond
	r := newRecorder()
	l := start(t, Options{Protocol: "tcp", Address: "127.0.0.1:0", IdleTimeout: idle}, r, nil)
	c := dial(t, l, nil)
	for i := range 8 { // 8 × idle/3 ≈ 2.7 idle timeouts in all
		write(t, c, "<13>tick\n")
		r.expect(t, "<13>tick")
		if i < 7 {
			time.Sleep(idle / 3) // pacing under test, not synchronisation
		}
	}
}

func TestTCPRejectsTLSClientHello(t *testing.T) {
	r, m := newRecorder(), new(Metrics)
	l := start(t, Options{Protocol: "tcp", Address: "127.0.0.1:0"}, r, m)
	c := dial(t, l, nil)
	// A TLS 1.2 ClientHello record header and the start of its body.
	write(t, c, "\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03<13>not a frame\n")
	waitClosed(t, c)
	if got := m.ReadErrors.Load(); got != 1 {
		t.Errorf("ReadErrors = %d, want 1", got)
	}
	ok := dial(t, l, nil)
	write(t, ok, "<13>plain\n")
	r.expect(t, "<13>plain")
	r.none(t)
}

// TestTCPSlowSender checks that a sender trickling one byte every few
// milliseconds neither blocks another connection nor loses its frame.
func TestTCPSlowSender(t *testing.T) {
	r := newRecorder()
	l := start(t, Options{Protocol: "tcp", Address: "127.0.0.1:0"}, r, nil)
	slow, fast := dial(t, l, nil), dial(t, l, nil)
	trickle := func(s string) {
		for i := range len(s) {
			write(t, slow, s[i:i+1])
			time.Sleep(3 * time.Millisecond) // the pacing under test
		}
	}
	trickle("<13>sl")
	write(t, fast, "<13>fast\n")
	r.expect(t, "<13>fast") // served while slow is mid-frame
	trickle("ow sender\n")
	r.expect(t, "<13>slow sender")
	r.none(t)
}

func TestCloseDeliversTrailingFrame(t *testing.T) {
	r, m := newRecorder(), new(Metrics)
	l, err := Listen("close", withDefaults(Options{Protocol: "tcp", Address: "127.0.0.1:0"}), r.newHandler, m, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := dial(t, l, nil)
	_ = dial(t, l, nil) // says nothing: Close must not wait for its 5m idle timeout
	write(t, c, "<13>complete\n<13>trailing")
	r.expect(t, "<13>complete")
	eventually(t, "both connections open", func() bool { return m.Connections.Load() == 2 })

	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if err := l.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select { // Close waited for the connection goroutine, so it is there now
	case f := <-r.frames:
		if f.data != "<13>trailing" {
			t.Fatalf("frame %q, want <13>trailing", f.data)
		}
	default:
		t.Fatal("trailing frame not delivered by Close")
	}
	if err := l.Close(ctx); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if got := m.Connections.Load(); got != 0 {
		t.Errorf("Connections = %d after Close", got)
	}
	if _, err := net.Dial("tcp", l.Addr().String()); err == nil {
		t.Error("still accepting after Close")
	}
}

// stuckHandler never returns from HandleFrame until released.
type stuckHandler struct{ entered, release chan struct{} }

func (h stuckHandler) HandleFrame(*Frame) {
	h.entered <- struct{}{}
	<-h.release
}
func (h stuckHandler) HandleOversize(netip.AddrPort, int) {}

func TestCloseGivesUpAtDeadline(t *testing.T) {
	h := stuckHandler{entered: make(chan struct{}, 1), release: make(chan struct{})}
	l, err := Listen("stuck", withDefaults(Options{Protocol: "tcp", Address: "127.0.0.1:0"}),
		func() Handler { return h }, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	write(t, dial(t, l, nil), "<13>x\n")
	<-h.entered
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := l.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close = %v, want deadline exceeded", err)
	}
	close(h.release)
	if err := l.Close(t.Context()); err != nil { // now the goroutine can finish
		t.Errorf("Close after release: %v", err)
	}
}

func TestListenConfigErrors(t *testing.T) {
	nop := func() Handler { return recHandler{newRecorder()} }
	tests := []struct {
		name string
		cfg  Options
	}{
		{"unknown protocol", Options{Protocol: "sctp", Address: "127.0.0.1:0"}},
		{"tls without config", Options{Protocol: "tls", Address: "127.0.0.1:0"}},
		{"negative size", Options{Protocol: "tcp", Address: "127.0.0.1:0", MaxMessageBytes: -1}},
		{"bad framing", Options{Protocol: "tcp", Address: "127.0.0.1:0", Framing: 7}},
		{"bad prefix", Options{Protocol: "udp", Address: "127.0.0.1:0", AllowedSources: []netip.Prefix{{}}}},
		{"bad address", Options{Protocol: "tcp", Address: "127.0.0.1:99999"}},
	}
	for _, tc := range tests {
		if l, err := Listen("bad", withDefaults(tc.cfg), nop, nil, nil); err == nil {
			_ = l.Close(t.Context())
			t.Errorf("%s: Listen succeeded", tc.name)
		}
	}
	if _, err := Listen("nil", withDefaults(Options{Protocol: "tcp", Address: "127.0.0.1:0"}), nil, nil, nil); err == nil {
		t.Error("nil handler constructor accepted")
	}
}

// gateHandler records frames and parks on the first one until released.
type gateHandler struct {
	recHandler
	entered, release chan struct{}
}

func (h gateHandler) HandleFrame(f *Frame) {
	h.recHandler.HandleFrame(f)
	select {
	case h.entered <- struct{}{}:
		<-h.release
	default:
	}
}

// TestCloseDrainsKernelBuffer checks that Close delivers bytes the kernel
// had received but the connection had not read yet: Close must end the
// stream after them, not fail the next read.
func TestCloseDrainsKernelBuffer(t *testing.T) {
	r := newRecorder()
	h := gateHandler{recHandler{r}, make(chan struct{}, 1), make(chan struct{})}
	l, err := Listen("drain", withDefaults(Options{Protocol: "tcp", Address: "127.0.0.1:0"}),
		func() Handler { return h }, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := dial(t, l, nil)
	write(t, c, "<13>first\n")
	<-h.entered // the reader is parked in the handler
	write(t, c, "<13>queued\n<13>queued trailing")

	closed := make(chan error, 1)
	go func() { closed <- l.Close(t.Context()) }()
	// The socket refuses connections only once every connection is draining.
	eventually(t, "listener closed", func() bool {
		c, err := net.Dial("tcp", l.Addr().String())
		if err == nil {
			_ = c.Close()
		}
		return err != nil
	})
	close(h.release)
	if err := <-closed; err != nil {
		t.Fatalf("Close: %v", err)
	}
	r.expect(t, "<13>first", "<13>queued", "<13>queued trailing")
}

// TestTCPFrameTimeoutClosesDribblers: connections that dribble one frame a
// byte at a time are closed once the frame has taken frame_timeout, counted
// as FrameTimeouts, and their slots are free again; a normal sender on the
// same listener is served throughout.
func TestTCPFrameTimeoutClosesDribblers(t *testing.T) {
	r, m := newRecorder(), new(Metrics)
	const frameTimeout = 300 * time.Millisecond
	l := start(t, Options{Protocol: "tcp", Address: "127.0.0.1:0", MaxConnections: 11, FrameTimeout: frameTimeout}, r, m)
	var dribblers []net.Conn
	for range 10 {
		c := dial(t, l, nil)
		write(t, c, "<13>slow") // a frame begun, never finished
		dribblers = append(dribblers, c)
	}
	stop := make(chan struct{})
	dribbled := make(chan struct{})
	go func() { // one more byte every 50 ms each: the idle timeout never fires
		defer close(dribbled)
		for {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
			for _, c := range dribblers {
				_, _ = c.Write([]byte("w"))
			}
		}
	}()
	defer func() { close(stop); <-dribbled }()
	normal := dial(t, l, nil)
	write(t, normal, "<13>normal 1\n")
	r.expect(t, "<13>normal 1")
	eventually(t, "dribblers closed", func() bool { return m.FrameTimeouts.Load() == 10 })
	write(t, normal, "<13>normal 2\n")
	// Their slots are free: ten new connections are admitted.
	for range 10 {
		c := dial(t, l, nil)
		write(t, c, "<13>again\n")
		c.Close()
	}
	// What a dribbler had sent is delivered when it is closed, as any
	// unterminated last frame is.
	counts := map[string]int{}
	for range 10 + 1 + 10 {
		select {
		case f := <-r.frames:
			if strings.HasPrefix(f.data, "<13>slow") && strings.Trim(f.data[len("<13>slow"):], "w") == "" {
				f.data = "<13>slow"
			}
			counts[f.data]++
		case <-time.After(waitFor):
			t.Fatalf("frames so far: %v", counts)
		}
	}
	if counts["<13>slow"] != 10 || counts["<13>normal 2"] != 1 || counts["<13>again"] != 10 {
		t.Errorf("frames: %v", counts)
	}
	if got := m.Rejected.Load(); got != 0 {
		t.Errorf("rejected %d connections", got)
	}
}

// TestTCPFullListenerEvictsDribblers: a full listener closes the
// connection that has been sending its frame longest (over a second) to
// admit a new one, so dribblers cannot keep normal senders out until
// frame_timeout; connections that are idle between frames are never closed
// for it.
func TestTCPFullListenerEvictsDribblers(t *testing.T) {
	r, m := newRecorder(), new(Metrics)
	l := start(t, Options{Protocol: "tcp", Address: "127.0.0.1:0", MaxConnections: 10, FrameTimeout: time.Minute}, r, m)
	for range 5 {
		c := dial(t, l, nil)
		write(t, c, "<13>idle\n") // a whole frame, then nothing
	}
	for range 5 {
		c := dial(t, l, nil)
		write(t, c, "<13>slow") // a frame begun, never finished
	}
	for range 5 {
		r.expect(t, "<13>idle")
	}
	eventually(t, "ten connections", func() bool { return m.Connections.Load() == 10 })
	// Each new sender gets in once a dribbler's frame is over a second
	// old; until then it is refused, and dials again.
	// An admitted sender stays connected, holding its slot.
	admit := func() bool {
		d := net.Dialer{Timeout: waitFor}
		c, err := d.Dial("tcp", l.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		_ = c.SetDeadline(time.Now().Add(waitFor))
		if _, err := c.Write([]byte("<13>normal\n")); err != nil {
			c.Close()
			return false
		}
		var b [1]byte
		_ = c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		_, err = c.Read(b[:])
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() { // still open: admitted
			t.Cleanup(func() { c.Close() })
			return true
		}
		c.Close()
		return false
	}
	for i := range 5 {
		eventually(t, fmt.Sprintf("sender %d admitted", i), admit)
	}
	got := map[string]int{}
	for range 10 {
		got[(r.next(t)).data]++
	}
	if got["<13>normal"] != 5 || got["<13>slow"] != 5 {
		t.Errorf("frames %v, want 5 normal and the 5 dribblers' unterminated ones", got)
	}
	eventually(t, "evictions counted", func() bool { return m.FrameTimeouts.Load() == 5 })
	// Only idle connections and normal ones are left: nobody is evicted.
	if admit() {
		t.Error("a full listener of idle connections admitted one more")
	}
	if m.FrameTimeouts.Load() != 5 {
		t.Errorf("frame timeouts %d, want 5", m.FrameTimeouts.Load())
	}
}
