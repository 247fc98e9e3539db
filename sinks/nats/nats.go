// Package nats is the NATS sink: it publishes each message on a subject
// expanded from a template (syslog.{facility}.{hostname}), with the message
// in one of the line formats as payload and its routing fields as headers.
// It is the only package that imports nats.go.
//
// The sink has no queue, retry loop or spool of its own: the Runner gives
// it batches, and Write returns once the batch is settled, reporting per
// message what was written (sinks.BatchError). Two modes:
//
//   - jetstream (the default): the batch is published asynchronously (at
//     most max_pending unacknowledged at a time) and Write waits for every
//     acknowledgement, at most the ack timeout. A message counts as
//     written when JetStream acknowledged it. Each carries a Nats-Msg-Id
//     made of the sink's name and the message's ID (Message.ID, kept in
//     the disk buffer), so a retry after a lost acknowledgement, even by
//     the next run of the daemon, is dropped by the stream's
//     de-duplication.
//   - core: the batch is published into the connection and confirmed with
//     one flush, a PING the server answers once it has processed
//     everything before it. Core NATS has no acknowledgements and no
//     de-duplication, so a batch whose flush fails is not sent again: it is
//     reported dropped with reason "unconfirmed".
//
// The sink is always buffered: its spool_dir and spool_max_bytes are its
// Runner's disk buffer (see Options.Spool), so what NATS cannot take while
// it is unreachable or not acknowledging waits on disk and is replayed in
// order, and leaves the buffer only once acknowledged.
package nats

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"sync/atomic"

	natsgo "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"syslogd/message"
	"syslogd/sinks"
	"syslogd/sinks/template"
)

var errClosed = errors.New("nats sink is closed")

// Sink publishes to NATS. The Runner calls Connect, Write and Close from
// one goroutine.
type Sink struct {
	cfg     Config
	subject *template.Template
	log     *slog.Logger
	c       *sinks.Counters
	b       *builder
	opts    []natsgo.Option
	warns   warnOnce

	// Set by Connect.
	nc     *natsgo.Conn
	js     jetstream.JetStream
	closed bool

	closing atomic.Bool
	gen     atomic.Uint64 // connections made so far
	dups    atomic.Uint64 // acknowledgements of copies the stream already had

	// Write's state and buffers (Runner goroutine only).
	streamGen uint64 // the connection the stream was last ensured on
	noStream  bool   // the last publish found no stream
	payload   []byte
	ends      []int
	msgs      []*natsgo.Msg
	futs      []jetstream.PubAckFuture
	state     []outcome
	failed    []int
	dropped   []int
	msg       natsgo.Msg    // reused in core mode
	hdr       natsgo.Header // reused in core mode
	vals      []string
}

// New checks cfg, loads credentials and certificates, and returns a sink.
// Nothing is opened before Connect.
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
		b:       newBuilder(subject, cfg.Format, cfg.Mode == JetStream, cfg.Name),
		hdr:     make(natsgo.Header, headerValues),
		vals:    make([]string, headerValues),
	}
	opts, err := s.options()
	if err != nil {
		return nil, err
	}
	s.opts = opts
	s.warnOldSpool()
	return s, nil
}

// warnOldSpool says so when spool_dir holds the spool of a version of the
// sink that kept its own (nsqio/go-diskqueue files NAME.diskqueue.*.dat):
// the disk buffer that replaced it does not read those files, and what
// they hold must not go unnoticed.
func (s *Sink) warnOldSpool() {
	old, _ := filepath.Glob(filepath.Join(s.cfg.SpoolDir, s.cfg.Name+".diskqueue.*.dat"))
	if len(old) > 0 {
		s.log.Warn("spool_dir holds a spool of an earlier syslogd version, which is not replayed; its messages were not delivered",
			"files", old, "buffer", s.cfg.Spool(s.cfg.Name).Dir)
	}
}

// Connect starts the connection to NATS. It is made in the background when
// no server answers (nats.go keeps retrying): Connect then reports the sink
// not connected (sinks.ErrNotConnected), the Runner keeps its messages in
// the disk buffer, and later calls report whether nats.go has connected.
func (s *Sink) Connect(context.Context) error {
	if s.nc != nil {
		// The Runner calls again after Write found no connection: it is
		// back when nats.go has reconnected.
		if s.nc.IsConnected() {
			return nil
		}
		return fmt.Errorf("nats: %w", sinks.ErrNotConnected)
	}
	if s.closed {
		return errClosed
	}
	nc, err := natsgo.Connect(s.cfg.Servers(), s.opts...)
	if err != nil {
		return fmt.Errorf("nats: %w", err)
	}
	if s.cfg.Mode == JetStream {
		s.js, err = jetstream.New(nc,
			jetstream.WithPublishAsyncMaxPending(s.cfg.MaxPending),
			jetstream.WithPublishAsyncTimeout(s.cfg.AckTimeout))
		if err != nil {
			nc.Close()
			return fmt.Errorf("nats: jetstream: %w", err)
		}
	}
	s.nc = nc
	if !nc.IsConnected() {
		return fmt.Errorf("nats: %w", sinks.ErrNotConnected) // connecting in the background
	}
	return nil
}

// Write publishes the batch and returns once every message of it is
// settled: nil when all were written, a *sinks.BatchError naming those that
// were not (to retry) and those dropped, wrapping sinks.ErrNotConnected
// when the connection is down.
func (s *Sink) Write(ctx context.Context, batch []*message.Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.closed {
		return errClosed
	}
	if s.nc == nil || !s.nc.IsConnected() {
		return fmt.Errorf("nats: %w", sinks.ErrNotConnected)
	}
	if s.cfg.Mode == Core {
		return s.writeCore(batch)
	}
	return s.writeJetStream(ctx, batch)
}

// outcome is what became of one message of a batch in Write.
type outcome uint8

const (
	pending outcome = iota // not settled: failed, if Write returns so
	written
	failed
	dropped
)

// outcomes returns s.state reset for a batch of n.
func (s *Sink) outcomes(n int) []outcome {
	s.state = slices.Grow(s.state[:0], n)[:n]
	clear(s.state)
	return s.state
}

// result turns the outcomes of a Write into its error: nil when every
// message was written, otherwise a BatchError whose lists are s.failed and
// s.dropped (the Runner is done with it before the next Write). A message
// still pending failed. Dropped ones are dropped for reason.
func (s *Sink) result(st []outcome, reason sinks.Reason, err error) error {
	s.failed, s.dropped = s.failed[:0], s.dropped[:0]
	for i, o := range st {
		switch o {
		case pending, failed:
			s.failed = append(s.failed, i)
		case dropped:
			s.dropped = append(s.dropped, i)
		}
	}
	if len(s.failed) == 0 && len(s.dropped) == 0 {
		return nil
	}
	if !s.nc.IsConnected() {
		err = fmt.Errorf("nats: %w: %w", sinks.ErrNotConnected, err)
	} else {
		err = fmt.Errorf("nats: %w", err)
	}
	return &sinks.BatchError{Failed: s.failed, Dropped: s.dropped, Reason: reason, Err: err}
}

// Close closes the connection. Nothing is in flight: Write waited for
// every acknowledgement.
func (s *Sink) Close(context.Context) error {
	if s.closed {
		return nil
	}
	s.closed = true
	if s.nc == nil {
		return nil
	}
	s.closing.Store(true)
	s.nc.Close()
	if n := s.dups.Load(); n > 0 {
		s.log.Info("JetStream de-duplicated messages sent again after a lost acknowledgement", "messages", n)
	}
	return nil
}

// permanent reports whether err means that no retry of the message can
// succeed: a payload over the server's max_payload, say, or a message the
// stream refuses (an API error below 500, such as exceeding its
// max_msg_size), as opposed to NATS being unreachable or unavailable.
func permanent(err error) bool {
	if errors.Is(err, natsgo.ErrMaxPayload) || errors.Is(err, natsgo.ErrBadSubject) ||
		errors.Is(err, natsgo.ErrHeadersNotSupported) {
		return true
	}
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.Code < 500
}

// refused logs, once per sink, that NATS refuses a message; the Runner
// counts it dropped as sink_error.
func (s *Sink) refused(m *natsgo.Msg, err error) {
	s.warns.do(&s.warns.bad, func() {
		s.log.Error("NATS refuses a message, dropping it", "subject", m.Subject, "bytes", len(m.Data), "error", err)
	})
}

// warnOnce keeps log lines about per-message conditions to one per
// episode; a delivery ends the episodes of the transient ones.
type warnOnce struct {
	noStream, unconfirmed atomic.Bool // transient
	bad                   atomic.Bool // once per sink
}

func (w *warnOnce) do(flag *atomic.Bool, f func()) {
	if !flag.Load() && flag.CompareAndSwap(false, true) {
		f()
	}
}

func (w *warnOnce) reset() {
	for _, f := range []*atomic.Bool{&w.noStream, &w.unconfirmed} {
		if f.Load() {
			f.Store(false)
		}
	}
}

var (
	_ sinks.Sink      = (*Sink)(nil)
	_ sinks.Connecter = (*Sink)(nil)
)
