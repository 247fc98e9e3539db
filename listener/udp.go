package listener

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync/atomic"
	"time"
)

const (
	// udpBatch is how many datagrams one recvmmsg call may return.
	udpBatch = 16
	// udpReadBuffer is the SO_RCVBUF we ask for, to ride out bursts while
	// a handler is slow; the kernel caps it at net.core.rmem_max.
	udpReadBuffer = 4 << 20
)

// slot is one datagram of a batch, as a batchReader reports it
// (recvmmsg_linux.go, recvmmsg_other.go).
type slot struct {
	buf   []byte         // the slot's buffer, max_message_bytes+1 long; the datagram is buf[:n] if it fits
	n     int            // the datagram's length; on Linux (MSG_TRUNC) its real length even if truncated
	trunc bool           // the kernel truncated it to fit buf
	oob   []byte         // its control messages (SO_RXQ_OVFL)
	src   netip.AddrPort // the sender, unmapped
}

// listenUDP serves pc, a bound UDP socket (or nil: bind l.address).
func (l *Listener) listenUDP(pc net.PacketConn) error {
	if pc == nil {
		var lc net.ListenConfig
		var err error
		if pc, err = lc.ListenPacket(context.Background(), "udp", l.address); err != nil {
			return err
		}
	}
	uc, ok := pc.(*net.UDPConn)
	if !ok {
		_ = pc.Close()
		return fmt.Errorf("socket is %s, not udp", pc.LocalAddr().Network())
	}
	_ = uc.SetReadBuffer(udpReadBuffer) // best effort: a smaller buffer still works
	if err := enableDropCounter(uc); err != nil {
		l.log.Warn("kernel drop counter unavailable", "error", err)
	}
	br, err := newBatchReader(uc)
	if err != nil {
		_ = uc.Close()
		return err
	}
	l.packet = uc
	drops := new(dropCounter)
	l.wg.Add(2)
	go l.readUDP(br, drops)
	go l.watchDrops(drops, dropsInterval)
	return nil
}

// dropsInterval is how often watchDrops reads the kernel's drop count.
const dropsInterval = time.Second

// readUDP reads datagrams in batches until Close closes the socket and
// calls the handler for each on this goroutine.
func (l *Listener) readUDP(br *batchReader, drops *dropCounter) {
	defer l.wg.Done()
	var (
		set *settings
		h   Handler
	)
	// use takes the current settings: read buffers for their
	// max_message_bytes, and a handler of their making.
	use := func(cur *settings) {
		if set == nil || cur.o.MaxMessageBytes != set.o.MaxMessageBytes {
			br.setSize(cur.o.MaxMessageBytes + 1) // one more byte shows truncation without MSG_TRUNC
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
		got, err := br.read()
		if err != nil {
			if l.readFailed(err, "udp", &delay) {
				return
			}
			continue
		}
		delay = 0
		now := time.Now().UTC()
		for i := range got {
			d := &got[i]
			if cur, ok := rxqOverflow(d.oob); ok {
				if n := drops.update(cur); n > 0 {
					l.m.KernelDrops.Add(n)
				}
			}
			l.datagram(h, set, &frame, d, now)
		}
	}
}

// readFailed counts and (rarely) logs a failed datagram read, then waits
// out a backoff that doubles from 1 ms to 1 s (delay carries it between
// failures; the caller resets it on success). It reports whether the
// reader should stop: the socket was closed, or Close came during the wait.
func (l *Listener) readFailed(err error, what string, delay *time.Duration) (stop bool) {
	if errors.Is(err, net.ErrClosed) || l.isClosing() {
		return true
	}
	l.m.ReadErrors.Add(1)
	if ok, k := l.rare.readErr.allow(time.Now()); ok {
		l.log.Warn(what+" read failed", "error", err, "suppressed_since_last", k)
	}
	*delay = min(max(2*(*delay), time.Millisecond), time.Second)
	return !l.pause(*delay)
}

// datagram checks one datagram against the allowlist and the size limit
// and hands it to h.
func (l *Listener) datagram(h Handler, set *settings, frame *Frame, d *slot, now time.Time) {
	src := d.src
	if !allowed(set.o.AllowedSources, src.Addr()) {
		l.m.Rejected.Add(1)
		if ok, k := l.rare.rejected.allow(now); ok {
			l.log.Warn("datagram from a source not in allowed_sources", "source", src, "suppressed_since_last", k)
		}
		return
	}
	// With MSG_TRUNC in the flags Linux reports the datagram's real length.
	if d.n > set.o.MaxMessageBytes || d.trunc {
		l.oversize(h, src, max(d.n, set.o.MaxMessageBytes+1), set.o.MaxMessageBytes)
		return
	}
	data := trimDatagram(d.buf[:d.n])
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
