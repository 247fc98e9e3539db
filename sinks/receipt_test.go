package sinks

import (
	"context"
	"sync"
	"testing"
	"time"

	"syslogd/message"
)

// outcomes collects what receipts report.
type outcomes struct {
	mu  sync.Mutex
	got map[string]bool // text → committed
}

func (o *outcomes) receipted(text string, sinks int) *message.Message {
	m := &message.Message{Text: text}
	m.Receipt = message.NewReceipt(func(oc message.Outcome) {
		o.mu.Lock()
		defer o.mu.Unlock()
		if _, twice := o.got[text]; twice {
			panic("receipt resolved twice: " + text)
		}
		o.got[text] = oc == message.Committed
	})
	m.Receipt.Add(sinks)
	return m
}

func (o *outcomes) get(text string) (committed, done bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	committed, done = o.got[text]
	return committed, done
}

// TestReceiptsSettleOnceEverySinkDid: a message routed to two sinks is
// resolved once both settled it; written and buffered count as committed,
// a drop in either sink as not.
func TestReceiptsSettleOnceEverySinkDid(t *testing.T) {
	o := &outcomes{got: map[string]bool{}}
	good := &fakeSink{}
	part := &partialSink{refuse: map[string]int{"refused": 99}}
	var c1, c2 Counters
	r1 := NewRunner(RunnerConfig{Name: "good", Options: Options{QueueSize: 10, BatchSize: 4}}, good, &c1, quiet())
	r2 := NewRunner(RunnerConfig{Name: "part", Options: Options{QueueSize: 10, BatchSize: 4}, MaxAttempts: 2,
		BackoffMin: time.Millisecond, BackoffMax: time.Millisecond}, part, &c2, quiet())
	defer r1.Stop(context.Background())
	defer r2.Stop(context.Background())
	ok, refused := o.receipted("ok", 2), o.receipted("refused", 2)
	for _, m := range []*message.Message{ok, refused} {
		r1.Enqueue(m)
		r2.Enqueue(m)
	}
	eventually(t, "both receipts resolved", func() bool {
		_, a := o.get("ok")
		_, b := o.get("refused")
		return a && b
	})
	if committed, _ := o.get("ok"); !committed {
		t.Error("a message both sinks wrote is not committed")
	}
	if committed, _ := o.get("refused"); committed {
		t.Error("a message one sink dropped is committed")
	}
}

// TestReceiptBufferedIsCommitted: a message that went to the disk buffer
// is committed for its receipt; one dropped as sink_down is not.
func TestReceiptBufferedIsCommitted(t *testing.T) {
	o := &outcomes{got: map[string]bool{}}
	s := &deadSink{}
	var c Counters
	r := NewRunner(RunnerConfig{Name: "j", Options: Options{QueueSize: 1, BatchSize: 1}, Spill: NewSpill(&memBuffer{limit: 1}),
		BackoffMin: time.Millisecond, BackoffMax: 2 * time.Millisecond}, s, &c, quiet())
	defer stopWithin(r, 20*time.Millisecond)
	eventually(t, "the sink is down", r.Down)
	r.Enqueue(o.receipted("queued", 1))
	r.Enqueue(o.receipted("buffered", 1))
	r.Enqueue(o.receipted("dropped", 1))
	if committed, done := o.get("buffered"); !done || !committed {
		t.Errorf("buffered: done %v committed %v", done, committed)
	}
	if committed, done := o.get("dropped"); !done || committed {
		t.Errorf("dropped: done %v committed %v", done, committed)
	}
	if _, done := o.get("queued"); done {
		t.Error("a queued message is settled before it is written")
	}
}

// TestReceiptOutcomeOfDrops: a drop_newest drop is shed (the configuration
// lets the sink lose it: a source acknowledges it), a drop of a down sink
// is worth a retry.
func TestReceiptOutcomeOfDrops(t *testing.T) {
	for _, tc := range []struct {
		reason Reason
		want   message.Outcome
	}{
		{ReasonQueueFull, message.Shed},
		{ReasonSinkDown, message.Retry},
		{ReasonSinkError, message.Retry},
		{ReasonShutdownTimeout, message.Retry},
	} {
		r := NewRunner(RunnerConfig{Name: "x"}, &fakeSink{}, new(Counters), quiet())
		var got []message.Outcome
		m := &message.Message{Receipt: message.NewReceipt(func(o message.Outcome) { got = append(got, o) })}
		m.Receipt.Add(1)
		r.dropOne(m, tc.reason)
		_ = r.Stop(context.Background())
		if len(got) != 1 || got[0] != tc.want {
			t.Errorf("%s: outcome %v, want %v", tc.reason, got, tc.want)
		}
	}
}
