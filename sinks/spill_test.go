package sinks

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"syslogd/message"
)

// memBuffer is a Buffer in memory with the contract of sinks/buffer:
// records stay until committed; a "restart" (reopen) reads the uncommitted
// ones again.
type memBuffer struct {
	mu    sync.Mutex
	recs  [][]byte
	read  int // records handed out by Read and not committed
	limit int
}

func (b *memBuffer) Append(rec []byte) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.limit > 0 && len(b.recs) >= b.limit {
		return ErrBufferFull
	}
	b.recs = append(b.recs, slices.Clone(rec))
	return nil
}

func (b *memBuffer) Read(max int) ([][]byte, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	end := min(b.read+max, len(b.recs))
	out := b.recs[b.read:end]
	b.read = end
	return out, nil
}

func (b *memBuffer) Commit(n int) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.recs = b.recs[n:]
	b.read -= n
	return nil
}

func (b *memBuffer) Len() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return int64(len(b.recs))
}

func (b *memBuffer) Rewind() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.read = 0
}

func (b *memBuffer) Sync() error { return nil }

// reopen forgets what was read and not committed, as a restart does.
func (b *memBuffer) reopen() { b.Rewind() }

func texts(ms []*message.Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Text)
	}
	return out
}

func numbered(prefix string, n int) []*message.Message {
	out := make([]*message.Message, n)
	for i := range out {
		out[i] = &message.Message{Text: prefix + string(rune('A'+i%26)) + string(rune('a'+i/26)), Received: time.Unix(int64(i), 0).UTC()}
	}
	return out
}

// TestBufferKeepsOrderWhileSinkIsDown: a sink that cannot connect keeps its
// queue, then the disk buffer takes the rest (nothing dropped, nobody
// blocked); once it connects, everything arrives in order and the buffer
// is empty.
func TestBufferKeepsOrderWhileSinkIsDown(t *testing.T) {
	s := &deadSink{}
	b := &memBuffer{}
	var c Counters
	r := NewRunner(RunnerConfig{Name: "j", Options: Options{QueueSize: 4, BatchSize: 3}, Spill: NewSpill(b),
		BackoffMin: time.Millisecond, BackoffMax: 2 * time.Millisecond}, s, &c, quiet())
	defer r.Stop(context.Background())
	in := numbered("m", 30)
	for _, m := range in {
		r.Enqueue(m)
	}
	if c.DroppedTotal() != 0 || r.Queued()+int(r.Buffered()) != 30 {
		t.Fatalf("dropped %d, queued %d, buffered %d", c.DroppedTotal(), r.Queued(), r.Buffered())
	}
	s.alive.Store(true)
	eventually(t, "all written", func() bool { return c.Written.Load() == 30 })
	s.mu.Lock()
	got := texts(s.got)
	s.mu.Unlock()
	if want := texts(in); !slices.Equal(got, want) {
		t.Errorf("order:\n got %q\nwant %q", got, want)
	}
	if r.Buffered() != 0 || c.Enqueued.Load() != 30 {
		t.Errorf("buffered %d, enqueued %d", r.Buffered(), c.Enqueued.Load())
	}
}

// TestShutdownKeepsQueueInBuffer: at the deadline, what is queued goes to
// the disk buffer instead of being dropped, and a Runner started on the
// same buffer (the next run) writes it.
func TestShutdownKeepsQueueInBuffer(t *testing.T) {
	s := &deadSink{}
	b := &memBuffer{}
	var c Counters
	r := NewRunner(RunnerConfig{Name: "j", Options: Options{QueueSize: 100, BatchSize: 8}, Spill: NewSpill(b),
		BackoffMin: time.Millisecond, BackoffMax: 2 * time.Millisecond}, s, &c, quiet())
	for _, m := range numbered("m", 10) {
		r.Enqueue(m)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_ = r.Stop(ctx)
	if c.DroppedTotal() != 0 || b.Len() != 10 {
		t.Fatalf("dropped %d, buffered %d; want 0 and 10", c.DroppedTotal(), b.Len())
	}
	b.reopen()
	s2 := &fakeSink{}
	var c2 Counters
	r2 := NewRunner(RunnerConfig{Name: "j", Options: Options{QueueSize: 100, BatchSize: 4}, Spill: NewSpill(b)}, s2, &c2, quiet())
	defer r2.Stop(context.Background())
	eventually(t, "the next run writes the buffer", func() bool { return c2.Written.Load() == 10 && b.Len() == 0 })
}

// TestReplayCutShortIsNotCommitted: records an earlier run left are
// replayed first; a replayed batch whose write is cut off by the deadline
// stays in the buffer (written again next run) and is not counted dropped.
func TestReplayCutShortIsNotCommitted(t *testing.T) {
	b := &memBuffer{}
	for _, m := range numbered("m", 6) {
		rec, err := m.AppendBinary(nil)
		if err != nil {
			t.Fatal(err)
		}
		_ = b.Append(rec)
	}
	s := &fakeSink{failN: 1 << 30, failErr: ErrNotConnected}
	var c Counters
	r := NewRunner(RunnerConfig{Name: "j", Options: Options{QueueSize: 10, BatchSize: 4}, Spill: NewSpill(b),
		BackoffMin: time.Millisecond, BackoffMax: 2 * time.Millisecond}, s, &c, quiet())
	eventually(t, "the replay is being retried", func() bool { return c.Retries.Load() > 2 })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_ = r.Stop(ctx)
	if b.Len() != 6 || c.DroppedTotal() != 0 {
		t.Errorf("buffered %d, dropped %d; want 6 and 0", b.Len(), c.DroppedTotal())
	}
}

// TestFullBufferFallsBackToPolicy: once the buffer is full too, when_full
// decides: drop_newest drops and counts.
func TestFullBufferFallsBackToPolicy(t *testing.T) {
	s := &deadSink{}
	b := &memBuffer{limit: 5}
	var c Counters
	r := NewRunner(RunnerConfig{Name: "j", Options: Options{QueueSize: 2, BatchSize: 2, WhenFull: DropNewest}, Spill: NewSpill(b),
		BackoffMin: time.Millisecond, BackoffMax: 2 * time.Millisecond}, s, &c, quiet())
	defer stopWithin(r, 50*time.Millisecond) // it never connects: Stop waits for its deadline
	for _, m := range numbered("m", 20) {
		r.Enqueue(m)
	}
	if e, d := c.Enqueued.Load(), c.DroppedTotal(); e != uint64(r.Queued())+uint64(b.Len())+d || b.Len() != 5 || d == 0 {
		t.Errorf("enqueued %d, queued %d, buffered %d, dropped %d", e, r.Queued(), b.Len(), d)
	}
}

func stopWithin(r *Runner, d time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	_ = r.Stop(ctx)
}

// gatedSink fails its first Write as not connected once fail is closed,
// and holds every later one until open is closed.
type gatedSink struct {
	entered    chan struct{} // the first Write began
	fail, open chan struct{}
	mu         sync.Mutex
	writes     int
	got        []string
}

func (g *gatedSink) Write(_ context.Context, b []*message.Message) error {
	g.mu.Lock()
	g.writes++
	first := g.writes == 1
	g.mu.Unlock()
	if first {
		close(g.entered)
		<-g.fail
		return fmt.Errorf("connection reset: %w", ErrNotConnected)
	}
	<-g.open
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, m := range b {
		g.got = append(g.got, m.Text)
	}
	return nil
}

func (*gatedSink) Connect(context.Context) error { return nil }
func (*gatedSink) Close(context.Context) error   { return nil }

// TestSpillTakesMessagesOnTheirWayIn: a sender that checked the queue
// before the sink was found down, and sends into it only after the queue
// was moved to the buffer, must not overtake its own earlier messages:
// the move waits for it and takes its message along.
func TestSpillTakesMessagesOnTheirWayIn(t *testing.T) {
	s := &gatedSink{entered: make(chan struct{}), fail: make(chan struct{}), open: make(chan struct{})}
	var c Counters
	r := NewRunner(RunnerConfig{Name: "gated", Options: Options{QueueSize: 4, BatchSize: 1}, Spill: NewSpill(&memBuffer{}),
		BackoffMin: time.Millisecond, BackoffMax: time.Millisecond}, s, &c, quiet())
	defer r.Stop(context.Background())
	msg := func(i int) *message.Message { return &message.Message{Text: fmt.Sprint(i)} }
	r.Enqueue(msg(0))
	<-s.entered // 0 is being written
	r.Enqueue(msg(1))
	r.Enqueue(msg(2))
	checked, release := make(chan struct{}), make(chan struct{})
	r.testHookSend = func() { close(checked); <-release }
	sent := make(chan struct{})
	go func() { r.Enqueue(msg(3)); close(sent) }()
	<-checked
	r.testHookSend = nil
	close(s.fail) // 0's write fails: 0, 1 and 2 go to the buffer
	eventually(t, "the queue moved to the buffer", func() bool { return r.Buffered() >= 3 })
	close(release) // 3 goes on into the queue
	<-sent
	r.Enqueue(msg(4))
	close(s.open)
	eventually(t, "everything written", func() bool { return c.Written.Load() == 5 })
	s.mu.Lock()
	defer s.mu.Unlock()
	if want := []string{"0", "1", "2", "3", "4"}; !slices.Equal(s.got, want) {
		t.Errorf("written %q, want %q", s.got, want)
	}
}
