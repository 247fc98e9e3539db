// Package jetstream is the central tier's listener: it consumes a durable
// JetStream pull consumer that edge instances' NATS sinks fill, hands each
// message to the daemon as a Record with a message.Receipt, and
// acknowledges a message only once every sink it was routed to has
// settled it:
//
//   - committed or shed (drop_newest) → Ack;
//   - retry (a sink failed or was down) → NakWithDelay(retry_delays by
//     delivery), or TermWithReason once the consumer's max_deliver is
//     reached; while stopping, a plain Nak, so another instance takes it
//     at once;
//   - reject (refused for good, or unparsed with no route) → TermWithReason.
//
// It pulls with Fetch, never more than max_in_flight unsettled, so every
// delivered message is one it knows about: while a message waits in a
// queue it sends InProgress well within the consumer's ack_wait (up to
// max_hold), and at shutdown it naks what is left instead of letting it wait
// out ack_wait. Several instances sharing the consumer split its messages
// between them (work-queue delivery).
package jetstream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	natsgo "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"syslogd/message"
)

// Record is one fetched message as the daemon's handler gets it. Data and
// Header belong to the record; Receipt must be set on the message made
// from it before it is routed.
type Record struct {
	Data   []byte
	Header natsgo.Header
	// Stored is when the stream stored the message.
	Stored time.Time
	// Sequence is the message's stream sequence, unique in the stream.
	Sequence uint64
	Receipt  *message.Receipt
}

// Handler turns records into messages and routes them, on the fetching
// goroutine.
type Handler interface {
	HandleRecord(r *Record)
}

// Metrics are the listener's counters; received = acked + naked +
// terminated + in_flight whenever nothing is being settled.
type Metrics struct {
	Received    atomic.Uint64
	Acked       atomic.Uint64
	Naked       atomic.Uint64
	Terminated  atomic.Uint64
	Redelivered atomic.Uint64
	InFlight    atomic.Int64
	FetchErrors atomic.Uint64
	Connected   atomic.Bool
	Bound       atomic.Bool
}

// Listener consumes one durable consumer.
type Listener struct {
	name string
	o    Options
	h    Handler
	m    *Metrics
	log  *slog.Logger

	nc *natsgo.Conn
	js jetstream.JetStream

	// maxDeliver and ackWait are the bound consumer's (ackWait 0 until
	// bound: progress ticks fast until it knows).
	maxDeliver atomic.Int64
	ackWait    atomic.Int64

	mu      sync.Mutex
	pending map[*entry]struct{} // fetched and not settled

	settled  chan settlement // receipts resolved, for the acker
	freed    chan struct{}   // a credit came back
	stopping atomic.Bool     // Retire or Close began: naks carry no delay
	// nakedBefore is Naked when Retire began, for Close's log line.
	nakedBefore atomic.Uint64
	stop        context.CancelFunc
	fetchCtx    context.Context
	fetched     chan struct{} // closed when the fetch loop returned
	acked       chan struct{} // closed when the acker returned
	quit        chan struct{} // ends the acker and the progress ticker
	once        sync.Once
	closeErr    error
}

type entry struct {
	msg       jetstream.Msg
	delivered uint64
	since     time.Time // delivered
	last      time.Time // delivered, or the last InProgress (under mu)
}

type settlement struct {
	e *entry
	o message.Outcome
}

// Listen connects (in the background when no server answers) and starts
// binding to the consumer and fetching from it. It fails only for a
// client-side problem (options, files). m and log may be nil.
func Listen(name string, o Options, h Handler, m *Metrics, log *slog.Logger) (*Listener, error) {
	if errs := o.Check(); len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if m == nil {
		m = new(Metrics)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	l := &Listener{
		name: name, o: o, h: h, m: m, log: log.With("listener", name),
		pending: make(map[*entry]struct{}),
		settled: make(chan settlement, o.MaxInFlight),
		freed:   make(chan struct{}, 1),
		fetched: make(chan struct{}),
		acked:   make(chan struct{}),
		quit:    make(chan struct{}),
	}
	opts, err := o.NATS("syslogd/" + name)
	if err != nil {
		return nil, err
	}
	opts = append(opts,
		natsgo.ConnectHandler(func(nc *natsgo.Conn) {
			m.Connected.Store(true)
			l.log.Info("connected to NATS", "url", nc.ConnectedUrlRedacted())
		}),
		natsgo.ReconnectHandler(func(*natsgo.Conn) { m.Connected.Store(true) }),
		natsgo.DisconnectErrHandler(func(_ *natsgo.Conn, err error) {
			m.Connected.Store(false)
			l.log.Warn("disconnected from NATS", "error", err)
		}))
	if l.nc, err = natsgo.Connect(o.Servers(), opts...); err != nil {
		return nil, fmt.Errorf("nats: %w", err)
	}
	m.Connected.Store(l.nc.IsConnected())
	if l.js, err = jetstream.New(l.nc); err != nil {
		l.nc.Close()
		return nil, fmt.Errorf("nats: jetstream: %w", err)
	}
	l.fetchCtx, l.stop = context.WithCancel(context.Background())
	go l.fetchLoop()
	go l.ack()
	go l.progress()
	return l, nil
}

// Ready reports whether the listener is bound to its consumer.
func (l *Listener) Ready() bool { return l.m.Bound.Load() }

// Connections returns the messages fetched and not settled yet: a retired
// listener is done when it reaches 0.
func (l *Listener) Connections() int { return int(l.m.InFlight.Load()) }

// Retire stops fetching, once the pull request under way ends (within
// fetchWait); what was fetched is still settled and acknowledged (a retry
// is nak'ed without delay, so another instance takes it at once). Close
// ends the rest.
func (l *Listener) Retire(context.Context) error {
	if !l.stopping.Swap(true) {
		l.nakedBefore.Store(l.m.Naked.Load())
	}
	l.stop()
	<-l.fetched
	return nil
}

// Close stops fetching, waits (until ctx is done) for every fetched
// message to be settled and acknowledged, naks what is still unsettled
// then, flushes the acknowledgements to the server and closes the
// connection. The daemon calls it after the sinks stopped, so that their
// last settlements still reach the server. Idempotent.
func (l *Listener) Close(ctx context.Context) error {
	l.once.Do(func() {
		_ = l.Retire(ctx)
		for l.m.InFlight.Load() > 0 {
			select {
			case <-l.freed:
			case <-ctx.Done():
			}
			if ctx.Err() != nil {
				break
			}
		}
		close(l.quit)
		<-l.acked
		l.mu.Lock()
		left := len(l.pending)
		for e := range l.pending {
			_ = e.msg.Nak()
			l.m.Naked.Add(1)
			l.m.InFlight.Add(-1)
		}
		clear(l.pending)
		l.mu.Unlock()
		if left > 0 {
			l.log.Warn("nak'ed messages still unsettled at close; the server redelivers them", "messages", left)
		}
		l.log.Info("stopped consuming", "nak_on_stop", l.m.Naked.Load()-l.nakedBefore.Load(), "in_flight", l.m.InFlight.Load())
		if err := l.nc.FlushTimeout(time.Second); err != nil && !errors.Is(err, natsgo.ErrConnectionClosed) {
			l.closeErr = fmt.Errorf("flush acknowledgements: %w", err)
		}
		l.nc.Close()
	})
	return l.closeErr
}

// Abandon naks every message not acknowledged yet, whatever its sinks are
// doing with it, and flushes, for a process that is exiting without them
// (they may still be written, and then arrive twice). Safe to call while
// Close waits; at most about half a second.
func (l *Listener) Abandon() {
	l.mu.Lock()
	n := 0
	for e := range l.pending {
		_ = e.msg.Nak()
		n++
	}
	clear(l.pending)
	l.mu.Unlock()
	l.m.Naked.Add(uint64(n))
	_ = l.nc.FlushTimeout(500 * time.Millisecond)
	l.log.Warn("exiting with messages unsettled: nak'ed them, another instance takes them now", "messages", n)
}

// fetchLoop binds to the consumer, then fetches while credits last, until
// Retire or Close.
func (l *Listener) fetchLoop() {
	defer close(l.fetched)
	ctx := l.fetchCtx
	backoff := time.Duration(0)
	wait := func() bool {
		backoff = min(max(2*backoff, 100*time.Millisecond), 5*time.Second)
		select {
		case <-time.After(backoff):
			return true
		case <-ctx.Done():
			return false
		}
	}
	for ctx.Err() == nil {
		cons, err := l.bind(ctx)
		if err != nil {
			if ctx.Err() == nil {
				l.m.FetchErrors.Add(1)
				l.log.Warn("cannot bind to the consumer; retrying", "stream", l.o.Stream, "consumer", l.o.Consumer, "error", err)
			}
			if !wait() {
				return
			}
			continue
		}
		backoff = 0
		if err := l.fetch(ctx, cons); err != nil && ctx.Err() == nil {
			l.m.Bound.Store(false)
			l.m.FetchErrors.Add(1)
			l.log.Warn("fetch failed; binding again", "error", err)
			if !wait() {
				return
			}
		}
	}
}

// bind looks the consumer up (creating it when configured to and missing)
// and checks that it is a pull consumer with explicit acks.
func (l *Listener) bind(ctx context.Context) (jetstream.Consumer, error) {
	bctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	cons, err := l.js.Consumer(bctx, l.o.Stream, l.o.Consumer)
	if errors.Is(err, jetstream.ErrConsumerNotFound) && l.o.CreateConsumer != nil {
		c := l.o.CreateConsumer
		cfg := jetstream.ConsumerConfig{
			Durable: l.o.Consumer, AckPolicy: jetstream.AckExplicitPolicy,
			AckWait: c.AckWait, MaxAckPending: c.MaxAckPending, MaxDeliver: c.MaxDeliver,
		}
		if len(c.FilterSubjects) == 1 {
			cfg.FilterSubject = c.FilterSubjects[0] // works with servers before 2.10 too
		} else {
			cfg.FilterSubjects = c.FilterSubjects
		}
		cons, err = l.js.CreateConsumer(bctx, l.o.Stream, cfg)
		if err == nil {
			l.log.Info("created the durable consumer", "stream", l.o.Stream, "consumer", l.o.Consumer)
		}
	}
	if err != nil {
		return nil, err
	}
	info := cons.CachedInfo()
	switch {
	case info.Config.DeliverSubject != "":
		return nil, errNotPull
	case info.Config.AckPolicy != jetstream.AckExplicitPolicy:
		return nil, fmt.Errorf("consumer has ack policy %s; a jetstream listener needs explicit acks (AckAll would acknowledge what other instances or sinks have not settled)", info.Config.AckPolicy)
	}
	l.maxDeliver.Store(int64(info.Config.MaxDeliver))
	aw := info.Config.AckWait
	if aw <= 0 {
		aw = 30 * time.Second // the server's default
	}
	l.ackWait.Store(int64(aw))
	if mp := info.Config.MaxAckPending; mp > 0 && mp < l.o.MaxInFlight {
		l.log.Warn("the consumer's max_ack_pending is below max_in_flight: this instance gets at most that many at once",
			"max_ack_pending", mp, "max_in_flight", l.o.MaxInFlight)
	}
	if !l.m.Bound.Swap(true) {
		l.log.Info("bound to the consumer", "stream", l.o.Stream, "consumer", l.o.Consumer,
			"ack_wait", info.Config.AckWait, "max_deliver", info.Config.MaxDeliver)
	}
	return cons, nil
}

// fetch pulls batches while credits last; it returns on ctx or when the
// consumer cannot be fetched from.
func (l *Listener) fetch(ctx context.Context, cons jetstream.Consumer) error {
	for ctx.Err() == nil {
		free := l.o.MaxInFlight - int(l.m.InFlight.Load())
		if free <= 0 {
			select {
			case <-l.freed:
			case <-ctx.Done():
			}
			continue
		}
		// A pull request lasts up to a second, and is never cut short:
		// messages the server delivered to a cancelled request would be
		// dropped by the client unseen, neither handled nor nak'ed, and
		// come back only after ack_wait. Retire waits for it instead.
		b, err := cons.Fetch(min(l.o.Batch, free), jetstream.FetchMaxWait(fetchWait))
		if err != nil {
			return err
		}
		for msg := range b.Messages() {
			l.handle(msg)
		}
		if err := b.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) && !errors.Is(err, context.DeadlineExceeded) &&
			!errors.Is(err, context.Canceled) && !errors.Is(err, natsgo.ErrTimeout) {
			return err
		}
	}
	return nil
}

// fetchWait is how long one pull request waits for messages.
const fetchWait = time.Second

// handle hands one message to the handler with a receipt that reports its
// settlement to the acker.
func (l *Listener) handle(msg jetstream.Msg) {
	l.m.Received.Add(1)
	l.m.InFlight.Add(1)
	now := time.Now()
	e := &entry{msg: msg, since: now, last: now}
	r := &Record{Data: msg.Data(), Header: msg.Headers()}
	if md, err := msg.Metadata(); err == nil {
		e.delivered, r.Stored, r.Sequence = md.NumDelivered, md.Timestamp, md.Sequence.Stream
		if md.NumDelivered > 1 {
			l.m.Redelivered.Add(1)
		}
	}
	l.mu.Lock()
	l.pending[e] = struct{}{}
	l.mu.Unlock()
	// settled has room for max_in_flight: at most that many are pending.
	r.Receipt = message.NewReceipt(func(o message.Outcome) { l.settled <- settlement{e, o} })
	l.h.HandleRecord(r)
}

// ack acknowledges settled messages (one goroutine, so acks go out in the
// order of settlement) until quit, then what was settled by then.
func (l *Listener) ack() {
	defer close(l.acked)
	for {
		select {
		case s := <-l.settled:
			l.acknowledge(s)
		case <-l.quit:
			for {
				select {
				case s := <-l.settled:
					l.acknowledge(s)
				default:
					return
				}
			}
		}
	}
}

func (l *Listener) acknowledge(s settlement) {
	l.mu.Lock()
	delete(l.pending, s.e)
	l.mu.Unlock()
	msg := s.e.msg
	var err error
	switch s.o {
	case message.Committed, message.Shed:
		err = msg.Ack()
		l.m.Acked.Add(1)
	case message.Retry:
		if md := l.maxDeliver.Load(); md > 0 && s.e.delivered >= uint64(md) {
			err = msg.TermWithReason(fmt.Sprintf("syslogd: not written after %d deliveries", s.e.delivered))
			l.m.Terminated.Add(1)
			break
		}
		if l.stopping.Load() {
			err = msg.Nak() // another instance takes it now
		} else {
			err = msg.NakWithDelay(l.retryDelay(s.e.delivered))
		}
		l.m.Naked.Add(1)
	default:
		err = msg.TermWithReason("syslogd: rejected (refused by a sink, or unparsed and unrouted)")
		l.m.Terminated.Add(1)
	}
	if err != nil {
		l.log.Debug("acknowledgement not sent; the server redelivers the message after ack_wait", "error", err)
	}
	l.m.InFlight.Add(-1)
	select {
	case l.freed <- struct{}{}:
	default:
	}
}

// retryDelay is the nak delay after the delivered-th delivery failed.
func (l *Listener) retryDelay(delivered uint64) time.Duration {
	d := l.o.RetryDelays
	i := int(min(max(delivered, 1), uint64(len(d)))) - 1
	return d[i]
}

// progress sends InProgress for messages that have waited a third of
// ack_wait since their delivery or their last InProgress, so that a message
// waiting in a sink's queue is not redelivered meanwhile, up to max_hold.
func (l *Listener) progress() {
	for {
		third := max(time.Duration(l.ackWait.Load())/3, 100*time.Millisecond)
		select {
		case <-time.After(min(third, time.Second)): // ack_wait may change with a bind
		case <-l.quit:
			return
		}
		now := time.Now()
		l.mu.Lock()
		for e := range l.pending {
			if now.Sub(e.last) >= third && now.Sub(e.since) < l.o.MaxHold {
				_ = e.msg.InProgress()
				e.last = now
			}
		}
		l.mu.Unlock()
	}
}
