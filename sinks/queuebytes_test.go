package sinks

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"syslogd/message"
)

// heldSink tells the test when each Write begins (entered) and holds it
// until the test lets it go: each Write takes one value from next, or
// finds next closed. The test thereby knows which messages the Runner has
// taken off its queue without polling.
type heldSink struct {
	fakeSink
	entered chan struct{}
	next    chan struct{}
	opened  sync.Once
}

// open lets every Write through from now on. Idempotent, so that a test
// can also defer it, before a deferred Stop that would otherwise wait for
// a held Write forever when the test fails early.
func (h *heldSink) open() { h.opened.Do(func() { close(h.next) }) }

func newHeldSink() *heldSink {
	return &heldSink{entered: make(chan struct{}, 1024), next: make(chan struct{})}
}

func (h *heldSink) Write(ctx context.Context, b []*message.Message) error {
	select {
	case h.entered <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-h.next:
	case <-ctx.Done():
		return ctx.Err()
	}
	return h.fakeSink.Write(ctx, b)
}

// sized returns n messages of the same Size, with texts of textLen bytes.
func sized(n, textLen int) []*message.Message {
	out := make([]*message.Message, n)
	for i := range out {
		out[i] = &message.Message{Text: strings.Repeat(string(rune('a'+i%26)), textLen)}
	}
	return out
}

// within fails the test unless done is closed within a generous bound:
// a guard against a hang, not a synchronisation.
func within(t *testing.T, what string, done <-chan struct{}) {
	t.Helper()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting until %s", what)
	}
}

func stop(t *testing.T, r *Runner) {
	t.Helper()
	if err := r.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if b := r.qbytes.Load(); b != 0 {
		t.Errorf("queue bytes after Stop = %d, want 0", b)
	}
}

func wantWritten(t *testing.T, s *fakeSink, want []*message.Message) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.got) != len(want) {
		t.Fatalf("written %d messages, want %d", len(s.got), len(want))
	}
	for i := range want {
		if s.got[i] != want[i] {
			t.Fatalf("message %d out of order", i)
		}
	}
}

// TestQueueMaxBytesDropsNewest: with drop_newest, a queue that has reached
// queue_max_bytes drops as queue_full, though it holds far fewer messages
// than queue_size.
func TestQueueMaxBytesDropsNewest(t *testing.T) {
	in := sized(20, 100)
	size := int64(in[0].Size())
	s := newHeldSink()
	var c Counters
	r := NewRunner(RunnerConfig{Name: "t", Options: Options{QueueSize: 1000, QueueMaxBytes: 3 * size, BatchSize: 1, WhenFull: DropNewest}}, s, &c, quiet())
	r.Enqueue(in[0])
	<-s.entered // in[0] is off the queue, held in Write: the queue is empty
	for _, m := range in[1:] {
		r.Enqueue(m)
	}
	// Three fit exactly (3*size is not past the bound); the fourth would be.
	if q, d, b := r.Queued(), c.Dropped(ReasonQueueFull), r.qbytes.Load(); q != 3 || d != 16 || b != 3*size {
		t.Fatalf("queued %d, queue_full %d, bytes %d; want 3, 16, %d", q, d, b, 3*size)
	}
	if r.Down() || c.DroppedTotal() != 16 {
		t.Fatalf("down %v, dropped %d: a queue full by bytes is full, not down", r.Down(), c.DroppedTotal())
	}
	s.open()
	stop(t, r)
	wantWritten(t, &s.fakeSink, in[:4])
}

// TestQueueMaxBytesBlockResumes: with block, senders that find the queue
// full by bytes wait, and go on as soon as the sink takes messages off it.
// One message leaving may make room for several waiting senders: they all
// get in, not only the one it woke.
func TestQueueMaxBytesBlockResumes(t *testing.T) {
	in := sized(4, 100)
	size := int64(in[0].Size())
	big := &message.Message{Text: strings.Repeat("B", 2*int(size))}
	s := newHeldSink()
	var c Counters
	r := NewRunner(RunnerConfig{Name: "t", Options: Options{QueueSize: 1000, QueueMaxBytes: 2 * size, BatchSize: 1}}, s, &c, quiet())
	r.Enqueue(in[0])
	<-s.entered
	r.Enqueue(big) // larger than the bound, into the empty queue
	var wg sync.WaitGroup
	for _, m := range in[1:3] {
		wg.Go(func() { r.Enqueue(m) })
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	// The Runner has no event for a sender going to sleep: wait for the
	// state itself.
	eventually(t, "both senders wait for room", func() bool { return r.waiting.Load() == 2 })
	select {
	case <-done:
		t.Fatal("Enqueue returned while the queue was full by bytes")
	default:
	}
	if r.Queued() != 1 || c.DroppedTotal() != 0 {
		t.Fatalf("queued %d, dropped %d; want 1 and 0", r.Queued(), c.DroppedTotal())
	}

	s.next <- struct{}{} // in[0] is written; the Runner takes big, which frees the queue
	<-s.entered          // big is in Write, held: no message leaves the queue from here on
	within(t, "both waiting senders are in the queue", done)
	if r.Queued() != 2 || r.waiting.Load() != 0 {
		t.Fatalf("queued %d, waiting %d; want 2 and 0", r.Queued(), r.waiting.Load())
	}
	s.open()
	stop(t, r)
	if c.Written.Load() != 4 || c.DroppedTotal() != 0 {
		t.Fatalf("written %d, dropped %d; want 4 and 0", c.Written.Load(), c.DroppedTotal())
	}
}

// TestQueueMaxBytesAdmitsLargeIntoEmpty: a message larger than
// queue_max_bytes still gets into an empty queue, with either policy, so
// that it is neither refused nor kept waiting forever.
func TestQueueMaxBytesAdmitsLargeIntoEmpty(t *testing.T) {
	for _, p := range []Policy{Block, DropNewest} {
		t.Run(p.String(), func(t *testing.T) {
			in := sized(3, 1000)
			s := newHeldSink()
			var c Counters
			r := NewRunner(RunnerConfig{Name: "t", Options: Options{QueueSize: 10, QueueMaxBytes: 100, BatchSize: 1, WhenFull: p}}, s, &c, quiet())
			r.Enqueue(in[0])
			<-s.entered // the queue is empty again
			done := make(chan struct{})
			go func() { r.Enqueue(in[1]); close(done) }()
			within(t, "the large message is queued", done)
			if r.Queued() != 1 || c.DroppedTotal() != 0 {
				t.Fatalf("queued %d, dropped %d; want 1 and 0", r.Queued(), c.DroppedTotal())
			}
			want := in[:2]
			if p == DropNewest {
				// Not empty now: the next one is past the bound.
				r.Enqueue(in[2])
				if c.Dropped(ReasonQueueFull) != 1 {
					t.Fatalf("queue_full %d, want 1", c.Dropped(ReasonQueueFull))
				}
			}
			s.open()
			stop(t, r)
			wantWritten(t, &s.fakeSink, want)
		})
	}
}

// TestQueueMaxBytesStallReleasesSenders: a queue full by bytes counts for
// the stall watchdog as one full by count: a sender blocked behind a stuck
// sink is released after stall_timeout, as sink_down.
func TestQueueMaxBytesStallReleasesSenders(t *testing.T) {
	in := sized(4, 100)
	size := int64(in[0].Size())
	s := newHeldSink()
	var c Counters
	r := NewRunner(RunnerConfig{Name: "stuck", Options: Options{QueueSize: 1000, QueueMaxBytes: 2 * size, BatchSize: 1,
		StallTimeout: 50 * time.Millisecond}}, s, &c, quiet())
	defer r.Stop(context.Background())
	defer s.open()
	r.Enqueue(in[0])
	<-s.entered
	r.Enqueue(in[1])
	r.Enqueue(in[2])
	done := make(chan struct{})
	go func() { r.Enqueue(in[3]); close(done) }()
	within(t, "the blocked sender is released", done)
	if !r.Down() || c.Dropped(ReasonSinkDown) != 1 {
		t.Fatalf("down %v, sink_down %d; want true and 1", r.Down(), c.Dropped(ReasonSinkDown))
	}
	s.open()
	eventually(t, "the queue is written", func() bool { return c.Written.Load() == 3 })
	eventually(t, "the sink is up", func() bool { return !r.Down() })
}

// TestQueueMaxBytesConcurrentSendersBalance: many senders against a bound
// of a few messages, with block: every message is written, none is lost
// to a missed wake-up, and the byte account ends at 0.
func TestQueueMaxBytesConcurrentSendersBalance(t *testing.T) {
	in := sized(1000, 50)
	s := &fakeSink{}
	var c Counters
	r := NewRunner(RunnerConfig{Name: "t", Options: Options{QueueSize: 1000, QueueMaxBytes: 3 * int64(in[0].Size()), BatchSize: 4}}, s, &c, quiet())
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for _, m := range in {
				r.Enqueue(m)
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	within(t, "every sender is done", done)
	stop(t, r)
	if c.Written.Load() != 4000 || c.DroppedTotal() != 0 {
		t.Fatalf("written %d, dropped %d; want 4000 and 0", c.Written.Load(), c.DroppedTotal())
	}
}
