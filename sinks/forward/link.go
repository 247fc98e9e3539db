package forward

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"syslogd/sinks"
)

// link is one connection to the server.
type link struct {
	conn  net.Conn // what is written to: raw, or TLS over it
	raw   net.Conn
	since time.Time
	last  atomic.Int64 // unix nanoseconds of the last write; 0: none
	dead  chan struct{}
	once  sync.Once
	// diedAt is when the link ended; set before dead is closed.
	diedAt time.Time
}

func (l *link) alive() bool {
	select {
	case <-l.dead:
		return false
	default:
		return true
	}
}

func (l *link) wrote(at time.Time) { l.last.Store(at.UnixNano()) }

// end marks l dead at at and closes its socket (without a TLS
// close_notify: the link is broken, or hangUp sent one), once; it reports
// whether this call ended it.
func (l *link) end(at time.Time) bool {
	first := false
	l.once.Do(func() {
		l.diedAt = at
		close(l.dead)
		first = true
	})
	if first {
		_ = l.raw.Close()
	}
	return first
}

// stableFor is how long a connection must have lasted for the background
// reconnection to start again from its shortest delay: a server that
// accepts and closes at once is not dialled (and sent the window) in a loop.
const stableFor = 5 * time.Second

// Connect and the background reconnection dial without the lock, so that
// a server that does not answer never holds up Write (which then reports
// not connected at once), and take it to install the connection.

// errDialing is why Connect did not dial: the background reconnection is.
var errDialing = errors.New("another connection attempt is under way")

// reconnect dials and installs a new connection, unless another goroutine
// is dialling already: one attempt at a time, so that the server never
// sees a second connection opened only to be closed again.
func (s *Sink) reconnect(ctx context.Context) error {
	if !s.dialing.CompareAndSwap(false, true) {
		return notConnected(fmt.Errorf("connecting to %s: %w", s.o.Address, errDialing))
	}
	defer s.dialing.Store(false)
	l, err := s.connect(ctx)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.install(ctx, l)
}

// connect dials the server and, for tls, shakes hands, within write_timeout.
func (s *Sink) connect(ctx context.Context) (*link, error) {
	ctx, cancel := context.WithTimeout(ctx, s.o.WriteTimeout)
	defer cancel()
	network := "tcp"
	if s.o.Protocol == UDP {
		network = "udp"
	}
	var d net.Dialer
	raw, err := d.DialContext(ctx, network, s.o.Address)
	if err != nil {
		return nil, notConnected(err)
	}
	conn := raw
	if s.o.Protocol == TLS {
		tc := tls.Client(raw, s.tlsConfig())
		if err := tc.HandshakeContext(ctx); err != nil {
			_ = raw.Close()
			return nil, notConnected(fmt.Errorf("tls handshake with %s: %w", s.o.Address, err))
		}
		conn = tc
	}
	return &link{conn: conn, raw: raw, since: time.Now(), dead: make(chan struct{})}, nil
}

// tlsConfig loads the TLS files again, or returns the configuration
// loaded last when they cannot be (logged once until they can).
func (s *Sink) tlsConfig() *tls.Config {
	tc, errs := s.o.tlsConfig()
	if len(errs) > 0 {
		if s.tlsBad.CompareAndSwap(false, true) {
			s.log.Warn("cannot load the tls files again; connecting with those loaded before", "error", errors.Join(errs...))
		}
		return s.tls.Load()
	}
	s.tlsBad.Store(false)
	s.tls.Store(tc)
	return tc
}

// install makes l the sink's connection, unless the sink is closed or
// another one got there first (l is closed then). On a stream it first
// writes the window again: what went out in the last resend_window before
// the previous connection died. If that fails, l is not used and the
// window is kept whole for the next one. The caller holds mu.
func (s *Sink) install(ctx context.Context, l *link) error {
	switch {
	case s.closed:
		l.end(time.Now())
		return errClosed
	case s.link != nil && s.link.alive():
		l.end(time.Now())
		return nil
	}
	if prev := s.link; prev != nil {
		// Once per dead connection: later attempts find s.link nil and
		// keep what this left.
		s.win.prune(prev.diedAt.Add(-s.o.ResendWindow))
		s.link = nil
	}
	resent := 0
	if s.o.Protocol != UDP {
		if s.win.frames > 0 {
			setDeadline(ctx, l.conn, s.o.WriteTimeout)
			stop := context.AfterFunc(ctx, func() { _ = l.conn.SetWriteDeadline(time.Unix(1, 0)) })
			bufs := s.win.buffers()
			_, err := bufs.WriteTo(l.conn)
			if !stop() && err == nil {
				err = ctx.Err()
			}
			if err != nil {
				l.end(time.Now())
				return notConnected(fmt.Errorf("sending %d messages again to %s: %w", s.win.frames, s.o.Address, err))
			}
			now := time.Now()
			l.wrote(now)
			s.win.touch(now)
			resent = s.win.frames
			s.c.Resent.Add(uint64(resent))
		}
		s.wg.Add(1)
		go s.read(l)
	}
	s.link = l
	s.c.Connected.Store(true)
	if resent > 0 {
		s.log.Info("connected; sent again what was written just before the last connection died", "address", s.o.Address,
			"protocol", s.o.Protocol.String(), "messages", resent)
	} else {
		s.log.Info("connected", "address", s.o.Address, "protocol", s.o.Protocol.String())
	}
	if s.hook != nil {
		s.hook(evConnected)
	}
	return nil
}

// read reads from the connection until it ends: a syslog server sends
// nothing, so the read returns only when the server closed the connection
// or it broke (or the sink closed it), which then is noticed at once
// rather than at the next write. It also consumes what a TLS server does
// send (session tickets), so that closing never resets the connection
// with data unread.
func (s *Sink) read(l *link) {
	defer s.wg.Done()
	var b [512]byte
	var err error
	for err == nil {
		_, err = l.conn.Read(b[:])
	}
	now := time.Now()
	if !l.end(now) || s.closing.Load() {
		return // the sink ended it
	}
	if last := l.last.Load(); last == 0 || now.Sub(time.Unix(0, last)) > s.o.ResendWindow {
		s.log.Info("the server closed the connection; reconnecting", "address", s.o.Address, "error", err)
	} else {
		s.log.Warn("connection lost; reconnecting to send again what was written in the last resend_window",
			"address", s.o.Address, "error", err)
	}
	s.lost()
}

// lost records that a connection died by no doing of the sink's: /stats
// shows it disconnected until another is up, and the background
// reconnection is woken.
func (s *Sink) lost() {
	s.c.Connected.Store(false)
	select {
	case s.died <- struct{}{}:
	default:
	}
	if s.hook != nil {
		s.hook(evLost)
	}
}

// retire ends l on the sink's own account: a cancelled write left a
// deadline on it.
func (s *Sink) retire(l *link) { l.end(time.Now()) }

// keep reconnects in the background after a stream died, with the
// Runner's backoff (sinks.Backoff: 100 ms doubling to 5 s), so that the
// window goes out again, and /stats says connected, without waiting for
// the next message. It gives way when the Runner's Connect got there
// first, and ends with ctx (the Runner's, cancelled by Close too).
func (s *Sink) keep(ctx context.Context) {
	defer s.wg.Done()
	b := s.backoff
	for {
		select {
		case <-s.died:
		case <-ctx.Done():
			return
		}
		s.mu.Lock()
		if l := s.link; l != nil && !l.alive() && l.diedAt.Sub(l.since) >= stableFor {
			b.Reset()
		}
		s.mu.Unlock()
		for {
			if !sinks.Sleep(ctx.Done(), b.Next()) {
				return
			}
			s.mu.Lock()
			up := s.closed || s.link != nil && s.link.alive()
			s.mu.Unlock()
			if up {
				break
			}
			if s.reconnect(ctx) == nil {
				break
			}
		}
	}
}
