package forward

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"testing"
	"time"

	"syslogd/sinks"
	"syslogd/sinks/buffer"
)

// hooked returns a sink for o whose connection events go to the channel.
func hooked(t *testing.T, o Options, c *sinks.Counters, backoff sinks.Backoff) (*Sink, <-chan event) {
	t.Helper()
	s, err := New(o, c, nil)
	if err != nil {
		t.Fatal(err)
	}
	events := make(chan event, 1000)
	s.hook = func(e event) { events <- e }
	s.backoff = backoff
	t.Cleanup(func() { s.Close(context.Background()) })
	return s, events
}

func await(t *testing.T, events <-chan event, want event) {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case e := <-events:
			if e == want {
				return
			}
		case <-timeout:
			t.Fatalf("no event %d", want)
		}
	}
}

// numbers returns the message numbers of the frames from connection conn.
func numbers(t *testing.T, frames []frame, conn int) []int {
	var out []int
	for _, f := range frames {
		if f.conn == conn {
			out = append(out, numberOf(t, f.data))
		}
	}
	return out
}

func span(from, to int) []int {
	var out []int
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}

// The server reads 5 of 10 messages and closes the connection with the
// rest unread. The sink notices (its reader), Write reports not connected,
// and the next Connect writes the 10 again before the new batch: every
// message arrives, and the only duplicates are the window's.
func TestReconnectSendsTheWindowAgain(t *testing.T) {
	srv := startStream(t, "127.0.0.1:0", FramingOctetCounting, nil, func(s *streamServer) { s.cutAfter = 5 })
	o := DefaultOptions()
	o.Address, o.ResendWindow = srv.addr(), time.Minute // the whole test is inside the window
	c := new(sinks.Counters)
	// The background reconnection waits an hour: here the Runner's
	// Connect reconnects, as after a failed Write.
	s, events := hooked(t, o, c, sinks.Backoff{Min: time.Hour})
	ctx := context.Background()
	if err := s.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Write(ctx, numberedRange(0, 10)); err != nil {
		t.Fatal(err)
	}
	<-srv.cut
	await(t, events, evLost)
	if c.Connected.Load() {
		t.Error("connected after the server closed the connection")
	}
	err := s.Write(ctx, numberedRange(10, 20))
	if _, partial := errors.AsType[*sinks.BatchError](err); !errors.Is(err, sinks.ErrNotConnected) || partial {
		t.Fatalf("Write on a lost connection: %v, want not connected, nothing written", err)
	}
	if err := s.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Write(ctx, numberedRange(10, 20)); err != nil {
		t.Fatal(err)
	}
	got := receive(t, srv.frames, 5+20)
	first, second := numbers(t, got, 0), numbers(t, got, 1)
	if !slices.Equal(first, span(0, 5)) || !slices.Equal(second, span(0, 20)) {
		t.Fatalf("first connection got %v, second %v", first, second)
	}
	if n := c.Resent.Load(); n != 10 {
		t.Errorf("resent = %d, want the 10 of the window", n)
	}
}

// With no message after the drop, the sink reconnects by itself and
// writes the window again, and says connected again.
func TestBackgroundReconnect(t *testing.T) {
	srv := startStream(t, "127.0.0.1:0", FramingNonTransparent, nil, func(s *streamServer) { s.cutAfter = 3 })
	o := DefaultOptions()
	o.Address, o.Framing, o.ResendWindow = srv.addr(), FramingNonTransparent, time.Minute
	c := new(sinks.Counters)
	s, events := hooked(t, o, c, sinks.Backoff{Min: time.Millisecond, Max: 10 * time.Millisecond})
	ctx := context.Background()
	if err := s.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	await(t, events, evConnected)
	if err := s.Write(ctx, numberedRange(0, 8)); err != nil {
		t.Fatal(err)
	}
	await(t, events, evLost)
	await(t, events, evConnected)
	if !c.Connected.Load() {
		t.Error("not connected after the background reconnection")
	}
	got := receive(t, srv.frames, 3+8)
	if first, second := numbers(t, got, 0), numbers(t, got, 1); !slices.Equal(first, span(0, 3)) || !slices.Equal(second, span(0, 8)) {
		t.Fatalf("first connection got %v, second %v", first, second)
	}
}

// Through the Runner, with a disk buffer: the server crashes after 30 of
// 100 messages (connection and listener gone, what it had not read lost),
// 100 more arrive during the outage, and a new server comes up on the
// same address. Every message arrives; the new server gets the window
// first, and the only duplicates are the window's re-sends of what the
// first server had read.
//
// Order after the window is not checked: a message being enqueued as the
// sink goes down can overtake those the Runner moves to the disk buffer
// (Enqueue's fast path read spilling just before moveToBuffer set it, and
// puts it in the queue it had just emptied), a race in the Runner, not the
// sink.
func TestOutageWithBufferLosesNothing(t *testing.T) {
	a := startStream(t, "127.0.0.1:0", FramingOctetCounting, nil, func(s *streamServer) { s.cutAfter, s.crash = 30, true })
	addr := a.addr()
	o := DefaultOptions()
	o.Address, o.ResendWindow = addr, time.Minute
	c := new(sinks.Counters)
	s, err := New(o, c, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.backoff = sinks.Backoff{Min: time.Millisecond, Max: 20 * time.Millisecond}
	b, err := buffer.Open(t.TempDir(), 1<<20, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	r := sinks.NewRunner(sinks.RunnerConfig{Name: "upstream", Options: sinks.Options{QueueSize: 1000, BatchSize: 16},
		Spill: sinks.NewSpill(b), BackoffMin: time.Millisecond, BackoffMax: 20 * time.Millisecond},
		s, c, slog.New(slog.DiscardHandler))
	for _, m := range numberedRange(0, 100) {
		r.Enqueue(m)
	}
	<-a.cut
	for _, m := range numberedRange(100, 200) {
		r.Enqueue(m)
	}
	bsrv := startStream(t, addr, FramingOctetCounting, nil)
	// Until every message is at one of the two servers (the first holds
	// the 30 it read).
	inB, got := map[int]bool{}, 30
	var fromB []int
	for got < 200 {
		f := receive(t, bsrv.frames, 1)
		if f[0].conn != 0 {
			t.Fatalf("the second server got messages on connection %d: one reconnection, one connection", f[0].conn)
		}
		n := numberOf(t, f[0].data)
		if inB[n] {
			t.Fatalf("the second server got message %d twice", n)
		}
		inB[n] = true
		fromB = append(fromB, n)
		if n >= 30 {
			got++
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if fromA := numbers(t, receive(t, a.frames, 30), 0); !slices.Equal(fromA, span(0, 30)) {
		t.Fatalf("first server read %v", fromA)
	}
	// The window comes first, from at most where the first server
	// stopped reading: its duplicates are the messages written to the
	// first server in the last resend_window, before anything new.
	if start := fromB[0]; start >= 30 || !slices.Equal(fromB[:30-start], span(start, 30)) {
		t.Fatalf("second server read %v", fromB)
	}
	if w, d := c.Written.Load(), c.DroppedTotal(); w != 200 || d != 0 || r.Buffered() != 0 {
		t.Fatalf("written %d, dropped %d, buffered %d; want 200, 0, 0", w, d, r.Buffered())
	}
}
