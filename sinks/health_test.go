package sinks

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// eventually polls cond until it holds or the test's patience runs out;
// the Runner's state changes have no event a test could wait on.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// deadSink cannot connect until alive is set.
type deadSink struct {
	fakeSink
	alive atomic.Bool
}

func (d *deadSink) Connect(context.Context) error {
	if !d.alive.Load() {
		return errors.New("no socket: " + ErrNotConnected.Error())
	}
	return nil
}

// TestDisconnectedSinkNeverBlocks: with when_full block, a sink that cannot
// connect takes what fits its queue and drops the rest as sink_down at
// once; once it connects, what was queued is written and it is up again.
func TestDisconnectedSinkNeverBlocks(t *testing.T) {
	s := &deadSink{}
	var c Counters
	r := NewRunner(RunnerConfig{Name: "dead", Options: Options{QueueSize: 3, BatchSize: 8}, BackoffMin: time.Millisecond, BackoffMax: 2 * time.Millisecond}, s, &c, quiet())
	defer r.Stop(context.Background())
	eventually(t, "the sink is down", r.Down)
	for _, m := range msgs(10) {
		r.Enqueue(m) // must not block
	}
	if c.Dropped(ReasonSinkDown) != 7 || r.Queued() != 3 {
		t.Fatalf("sink_down %d, queued %d; want 7 and 3", c.Dropped(ReasonSinkDown), r.Queued())
	}
	s.alive.Store(true)
	eventually(t, "the queue is written", func() bool { return c.Written.Load() == 3 })
	eventually(t, "the sink is up", func() bool { return !r.Down() })
	if e := c.Enqueued.Load(); e != c.Written.Load()+c.DroppedTotal() {
		t.Errorf("enqueued %d != written %d + dropped %d", e, c.Written.Load(), c.DroppedTotal())
	}
}

// TestStalledSinkReleasesSenders: a live sink whose Write never returns
// holds a blocked sender for StallTimeout at most; then it is down, and the
// sender's message is dropped as sink_down. When Write returns, it is up.
func TestStalledSinkReleasesSenders(t *testing.T) {
	s := &fakeSink{gate: make(chan struct{})}
	var c Counters
	r := NewRunner(RunnerConfig{Name: "stuck", Options: Options{QueueSize: 2, BatchSize: 1, StallTimeout: 50 * time.Millisecond}}, s, &c, quiet())
	defer r.Stop(context.Background())
	in := msgs(4)
	r.Enqueue(in[0])
	eventually(t, "the first message is in Write", func() bool { return r.Queued() == 0 })
	r.Enqueue(in[1])
	r.Enqueue(in[2])
	done := make(chan struct{})
	go func() { r.Enqueue(in[3]); close(done) }() // the queue is full: this one waits
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("sender still blocked long after the stall timeout")
	}
	if !r.Down() || c.Dropped(ReasonSinkDown) != 1 {
		t.Fatalf("down %v, sink_down %d; want true and 1", r.Down(), c.Dropped(ReasonSinkDown))
	}
	close(s.gate)
	eventually(t, "the queue is written", func() bool { return c.Written.Load() == 3 })
	eventually(t, "the sink is up", func() bool { return !r.Down() })
}

var _ Connecter = (*deadSink)(nil)
