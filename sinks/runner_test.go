package sinks

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"syslogd/message"
)

// fakeSink records writes; gate, when set, blocks Write until closed.
type fakeSink struct {
	mu       sync.Mutex
	got      []*message.Message
	failN    int   // fail this many Write calls first
	failErr  error // error to fail with
	gate     chan struct{}
	closed   bool
	connects int
}

func (f *fakeSink) Write(ctx context.Context, b []*message.Message) error {
	if f.gate != nil {
		select {
		case <-f.gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failN > 0 {
		f.failN--
		return f.failErr
	}
	f.got = append(f.got, b...)
	return nil
}

func (f *fakeSink) Close(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	return nil
}

func (f *fakeSink) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.got)
}

type connSink struct{ fakeSink }

func (c *connSink) Connect(context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.connects++
	return nil
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func msgs(n int) []*message.Message {
	out := make([]*message.Message, n)
	for i := range out {
		out[i] = &message.Message{Text: string(rune('a' + i%26))}
	}
	return out
}

func TestRunnerWritesInOrderAndDrainsOnStop(t *testing.T) {
	s := &fakeSink{gate: make(chan struct{})}
	var c Counters
	r := NewRunner(RunnerConfig{Name: "t", Options: Options{QueueSize: 100, BatchSize: 7}}, s, &c, quiet())
	in := msgs(50)
	for _, m := range in {
		r.Enqueue(m)
	}
	close(s.gate) // everything is queued before the sink may write
	if err := r.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s.count() != 50 || c.Written.Load() != 50 || c.DroppedTotal() != 0 {
		t.Fatalf("written %d (counter %d), dropped %d; want 50, 0", s.count(), c.Written.Load(), c.DroppedTotal())
	}
	for i := range in {
		if s.got[i] != in[i] {
			t.Fatalf("message %d out of order", i)
		}
	}
	if !s.closed {
		t.Error("sink not closed")
	}
}

func TestRunnerDropNewestCounts(t *testing.T) {
	s := &fakeSink{gate: make(chan struct{})}
	var c Counters
	r := NewRunner(RunnerConfig{Name: "t", Options: Options{QueueSize: 10, BatchSize: 1, WhenFull: DropNewest}}, s, &c, quiet())
	for _, m := range msgs(100) {
		r.Enqueue(m)
	}
	// At most queue + one batch in the writer can be held; the rest is counted.
	close(s.gate)
	if err := r.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	written, dropped := c.Written.Load(), c.Dropped(ReasonQueueFull)
	if written+dropped != 100 || dropped < 89 {
		t.Fatalf("written %d + dropped %d, want 100 with >= 89 queue_full", written, dropped)
	}
}

func TestRunnerRetriesThenSucceeds(t *testing.T) {
	s := &fakeSink{failN: 2, failErr: errors.New("disk full")}
	var c Counters
	r := NewRunner(RunnerConfig{Name: "t", BackoffMin: time.Millisecond}, s, &c, quiet())
	r.Enqueue(msgs(1)[0])
	if err := r.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if c.Written.Load() != 1 || c.Retries.Load() != 2 || c.Failed.Load() != 2 {
		t.Fatalf("written %d retries %d failed %d; want 1 2 2", c.Written.Load(), c.Retries.Load(), c.Failed.Load())
	}
}

func TestRunnerGivesUpAfterMaxAttempts(t *testing.T) {
	s := &fakeSink{failN: 1000, failErr: errors.New("eacces")}
	var c Counters
	r := NewRunner(RunnerConfig{Name: "t", MaxAttempts: 3, BackoffMin: time.Millisecond}, s, &c, quiet())
	r.Enqueue(msgs(1)[0])
	if err := r.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if c.Dropped(ReasonSinkError) != 1 || c.Written.Load() != 0 || c.Connected.Load() {
		t.Fatalf("sink_error %d written %d connected %v; want 1 0 false",
			c.Dropped(ReasonSinkError), c.Written.Load(), c.Connected.Load())
	}
}

func TestRunnerReconnectsOnNotConnected(t *testing.T) {
	s := &connSink{fakeSink{failN: 3, failErr: ErrNotConnected}}
	var c Counters
	r := NewRunner(RunnerConfig{Name: "t", MaxAttempts: 1, BackoffMin: time.Millisecond}, s, &c, quiet())
	r.Enqueue(msgs(1)[0])
	if err := r.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Disconnection is not bounded by MaxAttempts: the message gets through.
	if c.Written.Load() != 1 || s.connects != 4 {
		t.Fatalf("written %d connects %d; want 1 and 4", c.Written.Load(), s.connects)
	}
}

func TestRunnerShutdownTimeoutAccountsEverything(t *testing.T) {
	s := &fakeSink{gate: make(chan struct{})} // never opens: sink is stuck
	var c Counters
	r := NewRunner(RunnerConfig{Name: "t", Options: Options{QueueSize: 20, BatchSize: 5}}, s, &c, quiet())
	const n = 20
	for _, m := range msgs(n) {
		r.Enqueue(m)
	}
	// A sender blocked on the full queue must be released by Stop too.
	blocked := make(chan struct{})
	go func() { r.Enqueue(&message.Message{}); close(blocked) }()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := r.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	<-blocked
	if got := c.Written.Load() + c.DroppedTotal(); got != n+1 {
		t.Fatalf("written+dropped = %d, want %d", got, n+1)
	}
	if c.Dropped(ReasonShutdownTimeout) != n+1 {
		t.Fatalf("shutdown_timeout = %d, want %d", c.Dropped(ReasonShutdownTimeout), n+1)
	}
	r.Enqueue(&message.Message{}) // after Stop: counted, not lost
	if c.Dropped(ReasonShutdownTimeout) != n+2 {
		t.Fatal("enqueue after stop not counted")
	}
}

func TestRunnerConcurrentSendersBalance(t *testing.T) {
	s := &fakeSink{}
	var c Counters
	r := NewRunner(RunnerConfig{Name: "t", Options: Options{QueueSize: 16, BatchSize: 4}}, s, &c, quiet())
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Go(func() {
			for _, m := range msgs(1000) {
				r.Enqueue(m)
			}
		})
	}
	wg.Wait()
	if err := r.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if c.Written.Load() != 4000 || s.count() != 4000 {
		t.Fatalf("written %d / %d, want 4000", c.Written.Load(), s.count())
	}
}

func BenchmarkRunnerEnqueue(b *testing.B) {
	s := &fakeSink{}
	var c Counters
	r := NewRunner(RunnerConfig{Name: "b"}, s, &c, quiet())
	m := &message.Message{}
	b.ReportAllocs()
	for b.Loop() {
		r.Enqueue(m)
	}
	_ = r.Stop(context.Background())
}
