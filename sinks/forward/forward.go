// Package forward is the syslog sink: it relays messages to another syslog
// server, as rsyslog's omfwd does, over UDP (RFC 5426, one datagram per
// message), TCP (RFC 6587, octet counting or LF framing) or TLS (RFC
// 5425), each message in the rfc5424 line format or as "<PRI>" and the
// rfc3164 line.
//
// The Runner batches, retries and buffers; the sink writes a batch with one
// write call and reports, on a partial write, the messages whose frames
// did not go out whole (sinks.BatchError), wrapping sinks.ErrNotConnected,
// so that the Runner reconnects (Connect) and, with a disk buffer, keeps
// them there meanwhile. A message longer than max_message_bytes is dropped
// (sink_error), not truncated.
//
// TCP cannot tell what the peer read. A goroutine per connection reads
// from it (a syslog server sends nothing) to notice at once when the peer
// closes it or it breaks; the sink then reconnects in the background with
// backoff and, before anything else, writes again what it wrote in the last
// resend_window (see window): duplicates rather than loss.
package forward

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"syslogd/message"
	"syslogd/sinks"
	"syslogd/sinks/format"
)

var errClosed = errors.New("syslog sink is closed")

// Sink forwards to one syslog server. The Runner calls Connect, Write and
// Close from one goroutine; the connection's reader and the reconnecting
// goroutine share the connection and the window with it under mu.
type Sink struct {
	o Options
	// tls is the last TLS configuration loaded (protocol tls only):
	// connect reads the files again for every connection, so renewed
	// certificates apply from the next one, and falls back to this when
	// they cannot be loaded.
	tls    atomic.Pointer[tls.Config]
	tlsBad atomic.Bool // a failed load was logged
	c      *sinks.Counters
	log    *slog.Logger
	// backoff paces the background reconnection (tests shorten it).
	backoff sinks.Backoff
	// hook, set by tests only, hears of a connection's events.
	hook func(event)

	// Write's state and buffers (Runner goroutine only).
	enc     format.Encoder
	line    []byte
	buf     []byte
	ends    []int
	kept    []int
	failed  []int
	dropped []int

	mu     sync.Mutex // held while writing and installing a connection
	link   *link      // the connection; nil before the first and after Close
	win    window
	closed bool
	// stopKeep ends the background reconnection (streams; nil until the
	// first Connect starts it).
	stopKeep context.CancelFunc
	dialing  atomic.Bool   // Connect or the background reconnection is dialling
	closing  atomic.Bool   // Close has begun: a connection's end is not news
	died     chan struct{} // a connection died: reconnect (capacity 1)
	wg       sync.WaitGroup
}

// event is what a test hook hears.
type event uint8

const (
	evLost      event = iota // a connection died, not by the sink's doing
	evConnected              // a connection is up (and the window re-sent)
)

// New checks o (with Check: a configuration that loaded has passed it),
// loads the TLS files, and returns a sink; nothing is dialled before
// Connect. The sink keeps c.Connected up to date between writes (a nil c
// gets counters of its own). log should already name the sink.
func New(o Options, c *sinks.Counters, log *slog.Logger) (*Sink, error) {
	if errs := o.Check(); len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if c == nil {
		c = new(sinks.Counters)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if o.Framing == FramingDefault && o.Protocol != UDP {
		o.Framing = FramingOctetCounting
	}
	s := &Sink{
		o: o, c: c, log: log,
		enc:  format.Encoder{Format: o.Format},
		win:  window{maxBytes: o.ResendMaxBytes},
		died: make(chan struct{}, 1),
	}
	if o.Protocol != UDP {
		s.win.keep = o.ResendWindow
	}
	if o.Protocol == TLS {
		tc, errs := o.tlsConfig()
		if len(errs) > 0 {
			return nil, errors.Join(errs...)
		}
		s.tls.Store(tc)
	}
	return s, nil
}

// Connect dials the server (and shakes hands, for tls) unless the sink is
// connected already (the background reconnection may have got there
// first), and writes the window again on a new stream. A failure wraps
// sinks.ErrNotConnected, and so does finding the background reconnection
// dialling (one connection attempt at a time): the Runner tries again with
// backoff, and with a disk buffer starts without waiting.
func (s *Sink) Connect(ctx context.Context) error {
	s.mu.Lock()
	switch {
	case s.closed:
		s.mu.Unlock()
		return errClosed
	case s.stopKeep == nil && s.o.Protocol != UDP:
		// ctx is the Runner's: it ends before Close, which ends this
		// too in any case.
		kctx, cancel := context.WithCancel(ctx)
		s.stopKeep = cancel
		s.wg.Add(1)
		go s.keep(kctx)
	}
	up := s.link != nil && s.link.alive()
	s.mu.Unlock()
	if up {
		return nil
	}
	return s.reconnect(ctx)
}

// Write sends the batch: on a stream, all of it with one write call; over
// udp, one datagram per message. See the package comment for what its
// errors mean to the Runner.
func (s *Sink) Write(ctx context.Context, batch []*message.Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.o.Protocol == UDP {
		return s.writeDatagrams(ctx, batch)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	l, err := s.usable()
	if err != nil {
		return err
	}
	s.encode(batch)
	n := 0
	if len(s.buf) > 0 {
		var spent bool
		n, spent, err = s.send(ctx, l.conn, s.buf)
		now := time.Now()
		l.wrote(now)
		switch {
		case err != nil:
			err = s.fail(ctx, l, now, err)
		case spent:
			s.retire(l)
		}
		s.settle(n)
		s.buf = s.win.add(now, s.buf, s.kept)
		if cap(s.buf) > maxIdleBuffer {
			s.buf = nil
		}
		if err == nil {
			s.win.prune(now.Add(-s.o.ResendWindow))
		}
	} else {
		s.settle(0)
	}
	return s.result(len(batch), err)
}

// usable returns the connection to write on, or the error that makes the
// Runner reconnect. The caller holds mu.
func (s *Sink) usable() (*link, error) {
	if s.closed {
		return nil, errClosed
	}
	if s.link == nil || !s.link.alive() {
		return nil, notConnected(fmt.Errorf("no connection to %s", s.o.Address))
	}
	return s.link, nil
}

// result turns what became of a batch of n (s.failed, s.dropped) and the
// write's error into Write's result: nil when everything was written, err
// itself when nothing was, else a *sinks.BatchError (whose lists the
// Runner is done with before the next Write). Dropped messages are
// counted sink_error.
func (s *Sink) result(n int, err error) error {
	switch {
	case len(s.failed) == 0 && len(s.dropped) == 0:
		return nil // every frame went out whole, even if the connection then failed
	case len(s.failed) == n:
		return err
	}
	tooLong := fmt.Errorf("%d messages too long to send (max_message_bytes %d)", len(s.dropped), s.o.MaxMessageBytes)
	switch {
	case err == nil:
		err = tooLong
	case len(s.dropped) > 0:
		err = fmt.Errorf("%w; and %w", err, tooLong)
	}
	return &sinks.BatchError{Failed: s.failed, Dropped: s.dropped, Reason: sinks.ReasonSinkError, Err: err}
}

// send writes b with one call, by the write timeout or ctx's deadline,
// whichever comes first, and ends early when ctx is cancelled. spent
// reports that the cancellation got to the connection's deadline, so that
// it must not be used again.
func (s *Sink) send(ctx context.Context, c net.Conn, b []byte) (n int, spent bool, err error) {
	setDeadline(ctx, c, s.o.WriteTimeout)
	stop := context.AfterFunc(ctx, func() { _ = c.SetWriteDeadline(time.Unix(1, 0)) })
	n, err = c.Write(b)
	return n, !stop(), err
}

func setDeadline(ctx context.Context, c net.Conn, timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	_ = c.SetWriteDeadline(deadline)
}

// fail ends l after a failed write and returns the error for the Runner:
// the context's when it was cancelled (the Runner is stopping), else one
// wrapping sinks.ErrNotConnected, since a stream that failed a write may
// hold a torn frame and is not used again.
func (s *Sink) fail(ctx context.Context, l *link, at time.Time, err error) error {
	if ctx.Err() != nil {
		s.retire(l)
		return fmt.Errorf("write to %s: %w", s.o.Address, ctx.Err())
	}
	if l.end(at) {
		s.lost()
	}
	return notConnected(fmt.Errorf("write to %s: %w", s.o.Address, err))
}

// Close closes the connection. A stream is closed gracefully: the sink
// shuts down its sending side (TLS: close_notify) and waits, at most
// write_timeout or until ctx is done, for the server to close its side,
// which a server does once it has read everything sent.
// Resends marks a sink that writes messages again after a connection loss
// (Counters.Resent), so that stats show the count for it.
func (*Sink) Resends() {}

func (s *Sink) Close(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.closing.Store(true)
	l := s.link
	s.link = nil
	if s.stopKeep != nil {
		s.stopKeep()
	}
	s.mu.Unlock()
	if l != nil {
		s.hangUp(ctx, l)
	}
	s.wg.Wait()
	return nil
}

func (s *Sink) hangUp(ctx context.Context, l *link) {
	defer l.end(time.Now())
	if s.o.Protocol == UDP || !l.alive() {
		return
	}
	if tc, ok := l.conn.(*tls.Conn); ok && tc.CloseWrite() != nil {
		return
	}
	if tcp, ok := l.raw.(*net.TCPConn); !ok || tcp.CloseWrite() != nil {
		return
	}
	t := time.NewTimer(s.o.WriteTimeout)
	defer t.Stop()
	select {
	case <-l.dead: // the reader saw the server close
	case <-t.C:
	case <-ctx.Done():
	}
}

// notConnected wraps err so that the Runner reconnects before retrying.
func notConnected(err error) error { return fmt.Errorf("%w: %w", sinks.ErrNotConnected, err) }

var (
	_ sinks.Sink      = (*Sink)(nil)
	_ sinks.Connecter = (*Sink)(nil)
)
