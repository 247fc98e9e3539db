package listener

import (
	"net"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// countingHandler does nothing with a datagram but count it, and tells
// the sender when the count reaches target.
type countingHandler struct {
	n      atomic.Int64
	target atomic.Int64
	done   chan struct{}
}

func (h *countingHandler) HandleFrame(*Frame) { h.seen() }

func (h *countingHandler) HandleOversize(netip.AddrPort, int) { h.seen() }

func (h *countingHandler) seen() {
	if h.n.Add(1) == h.target.Load() {
		h.done <- struct{}{}
	}
}

// BenchmarkUDPRead sends b.N datagrams over loopback to a UDP listener
// whose handler does nothing, so an op is one datagram through the read
// loop (recvmmsg, source decoding, allowlist, size check, trimming) and
// allocs/op is allocations per datagram, the sender's included. The sender
// waits for each window to be read before sending the next, so the
// receive buffer never overflows.
func BenchmarkUDPRead(b *testing.B) {
	for _, addr := range []string{"127.0.0.1:0", "[::1]:0"} {
		b.Run(addr, func(b *testing.B) {
			h := &countingHandler{done: make(chan struct{}, 1)}
			l, err := Listen("bench", withDefaults(Options{Protocol: "udp", Address: addr}),
				func() Handler { return h }, new(Metrics), nil)
			if err != nil {
				b.Skip(err)
			}
			defer func() { _ = l.Close(b.Context()) }()
			c, err := net.DialUDP("udp", nil, l.Addr().(*net.UDPAddr))
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			payload := []byte("<13>Oct 11 22:14:15 host app[1]: " + strings.Repeat("x", 100) + "\n")
			// window datagrams of this size fit the default 208 KiB
			// receive buffer, should the kernel cap SO_RCVBUF there.
			const window = 64
			timeout := time.NewTimer(waitFor) // one timer: time.After would allocate per window
			defer timeout.Stop()
			// One datagram first, so the reader has allocated its buffers.
			h.target.Store(1)
			if _, err := c.Write(payload); err != nil {
				b.Fatal(err)
			}
			<-h.done
			h.n.Store(0)
			b.ReportAllocs()
			b.SetBytes(int64(len(payload)))
			b.ResetTimer()
			for sent := 0; sent < b.N; {
				k := min(window, b.N-sent)
				h.target.Store(int64(sent + k))
				for range k {
					if _, err := c.Write(payload); err != nil {
						b.Fatal(err)
					}
				}
				sent += k
				timeout.Reset(waitFor)
				select {
				case <-h.done:
				case <-timeout.C:
					b.Fatalf("%d of %d datagrams read", h.n.Load(), sent)
				}
			}
		})
	}
}
