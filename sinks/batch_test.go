package sinks

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"syslogd/message"
)

// partialSink refuses the messages whose text is in refuse, a set of
// attempts long each: it reports them in a *BatchError and writes the rest.
type partialSink struct {
	mu      sync.Mutex
	refuse  map[string]int // text → attempts left to refuse it
	written []string
	calls   [][]string
	bad     bool // report an unusable BatchError
}

func (s *partialSink) Write(_ context.Context, batch []*message.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var seen []string
	var failed []int
	for i, m := range batch {
		seen = append(seen, m.Text)
		if s.refuse[m.Text] > 0 {
			s.refuse[m.Text]--
			failed = append(failed, i)
			continue
		}
		s.written = append(s.written, m.Text)
	}
	s.calls = append(s.calls, seen)
	switch {
	case s.bad && len(failed) > 0:
		return &BatchError{Failed: []int{len(batch) + 5}, Err: errors.New("confused")}
	case len(failed) > 0:
		return &BatchError{Failed: failed, Err: errors.New("disk full")}
	}
	return nil
}

func (s *partialSink) Close(context.Context) error { return nil }

func batchOf(texts ...string) []*message.Message {
	out := make([]*message.Message, len(texts))
	for i, t := range texts {
		out[i] = &message.Message{Text: t}
	}
	return out
}

// TestRunnerRetriesOnlyFailed: a partial write counts what was written and
// retries only the rest, so nothing is written twice and nothing lost.
func TestRunnerRetriesOnlyFailed(t *testing.T) {
	s := &partialSink{refuse: map[string]int{"b": 2, "d": 1}}
	var c Counters
	r := NewRunner(RunnerConfig{Name: "p", BackoffMin: time.Millisecond, BackoffMax: time.Millisecond}, s, &c, quiet())
	r.write(batchOf("a", "b", "c", "d", "e"))
	if err := r.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if want := []string{"a", "c", "e", "d", "b"}; !slices.Equal(s.written, want) {
		t.Errorf("written %q, want %q", s.written, want)
	}
	if want := [][]string{{"a", "b", "c", "d", "e"}, {"b", "d"}, {"b"}}; !slices.EqualFunc(s.calls, want, slices.Equal) {
		t.Errorf("calls %q, want %q", s.calls, want)
	}
	if c.Written.Load() != 5 || c.Failed.Load() != 3 || c.Retries.Load() != 2 || c.DroppedTotal() != 0 {
		t.Errorf("written %d failed %d retries %d dropped %d; want 5 3 2 0",
			c.Written.Load(), c.Failed.Load(), c.Retries.Load(), c.DroppedTotal())
	}
}

// TestRunnerPartialThenDropped: what is still failing after MaxAttempts is
// dropped as sink_error; what was written is counted written.
func TestRunnerPartialThenDropped(t *testing.T) {
	s := &partialSink{refuse: map[string]int{"b": 99}}
	var c Counters
	r := NewRunner(RunnerConfig{Name: "p", MaxAttempts: 3, BackoffMin: time.Millisecond, BackoffMax: time.Millisecond}, s, &c, quiet())
	r.write(batchOf("a", "b", "c"))
	_ = r.Stop(context.Background())
	if c.Written.Load() != 2 || c.Dropped(ReasonSinkError) != 1 || len(s.calls) != 3 {
		t.Errorf("written %d, sink_error %d, calls %d; want 2, 1, 3", c.Written.Load(), c.Dropped(ReasonSinkError), len(s.calls))
	}
}

// TestRunnerBadBatchErrorRetriesAll: indexes a sink cannot have meant make
// the whole batch count as failed rather than guessing.
func TestRunnerBadBatchErrorRetriesAll(t *testing.T) {
	s := &partialSink{refuse: map[string]int{"b": 1}, bad: true}
	var c Counters
	r := NewRunner(RunnerConfig{Name: "p", BackoffMin: time.Millisecond, BackoffMax: time.Millisecond}, s, &c, quiet())
	r.write(batchOf("a", "b"))
	_ = r.Stop(context.Background())
	if want := [][]string{{"a", "b"}, {"a", "b"}}; !slices.EqualFunc(s.calls, want, slices.Equal) {
		t.Errorf("calls %q, want %q", s.calls, want)
	}
	if c.Written.Load() != 2 || c.Failed.Load() != 2 {
		t.Errorf("written %d failed %d; want 2 2", c.Written.Load(), c.Failed.Load())
	}
}

// TestEnqueuedBalances: enqueued = written + dropped + queued once idle.
func TestEnqueuedBalances(t *testing.T) {
	s := &fakeSink{gate: make(chan struct{})}
	var c Counters
	r := NewRunner(RunnerConfig{Name: "t", Options: Options{QueueSize: 5, BatchSize: 2, WhenFull: DropNewest}}, s, &c, quiet())
	for _, m := range msgs(20) {
		r.Enqueue(m)
	}
	close(s.gate)
	_ = r.Stop(context.Background())
	if e, w, d := c.Enqueued.Load(), c.Written.Load(), c.DroppedTotal(); e != 20 || e != w+d || d == 0 {
		t.Errorf("enqueued %d, written %d, dropped %d", e, w, d)
	}
}
