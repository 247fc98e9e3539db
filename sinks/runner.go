package sinks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"syslogd/message"
)

// DefaultMaxAttempts bounds the Write attempts of a batch. The backoff defaults, DefaultBackoffMin and
// DefaultBackoffMax, are in backoff.go.
const DefaultMaxAttempts = 5

// dropLogEvery spaces the log lines about messages a sink dropped.
const dropLogEvery = 10 * time.Second

// RunnerConfig tunes one Runner: the configured Options, and knobs that
// only tests turn. Zero values take the defaults (DefaultOptions and the
// constants here), so that a test names only what it is about.
type RunnerConfig struct {
	Name string
	Options
	// Spill is the sink's disk buffer, nil for none (see Options.Buffer).
	Spill *Spill
	// MaxAttempts bounds Write attempts per batch for errors other than
	// ErrNotConnected; after that the batch is dropped as sink_error.
	// Disconnection is retried without limit: the queue policy decides.
	MaxAttempts int
	BackoffMin  time.Duration
	BackoffMax  time.Duration
}

func (c *RunnerConfig) applyDefaults() {
	if c.QueueSize <= 0 {
		c.QueueSize = DefaultQueueSize
	}
	if c.QueueMaxBytes <= 0 {
		c.QueueMaxBytes = DefaultQueueMaxBytes
	}
	if c.BatchSize <= 0 {
		c.BatchSize = DefaultBatchSize
	}
	if c.StallTimeout <= 0 {
		c.StallTimeout = DefaultStallTimeout
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
	c.BackoffMin, c.BackoffMax = backoffLimits(c.BackoffMin, c.BackoffMax)
}

// Runner owns one sink: a bounded queue, one goroutine that batches and
// writes, retry with capped exponential backoff, and the counters. Sinks
// therefore never see concurrency or retries themselves.
type Runner struct {
	cfg  RunnerConfig
	sink Sink
	c    *Counters
	log  *slog.Logger

	q chan *message.Message
	// qbytes is the estimated memory (message.Size) of what is in q, and
	// of what senders reserved on their way into it: added by Enqueue
	// before its send, taken out by whoever receives from q (took).
	qbytes atomic.Int64
	// waiting counts senders in wait (when_full: block). While there are
	// any, freed bytes put a token in room, so that one of them tries
	// again; a sender does not go to sleep without a token on the way:
	// it counts itself in waiting before it reads qbytes, and whoever
	// frees bytes updates qbytes before it reads waiting.
	waiting atomic.Int32
	room    chan struct{}
	// fullAt is when a message last found the queue full by bytes (unix
	// nanoseconds, like health.progress): the watchdog's view of a queue
	// that is full by bytes while its channel has room (see queueFull).
	fullAt   atomic.Int64
	h        *health
	spill    *Spill      // nil: no disk buffer
	spilling atomic.Bool // the buffer holds messages: new ones go there too, to keep order
	// toQueue counts senders between their check of spilling and the end
	// of their send to q: moveToBuffer waits for them, so that a message
	// checked in before the queue moved to the buffer cannot land in the
	// queue after it, ahead of what the same sender buffers next.
	toQueue atomic.Int32
	// testHookSend, set by tests only, runs in Enqueue between the check
	// of spilling and the send to q.
	testHookSend func()
	wake         chan struct{} // a message went to the buffer
	// replaying is set while the Runner writes a batch read from the
	// buffer (Runner goroutine only).
	replaying bool
	// dropLogged is when a sink's own drops were last logged (Runner
	// goroutine only): at most one line per dropLogEvery.
	dropLogged time.Time
	bufferErr  atomic.Bool   // an append failure was logged
	stopping   chan struct{} // closed by Stop: drain and exit
	// dropWarned is when warnDrop last logged, per reason (unix ns).
	dropWarned [numReasons]atomic.Int64
	// lastWrite and linger belong to run's goroutine (see gather).
	lastWrite time.Time
	linger    *time.Timer
	finished  chan struct{} // closed by the goroutine when it returns
	watched   chan struct{} // closed by the watchdog when it returns
	ctx       context.Context
	abort     context.CancelFunc // cancels writes and blocked senders
	// retry ends the waits between attempts (backoff, reconnecting): at
	// the deadline, and with a disk buffer already at Stop, since the
	// buffer keeps for the next run what a failing sink cannot take now.
	retry     context.Context
	stopRetry context.CancelFunc

	// senders counts Enqueue calls in progress so Stop can wait for them
	// and account for every message they hand over.
	senders  atomic.Int64
	closed   atomic.Bool
	stopOnce sync.Once
	stopErr  error
}

// NewRunner starts the goroutine that feeds s. Counters are passed in so
// they survive a reload that replaces the runner.
func NewRunner(cfg RunnerConfig, s Sink, c *Counters, log *slog.Logger) *Runner {
	cfg.applyDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	r := &Runner{
		cfg: cfg, sink: s, c: c, log: log.With("sink", cfg.Name),
		q:        make(chan *message.Message, cfg.QueueSize),
		room:     make(chan struct{}, 1),
		h:        newHealth(),
		spill:    cfg.Spill,
		wake:     make(chan struct{}, 1),
		stopping: make(chan struct{}),
		finished: make(chan struct{}),
		watched:  make(chan struct{}),
		ctx:      ctx,
		abort:    cancel,
	}
	r.retry, r.stopRetry = context.WithCancel(ctx)
	_, hasConn := s.(Connecter)
	c.Connected.Store(!hasConn)
	if r.spill != nil && r.spill.Buffer.Len() > 0 {
		r.spilling.Store(true) // left by an earlier run: replayed first
	}
	go r.run()
	go r.watch()
	return r
}

// Name returns the sink name.
func (r *Runner) Name() string { return r.cfg.Name }

// Sink returns the wrapped sink (for Reopen).
func (r *Runner) Sink() Sink { return r.sink }

// QueueSize returns the queue's capacity in messages (queue_size).
func (r *Runner) QueueSize() int { return cap(r.q) }

// QueueMaxBytes returns the bound on the queue's bytes (queue_max_bytes).
func (r *Runner) QueueMaxBytes() int64 { return r.cfg.QueueMaxBytes }

// Queued returns the number of messages waiting in the queue.
func (r *Runner) Queued() int { return len(r.q) }

// Enqueue hands m to the sink. When the queue is full (it holds QueueSize
// messages, or m would take it past QueueMaxBytes), m goes to the disk
// buffer if the sink has one and it has room. Otherwise: with Block it
// waits for room while the sink is up, at most until the sink is found
// stalled (StallTimeout); with DropNewest it counts queue_full and returns;
// a down sink never makes it wait (sink_down). Safe for concurrent use.
func (r *Runner) Enqueue(m *message.Message) {
	r.c.Enqueued.Add(1)
	r.senders.Add(1)
	defer r.senders.Add(-1)
	if r.closed.Load() {
		if !r.toBuffer(m) {
			r.dropOne(m, ReasonShutdownTimeout)
		}
		return
	}
	// Sized once: a message is never modified, so took frees the same
	// number when it leaves the queue.
	size := int64(m.Size())
	// Non-blocking attempt first: a one-case select with default compiles
	// to a plain channel send, much cheaper than the selects below, and
	// the queue is rarely full. While the disk buffer holds messages, new
	// ones join them there, so that they are written in order. A queue
	// full by bytes takes the same path as one full by count.
	r.toQueue.Add(1)
	if !r.spilling.Load() && r.reserve(size) {
		if r.testHookSend != nil {
			r.testHookSend()
		}
		select {
		case r.q <- m:
			r.toQueue.Add(-1)
			return
		default:
			r.release(size)
		}
	}
	r.toQueue.Add(-1)
	if r.toBuffer(m) {
		return
	}
	switch {
	case r.h.down.Load():
		r.dropOne(m, ReasonSinkDown)
		return
	case r.cfg.WhenFull == DropNewest:
		r.dropOne(m, ReasonQueueFull)
		return
	}
	r.wait(m, size)
}

// wait is Enqueue with when_full: block once the queue was full: it
// queues m when there is room for it, by count and by bytes, or drops it
// when the sink goes down (sink_down) or the Runner is aborted
// (shutdown_timeout).
func (r *Runner) wait(m *message.Message, size int64) {
	r.waiting.Add(1) // before reserve reads qbytes: see Runner.waiting
	defer func() {
		// The bytes that let this sender in may have room for the next
		// one too: hand the wake-up on. A sender that goes back to sleep
		// does not, or two waiting senders would wake each other in turn.
		if r.waiting.Add(-1) > 0 {
			r.signalRoom()
		}
	}()
	for {
		falls := r.h.falls()
		// Counted in toQueue from its check of spilling to the end of its
		// send, as Enqueue's attempt is: a queue moved to the buffer
		// meanwhile takes m with it, and once it has moved, m follows it
		// there (unless the buffer is full: then m waits for the queue,
		// and may overtake what is buffered).
		r.toQueue.Add(1)
		if r.spilling.Load() {
			r.toQueue.Add(-1)
			if r.toBuffer(m) {
				return
			}
			r.toQueue.Add(1)
		}
		if r.reserve(size) {
			select {
			case r.q <- m:
			case <-falls:
				r.release(size)
				r.dropOne(m, ReasonSinkDown)
			case <-r.ctx.Done():
				r.release(size)
				r.dropOne(m, ReasonShutdownTimeout)
			}
			r.toQueue.Add(-1)
			return
		}
		r.toQueue.Add(-1)
		select {
		case <-r.room:
		case <-falls:
			r.dropOne(m, ReasonSinkDown)
			return
		case <-r.ctx.Done():
			r.dropOne(m, ReasonShutdownTimeout)
			return
		}
	}
}

// reserve adds n to the queue's bytes, unless the queue holds some
// already and n would take it past QueueMaxBytes: a message larger than
// the bound still gets into an empty queue, so that none is refused or
// waits forever. A compare-and-swap rather than an add undone on failure,
// so that a message refused for a moment never makes another that fits
// look refused too.
func (r *Runner) reserve(n int64) bool {
	for {
		cur := r.qbytes.Load()
		if cur > 0 && cur+n > r.cfg.QueueMaxBytes {
			// Recorded once between two batches, all the watchdog
			// needs: a clock read for every refused message would slow
			// the drop path for nothing.
			if r.fullAt.Load() <= r.h.progress.Load() {
				r.fullAt.Store(time.Now().UnixNano())
			}
			return false
		}
		if r.qbytes.CompareAndSwap(cur, cur+n) {
			return true
		}
	}
}

// release takes n out of the queue's bytes and wakes a sender waiting for
// room, if there is one.
func (r *Runner) release(n int64) {
	r.qbytes.Add(-n)
	if r.waiting.Load() > 0 {
		r.signalRoom()
	}
}

// took accounts for m, just received from the queue: its bytes are free.
// Every receive from q goes through it.
func (r *Runner) took(m *message.Message) *message.Message {
	r.release(int64(m.Size()))
	return m
}

// signalRoom leaves a token in room; one already there suffices, since a
// sender woken by it tries again and passes it on once in.
func (r *Runner) signalRoom() {
	select {
	case r.room <- struct{}{}:
	default:
	}
}

// queueFull reports whether the queue is full: by count, or by bytes (a
// message found it so since the last batch began, and none has left it
// since, for the Runner takes a batch as it receives).
func (r *Runner) queueFull() bool {
	return len(r.q) == cap(r.q) || r.fullAt.Load() > r.h.progress.Load()
}

// Stop drains the queue into the sink until ctx is done, then counts what
// is left as shutdown_timeout, and closes the sink. Idempotent.
func (r *Runner) Stop(ctx context.Context) error {
	r.stopOnce.Do(func() {
		close(r.stopping)
		if r.spill != nil {
			r.stopRetry()
		}
		select {
		case <-r.finished:
		case <-ctx.Done():
			r.abort()
			<-r.finished
		}
		// From here nobody reads the queue: refuse new messages, release
		// blocked senders, wait for those in flight, count the rest.
		r.closed.Store(true)
		r.abort()
		<-r.watched
		for r.senders.Load() > 0 {
			time.Sleep(time.Millisecond) // bounded: senders are unblocked by abort
		}
		if n := len(r.q); n > 0 {
			kept := 0
			for range n {
				if m := r.took(<-r.q); r.toBuffer(m) {
					kept++
				} else {
					r.dropOne(m, ReasonShutdownTimeout)
				}
			}
			if kept < n {
				r.log.Error("stopped with messages queued", "dropped", n-kept, "buffered", kept)
			} else {
				r.log.Warn("stopped with messages queued; kept in the disk buffer for the next run", "buffered", kept)
			}
		}
		// Close is bounded by the same deadline: shutdown_timeout covers
		// the whole stop.
		if err := r.sink.Close(ctx); err != nil {
			r.stopErr = fmt.Errorf("close: %w", err) // the caller names the sink
		}
	})
	return r.stopErr
}

func (r *Runner) run() {
	defer close(r.finished)
	if c, ok := r.sink.(Connecter); ok {
		err := c.Connect(r.ctx)
		switch {
		case err == nil:
			r.setConnected(true)
		case r.spill != nil && errors.Is(err, ErrNotConnected):
			// Down from the start (the sink connects in the background):
			// its messages go to the disk buffer, and the replay retries.
			r.setConnected(false)
		case !r.connect(c):
			return
		}
	}
	batch := make([]*message.Message, 0, r.cfg.BatchSize)
	for {
		if r.spill != nil && len(r.q) == 0 && r.spill.Buffer.Len() > 0 {
			select {
			case <-r.stopping:
				r.drain(batch)
				return
			default:
			}
			if !r.replay(batch) {
				// Nothing could be read (an error, logged): try again
				// after a pause rather than spin.
				select {
				case m := <-r.q:
					r.write(r.fill(append(batch[:0], r.took(m))))
				case <-r.stopping:
					r.drain(batch)
					return
				case <-time.After(time.Second):
				}
			}
			continue
		}
		select {
		case m := <-r.q:
			r.write(r.gather(r.fill(append(batch[:0], r.took(m)))))
			r.lastWrite = time.Now()
		case <-r.wake:
		case <-r.stopping:
			r.drain(batch)
			return
		}
	}
}

// minWriteInterval is how often, at most, a Runner under load writes a
// batch that is not full. Messages that arrive a few at a time (datagrams
// from a fast sender, each read of a socket handing on a handful) would
// otherwise be written a few per call: on UDP at full rate the file sink
// made one write(2) per 4 messages, and the Runner was woken for every
// message or two. Sleeping until a millisecond after the previous write
// gathers them without a wake-up each (senders hand messages to a queue
// nobody waits on); an idle sink writes at once, and a full batch never
// waits.
const minWriteInterval = time.Millisecond

// gather tops up a batch that is not full with what arrives until
// minWriteInterval has passed since the previous write.
func (r *Runner) gather(batch []*message.Message) []*message.Message {
	if len(batch) == cap(batch) {
		return batch
	}
	wait := minWriteInterval - time.Since(r.lastWrite)
	if wait <= 0 {
		return batch
	}
	if r.linger == nil {
		r.linger = time.NewTimer(wait)
	} else {
		r.linger.Reset(wait)
	}
	select {
	case <-r.linger.C:
	case <-r.stopping: // closed: run sees it next
		r.linger.Stop()
	}
	return r.fill(batch)
}

// fill takes whatever is already queued, up to the batch size, without
// waiting: batches grow under load and stay small (low latency) when idle.
func (r *Runner) fill(batch []*message.Message) []*message.Message {
	for len(batch) < cap(batch) {
		select {
		case m := <-r.q:
			batch = append(batch, r.took(m))
		default:
			return batch
		}
	}
	return batch
}

// drain writes everything queued and everything senders still hand over.
func (r *Runner) drain(batch []*message.Message) {
	for r.ctx.Err() == nil {
		batch = r.fill(batch[:0])
		if len(batch) > 0 {
			r.write(batch)
			continue
		}
		if r.senders.Load() == 0 && len(r.q) == 0 {
			return
		}
		// A sender is between its check and its send; give it the CPU.
		select {
		case m := <-r.q:
			r.write(r.fill(append(batch[:0], r.took(m))))
		case <-time.After(time.Millisecond):
		case <-r.ctx.Done():
		}
	}
}

// write delivers one batch with retries. It returns when the batch is
// settled — written, dropped, or moved to the disk buffer — or, for a batch
// read from the buffer, when it could not be (then it stays there, and rest
// is what of it is still unsettled, in batch's backing array).
func (r *Runner) write(batch []*message.Message) (settled bool, rest []*message.Message) {
	// The stall clock starts with each batch: a sink that was idle for an
	// hour is not stalled the moment a burst fills its queue.
	r.h.progressed()
	backoff := r.backoff()
	for attempt := 1; ; attempt++ {
		err := r.sink.Write(r.ctx, batch)
		if err == nil {
			r.c.Written.Add(uint64(len(batch)))
			settle(batch, message.Committed)
			r.setConnected(true)
			r.h.progressed()
			return true, nil
		}
		if be, ok := errors.AsType[*BatchError](err); ok && be.check(len(batch)) {
			batch = r.partial(batch, be)
			if len(batch) == 0 {
				r.setConnected(!errors.Is(err, ErrNotConnected))
				r.h.progressed()
				return true, nil
			}
		}
		n := uint64(len(batch))
		r.c.Failed.Add(n)
		if r.ctx.Err() != nil {
			r.lose(batch)
			return false, batch
		}
		notConnected := errors.Is(err, ErrNotConnected)
		if notConnected {
			r.setConnected(false)
			if r.spill != nil && !r.replaying && r.moveToBuffer(batch) {
				return true, nil
			}
		} else {
			r.c.Connected.Store(false)
		}
		if !notConnected && attempt >= r.cfg.MaxAttempts {
			if r.giveUp(batch, attempt, err) {
				return true, nil
			}
			return false, batch
		}
		if attempt == 1 {
			r.log.Warn("write failed, retrying", "error", err)
		}
		r.c.Retries.Add(1)
		if !Sleep(r.retry.Done(), backoff.Next()) {
			r.lose(batch)
			return false, batch
		}
		if c, ok := r.sink.(Connecter); ok && notConnected {
			if !r.connect(c) {
				r.lose(batch)
				return false, batch
			}
		}
	}
}

// partial settles what a BatchError says was written or dropped and
// returns the messages to retry (in place in batch).
func (r *Runner) partial(batch []*message.Message, be *BatchError) []*message.Message {
	if len(be.Dropped) > 0 {
		reason := be.Reason
		if reason == 0 { // the zero Reason is queue_full, which no sink reports
			reason = ReasonSinkError
		}
		r.c.drop(reason, uint64(len(be.Dropped)))
		// Refused for good, unless the sink cannot say (core NATS).
		o := message.Reject
		if reason == ReasonUnconfirmed {
			o = message.Retry
		}
		for _, i := range be.Dropped {
			settle1(batch[i], o)
		}
		if now := time.Now(); now.Sub(r.dropLogged) >= dropLogEvery {
			r.dropLogged = now
			r.log.Error("sink dropped messages", "messages", len(be.Dropped), "reason", reason.String(), "error", be.Err)
		}
	}
	written := len(batch) - len(be.Failed) - len(be.Dropped)
	if written > 0 {
		r.c.Written.Add(uint64(written))
		r.h.progressed()
		k, j := 0, 0
		for i, m := range batch {
			switch {
			case k < len(be.Failed) && be.Failed[k] == i:
				k++
			case j < len(be.Dropped) && be.Dropped[j] == i:
				j++
			default:
				settle1(m, message.Committed)
			}
		}
	}
	return retain(batch, be.Failed)
}

// giveUp settles a batch that failed MaxAttempts times. Without a disk
// buffer it is dropped as sink_error. With one, nothing is dropped: the
// sink is down, a batch from the queue goes to the buffer, and a batch from
// the buffer stays there (not settled) to be tried again, so that a sink
// whose destination is broken for a while (a directory that cannot be
// created, a full disk) gets everything once it is fixed.
func (r *Runner) giveUp(batch []*message.Message, attempt int, err error) (settled bool) {
	if r.spill == nil {
		r.c.drop(ReasonSinkError, uint64(len(batch)))
		settle(batch, message.Retry)
		r.log.Error("batch dropped after retries", "messages", len(batch), "attempts", attempt, "error", err)
		return true
	}
	r.markDown("failing")
	if r.replaying {
		return false
	}
	for _, m := range batch {
		if !r.toBuffer(m) {
			r.dropOne(m, ReasonSinkError)
		}
	}
	return true
}

// moveToBuffer moves the batch of a sink found not connected, and then
// what is queued, to the disk buffer, where a crash does not lose them,
// rather than keep them in memory until it is back. Senders append behind
// them from the moment spilling is set. It does nothing, and reports false,
// when the buffer already holds messages: those are newer than the batch
// and the queue (senders overflowed into it), which are then written
// first, once the sink is back, to keep the order.
func (r *Runner) moveToBuffer(batch []*message.Message) bool {
	r.spill.appendMu.Lock()
	defer r.spill.appendMu.Unlock()
	if r.spilling.Load() {
		return false
	}
	r.spilling.Store(true)
	for _, m := range batch {
		r.bufferOrDrop(m)
	}
	// Senders that checked spilling before it was set may still be on
	// their way into the queue (a sender waiting for room gets it from
	// this drain): the queue is drained until none is, so that each
	// sender's messages stay in its order. New senders see spilling and
	// wait for appendMu, outside toQueue.
	for {
		for len(r.q) > 0 {
			r.bufferOrDrop(r.took(<-r.q))
		}
		if r.toQueue.Load() == 0 && len(r.q) == 0 {
			return true
		}
		runtime.Gosched()
	}
}

// bufferOrDrop moves m to the disk buffer, or drops it as sink_down when
// the buffer is full. The caller holds spill.appendMu.
func (r *Runner) bufferOrDrop(m *message.Message) {
	if !r.toBufferLocked(m) {
		r.dropOne(m, ReasonSinkDown)
	}
}

// dropOne drops m for reason: counted, and its receipt settled as lost.
func (r *Runner) dropOne(m *message.Message, reason Reason) {
	r.c.drop(reason, 1)
	settle1(m, reason.outcome())
	r.warnDrop(reason)
}

// dropWarnEvery is how often, at most, a Runner logs that it drops
// messages for one reason: a counter alone is easy to miss, a line per
// message would flood the log.
const dropWarnEvery = time.Minute

// warnDrop logs, at most once per dropWarnEvery and reason, that messages
// are being dropped, with the reason's total so far. Only the reasons an
// operator can act on (a full queue, a down sink) are logged here; the
// others are logged where they happen.
func (r *Runner) warnDrop(reason Reason) {
	if reason != ReasonQueueFull && reason != ReasonSinkDown {
		return
	}
	now := time.Now().UnixNano()
	last := &r.dropWarned[reason]
	if prev := last.Load(); prev != 0 && now-prev < int64(dropWarnEvery) || !last.CompareAndSwap(prev, now) {
		return
	}
	r.log.Warn("dropping messages", "reason", reason.String(), "dropped_total", r.c.Dropped(reason),
		"when_full", r.cfg.WhenFull.String(), "next_report_in", dropWarnEvery.String())
}

// settle resolves the receipts of msgs (most messages have none).
func settle(msgs []*message.Message, o message.Outcome) {
	for _, m := range msgs {
		settle1(m, o)
	}
}

func settle1(m *message.Message, o message.Outcome) {
	if m.Receipt != nil {
		m.Receipt.Settle(o)
	}
}

// retain keeps batch[i] for each i of idx (ascending), in place.
func retain(batch []*message.Message, idx []int) []*message.Message {
	for k, i := range idx {
		batch[k] = batch[i]
	}
	clear(batch[len(idx):]) // do not keep written messages alive
	return batch[:len(idx)]
}

// connect retries Connect forever with capped backoff; false when aborted.
func (r *Runner) connect(c Connecter) bool {
	backoff := r.backoff()
	for {
		err := c.Connect(r.ctx)
		if err == nil {
			r.setConnected(true)
			return true
		}
		r.setConnected(false)
		d := backoff.Next()
		if d == r.cfg.BackoffMin {
			r.log.Warn("connect failed, retrying", "error", err)
		}
		if !Sleep(r.retry.Done(), d) {
			return false
		}
	}
}

// setConnected records the connection state, and with it whether the sink
// is up.
func (r *Runner) setConnected(v bool) {
	r.c.Connected.Store(v)
	if v {
		r.markUp()
	} else {
		r.markDown("disconnected")
	}
}

// backoff returns a fresh Backoff: each batch and each connect run starts
// again from BackoffMin.
func (r *Runner) backoff() Backoff {
	return Backoff{Min: r.cfg.BackoffMin, Max: r.cfg.BackoffMax}
}
