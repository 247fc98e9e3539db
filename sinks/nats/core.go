package nats

import (
	"syslogd/message"
	"syslogd/sinks"
)

// writeCore publishes a batch in core mode and confirms it with one flush:
// a PONG means the server has processed everything published before it.
// Without one, the messages may or may not have arrived (some may still go
// out from nats.go's reconnect buffer); core NATS cannot tell, and
// resending could duplicate them, so they are reported dropped with reason
// unconfirmed. Publishing stops at the first error: a message NATS refuses
// (over max_payload) is dropped, the rest of the batch is retried.
//
// The NATS message, its headers and payload buffer are reused: PublishMsg
// copies them into the connection's buffer, so core mode allocates nothing
// per message beyond what nats.go does.
func (s *Sink) writeCore(batch []*message.Message) error {
	st := s.outcomes(len(batch))
	var first error
	sent := 0
	for i, m := range batch {
		s.payload = s.b.appendPayload(s.payload[:0], m)
		s.b.build(&s.msg, m, s.payload, s.hdr, s.vals)
		err := s.nc.PublishMsg(&s.msg)
		if err == nil {
			st[i] = written
			sent++
			continue
		}
		first = err
		if permanent(err) {
			s.refused(&s.msg, err)
			st[i] = dropped
		}
		break // the rest stays pending: failed, retried
	}
	if sent > 0 {
		if err := s.nc.FlushTimeout(s.cfg.AckTimeout); err != nil {
			for i, o := range st {
				switch o {
				case written:
					st[i] = dropped
				case dropped:
					st[i] = pending // refused: it will be again, and dropped as sink_error then
				}
			}
			s.warns.do(&s.warns.unconfirmed, func() {
				s.log.Warn("core NATS flush failed; messages published before it are unconfirmed", "messages", sent, "error", err)
			})
			return s.result(st, sinks.ReasonUnconfirmed, err)
		}
	}
	if first == nil {
		s.warns.reset()
		return nil
	}
	return s.result(st, sinks.ReasonSinkError, first)
}
