package nats

import (
	"errors"

	natsgo "github.com/nats-io/nats.go"

	"syslogd/message"
	"syslogd/sinks"
)

// writeCore publishes a batch in core mode and confirms it with one flush.
// The NATS message, its headers and payload buffer are reused: PublishMsg
// copies them into the connection's buffer, so core mode allocates nothing
// per message beyond what nats.go does.
func (s *Sink) writeCore(batch []*message.Message, direct bool) {
	sent := 0
	for _, m := range batch {
		s.payload = s.b.appendPayload(s.payload[:0], m)
		s.b.build(&s.msg, m, s.payload, s.hdr, s.vals)
		if direct {
			err := s.nc.PublishMsg(&s.msg)
			if err == nil {
				sent++
				continue
			}
			if s.dropPermanent(err, &s.msg) {
				continue
			}
			direct = false // this one and the rest go to the spool, in order
			s.failedAttempt(err)
		}
		s.toSpool(&s.msg, attempt{}, &s.rec)
	}
	s.confirm(sent)
}

// confirm flushes the connection: a PONG means the server has processed
// the n messages published before it. Without one, they may or may not
// have arrived (some may still go out from nats.go's reconnect buffer);
// core NATS cannot tell, and resending could duplicate them, so they are
// counted as dropped with reason unconfirmed.
func (s *Sink) confirm(n int) {
	if n == 0 {
		return
	}
	if err := s.nc.FlushTimeout(s.cfg.AckTimeout); err != nil {
		s.c.Failed.Add(uint64(n))
		s.c.Drop(sinks.ReasonUnconfirmed, uint64(n))
		s.fails.Add(1)
		s.warns.do(&s.warns.unconfirmed, func() {
			s.log.Warn("core NATS flush failed; messages published before it are unconfirmed", "messages", n, "error", err)
		})
		return
	}
	s.c.Written.Add(uint64(n))
	s.warns.reset()
}

// dropPermanent counts m as dropped (sink_error) when err means no retry
// can succeed — a payload over the server's max_payload, say — and
// reports whether it did.
func (s *Sink) dropPermanent(err error, m *natsgo.Msg) bool {
	if !errors.Is(err, natsgo.ErrMaxPayload) && !errors.Is(err, natsgo.ErrBadSubject) &&
		!errors.Is(err, natsgo.ErrHeadersNotSupported) {
		return false
	}
	s.c.Failed.Add(1)
	s.c.Drop(sinks.ReasonSinkError, 1)
	s.warns.do(&s.warns.bad, func() {
		s.log.Error("NATS refuses a message, dropping it", "subject", m.Subject, "bytes", len(m.Data), "error", err)
	})
	return true
}
