package nats

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	natsgo "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"syslogd/message"
	"syslogd/sinks"
)

// maxRejects is how often the server may reject one message (an API
// error other than unavailability, such as a payload over the stream's
// max_msg_size) before it is dropped as sink_error: such a message would
// otherwise circle through the spool forever.
const maxRejects = 5

// inflight holds every published message JetStream has not acknowledged
// yet. It is the ground truth for Close: what is still here when the
// deadline passes goes to the spool, so nothing depends on nats.go calling
// back in time.
type inflight struct {
	mu      sync.Mutex
	m       map[*natsgo.Msg]flight
	seq     uint64
	closed  bool          // Close has taken over; callbacks do nothing
	waiting chan struct{} // closed when m empties while Close waits
	rec     []byte        // spool scratch for callbacks, under mu
}

type flight struct {
	seq uint64 // publish order, to spool leftovers in order
	attempt
}

func (f *inflight) add(m *natsgo.Msg, a attempt) {
	f.mu.Lock()
	f.seq++
	f.m[m] = flight{seq: f.seq, attempt: a}
	f.mu.Unlock()
}

// takeLocked removes m and reports what was known about it; false when it
// is not (or no longer) in flight. f.mu must be held.
func (f *inflight) takeLocked(m *natsgo.Msg) (flight, bool) {
	fl, ok := f.m[m]
	if !ok || f.closed {
		return fl, false
	}
	delete(f.m, m)
	if len(f.m) == 0 && f.waiting != nil {
		close(f.waiting)
		f.waiting = nil
	}
	return fl, true
}

// drain waits until nothing is in flight or ctx is done, then hands what
// is left, in publish order, to spool, and makes later callbacks no-ops.
// It returns how many were left.
func (f *inflight) drain(ctx context.Context, spool func(*natsgo.Msg, attempt, *[]byte)) int {
	f.mu.Lock()
	if len(f.m) > 0 {
		f.waiting = make(chan struct{})
		w := f.waiting
		f.mu.Unlock()
		select {
		case <-w:
		case <-ctx.Done():
		}
		f.mu.Lock()
	}
	defer f.mu.Unlock()
	f.closed = true
	type left struct {
		m *natsgo.Msg
		flight
	}
	rest := make([]left, 0, len(f.m))
	for m, fl := range f.m {
		rest = append(rest, left{m, fl})
	}
	slices.SortFunc(rest, func(a, b left) int { return cmp.Compare(a.seq, b.seq) })
	for _, l := range rest {
		spool(l.m, l.attempt, &f.rec)
	}
	clear(f.m)
	return len(rest)
}

// publish sends m asynchronously; its outcome arrives in onAck or onErr.
// When max_pending publishes are outstanding it waits for a free slot, at
// most the ack timeout: acknowledgements that slow mean the message is
// better off in the spool. An error means m is still the caller's to
// spool; nil means it is sent, or a callback has taken it over.
func (s *Sink) publish(ctx context.Context, m *natsgo.Msg, a attempt) error {
	s.flight.add(m, a)
	var deadline time.Time
	for {
		_, err := s.js.PublishMsgAsync(m)
		if err == nil {
			return nil
		}
		if errors.Is(err, jetstream.ErrTooManyStalledMsgs) && ctx.Err() == nil && s.nc.IsConnected() {
			if deadline.IsZero() {
				deadline = time.Now().Add(s.cfg.AckTimeout)
			}
			if time.Now().Before(deadline) {
				continue // registerPAF waited 200 ms for a slot
			}
		}
		s.flight.mu.Lock()
		_, ours := s.flight.takeLocked(m)
		s.flight.mu.Unlock()
		if !ours {
			// A callback got there first (the connection dropped
			// between registering and sending, and nats.go failed
			// every pending publish): it has spooled m already.
			return nil
		}
		return err
	}
}

// onAck is nats.go's acknowledgement callback (a Duplicate ack means an
// earlier copy was stored: the message is in the stream once).
func (s *Sink) onAck(_ jetstream.JetStream, m *natsgo.Msg, ack *jetstream.PubAck) {
	s.flight.mu.Lock()
	fl, ok := s.flight.takeLocked(m)
	s.flight.mu.Unlock()
	if !ok {
		return
	}
	s.c.Written.Add(1)
	if ack.Duplicate {
		s.dups.Add(1)
	}
	if fl.fails > 0 {
		s.warns.reset()
	}
	s.signal(s.result)
}

// onErr is nats.go's callback for a publish that failed: no stream, no
// acknowledgement in time, connection lost, or rejected by the server.
// The message goes to the spool (under the in-flight lock, so Close
// cannot close the spool meanwhile) unless the server keeps rejecting it.
func (s *Sink) onErr(_ jetstream.JetStream, m *natsgo.Msg, err error) {
	s.flight.mu.Lock()
	defer s.flight.mu.Unlock()
	fl, ok := s.flight.takeLocked(m)
	if !ok {
		return
	}
	rejected := isRejection(err)
	a := fl.attempt.failed(rejected)
	s.failedAttempt(err)
	if a.rejects >= maxRejects {
		s.c.Drop(sinks.ReasonSinkError, 1)
		s.warns.do(&s.warns.bad, func() {
			s.log.Error("JetStream keeps rejecting a message, dropping it", "subject", m.Subject, "error", err)
		})
		return
	}
	s.toSpool(m, a, &s.flight.rec)
}

// isRejection reports whether the server refused the message itself, as
// opposed to being unreachable or unavailable (5xx).
func isRejection(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.Code < 500
}

// buildJetStream turns a batch into NATS messages with fresh headers and
// IDs. Payloads share one allocation per batch: JetStream keeps each
// message until it is acknowledged, so nothing here may be reused.
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
// logged; publishing goes on, and the spool keeps what finds no stream.
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
