// Package journald is the journald sink: each message becomes one journal
// entry, sent over journald's native protocol (one AF_UNIX datagram per
// entry, https://systemd.io/JOURNAL_NATIVE_PROTOCOL/) with the syslog
// header mapped to SYSLOG_* fields and RFC 5424 structured data to SD_*
// fields.
//
// The protocol is small enough to write here rather than import: unlike
// go-systemd's journal.Send, this sink can write to any socket (so to a
// journal namespace), and every field name it writes is either a constant,
// a validated static name or sanitised from message content, so a value or
// an SD param name such as "X=1\nPRIORITY=0" can never add a field.
//
// Entries are encoded into one reused buffer: no allocation per message
// while entries fit a datagram. Delivery to journald is unacknowledged: a
// datagram journald had queued but not read when it stopped is lost.
package journald

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"time"

	"syslogd/message"
	"syslogd/sinks"
)

// DefaultSocket is the system journal's native protocol socket.
const DefaultSocket = "/run/systemd/journal/socket"

// maxIdleBuffer caps the encoding buffer kept between batches, so one huge
// message does not pin its size for the life of the sink.
const maxIdleBuffer = 1 << 20

// SocketPath returns the socket a sink configured with socket and
// namespace writes to.
func SocketPath(socket, namespace string) string {
	switch {
	case socket != "":
		return socket
	case namespace != "":
		return "/run/systemd/journal." + namespace + "/socket"
	}
	return DefaultSocket
}

// Sink writes messages to journald. The Runner calls Connect, Write and
// Close from one goroutine, never concurrently, so the sink has no lock.
type Sink struct {
	path    string
	static  []byte // the static fields, encoded once
	nStatic int
	log     *slog.Logger

	conn *net.UnixConn // nil until Connect, and after a disconnection
	buf  []byte
	// memfdSends counts entries sent through a memfd, for tests.
	memfdSends int
}

// New checks o (with Check: a configuration that loaded has passed it)
// and returns a sink; the socket is opened by Connect. log should already
// name the sink, as the daemon's does.
func New(o Options, log *slog.Logger) (*Sink, error) {
	if errs := o.Check(); len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	static := appendStatic(nil, o.Fields)
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Sink{
		path:    SocketPath(o.Socket, o.Namespace),
		static:  static,
		nStatic: len(o.Fields),
		log:     log,
	}, nil
}

// Connect opens a datagram socket connected to journald's. Connecting
// checks that journald is there (ENOENT: no socket file; ECONNREFUSED:
// nobody listening), and lets each send skip the path lookup. A journald
// that restarts binds a new socket, so the next send fails and the Runner
// calls Connect again.
func (s *Sink) Connect(ctx context.Context) error {
	s.closeConn()
	var d net.Dialer
	c, err := d.DialContext(ctx, "unixgram", s.path)
	if err != nil {
		if disconnected(err) {
			return notConnected(err)
		}
		return err
	}
	s.conn = c.(*net.UnixConn)
	s.log.Info("connected to journald", "socket", s.path)
	return nil
}

// Write sends every message of batch as one entry. It blocks while
// journald's socket queue is full (back-pressure) until ctx is done. When
// journald goes away mid-batch, the error wraps sinks.ErrNotConnected and,
// as a *sinks.BatchError, names the entries not sent, so that the Runner's
// retry sends only those.
func (s *Sink) Write(ctx context.Context, batch []*message.Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c := s.conn
	if c == nil {
		return notConnected(fmt.Errorf("journald socket %s is not open", s.path))
	}
	stop := context.AfterFunc(ctx, func() { _ = c.SetWriteDeadline(time.Unix(1, 0)) })
	defer func() {
		if !stop() { // the deadline is set (or being set): the socket is spent
			s.closeConn()
		}
	}()
	for i := range batch {
		s.buf = appendEntry(s.buf[:0], batch[i], s.static, s.nStatic)
		if err := s.sendEntry(c, s.buf); err != nil {
			err = s.fail(ctx, err)
			if i == 0 {
				return err
			}
			return &sinks.BatchError{Failed: tail(i, len(batch)), Err: err}
		}
	}
	if cap(s.buf) > maxIdleBuffer {
		s.buf = nil
	}
	return nil
}

// fail turns a send error into Write's result. A cancelled context has
// left a deadline on the socket, and a disconnected one is useless: both
// are closed so that the next Connect starts afresh.
func (s *Sink) fail(ctx context.Context, err error) error {
	switch {
	case ctx.Err() != nil && errors.Is(err, os.ErrDeadlineExceeded):
		s.closeConn()
		return ctx.Err()
	case disconnected(err):
		s.closeConn()
		return notConnected(err)
	}
	return fmt.Errorf("journald socket %s: %w", s.path, err)
}

// Close closes the socket. Entries already sent are journald's.
func (s *Sink) Close(context.Context) error {
	s.closeConn()
	return nil
}

// tail returns the indexes from..n-1.
func tail(from, n int) []int {
	out := make([]int, 0, n-from)
	for i := from; i < n; i++ {
		out = append(out, i)
	}
	return out
}

func (s *Sink) closeConn() {
	if s.conn != nil {
		_ = s.conn.Close()
		s.conn = nil
	}
}

var (
	_ sinks.Sink      = (*Sink)(nil)
	_ sinks.Connecter = (*Sink)(nil)
)
