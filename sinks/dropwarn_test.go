package sinks

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
)

// syncBuffer is a bytes.Buffer a logger may write from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestDropsAreLoggedRateLimited: messages dropped for a full queue are
// logged once (per minute), with the total, not once each.
func TestDropsAreLoggedRateLimited(t *testing.T) {
	var logs syncBuffer
	s := newHeldSink()
	var c Counters
	r := NewRunner(RunnerConfig{Name: "f", Options: Options{WhenFull: DropNewest, QueueSize: 1, BatchSize: 1}},
		s, &c, slog.New(slog.NewTextHandler(&logs, nil)))
	defer r.Stop(context.Background())
	defer s.open() // before Stop, which would wait for the held Write
	in := msgs(52)
	r.Enqueue(in[0])
	<-s.entered // the first is being written, held; the queue is empty
	r.Enqueue(in[1])
	for _, m := range in[2:] {
		r.Enqueue(m) // the queue is full: all 50 dropped
	}
	if got := c.Dropped(ReasonQueueFull); got != 50 {
		t.Fatalf("dropped %d, want 50", got)
	}
	out := logs.String()
	if n := strings.Count(out, "dropping messages"); n != 1 || !strings.Contains(out, "reason=queue_full dropped_total=1 ") {
		t.Errorf("%d drop warnings, want 1 with the first total:\n%s", n, out)
	}
}
