package listener

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync/atomic"
	"time"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

const (
	// udpBatch is how many datagrams one recvmmsg call may return.
	udpBatch = 16
	// udpReadBuffer is the SO_RCVBUF we ask for, to ride out bursts while
	// a handler is slow; the kernel caps it at net.core.rmem_max.
	udpReadBuffer = 4 << 20
)

// batchReader is ReadBatch of ipv4.PacketConn and ipv6.PacketConn
// (recvmmsg on Linux, one datagram per call elsewhere).
type batchReader interface {
	ReadBatch(ms []ipv4.Message, flags int) (int, error)
}

func (l *Listener) listenUDP() error {
	var lc net.ListenConfig
	pc, err := lc.ListenPacket(context.Background(), "udp", l.address)
	if err != nil {
		return err
	}
	uc := pc.(*net.UDPConn)
	_ = uc.SetReadBuffer(udpReadBuffer) // best effort: a smaller buffer still works
	if err := enableDropCounter(uc); err != nil {
		l.log.Warn("kernel drop counter unavailable", "error", err)
	}
	l.packet = uc
	drops := new(dropCounter)
	l.wg.Add(2)
	go l.readUDP(drops)
	go l.watchDrops(drops, dropsInterval)
	return nil
}

// dropsInterval is how often watchDrops reads the kernel's drop count.
const dropsInterval = time.Second

// readUDP reads datagrams in batches until Close closes the socket and
// calls the handler for each on this goroutine.
func (l *Listener) readUDP(drops *dropCounter) {
	defer l.wg.Done()
	var br batchReader = ipv6.NewPacketConn(l.packet)
	if la, ok := l.packet.LocalAddr().(*net.UDPAddr); ok && la.IP.To4() != nil {
		br = ipv4.NewPacketConn(l.packet)
	}
	oob := make([]byte, udpBatch*oobSize)
	msgs := make([]ipv4.Message, udpBatch)
	for i := range msgs {
		msgs[i].OOB = oob[i*oobSize : (i+1)*oobSize : (i+1)*oobSize]
	}
	var (
		set *settings
		h   Handler
	)
	// use takes the current settings: read buffers for their
	// max_message_bytes, and a handler of their making.
	use := func(cur *settings) {
		if set == nil || cur.o.MaxMessageBytes != set.o.MaxMessageBytes {
			size := cur.o.MaxMessageBytes + 1 // one more byte shows truncation without MSG_TRUNC
			bufs := make([]byte, udpBatch*size)
			for i := range msgs {
				msgs[i].Buffers = [][]byte{bufs[i*size : (i+1)*size : (i+1)*size]}
			}
		}
		set, h = cur, cur.newHandler()
	}
	use(l.set.Load())
	var frame Frame
	var delay time.Duration
	for {
		if cur := l.set.Load(); cur != set {
			use(cur) // an Update: from the next datagrams on
		}
		n, err := br.ReadBatch(msgs, recvFlags)
		if err != nil {
			if errors.Is(err, net.ErrClosed) || l.isClosing() {
				return
			}
			l.m.ReadErrors.Add(1)
			if ok, k := l.rare.readErr.allow(time.Now()); ok {
				l.log.Warn("udp read failed", "error", err, "suppressed_since_last", k)
			}
			delay = min(max(2*delay, time.Millisecond), time.Second)
			if !l.pause(delay) {
				return
			}
			continue
		}
		delay = 0
		now := time.Now().UTC()
		for i := range msgs[:n] {
			m := &msgs[i]
			if cur, ok := rxqOverflow(m.OOB[:m.NN]); ok {
				if d := drops.update(cur); d > 0 {
					l.m.KernelDrops.Add(d)
				}
			}
			l.datagram(h, set, &frame, m, now)
		}
	}
}

// datagram checks one datagram against the allowlist and the size limit
// and hands it to h.
func (l *Listener) datagram(h Handler, set *settings, frame *Frame, m *ipv4.Message, now time.Time) {
	var src netip.AddrPort
	if ua, ok := m.Addr.(*net.UDPAddr); ok {
		src = unmapped(ua.AddrPort())
	}
	if !allowed(set.o.AllowedSources, src.Addr()) {
		l.m.Rejected.Add(1)
		if ok, k := l.rare.rejected.allow(now); ok {
			l.log.Warn("datagram from a source not in allowed_sources", "source", src, "suppressed_since_last", k)
		}
		return
	}
	// With MSG_TRUNC in the flags Linux reports the datagram's real length.
	if m.N > set.o.MaxMessageBytes || m.Flags&msgTrunc != 0 {
		h.HandleOversize(src, max(m.N, set.o.MaxMessageBytes+1))
		return
	}
	data := trimDatagram(m.Buffers[0][:m.N])
	if len(data) == 0 {
		return
	}
	frame.Data, frame.Source, frame.Received = data, src, now
	h.HandleFrame(frame)
}

// trimDatagram strips one trailing LF, CRLF or NUL: many senders end a
// datagram as they would end a stream frame.
func trimDatagram(b []byte) []byte {
	n := len(b)
	switch {
	case n > 0 && b[n-1] == '\n':
		n--
		if n > 0 && b[n-1] == '\r' {
			n--
		}
	case n > 0 && b[n-1] == 0:
		n--
	}
	return b[:n]
}

// dropCounter turns the kernel's cumulative per-socket drop count into
// increments. Two readers feed it: the datagrams' SO_RXQ_OVFL messages and
// a once-a-second SO_MEMINFO read (watchDrops), so a value may arrive after
// a newer one; only a count ahead of the last one seen adds anything.
type dropCounter struct{ last atomic.Uint32 }

// update adds the increment of count cur, if any.
func (d *dropCounter) update(cur uint32) uint64 {
	for {
		last := d.last.Load()
		delta := cur - last // wraps correctly at 2^32
		if int32(delta) <= 0 {
			return 0 // not ahead: already counted
		}
		if d.last.CompareAndSwap(last, cur) {
			return uint64(delta)
		}
	}
}

// watchDrops reads the socket's drop count every interval until Close, so
// that /stats shows a burst's losses without waiting for the next datagram.
func (l *Listener) watchDrops(drops *dropCounter, interval time.Duration) {
	defer l.wg.Done()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			if cur, ok := socketDrops(l.packet); ok {
				l.m.KernelDrops.Add(drops.update(cur))
			}
		case <-l.done:
			return
		}
	}
}
