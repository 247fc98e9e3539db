package listener

import (
	"context"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// parkedRecorder records like recHandler, but its first frame parks the
// reader until release is closed, so that what is sent meanwhile queues
// in the socket and is read in one batch.
type parkedRecorder struct {
	recHandler
	once           sync.Once
	first, release chan struct{}
}

func (h *parkedRecorder) HandleFrame(f *Frame) {
	h.recHandler.HandleFrame(f)
	h.once.Do(func() {
		close(h.first)
		<-h.release
	})
}

// TestUDPSourcesInOneBatch: datagrams from several IPv4 and IPv6 senders,
// read in one batch, each carry their own sender's address and port (IPv4
// senders of a dual-stack socket unmapped), and a truncated one among them
// is reported oversize with its real size.
func TestUDPSourcesInOneBatch(t *testing.T) {
	v6 := len(loopbacks(t)) > 1
	for _, tc := range []struct {
		addr    string
		senders []string // local addresses to send from
	}{
		{"127.0.0.1:0", []string{"127.0.0.1", "127.0.0.2", "127.0.0.1"}},
		{"[::1]:0", []string{"::1", "::1", "::1"}},
		{"[::]:0", []string{"127.0.0.1", "::1", "127.0.0.2", "::1"}},
	} {
		t.Run(tc.addr, func(t *testing.T) {
			if strings.HasPrefix(tc.addr, "[") && !v6 {
				t.Skip("no IPv6")
			}
			r := newRecorder()
			h := &parkedRecorder{recHandler: recHandler{r}, first: make(chan struct{}), release: make(chan struct{})}
			l, err := Listen(t.Name(), withDefaults(Options{Protocol: "udp", Address: tc.addr, MaxMessageBytes: 100}),
				func() Handler { return h }, new(Metrics), nil)
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
			port := l.Addr().(*net.UDPAddr).Port
			conns := make([]net.Conn, len(tc.senders))
			for i, s := range tc.senders {
				ip := net.ParseIP(s)
				network := "udp6"
				if ip.To4() != nil {
					network = "udp4"
				}
				to := &net.UDPAddr{IP: net.IPv6loopback, Port: port}
				if network == "udp4" {
					to.IP = net.IPv4(127, 0, 0, 1)
				}
				c, err := net.DialUDP(network, &net.UDPAddr{IP: ip}, to)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = c.Close() })
				conns[i] = c
			}
			write(t, conns[0], "first")
			<-h.first // parked: the rest queue up
			want := []string{"first"}
			for i, c := range conns {
				d := "<13>from " + c.LocalAddr().String()
				write(t, c, d)
				want = append(want, d)
				if i == 1 {
					write(t, c, strings.Repeat("x", 300)) // truncated to 101 bytes
				}
			}
			write(t, conns[0], "<13>last")
			want = append(want, "<13>last")
			close(h.release)

			got := r.expect(t, want...)
			senderOf := func(i int) net.Conn { // the sender of want[i]
				switch {
				case i == 0 || i == len(want)-1:
					return conns[0]
				default:
					return conns[i-1]
				}
			}
			for i, f := range got {
				c := senderOf(i)
				if src := addrPort(t, c.LocalAddr()); f.src != src {
					t.Errorf("frame %q: source %v, want %v", f.data, f.src, src)
				}
				if strings.Contains(c.LocalAddr().String(), ".") && !f.src.Addr().Is4() {
					t.Errorf("frame %q: source %v, want an IPv4 address", f.data, f.src)
				}
			}
			wantSize := 300 // MSG_TRUNC: the real length
			if runtime.GOOS != "linux" {
				wantSize = 101
			}
			if o := r.nextOversize(t); o.size != wantSize || o.src != addrPort(t, conns[1].LocalAddr()) {
				t.Errorf("oversize %+v, want size %d from %v", o, wantSize, conns[1].LocalAddr())
			}
			r.none(t)
		})
	}
}

// TestUDPUpdateResizesBuffers: a new max_message_bytes gives the reader
// buffers of the new size, larger and smaller.
func TestUDPUpdateResizesBuffers(t *testing.T) {
	r := newRecorder()
	o := withDefaults(Options{Protocol: "udp", Address: "127.0.0.1:0", MaxMessageBytes: 100})
	l := start(t, o, r, nil)
	c := dial(t, l, nil)
	src := addrPort(t, c.LocalAddr())
	// sync makes sure the reader took the settings of an Update: the read
	// it was waiting in when they changed still used the old ones.
	synced := func() {
		write(t, c, "<13>sync")
		r.expect(t, "<13>sync")
	}
	oversize := func(size int) {
		t.Helper()
		if got := r.nextOversize(t); got.size != size || got.src != src {
			t.Errorf("oversize %+v, want size %d from %v", got, size, src)
		}
	}
	write(t, c, strings.Repeat("a", 150))
	oversize(150)

	o.MaxMessageBytes = 200
	if err := l.Update(o, r.newHandler); err != nil {
		t.Fatal(err)
	}
	synced()
	write(t, c, strings.Repeat("b", 200))
	r.expect(t, strings.Repeat("b", 200))

	o.MaxMessageBytes = 50
	if err := l.Update(o, r.newHandler); err != nil {
		t.Fatal(err)
	}
	synced()
	write(t, c, strings.Repeat("c", 51))
	oversize(51)
	write(t, c, strings.Repeat("d", 50))
	r.expect(t, strings.Repeat("d", 50))
	r.none(t)
}
