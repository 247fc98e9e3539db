package nats

import (
	"context"
	"time"

	natsgo "github.com/nats-io/nats.go"

	"syslogd/sinks"
)

// coreReplayed is the most the pump sends between two core-mode flushes.
const coreReplayed = 512

// pump replays the spool, oldest first, whenever NATS is connected. It runs
// from Connect until Close cancels ctx. After a failure anywhere in the
// sink it waits (capped exponential backoff) and sends a single message,
// and goes back to full speed only once that one got through, so a missing
// stream or an unavailable cluster costs a probe every few seconds rather
// than a stream of messages circling through the spool.
//
// A record read from the queue has left it; the pump holds it until it is
// published and puts it back if it is still holding it when it stops.
func (s *Sink) pump(ctx context.Context) {
	defer close(s.pumpDone)
	sp := s.spool.Load()
	var (
		held     *natsgo.Msg
		heldA    attempt
		buf      []byte
		backoff  sinks.Backoff // zero value: the sinks' default delays
		seen     = s.fails.Load()
		gen      uint64
		unflushd int // core: published since the last flush
	)
	defer func() {
		s.confirm(unflushd)
		if held != nil {
			s.toSpool(held, heldA, &buf)
		}
		s.holding.Store(false)
	}()
	for ctx.Err() == nil {
		if !s.nc.IsConnected() {
			s.confirm(unflushd)
			unflushd = 0
			if !sinks.Wait(ctx.Done(), s.connCh, 0) {
				return
			}
			continue
		}
		if g := s.gen.Load(); g != gen {
			// A new connection, perhaps to a server that lost a memory
			// stream: make sure the stream is there before anything is
			// published, then let Write publish directly again.
			gen = g
			if s.cfg.Stream != nil {
				s.ensureStream(ctx)
			}
			s.ready.Store(true)
		}
		if held == nil {
			if unflushd > 0 && (unflushd >= coreReplayed || sp.len() == 0) {
				s.confirm(unflushd)
				unflushd = 0
			}
			select {
			case rec := <-sp.records():
				sp.took(rec)
				m, a, err := decodeRecord(rec)
				if err != nil {
					s.c.Drop(sinks.ReasonSinkError, 1)
					s.log.Error("dropping an unreadable spool record", "error", err)
					continue
				}
				held, heldA = m, a
				s.holding.Store(true)
			case <-s.connCh:
				continue
			case <-ctx.Done():
				return
			}
		}
		probe := false
		if f := s.fails.Load(); f != seen {
			seen = f
			if s.cfg.Stream != nil && s.warns.noStream.Load() {
				s.ensureStream(ctx)
			}
			if !sinks.Sleep(ctx.Done(), backoff.Next()) {
				return
			}
			probe = true
		} else {
			backoff.Reset()
		}
		drain(s.result)
		err := s.publishHeld(ctx, held, heldA)
		switch {
		case err == nil:
			if heldA.fails > 0 {
				s.c.Retries.Add(1)
			}
			if s.cfg.Mode == Core {
				unflushd++
			}
			held = nil
			s.holding.Store(false)
		case s.dropPermanent(err, held):
			held = nil
			s.holding.Store(false)
		default:
			heldA = heldA.failed(false)
			s.failedAttempt(err)
			continue
		}
		if probe && s.cfg.Mode == JetStream && !sinks.Wait(ctx.Done(), s.result, s.cfg.AckTimeout+time.Second) {
			return
		}
	}
}

func (s *Sink) publishHeld(ctx context.Context, m *natsgo.Msg, a attempt) error {
	if s.cfg.Mode == Core {
		return s.nc.PublishMsg(m)
	}
	return s.publish(ctx, m, a)
}

// drain empties a signal channel, so the next receive waits for news.
func drain(ch chan struct{}) {
	select {
	case <-ch:
	default:
	}
}
