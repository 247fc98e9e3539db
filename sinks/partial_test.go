package sinks

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"syslogd/message"
)

func TestBatchErrorCheck(t *testing.T) {
	tests := []struct {
		name string
		n    int
		e    BatchError
		ok   bool
	}{
		{"empty, empty batch", 0, BatchError{}, true},
		{"empty", 3, BatchError{}, true},
		{"failed only", 5, BatchError{Failed: []int{0, 2, 4}}, true},
		{"dropped only", 3, BatchError{Dropped: []int{0, 1, 2}, Reason: ReasonUnconfirmed}, true},
		{"disjoint, interleaved", 7, BatchError{Failed: []int{0, 3, 5}, Dropped: []int{1, 2, 4, 6}}, true},
		{"failed after all dropped", 6, BatchError{Failed: []int{4, 5}, Dropped: []int{0, 1}}, true},
		{"last index", 5, BatchError{Failed: []int{4}, Dropped: []int{3}}, true},
		{"last reason", 2, BatchError{Dropped: []int{1}, Reason: numReasons - 1}, true},

		{"failed negative", 3, BatchError{Failed: []int{-1}}, false},
		{"failed at n", 3, BatchError{Failed: []int{3}}, false},
		{"failed in an empty batch", 0, BatchError{Failed: []int{0}}, false},
		{"dropped negative", 3, BatchError{Dropped: []int{-1, 0}}, false},
		{"dropped beyond n", 3, BatchError{Dropped: []int{1, 7}}, false},
		{"failed unsorted", 3, BatchError{Failed: []int{2, 1}}, false},
		{"dropped unsorted", 3, BatchError{Dropped: []int{2, 0}}, false},
		{"failed repeated", 3, BatchError{Failed: []int{1, 1}}, false},
		{"dropped repeated", 3, BatchError{Dropped: []int{0, 0}}, false},
		{"overlap first", 3, BatchError{Failed: []int{0}, Dropped: []int{0, 1}}, false},
		{"overlap last", 5, BatchError{Failed: []int{0, 2, 4}, Dropped: []int{1, 4}}, false},
		{"overlap after the lists diverge", 6, BatchError{Failed: []int{0, 5}, Dropped: []int{1, 2, 3, 5}}, false},
		{"reason numReasons", 3, BatchError{Dropped: []int{1}, Reason: numReasons}, false},
		{"reason 255", 3, BatchError{Dropped: []int{1}, Reason: 255}, false},
		{"reason out of range, nothing dropped", 3, BatchError{Failed: []int{1}, Reason: numReasons}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.e.check(tc.n); got != tc.ok {
				t.Errorf("check(%d) of Failed %v Dropped %v Reason %d = %v, want %v",
					tc.n, tc.e.Failed, tc.e.Dropped, tc.e.Reason, got, tc.ok)
			}
		})
	}
}

// scriptSink answers each Write with the next error of script (nil once
// the script is used up) and records the texts of every batch it is given.
type scriptSink struct {
	mu     sync.Mutex
	script []error
	calls  [][]string
}

func (s *scriptSink) Write(_ context.Context, batch []*message.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, texts(batch))
	if len(s.script) == 0 {
		return nil
	}
	err := s.script[0]
	s.script = s.script[1:]
	return err
}

func (s *scriptSink) Close(context.Context) error { return nil }

func (s *scriptSink) seen() [][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// tally records how receipts resolve. Each message it makes expects two
// settlements: one by the Runner and one the test makes itself at the end,
// so that a Runner settling a message twice resolves it early, and one not
// settling it at all leaves it unresolved.
type tally struct {
	mu   sync.Mutex
	done map[string][]bool // text → committed, per resolution
}

func (tl *tally) msg(text string) *message.Message {
	m := &message.Message{Text: text}
	m.Receipt = message.NewReceipt(func(o message.Outcome) {
		tl.mu.Lock()
		defer tl.mu.Unlock()
		tl.done[text] = append(tl.done[text], o == message.Committed)
	})
	m.Receipt.Add(2)
	return m
}

func (tl *tally) resolutions(text string) []bool {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	return slices.Clone(tl.done[text])
}

// checkSettledOnce checks that the Runner (stopped) settled each message
// of ms exactly once, committed as want says.
func (tl *tally) checkSettledOnce(t *testing.T, ms []*message.Message, want func(i int) bool) {
	t.Helper()
	for i, m := range ms {
		if got := tl.resolutions(m.Text); len(got) != 0 {
			t.Errorf("%s: resolved %v before the test settled it: the Runner settled it more than once", m.Text, got)
			continue
		}
		m.Receipt.Settle(message.Committed)
		got := tl.resolutions(m.Text)
		if len(got) != 1 {
			t.Errorf("%s: not resolved after the test's settlement: the Runner never settled it", m.Text)
			continue
		}
		if got[0] != want(i) {
			t.Errorf("%s: committed %v, want %v", m.Text, got[0], want(i))
		}
	}
}

// TestRunnerPartialDropped: a BatchError's Dropped messages are counted
// dropped with its Reason (sink_error for the zero Reason) and never handed
// to the sink again, its Failed ones are retried once and written, the
// rest counted written; every receipt settles once, committed unless
// dropped.
func TestRunnerPartialDropped(t *testing.T) {
	all := []string{"a", "b", "c", "d", "e", "f"}
	tests := []struct {
		name            string
		failed, dropped []int
		reason          Reason
		counted         Reason // the reason the drops must be counted under
	}{
		{"failed and unconfirmed", []int{1, 4}, []int{2, 5}, ReasonUnconfirmed, ReasonUnconfirmed},
		{"zero reason is sink_error", nil, []int{0, 3}, 0, ReasonSinkError},
		{"zero reason with failed", []int{0}, []int{5}, 0, ReasonSinkError},
		{"all dropped as sink_error", nil, []int{0, 1, 2, 3, 4, 5}, ReasonSinkError, ReasonSinkError},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := &scriptSink{script: []error{
				&BatchError{Failed: tc.failed, Dropped: tc.dropped, Reason: tc.reason, Err: errors.New("flush timed out")},
			}}
			tl := &tally{done: map[string][]bool{}}
			batch := make([]*message.Message, len(all))
			for i, text := range all {
				batch[i] = tl.msg(text)
			}
			ms := slices.Clone(batch) // write retains the failed ones in place
			var c Counters
			r := NewRunner(RunnerConfig{Name: "p", BackoffMin: time.Millisecond, BackoffMax: time.Millisecond}, s, &c, quiet())
			if settled, _ := r.write(batch); !settled {
				t.Error("write reports the batch not settled")
			}
			if err := r.Stop(context.Background()); err != nil {
				t.Fatal(err)
			}

			want := [][]string{all}
			retries := uint64(0)
			if len(tc.failed) > 0 {
				var again []string
				for _, i := range tc.failed {
					again = append(again, all[i])
				}
				want = append(want, again)
				retries = 1
			}
			if got := s.seen(); !slices.EqualFunc(got, want, slices.Equal) {
				t.Errorf("sink calls %q, want %q (dropped messages must not be handed over again)", got, want)
			}
			if w := uint64(len(all) - len(tc.dropped)); c.Written.Load() != w {
				t.Errorf("written %d, want %d", c.Written.Load(), w)
			}
			for _, reason := range Reasons() {
				want := uint64(0)
				if reason == tc.counted {
					want = uint64(len(tc.dropped))
				}
				if got := c.Dropped(reason); got != want {
					t.Errorf("dropped %s = %d, want %d", reason, got, want)
				}
			}
			if c.Failed.Load() != uint64(len(tc.failed)) || c.Retries.Load() != retries {
				t.Errorf("failed %d retries %d; want %d %d", c.Failed.Load(), c.Retries.Load(), len(tc.failed), retries)
			}
			tl.checkSettledOnce(t, ms, func(i int) bool { return !slices.Contains(tc.dropped, i) })
		})
	}
}

// TestRunnerUnusableBatchErrorRetriesAll: a BatchError that fails check
// (here through its Dropped list or Reason) is not trusted: nothing is
// counted dropped or written from it, and the whole batch is retried.
func TestRunnerUnusableBatchErrorRetriesAll(t *testing.T) {
	tests := []struct {
		name string
		be   BatchError
	}{
		{"dropped repeated", BatchError{Dropped: []int{1, 1}}},
		{"dropped unsorted", BatchError{Dropped: []int{2, 0}}},
		{"dropped out of range", BatchError{Dropped: []int{3}}},
		{"dropped negative", BatchError{Dropped: []int{-1}}},
		{"failed and dropped overlap", BatchError{Failed: []int{0, 2}, Dropped: []int{2}}},
		{"reason out of range", BatchError{Dropped: []int{0}, Reason: numReasons}},
		{"failed out of range", BatchError{Failed: []int{0, 5}, Dropped: []int{1}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			be := tc.be
			be.Err = errors.New("confused")
			s := &scriptSink{script: []error{fmt.Errorf("publish: %w", &be)}} // wrapped: found with errors.As
			tl := &tally{done: map[string][]bool{}}
			batch := []*message.Message{tl.msg("a"), tl.msg("b"), tl.msg("c")}
			ms := slices.Clone(batch)
			var c Counters
			r := NewRunner(RunnerConfig{Name: "p", BackoffMin: time.Millisecond, BackoffMax: time.Millisecond}, s, &c, quiet())
			r.write(batch)
			if err := r.Stop(context.Background()); err != nil {
				t.Fatal(err)
			}
			abc := []string{"a", "b", "c"}
			if want := [][]string{abc, abc}; !slices.EqualFunc(s.seen(), want, slices.Equal) {
				t.Errorf("sink calls %q, want %q", s.seen(), want)
			}
			if c.Written.Load() != 3 || c.DroppedTotal() != 0 || c.Failed.Load() != 3 || c.Retries.Load() != 1 {
				t.Errorf("written %d dropped %d failed %d retries %d; want 3 0 3 1",
					c.Written.Load(), c.DroppedTotal(), c.Failed.Load(), c.Retries.Load())
			}
			tl.checkSettledOnce(t, ms, func(int) bool { return true })
		})
	}
}

// downSink has no Connect; its Write reports ErrNotConnected (wrapped)
// until up is set. With hold set, its first Write closes entered and then
// waits for hold to be closed, so that a test can queue messages behind
// the batch in flight.
type downSink struct {
	up      atomic.Bool
	hold    chan struct{}
	entered chan struct{}
	once    sync.Once

	mu    sync.Mutex
	calls int
	got   []string
}

func (s *downSink) Write(ctx context.Context, batch []*message.Message) error {
	s.once.Do(func() {
		if s.hold != nil {
			close(s.entered)
			select {
			case <-s.hold:
			case <-ctx.Done():
			}
		}
	})
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if !s.up.Load() {
		return fmt.Errorf("publish: %w", ErrNotConnected)
	}
	s.got = append(s.got, texts(batch)...)
	return nil
}

func (s *downSink) Close(context.Context) error { return nil }

func (s *downSink) written() ([]string, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.got), s.calls
}

func newHeldDownSink() *downSink {
	return &downSink{hold: make(chan struct{}), entered: make(chan struct{})}
}

// queueBehindFirstWrite enqueues ms[0], waits until its batch is in the
// sink's Write, enqueues the rest of ms (they are queued) and lets Write
// return.
func queueBehindFirstWrite(t *testing.T, r *Runner, s *downSink, ms []*message.Message) {
	t.Helper()
	r.Enqueue(ms[0])
	select {
	case <-s.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the first message never reached Write")
	}
	for _, m := range ms[1:] {
		r.Enqueue(m)
	}
	if r.Queued() != len(ms)-1 || r.Buffered() != 0 {
		t.Fatalf("queued %d, buffered %d before Write returns; want %d and 0", r.Queued(), r.Buffered(), len(ms)-1)
	}
	close(s.hold)
}

// bufferTexts decodes the texts of what b holds, oldest first.
func bufferTexts(t *testing.T, b *memBuffer) []string {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, rec := range b.recs {
		var m message.Message
		if err := m.UnmarshalBinary(rec); err != nil {
			t.Fatalf("buffer record: %v", err)
		}
		out = append(out, m.Text)
	}
	return out
}

// TestNotConnectedMovesToBuffer: a sink with a disk buffer whose Write
// reports ErrNotConnected has the batch and everything queued behind it
// moved to the buffer, and what comes next joins them there; nothing is
// dropped and the sink is down. Once it accepts again, it gets everything
// in the order it was enqueued.
func TestNotConnectedMovesToBuffer(t *testing.T) {
	s := newHeldDownSink()
	b := &memBuffer{}
	var c Counters
	r := NewRunner(RunnerConfig{Name: "n", Options: Options{QueueSize: 100, BatchSize: 4}, Spill: NewSpill(b),
		BackoffMin: time.Millisecond, BackoffMax: 2 * time.Millisecond}, s, &c, quiet())
	defer r.Stop(context.Background())
	in := numbered("m", 15)

	queueBehindFirstWrite(t, r, s, in[:10])
	eventually(t, "the batch and the queue are in the buffer", func() bool { return r.Buffered() == 10 })
	if r.Queued() != 0 || !r.Down() || c.DroppedTotal() != 0 || c.Written.Load() != 0 {
		t.Fatalf("queued %d, down %v, dropped %d, written %d; want 0, true, 0, 0",
			r.Queued(), r.Down(), c.DroppedTotal(), c.Written.Load())
	}
	if got, want := bufferTexts(t, b), texts(in[:10]); !slices.Equal(got, want) {
		t.Fatalf("buffer holds %q, want %q", got, want)
	}
	for _, m := range in[10:] {
		r.Enqueue(m) // the buffer holds messages: these go behind them
	}
	if r.Buffered() != 15 || r.Queued() != 0 || c.DroppedTotal() != 0 {
		t.Fatalf("buffered %d, queued %d, dropped %d; want 15, 0, 0", r.Buffered(), r.Queued(), c.DroppedTotal())
	}

	s.up.Store(true)
	eventually(t, "everything is written", func() bool { return c.Written.Load() == 15 && r.Buffered() == 0 })
	eventually(t, "the sink is up", func() bool { return !r.Down() })
	got, _ := s.written()
	if want := texts(in); !slices.Equal(got, want) {
		t.Errorf("sink got\n %q\nwant\n %q", got, want)
	}
	if c.DroppedTotal() != 0 || c.Enqueued.Load() != 15 {
		t.Errorf("dropped %d, enqueued %d; want 0, 15", c.DroppedTotal(), c.Enqueued.Load())
	}
}

// TestStopWithBufferIsPrompt: Stop on a Runner with a disk buffer whose
// sink keeps failing does not wait out the backoff or the deadline: the
// buffer keeps everything for the next run, and nothing is dropped.
func TestStopWithBufferIsPrompt(t *testing.T) {
	const n = 10
	tests := []struct {
		name string
		// start makes a sink and brings the Runner to the point where it
		// waits between attempts.
		sink  func() Sink
		start func(t *testing.T, r *Runner, s Sink, in []*message.Message)
	}{
		{
			// The batch and the queue go to the buffer; the replay of it
			// fails and waits out its backoff.
			name: "write not connected",
			sink: func() Sink { return newHeldDownSink() },
			start: func(t *testing.T, r *Runner, s Sink, in []*message.Message) {
				ds := s.(*downSink)
				queueBehindFirstWrite(t, r, ds, in)
				eventually(t, "the replay is waiting to retry", func() bool {
					_, calls := ds.written()
					return calls >= 2 && r.Buffered() == n
				})
			},
		},
		{
			// Connect never succeeds: the Runner waits between attempts
			// to connect, with everything in its queue.
			name: "connect failing",
			sink: func() Sink { return &deadSink{} },
			start: func(t *testing.T, r *Runner, _ Sink, in []*message.Message) {
				eventually(t, "the sink is down", r.Down)
				for _, m := range in {
					r.Enqueue(m)
				}
				if r.Queued() != n {
					t.Fatalf("queued %d, want %d", r.Queued(), n)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.sink()
			b := &memBuffer{}
			var c Counters
			// Backoff far beyond the deadline: only Stop ending the
			// wait lets it return early.
			r := NewRunner(RunnerConfig{Name: "n", Options: Options{QueueSize: 100, BatchSize: 4}, Spill: NewSpill(b),
				BackoffMin: time.Hour, BackoffMax: time.Hour}, s, &c, quiet())
			in := numbered("m", n)
			tc.start(t, r, s, in)

			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			start := time.Now()
			err := r.Stop(ctx)
			took := time.Since(start)
			if err != nil {
				t.Fatal(err)
			}
			if took > 5*time.Second || ctx.Err() != nil {
				t.Fatalf("Stop took %v (deadline reached: %v); it should not wait for a sink that is down", took, ctx.Err() != nil)
			}
			if b.Len() != n || r.Queued() != 0 || c.DroppedTotal() != 0 || c.Written.Load() != 0 {
				t.Errorf("buffered %d, queued %d, dropped %d, written %d; want %d, 0, 0, 0",
					b.Len(), r.Queued(), c.DroppedTotal(), c.Written.Load(), n)
			}
			if got, want := bufferTexts(t, b), texts(in); !slices.Equal(got, want) {
				t.Errorf("buffer holds %q, want %q", got, want)
			}
		})
	}
}

// pickySink drops "a" for good, writes "b", and fails "c" until ok is set.
type pickySink struct {
	mu     sync.Mutex
	ok     atomic.Bool
	writes map[string]int
}

func (s *pickySink) Write(_ context.Context, batch []*message.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var be BatchError
	for i, m := range batch {
		s.writes[m.Text]++
		switch {
		case m.Text == "a":
			be.Dropped = append(be.Dropped, i)
		case m.Text == "c" && !s.ok.Load():
			be.Failed = append(be.Failed, i)
		}
	}
	if len(be.Dropped)+len(be.Failed) == 0 {
		return nil
	}
	be.Err = errors.New("picky")
	return &be
}

func (s *pickySink) Close(context.Context) error { return nil }

// TestReplayRetriesOnlyTheUnsettled: a batch read from the disk buffer of
// which one message is dropped, one written and one keeps failing past
// MaxAttempts stays in the buffer, but only the failing one is tried
// again: the written one is not written, or counted, twice.
func TestReplayRetriesOnlyTheUnsettled(t *testing.T) {
	b := &memBuffer{}
	for _, m := range batchOf("a", "b", "c") {
		rec, err := m.AppendBinary(nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Append(rec); err != nil {
			t.Fatal(err)
		}
	}
	s := &pickySink{writes: map[string]int{}}
	var c Counters
	r := NewRunner(RunnerConfig{Name: "p", Spill: NewSpill(b), MaxAttempts: 2,
		BackoffMin: time.Millisecond, BackoffMax: time.Millisecond}, s, &c, quiet())
	defer r.Stop(context.Background())
	eventually(t, "c failing past MaxAttempts several times", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.writes["c"] > 10
	})
	s.mu.Lock()
	a, bw := s.writes["a"], s.writes["b"]
	s.mu.Unlock()
	if a != 1 || bw != 1 || c.Written.Load() != 1 || c.Dropped(ReasonSinkError) != 1 {
		t.Errorf("while c fails: a sent %d times, b %d, written %d, sink_error %d; want 1, 1, 1, 1",
			a, bw, c.Written.Load(), c.Dropped(ReasonSinkError))
	}
	s.ok.Store(true)
	eventually(t, "the batch committed", func() bool { return r.Buffered() == 0 })
	if w := c.Written.Load(); w != 2 {
		t.Errorf("written %d, want 2", w)
	}
}
