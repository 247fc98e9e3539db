package daemon

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"syslogd/message"
	"syslogd/router"
	"syslogd/sinks"
)

// discard writes nothing and succeeds.
type discard struct{}

func (discard) Write(context.Context, []*message.Message) error { return nil }
func (discard) Close(context.Context) error                     { return nil }

// TestRouteSettlesReceipts: a message with a receipt is resolved once each
// sink it goes to has written it, and at once when it goes nowhere:
// committed when unmatched, rejected when unparsed with no route for that.
func TestRouteSettlesReceipts(t *testing.T) {
	r, err := router.New([]router.Route{
		{Name: "auth", Match: router.Match{Facility: []string{"auth"}}, Sinks: []string{"a", "b"}},
	}, []string{"a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	var ca, cb sinks.Counters
	ra := sinks.NewRunner(sinks.RunnerConfig{Name: "a"}, discard{}, &ca, quietLog())
	rb := sinks.NewRunner(sinks.RunnerConfig{Name: "b"}, discard{}, &cb, quietLog())
	tbl := &table{router: r, sinks: []*sinks.Runner{ra, rb}, routes: []*atomic.Uint64{new(atomic.Uint64)}}
	results := make(chan string, 3)
	receipted := func(name string, m *message.Message) *message.Message {
		m.Receipt = message.NewReceipt(func(o message.Outcome) { results <- name + " " + o.String() })
		return m
	}
	var dec router.Decision
	c, tot := &listenerCounters{}, &totals{}
	route(tbl, receipted("routed", &message.Message{Format: message.RFC3164, Facility: message.Auth}), &dec, c, tot)
	route(tbl, receipted("unmatched", &message.Message{Format: message.RFC3164, Facility: message.User}), &dec, c, tot)
	route(tbl, receipted("unparsed", &message.Message{Format: message.Unparsed}), &dec, c, tot)
	got := map[string]bool{}
	for range 3 {
		select {
		case r := <-results:
			got[r] = true
		case <-time.After(10 * time.Second):
			t.Fatalf("receipts resolved so far: %v", got)
		}
	}
	// Unparsed with no route for it is rejected: no retry would route it.
	for _, want := range []string{"routed committed", "unmatched committed", "unparsed reject"} {
		if !got[want] {
			t.Errorf("receipt %q not resolved: %v", want, got)
		}
	}
	_ = ra.Stop(context.Background())
	_ = rb.Stop(context.Background())
	if ca.Written.Load() != 1 || cb.Written.Load() != 1 {
		t.Errorf("written a=%d b=%d, want 1 each", ca.Written.Load(), cb.Written.Load())
	}
}
