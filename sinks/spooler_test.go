package sinks

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"syslogd/message"
)

// spoolSink is a Spooler: it takes batches over and counts for itself.
type spoolSink struct{ connSink }

func (*spoolSink) Spooled() int64 { return 0 }

// TestRunnerLeavesSpoolerCounters: for a Spooler, Write returning nil is
// not delivery, so the Runner counts neither Written nor Connected.
func TestRunnerLeavesSpoolerCounters(t *testing.T) {
	s := &spoolSink{}
	var c Counters
	r := NewRunner(RunnerConfig{Name: "s"}, s, &c, slog.New(slog.NewTextHandler(io.Discard, nil)))
	for range 10 {
		r.Enqueue(&message.Message{})
	}
	if err := r.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s.count() != 10 {
		t.Fatalf("sink got %d messages, want 10", s.count())
	}
	if c.Written.Load() != 0 || c.Connected.Load() {
		t.Errorf("runner counted for a spooler: written %d, connected %v", c.Written.Load(), c.Connected.Load())
	}
}
