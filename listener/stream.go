package listener

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"sync/atomic"
	"time"
)

// tlsRecordHandshake is the first byte of a TLS ClientHello record.
const tlsRecordHandshake = 0x16

// errTLSOnPlain reports a TLS client talking to a plain TCP listener:
// its ClientHello is binary noise to a syslog parser, so we refuse it.
var errTLSOnPlain = errors.New("tls client hello on plain tcp listener")

// listenStream serves ln, a bound stream socket (or nil: bind l.address
// on tcp).
func (l *Listener) listenStream(ln net.Listener) error {
	if ln == nil {
		var lc net.ListenConfig
		var err error
		if ln, err = lc.Listen(context.Background(), "tcp", l.address); err != nil {
			return err
		}
	}
	l.stream = ln
	l.wg.Add(2)
	go l.acceptLoop()
	go l.sweepSlow()
	return nil
}

// connState is what the listener knows of a connection while it is served.
type connState struct {
	// partial is when the frame the connection is in the middle of began
	// (unix nanoseconds; 0 between frames). The framer reports it before
	// each read (see pendingReader).
	partial atomic.Int64
	// slow is set when sweepSlow closed the connection for it.
	slow atomic.Bool
}

// sweepSlow closes, about once a second, the connections that have taken
// longer than frame_timeout to send one frame: a sender dribbling a byte
// at a time (slowloris) would otherwise hold a connection slot until the
// idle timeout, which its bytes keep resetting. Checking from here costs
// the serving goroutines nothing but a clock read when a read ends inside
// a frame.
func (l *Listener) sweepSlow() {
	defer l.wg.Done()
	every := func() time.Duration { return min(time.Second, max(l.set.Load().o.FrameTimeout/4, time.Millisecond)) }
	t := time.NewTimer(every())
	defer t.Stop()
	for {
		select {
		case now := <-t.C:
			t.Reset(every()) // frame_timeout may have changed with an Update
			cutoff := now.Add(-l.set.Load().o.FrameTimeout).UnixNano()
			l.mu.Lock()
			for c, st := range l.conns {
				if p := st.partial.Load(); p != 0 && p < cutoff && !st.slow.Swap(true) {
					_ = c.SetReadDeadline(time.Unix(1, 0)) // the serving goroutine's read returns
				}
			}
			l.mu.Unlock()
		case <-l.done:
			return
		}
	}
}

// acceptLoop admits connections until Close closes the socket.
func (l *Listener) acceptLoop() {
	defer l.wg.Done()
	var delay time.Duration
	for {
		c, err := l.stream.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) || l.isClosing() {
				return
			}
			// Out of file descriptors and the like: back off as net/http
			// does instead of spinning on the error.
			l.m.ReadErrors.Add(1)
			if ok, n := l.rare.readErr.allow(time.Now()); ok {
				l.log.Warn("accept failed", "error", err, "suppressed_since_last", n)
			}
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			if !l.pause(delay) {
				return
			}
			continue
		}
		delay = 0
		l.admit(c)
	}
}

// admit applies the allowlist and max_connections to a new connection and
// starts serving it. A refused connection is closed at once.
func (l *Listener) admit(c net.Conn) {
	set := l.set.Load()
	var src netip.AddrPort
	if ta, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		src = unmapped(ta.AddrPort())
	}
	// Counters move before Close so that whoever sees the connection end
	// (tests, an operator's probe) also sees it counted.
	if !allowed(set.o.AllowedSources, src.Addr()) {
		l.m.Rejected.Add(1)
		_ = c.Close()
		if ok, n := l.rare.rejected.allow(time.Now()); ok {
			l.log.Warn("connection from a source not in allowed_sources", "source", src, "suppressed_since_last", n)
		}
		return
	}
	l.mu.Lock()
	// Full, but a connection dribbling a frame can make room.
	evicted := !l.closing && len(l.conns) >= set.o.MaxConnections && l.evictSlowestLocked(set)
	if !evicted && (l.closing || len(l.conns) >= set.o.MaxConnections) {
		closing := l.closing
		l.mu.Unlock()
		if !closing {
			l.m.Rejected.Add(1)
		}
		_ = c.Close()
		if ok, n := l.rare.limit.allow(time.Now()); ok && !closing {
			l.log.Warn("max_connections reached, refusing connections",
				"max_connections", set.o.MaxConnections, "source", src, "suppressed_since_last", n)
		}
		return
	}
	st := new(connState)
	l.conns[c] = st
	l.wg.Add(1)
	l.mu.Unlock()
	l.m.Connections.Add(1)
	l.m.ConnectionsTotal.Add(1)
	go l.serveConn(c, src, st, set)
	if !evicted {
		return
	}
	if ok, n := l.rare.evict.allow(time.Now()); ok {
		l.log.Warn("max_connections reached: closed the connection slowest to send its frame to admit a new one",
			"max_connections", set.o.MaxConnections, "source", src, "suppressed_since_last", n)
	}
}

// evictAfter is how long a frame must have been under way before its
// connection may be closed to make room for a new one.
const evictAfter = time.Second

// evictSlowestLocked closes, when the listener is full, the connection that
// has been sending its current frame the longest, if that is at least
// evictAfter (or frame_timeout, if shorter): slow senders cannot keep
// others out until frame_timeout, while a connection that is idle between
// frames, or sends whole frames, is never closed for it. Its goroutine
// counts it as a frame timeout. It reports whether it closed one. l.mu is
// held.
func (l *Listener) evictSlowestLocked(set *settings) bool {
	cutoff := time.Now().Add(-min(evictAfter, set.o.FrameTimeout)).UnixNano()
	var (
		victim net.Conn
		vst    *connState
		oldest int64
	)
	for c, st := range l.conns {
		if p := st.partial.Load(); p != 0 && p <= cutoff && !st.slow.Load() && (victim == nil || p < oldest) {
			victim, vst, oldest = c, st, p
		}
	}
	if victim == nil || vst.slow.Swap(true) {
		return false
	}
	_ = victim.SetReadDeadline(time.Unix(1, 0)) // its read returns; the slot is freed as it ends
	return true
}

// serveConn frames one connection until it ends, delivering every frame,
// with the settings it was admitted with.
func (l *Listener) serveConn(c net.Conn, src netip.AddrPort, st *connState, set *settings) {
	defer l.wg.Done()
	defer l.forget(c)
	rd := &connReader{r: c, c: c, idle: set.o.IdleTimeout, sniff: true, st: st}
	if set.tls != nil {
		tc, ok := l.handshake(c, src, set)
		if !ok {
			return
		}
		rd.r, rd.sniff = tc, false
	}
	fr := set.framer(rd)
	defer set.releaseFramer(fr)
	h := set.newHandler()
	frame := Frame{Source: src, Peer: peerOf(c)}
	for {
		data, err := fr.Next()
		switch e := err.(type) {
		case nil:
			frame.Data, frame.Received = data, rd.readAt
			h.HandleFrame(&frame)
		case *TooLargeError:
			l.oversize(h, src, e.Size, set.o.MaxMessageBytes)
		default:
			if errors.Is(err, ErrMalformedHeader) {
				l.m.ReadErrors.Add(1)
				if ok, n := l.rare.malformed.allow(time.Now()); ok {
					l.log.Warn("malformed octet-counting header, skipped to the next LF",
						"source", src, "suppressed_since_last", n)
				}
				continue
			}
			l.streamEnded(err, src, st, set)
			return
		}
	}
}

// streamEnded accounts for how a connection ended. EOF, the idle timeout and
// anything during Close are normal ends.
func (l *Listener) streamEnded(err error, src netip.AddrPort, st *connState, set *settings) {
	switch {
	case errors.Is(err, io.EOF), l.isClosing():
	case st.slow.Load():
		l.m.FrameTimeouts.Add(1)
		if ok, n := l.rare.slow.allow(time.Now()); ok {
			l.log.Warn("closed a connection that took longer than frame_timeout for one frame",
				"source", src, "frame_timeout", l.set.Load().o.FrameTimeout, "suppressed_since_last", n)
		}
	case errors.Is(err, errTLSOnPlain):
		l.m.ReadErrors.Add(1)
		if ok, n := l.rare.tlsHello.allow(time.Now()); ok {
			l.log.Warn("closed a connection that sent a TLS ClientHello to a plain tcp listener",
				"source", src, "suppressed_since_last", n)
		}
	case errors.Is(err, os.ErrDeadlineExceeded):
		l.log.Debug("closed idle connection", "source", src, "idle_timeout", set.o.IdleTimeout)
	default:
		l.m.ReadErrors.Add(1)
		if ok, n := l.rare.readErr.allow(time.Now()); ok {
			l.log.Warn("read failed", "source", src, "error", err, "suppressed_since_last", n)
		}
	}
}

// handshake runs the TLS handshake on the connection's goroutine (not the
// accept loop, which a slow client would otherwise stall), under
// handshake_timeout alone: the idle timeout measures silence between
// frames, and a sender that connects at start and sends its ClientHello
// with its first message (syslog-ng) is waiting for that message, not
// idle; an idle_timeout of 0 (never) would otherwise leave no bound at all.
// A client whose certificate names none of allowed_names is refused after
// the handshake, counted as rejected.
func (l *Listener) handshake(c net.Conn, src netip.AddrPort, set *settings) (*tls.Conn, bool) {
	tc := tls.Server(c, set.tls)
	_ = c.SetDeadline(time.Now().Add(set.o.TLS.HandshakeTimeout))
	if err := tc.Handshake(); err != nil {
		if !l.isClosing() {
			l.m.ReadErrors.Add(1)
			if ok, n := l.rare.handshake.allow(time.Now()); ok {
				l.log.Warn("tls handshake failed", "source", src, "error", err, "suppressed_since_last", n)
			}
		}
		return nil, false
	}
	if names := set.o.TLS.AllowedNames; len(names) > 0 {
		// client_auth require (Check) and a handshake that succeeded: the
		// client sent a certificate that chains to client_ca_file.
		leaf := tc.ConnectionState().PeerCertificates[0]
		if !allowedName(leaf, names) {
			l.m.Rejected.Add(1) // before the close, as in admit
			if ok, n := l.rare.rejected.allow(time.Now()); ok {
				l.log.Warn("client certificate names none of allowed_names, refused", "source", src,
					"dns_names", leaf.DNSNames, "common_name", leaf.Subject.CommonName, "suppressed_since_last", n)
			}
			return nil, false
		}
	}
	_ = c.SetDeadline(time.Time{})
	return tc, true
}

// framer takes a Framer from the pool, or makes one.
func (s *settings) framer(r io.Reader) *Framer {
	if fr, ok := s.framers.Get().(*Framer); ok {
		fr.Reset(r)
		return fr
	}
	return NewFramer(r, s.o.Framing, s.o.MaxMessageBytes)
}

// releaseFramer returns fr to the pool, dropping its reader so the pool
// does not keep the finished connection alive.
func (s *settings) releaseFramer(fr *Framer) {
	fr.Reset(nil)
	s.framers.Put(fr)
}

// forget closes a finished connection and stops tracking it.
func (l *Listener) forget(c net.Conn) {
	_ = c.Close()
	l.mu.Lock()
	delete(l.conns, c)
	l.mu.Unlock()
	l.m.Connections.Add(-1)
}

// connReader refreshes the idle deadline before every read, so only a
// connection silent for the whole idle timeout is closed (an idle timeout
// of 0 sets none: the connection may stay silent for ever; sweepSlow and
// evictSlowestLocked still end a read with a past deadline, which no
// refresh then moves), and on a plain TCP listener refuses a stream whose
// first byte starts a TLS handshake record.
type connReader struct {
	r     io.Reader // c, or the tls.Conn wrapping it
	c     net.Conn  // where deadlines are set
	st    *connState
	idle  time.Duration // 0: never
	sniff bool          // first byte not yet seen
	// readAt is when the last read returned (UTC). Frames are stamped with
	// it: they arrived with that read, and one clock read per read(2)
	// instead of per frame is measurably cheaper under load.
	readAt time.Time
	// deadlineSet is when the read deadline was last moved. Moving it costs
	// a poller update, so it moves only when an eighth of the idle timeout
	// has passed, and lies idle/8 further out: a connection is closed after
	// between 1 and 1.125 idle timeouts of silence, never earlier.
	deadlineSet time.Time
}

func (cr *connReader) Read(p []byte) (int, error) {
	if now := time.Now(); cr.idle > 0 && now.Sub(cr.deadlineSet) >= cr.idle/8 {
		if err := cr.c.SetReadDeadline(now.Add(cr.idle + cr.idle/8)); err != nil {
			return 0, err
		}
		cr.deadlineSet = now
	}
	n, err := cr.r.Read(p)
	cr.readAt = time.Now().UTC()
	if cr.sniff && n > 0 {
		cr.sniff = false
		if p[0] == tlsRecordHandshake {
			return 0, errTLSOnPlain
		}
	}
	return n, err
}

// pending is told by the Framer, before each read, whether a frame is
// under way (bytes of it buffered), so that sweepSlow can see how long it
// has been.
func (cr *connReader) pending(partial bool) {
	switch since := cr.st.partial.Load(); {
	case partial && since == 0:
		cr.st.partial.Store(cr.readAt.UnixNano())
	case !partial && since != 0:
		cr.st.partial.Store(0)
	}
}

var (
	_ io.Reader     = (*connReader)(nil)
	_ pendingReader = (*connReader)(nil)
)
