package listener

import (
	"bufio"
	"net"
	"net/netip"
	"strconv"
	"testing"
)

// countHandler signals when it has seen n frames.
type countHandler struct {
	n, seen int
	done    chan struct{}
}

func (h *countHandler) HandleFrame(*Frame) {
	h.seen++
	if h.seen == h.n {
		close(h.done)
	}
}
func (h *countHandler) HandleOversize(netip.AddrPort, int) {}

// BenchmarkTCPOctetCounting measures a frame's trip from a loopback socket
// to the Handler: read, framing, timestamp, call.
func BenchmarkTCPOctetCounting(b *testing.B) {
	h := &countHandler{done: make(chan struct{})}
	l, err := Listen("bench", withDefaults(Options{Protocol: "tcp", Address: "127.0.0.1:0"}),
		func() Handler { return h }, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close(b.Context())
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	frame := strconv.AppendInt(nil, int64(len(msg5424)), 10)
	frame = append(append(frame, ' '), msg5424...)
	h.n = b.N
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	b.ResetTimer()
	w := bufio.NewWriterSize(c, 64<<10)
	for range b.N {
		_, _ = w.Write(frame)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	<-h.done
}
