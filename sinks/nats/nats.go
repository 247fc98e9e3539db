// Package nats is the NATS sink: it publishes each message on a subject
// expanded from a template (syslog.{facility}.{hostname}), with the message
// in one of the line formats as payload and its routing fields as headers.
// It is the only package that imports nats.go.
//
// Two modes:
//
//   - jetstream (the default): every message gets a Nats-Msg-Id when it
//     enters the sink, is published asynchronously (at most max_pending
//     unacknowledged at a time) and is retried until JetStream acknowledges
//     it. The ID never changes, so a retry after a lost acknowledgement is
//     dropped by the server's de-duplication. Delivery is at-least-once
//     from the moment a message is in the Runner's queue or the spool, and
//     exactly-once in the stream within its duplicate window.
//   - core: messages are published into the connection (with nats.go's
//     reconnect buffer) and each batch is confirmed with a flush, a PING
//     the server answers once it has processed everything before it. Core
//     NATS has no acknowledgements and no de-duplication, so a batch whose
//     flush fails is not sent again: it is counted as dropped with reason
//     "unconfirmed". Core NATS is at-most-once across a server restart.
//
// When NATS is unreachable, or JetStream does not acknowledge in time, the
// messages go to a bounded spool on disk (see spool) and are replayed in
// order once NATS is back — by the next run of the daemon if need be. While
// the spool holds anything, new messages queue up behind it, so Write stays
// cheap when NATS is away and the Runner's drain at shutdown moves what is
// queued into the spool instead of dropping it.
//
// The sink counts for itself (see sinks.Spooler): Written when JetStream
// acknowledges (core: when the flush confirms), Failed per failed publish
// attempt, Retries per message published again after a failure, drops with
// reasons spool_full, unconfirmed and sink_error, and Connected as nats.go
// reports the connection.
package nats

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"

	natsgo "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"syslogd/message"
	"syslogd/sinks"
	"syslogd/sinks/template"
)

var errClosed = errors.New("nats sink is closed")

// Sink publishes to NATS. The Runner calls Connect, Write and Close from
// one goroutine; Spooled may be called from any goroutine.
type Sink struct {
	cfg     Config
	subject *template.Template
	log     *slog.Logger
	c       *sinks.Counters
	b       *builder
	opts    []natsgo.Option
	warns   warnOnce

	// Set by Connect (spool also read by Spooled).
	spool    atomic.Pointer[spool]
	nc       *natsgo.Conn
	js       jetstream.JetStream
	stopPump context.CancelFunc
	pumpDone chan struct{}
	closed   bool

	closing atomic.Bool
	gen     atomic.Uint64 // connections made so far
	ready   atomic.Bool   // the pump has seen the current connection (and ensured the stream)
	holding atomic.Bool   // the pump holds a record taken from the spool
	connCh  chan struct{} // wakes the pump when the connection changes
	flight  inflight      // unacknowledged JetStream publishes
	fails   atomic.Uint64 // failed attempts, for the pump's backoff
	dups    atomic.Uint64 // acknowledgements of copies the stream already had
	result  chan struct{} // an acknowledgement or failure arrived

	// Write's buffers (Runner goroutine only).
	payload []byte
	ends    []int
	msgs    []*natsgo.Msg
	msg     natsgo.Msg    // reused in core mode
	hdr     natsgo.Header // reused in core mode
	vals    []string
	rec     []byte
}

// New checks cfg, loads credentials and certificates, and returns a sink.
// Nothing is opened before Connect: a reload starts the new sink while the
// old one still holds the spool.
func New(cfg Config, log *slog.Logger) (*Sink, error) {
	if errs := cfg.Check(); len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	subject, err := template.Parse(cfg.Subject, template.Subject)
	if err != nil { // not reached: Check parsed it
		return nil, err
	}
	if cfg.AckTimeout <= 0 {
		cfg.AckTimeout = DefaultAckTimeout
	}
	if cfg.Counters == nil {
		cfg.Counters = new(sinks.Counters)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Sink{
		cfg: cfg, log: log, c: cfg.Counters,
		subject: subject,
		b:       newBuilder(subject, cfg.Format, cfg.Mode == JetStream),
		connCh:  make(chan struct{}, 1),
		result:  make(chan struct{}, 1),
		hdr:     make(natsgo.Header, headerValues),
		vals:    make([]string, headerValues),
	}
	s.flight.m = make(map[*natsgo.Msg]flight)
	opts, err := s.options()
	if err != nil {
		return nil, err
	}
	s.opts = opts
	return s, nil
}

// Connect locks and opens the spool, then connects to NATS. The connection
// is made in the background when no server answers (nats.go keeps
// retrying), so Connect fails only when the spool cannot be opened — for
// example while the sink this one replaces still holds it; the Runner
// retries.
func (s *Sink) Connect(context.Context) error {
	if s.nc != nil {
		return nil
	}
	if s.closed {
		return errClosed
	}
	sp, err := openSpool(s.cfg.SpoolDir, s.cfg.Name, s.cfg.SpoolMaxBytes, s.log)
	if err != nil {
		return err
	}
	nc, err := natsgo.Connect(strings.Join(s.cfg.URL, ","), s.opts...)
	if err != nil {
		return errors.Join(fmt.Errorf("nats: %w", err), sp.close())
	}
	if s.cfg.Mode == JetStream {
		s.js, err = jetstream.New(nc,
			jetstream.WithPublishAsyncMaxPending(s.cfg.MaxPending),
			jetstream.WithPublishAsyncTimeout(s.cfg.AckTimeout),
			jetstream.WithPublishAsyncAckHandler(s.onAck),
			jetstream.WithPublishAsyncErrHandler(s.onErr))
		if err != nil {
			nc.Close()
			return errors.Join(fmt.Errorf("nats: jetstream: %w", err), sp.close())
		}
	}
	s.nc = nc
	s.spool.Store(sp)
	if n := sp.len(); n > 0 {
		s.log.Info("spool holds messages from before; replaying them once NATS is reachable", "messages", n)
	}
	pctx, cancel := context.WithCancel(context.Background())
	s.stopPump, s.pumpDone = cancel, make(chan struct{})
	go s.pump(pctx)
	return nil
}

// Write publishes the batch, or spools it when NATS is unreachable or the
// spool already holds messages (which must go first). It returns an error
// only when ctx is done or the sink is closed; messages that can neither
// be published nor spooled are counted as dropped.
func (s *Sink) Write(ctx context.Context, batch []*message.Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.closed {
		return errClosed
	}
	if s.nc == nil {
		return fmt.Errorf("nats: %w", sinks.ErrNotConnected)
	}
	direct := s.ready.Load() && s.nc.IsConnected() && s.spool.Load().len() == 0 && !s.holding.Load()
	if s.cfg.Mode == Core {
		s.writeCore(batch, direct)
		return nil
	}
	msgs := s.buildJetStream(batch)
	for _, m := range msgs {
		if direct {
			err := s.publish(ctx, m, attempt{})
			if err == nil || s.dropPermanent(err, m) {
				continue
			}
			direct = false // this one and the rest go behind it, in order
			s.failedAttempt(err)
			s.toSpool(m, attempt{}.failed(false), &s.rec)
			continue
		}
		s.toSpool(m, attempt{}, &s.rec)
	}
	clear(msgs)
	return nil
}

// Spooled returns the number of messages in the spool now.
func (s *Sink) Spooled() int64 {
	sp := s.spool.Load()
	if sp == nil {
		return 0
	}
	if s.holding.Load() {
		return sp.len() + 1
	}
	return sp.len()
}

// Close stops the replay, waits (until ctx is done) for outstanding
// acknowledgements, spools every message still unacknowledged, closes the
// connection and syncs the spool. Whatever the spool holds is sent by the
// next run.
func (s *Sink) Close(ctx context.Context) error {
	if s.closed {
		return nil
	}
	s.closed = true
	if s.nc == nil {
		return nil
	}
	s.closing.Store(true)
	s.stopPump()
	<-s.pumpDone
	if s.cfg.Mode == JetStream {
		left := s.flight.drain(ctx, s.toSpool)
		if left > 0 {
			s.log.Warn("spooled messages still unacknowledged at close", "messages", left)
		}
	}
	s.nc.Close()
	sp := s.spool.Load()
	if n := sp.len(); n > 0 {
		s.log.Info("spool keeps messages for the next run", "messages", n, "dir", s.cfg.SpoolDir)
	}
	if err := sp.close(); err != nil {
		return fmt.Errorf("close spool: %w", err)
	}
	return nil
}

var (
	_ sinks.Sink      = (*Sink)(nil)
	_ sinks.Connecter = (*Sink)(nil)
	_ sinks.Spooler   = (*Sink)(nil)
)
