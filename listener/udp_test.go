package listener

import (
	"net"
	"net/netip"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestUDPFramesAndTruncation(t *testing.T) {
	for _, addr := range loopbacks(t) {
		t.Run(addr, func(t *testing.T) {
			r, m := newRecorder(), new(Metrics)
			l := start(t, Options{Protocol: "udp", Address: addr, MaxMessageBytes: 100}, r, m)
			c := dial(t, l, nil)
			src := addrPort(t, c.LocalAddr())
			before := time.Now()
			for _, d := range []string{
				"<13>lf\n", "<13>crlf\r\n", "<13>nul\x00", "<13>bare", "<13>two lf\n\n",
				strings.Repeat("a", 150), // truncated: oversize 150
				"\n",                     // empty after stripping: skipped
				strings.Repeat("b", 100), // exactly the limit
				strings.Repeat("c", 101), // oversize 101
				"<13>last",
			} {
				write(t, c, d)
			}
			got := r.expect(t, "<13>lf", "<13>crlf", "<13>nul", "<13>bare", "<13>two lf\n", strings.Repeat("b", 100), "<13>last")
			for _, f := range got {
				if f.src != src {
					t.Errorf("source %v, want %v", f.src, src)
				}
				if f.received.Location() != time.UTC || f.received.Before(before.Add(-time.Second)) {
					t.Errorf("received %v, want UTC after %v", f.received, before)
				}
			}
			for _, want := range []int{150, 101} {
				if o := r.nextOversize(t); o.size != want || o.src != src {
					t.Errorf("oversize %+v, want size %d from %v", o, want, src)
				}
			}
			r.none(t)
			if m.Rejected.Load() != 0 || m.ReadErrors.Load() != 0 || m.Connections.Load() != 0 {
				t.Errorf("metrics rejected=%d read_errors=%d connections=%d, want 0",
					m.Rejected.Load(), m.ReadErrors.Load(), m.Connections.Load())
			}
		})
	}
}

// TestUDPAllowedSources sends from two loopback addresses (Linux answers on
// all of 127/8); only the allowed one gets through.
func TestUDPAllowedSources(t *testing.T) {
	r, m := newRecorder(), new(Metrics)
	l := start(t, Options{
		Protocol: "udp", Address: "127.0.0.1:0",
		AllowedSources: []netip.Prefix{netip.MustParsePrefix("127.0.0.2/32")},
	}, r, m)
	denied := dial(t, l, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	write(t, denied, "<13>denied")
	ok := dial(t, l, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 2)})
	write(t, ok, "<13>allowed")
	r.expect(t, "<13>allowed")
	r.none(t)
	if got := m.Rejected.Load(); got != 1 {
		t.Errorf("Rejected = %d, want 1", got)
	}
}

// TestUDPDualStackUnmapsIPv4 checks that an IPv4 sender to a dual-stack
// socket shows up as IPv4, so IPv4 prefixes match it.
func TestUDPDualStackUnmapsIPv4(t *testing.T) {
	if len(loopbacks(t)) < 2 {
		t.Skip("no IPv6")
	}
	r := newRecorder()
	l := start(t, Options{
		Protocol: "udp", Address: "[::]:0",
		AllowedSources: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
	}, r, nil)
	port := l.Addr().(*net.UDPAddr).Port
	c, err := net.DialUDP("udp4", nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	write(t, c, "<13>v4")
	if f := r.expect(t, "<13>v4")[0]; !f.src.Addr().Is4() {
		t.Errorf("source %v, want an IPv4 address", f.src)
	}
}

// blockingHandler parks the reader goroutine on its first frame until
// released, so the socket's receive buffer overflows.
type blockingHandler struct {
	first    chan struct{}
	release  chan struct{}
	frames   atomic.Int64
	lastSeen chan string
}

func (h *blockingHandler) HandleFrame(f *Frame) {
	if h.frames.Add(1) == 1 {
		close(h.first)
		<-h.release
	}
	if string(f.Data) == "marker" {
		h.lastSeen <- "marker"
	}
}

func (h *blockingHandler) HandleOversize(netip.AddrPort, int) {}

// parkedUDP starts a UDP listener whose handler parks on the first
// datagram, sends that one, and returns once the reader is parked.
func parkedUDP(t *testing.T) (*blockingHandler, *Metrics, *Listener, net.Conn) {
	t.Helper()
	h := &blockingHandler{first: make(chan struct{}), release: make(chan struct{}), lastSeen: make(chan string, 1)}
	m := new(Metrics)
	l, err := Listen("drops", withDefaults(Options{Protocol: "udp", Address: "127.0.0.1:0"}),
		func() Handler { return h }, m, nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("udp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	write(t, c, "first")
	<-h.first
	return h, m, l, c
}

func TestUDPKernelDrops(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("SO_RXQ_OVFL is linux-only")
	}
	h, m, l, c := parkedUDP(t)
	// Far more than any receive buffer holds while the reader is parked.
	const burst = 20000
	payload := []byte(strings.Repeat("x", 1024))
	sent := 1
	for range burst {
		if _, err := c.Write(payload); err == nil {
			sent++
		}
	}
	close(h.release)
	// The kernel stamps its cumulative drop count on datagrams queued after
	// the drops, so the marker carries it.
	write(t, c, "marker")
	sent++
	select {
	case <-h.lastSeen:
	case <-time.After(waitFor):
		t.Fatal("marker not delivered")
	}
	drops := m.KernelDrops.Load()
	if drops == 0 {
		t.Fatal("KernelDrops = 0 after overflowing the receive buffer")
	}
	if got := uint64(h.frames.Load()) + drops; got != uint64(sent) {
		t.Errorf("delivered %d + dropped %d = %d, want %d sent", h.frames.Load(), drops, got, sent)
	}
	if err := l.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
}

func TestTrimDatagram(t *testing.T) {
	for in, want := range map[string]string{
		"a\n": "a", "a\r\n": "a", "a\x00": "a", "a": "a", "a\n\n": "a\n", "a\r": "a\r",
		"\n": "", "\r\n": "", "": "", "a\x00\n": "a\x00",
	} {
		if got := string(trimDatagram([]byte(in))); got != want {
			t.Errorf("trimDatagram(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestUDPKernelDropsWithoutNextDatagram: a burst's drops show up in the
// metrics while the reader is still parked and no datagram has come after
// them to carry the count (the once-a-second SO_MEMINFO read).
func TestUDPKernelDropsWithoutNextDatagram(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("SO_MEMINFO is linux-only")
	}
	h, m, l, c := parkedUDP(t)
	defer func() {
		close(h.release)
		_ = l.Close(t.Context())
	}()
	payload := []byte(strings.Repeat("x", 1024))
	for range 20000 {
		_, _ = c.Write(payload)
	}
	eventually(t, "drops counted while the reader is parked", func() bool { return m.KernelDrops.Load() > 0 })
}

func TestDropCounter(t *testing.T) {
	var d dropCounter
	for _, tc := range []struct {
		cur  uint32
		want uint64
	}{
		{0, 0}, {5, 5}, {5, 0}, {3, 0} /* an older count, read late */, {9, 4},
		{1 << 31, 1<<31 - 9}, {1<<32 - 3, 1<<31 - 3}, {2, 5} /* wrapped at 2^32 */, {1<<32 - 1, 0}, /* behind */
	} {
		if got := d.update(tc.cur); got != tc.want {
			t.Errorf("update(%d) = %d, want %d", tc.cur, got, tc.want)
		}
	}
}
