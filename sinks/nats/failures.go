package nats

import (
	"errors"
	"sync/atomic"

	natsgo "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"syslogd/sinks"
)

// toSpool appends m's record to the spool, counting a drop when it cannot.
// buf is a scratch buffer owned by the caller's goroutine.
func (s *Sink) toSpool(m *natsgo.Msg, a attempt, buf *[]byte) {
	*buf = appendRecord((*buf)[:0], m, a)
	err := s.spool.Load().put(*buf)
	switch {
	case err == nil:
	case errors.Is(err, errSpoolFull):
		s.c.Drop(sinks.ReasonSpoolFull, 1)
		s.warns.do(&s.warns.spoolFull, func() {
			s.log.Error("spool is full, dropping messages", "max_bytes", s.cfg.SpoolMaxBytes, "dir", s.cfg.SpoolDir)
		})
	default:
		s.c.Drop(sinks.ReasonSinkError, 1)
		s.warns.do(&s.warns.spoolError, func() { s.log.Error("cannot write to spool, dropping messages", "error", err) })
	}
}

// failedAttempt counts one failed publish attempt and wakes the pump's
// backoff.
func (s *Sink) failedAttempt(err error) {
	s.c.Failed.Add(1)
	s.fails.Add(1)
	s.signal(s.result)
	if errors.Is(err, jetstream.ErrNoStreamResponse) {
		s.warns.do(&s.warns.noStream, func() {
			s.log.Error("no JetStream stream takes the sink's subjects; messages are spooled until one does",
				"subjects", s.streamSubjects())
		})
	}
}

func (s *Sink) signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// warnOnce keeps log lines about per-message conditions to one per
// episode; a delivery ends the episodes of the transient ones.
type warnOnce struct {
	noStream, spoolFull, unconfirmed atomic.Bool // transient
	spoolError, bad                  atomic.Bool // once per sink
}

func (w *warnOnce) do(flag *atomic.Bool, f func()) {
	if !flag.Load() && flag.CompareAndSwap(false, true) {
		f()
	}
}

func (w *warnOnce) reset() {
	for _, f := range []*atomic.Bool{&w.noStream, &w.spoolFull, &w.unconfirmed} {
		if f.Load() {
			f.Store(false)
		}
	}
}
