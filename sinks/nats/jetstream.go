package nats

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	natsgo "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"syslogd/message"
	"syslogd/sinks"
)

// writeJetStream publishes the batch, max_pending messages at a time, and
// waits for each window's acknowledgements (nats.go fails a publish not
// acknowledged within the ack timeout; the timer here only guards that
// promise). A message is failed (retried by the Runner, under the same
// Nats-Msg-Id) when it was not acknowledged, and dropped when JetStream
// refused it for good.
func (s *Sink) writeJetStream(ctx context.Context, batch []*message.Message) error {
	if s.cfg.Stream != nil && (s.noStream || s.streamGen != s.gen.Load()) {
		// A new connection, perhaps to a server that lost a memory
		// stream, or no stream last time: make sure it is there.
		s.streamGen = s.gen.Load()
		s.ensureStream(ctx)
	}
	msgs := s.buildJetStream(batch)
	defer clear(msgs)
	st := s.outcomes(len(msgs))
	var first error
	fail := func(i int, err error) {
		if first == nil {
			first = err
		}
		if permanent(err) {
			s.refused(msgs[i], err)
			st[i] = dropped
			return
		}
		st[i] = failed
	}
	defer clear(s.futs)
publish:
	for start := 0; start < len(msgs); start += s.cfg.MaxPending {
		end := min(start+s.cfg.MaxPending, len(msgs))
		s.futs = s.futs[:0]
		for i := start; i < end; i++ {
			f, err := s.js.PublishMsgAsync(msgs[i])
			if err != nil {
				fail(i, err)
			}
			s.futs = append(s.futs, f) // nil when the publish failed
		}
		guard := time.NewTimer(s.cfg.AckTimeout + time.Second)
		for k, f := range s.futs {
			if f == nil {
				continue
			}
			select {
			case ack := <-f.Ok():
				st[start+k] = written
				if ack.Duplicate {
					s.dups.Add(1)
				}
			case err := <-f.Err():
				fail(start+k, err)
			case <-guard.C:
				// nats.go did not time these out: leave them failed.
				if first == nil {
					first = jetstream.ErrAsyncPublishTimeout
				}
				break publish
			case <-ctx.Done():
				guard.Stop()
				if first == nil {
					first = ctx.Err()
				}
				break publish
			}
		}
		guard.Stop()
	}
	if first == nil {
		s.noStream = false
		s.warns.reset()
		return nil
	}
	if errors.Is(first, jetstream.ErrNoStreamResponse) {
		s.noStream = true
		s.warns.do(&s.warns.noStream, func() {
			s.log.Error("no JetStream stream takes the sink's subjects; messages wait in the disk buffer until one does",
				"subjects", s.streamSubjects())
		})
	}
	return s.result(st, sinks.ReasonSinkError, first)
}

// buildJetStream turns a batch into NATS messages with fresh headers.
// Payloads share one allocation per batch: nats.go keeps each message
// until it is acknowledged, so nothing here may be reused.
func (s *Sink) buildJetStream(batch []*message.Message) []*natsgo.Msg {
	s.payload = s.payload[:0]
	s.ends = s.ends[:0]
	for _, m := range batch {
		s.payload = s.b.appendPayload(s.payload, m)
		s.ends = append(s.ends, len(s.payload))
	}
	slab := slices.Clone(s.payload)
	vals := make([]string, headerValues*len(batch))
	structs := make([]natsgo.Msg, len(batch))
	s.msgs = s.msgs[:0]
	start := 0
	for i, m := range batch {
		end := s.ends[i]
		v := vals[i*headerValues : (i+1)*headerValues : (i+1)*headerValues]
		s.b.build(&structs[i], m, slab[start:end:end], make(natsgo.Header, headerValues), v)
		s.msgs = append(s.msgs, &structs[i])
		start = end
	}
	return s.msgs
}

// ensureStream creates the configured stream unless it exists. Failure is
// logged; publishing goes on, and the disk buffer keeps what finds no
// stream.
func (s *Sink) ensureStream(ctx context.Context) {
	cfg := s.cfg.Stream
	sc := jetstream.StreamConfig{
		Name:     cfg.Name,
		Subjects: s.streamSubjects(),
		Storage:  jetstream.FileStorage,
		Replicas: cfg.Replicas,
		MaxAge:   cfg.MaxAge,
	}
	if cfg.Storage == StorageMemory {
		sc.Storage = jetstream.MemoryStorage
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.AckTimeout)
	defer cancel()
	_, err := s.js.CreateStream(ctx, sc)
	switch {
	case err == nil:
		s.log.Info("JetStream stream ready", "stream", sc.Name, "subjects", sc.Subjects)
	case errors.Is(err, jetstream.ErrStreamNameAlreadyInUse):
		s.log.Info("JetStream stream exists with another configuration; leaving it as it is", "stream", sc.Name)
	default:
		s.log.Warn("cannot create JetStream stream", "stream", sc.Name, "error", err)
	}
}

// streamSubjects returns the configured stream subjects, or the subject
// template's first token followed by ".>" (the template itself when it
// is a single literal token).
func (s *Sink) streamSubjects() []string {
	if s.cfg.Stream != nil && len(s.cfg.Stream.Subjects) > 0 {
		return s.cfg.Stream.Subjects
	}
	prefix := s.subject.StaticPrefix()
	if first, _, ok := strings.Cut(prefix, "."); ok {
		return []string{first + ".>"}
	}
	return []string{prefix}
}
