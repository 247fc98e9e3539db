package jetstream

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"testing"
	"time"

	natstest "github.com/nats-io/nats-server/v2/test"
	natsgo "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"syslogd/message"
	"syslogd/natsconn"
)

// server runs an in-process JetStream server with stream S on s.> and
// returns a client.
func server(t *testing.T) (string, jetstream.JetStream) {
	t.Helper()
	opts := natstest.DefaultTestOptions
	opts.Port, opts.JetStream, opts.StoreDir = -1, true, t.TempDir()
	srv := natstest.RunServer(&opts)
	t.Cleanup(srv.Shutdown)
	url := srv.ClientURL()
	nc, err := natsgo.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateStream(context.Background(), jetstream.StreamConfig{Name: "S", Subjects: []string{"s.>"}}); err != nil {
		t.Fatal(err)
	}
	return url, js
}

func publish(t *testing.T, js jetstream.JetStream, n int) {
	t.Helper()
	for i := range n {
		if _, err := js.Publish(context.Background(), "s.x", []byte(strconv.Itoa(i))); err != nil {
			t.Fatal(err)
		}
	}
}

// scripted settles each record as decide says, on its own goroutine (as a
// sink's Runner would), and records what it got.
type scripted struct {
	mu     sync.Mutex
	got    []string
	decide func(data string, delivery int) (message.Outcome, bool) // false: never settle
	seen   map[string]int
}

func (h *scripted) HandleRecord(r *Record) {
	h.mu.Lock()
	h.seen[string(r.Data)]++
	n := h.seen[string(r.Data)]
	h.got = append(h.got, string(r.Data))
	h.mu.Unlock()
	r.Receipt.Add(1)
	if o, ok := h.decide(string(r.Data), n); ok {
		go r.Receipt.Settle(o)
	}
}

func options(url string) Options {
	o := DefaultOptions()
	o.Options = natsconn.Options{URL: []string{url}}
	o.Stream, o.Consumer = "S", "central"
	o.RetryDelays = []time.Duration{10 * time.Millisecond}
	o.CreateConsumer = &CreateConsumer{FilterSubjects: []string{"s.>"}, AckWait: 2 * time.Second, MaxAckPending: 4096, MaxDeliver: 3}
	return o
}

func listen(t *testing.T, o Options, h Handler) (*Listener, *Metrics) {
	t.Helper()
	m := new(Metrics)
	l, err := Listen("bus", o, h, m, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close(context.Background()) })
	return l, m
}

// eventually polls cond: counters have no event to wait on.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func pendingAcks(t *testing.T, js jetstream.JetStream) int {
	t.Helper()
	c, err := js.Consumer(context.Background(), "S", "central")
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.NumAckPending + int(info.NumPending)
}

// TestAckedOnlyWhenSettled: committed and shed messages are acked; a retry
// is nak'ed and comes back; one that keeps failing is terminated at
// max_deliver; a rejected one at once. The counters balance.
func TestAckedOnlyWhenSettled(t *testing.T) {
	url, js := server(t)
	publish(t, js, 40)
	h := &scripted{seen: map[string]int{}, decide: func(data string, delivery int) (message.Outcome, bool) {
		i, _ := strconv.Atoi(data)
		switch {
		case i < 10:
			return message.Committed, true
		case i < 20:
			return message.Shed, true
		case i < 30: // fails once, then written
			if delivery == 1 {
				return message.Retry, true
			}
			return message.Committed, true
		case i < 35:
			return message.Retry, true // never written: terminated at delivery 3
		default:
			return message.Reject, true
		}
	}}
	_, m := listen(t, options(url), h)
	eventually(t, "everything settled", func() bool {
		return m.Acked.Load() == 30 && m.Terminated.Load() == 10 && m.InFlight.Load() == 0
	})
	if got, want := m.Naked.Load(), uint64(10+5*2); got != want {
		t.Errorf("naked %d, want %d (10 once, 5 twice before their third delivery)", got, want)
	}
	if r, s := m.Received.Load(), m.Acked.Load()+m.Naked.Load()+m.Terminated.Load(); r != s {
		t.Errorf("received %d != acked+naked+terminated %d", r, s)
	}
	if got := m.Redelivered.Load(); got != 10+5*2 {
		t.Errorf("redelivered %d, want 20", got)
	}
	eventually(t, "the consumer has nothing pending", func() bool { return pendingAcks(t, js) == 0 })
}

// TestCloseNaksWhatIsUnsettled: messages whose sinks never settle are
// nak'ed at Close, so another instance gets them at once instead of after
// ack_wait.
func TestCloseNaksWhatIsUnsettled(t *testing.T) {
	url, js := server(t)
	publish(t, js, 20)
	o := options(url)
	o.CreateConsumer.AckWait = time.Minute // a redelivery by timeout would not come within the test
	stuck := &scripted{seen: map[string]int{}, decide: func(string, int) (message.Outcome, bool) { return 0, false }}
	l, m := listen(t, o, stuck)
	eventually(t, "all fetched", func() bool { return m.InFlight.Load() == 20 })
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_ = l.Close(ctx)
	if m.Naked.Load() != 20 || m.InFlight.Load() != 0 {
		t.Fatalf("after Close: naked %d, in flight %d", m.Naked.Load(), m.InFlight.Load())
	}
	other := &scripted{seen: map[string]int{}, decide: func(string, int) (message.Outcome, bool) { return message.Committed, true }}
	_, m2 := listen(t, o, other)
	eventually(t, "the other instance has them", func() bool { return m2.Acked.Load() == 20 })
}

// TestInProgressHoldsQueuedMessages: a message whose settlement takes
// longer than ack_wait is not redelivered meanwhile.
func TestInProgressHoldsQueuedMessages(t *testing.T) {
	url, js := server(t)
	publish(t, js, 5)
	o := options(url)
	o.CreateConsumer.AckWait = time.Second
	release := make(chan struct{})
	var receipts []*message.Receipt
	var mu sync.Mutex
	h := handlerFunc(func(r *Record) {
		r.Receipt.Add(1)
		mu.Lock()
		receipts = append(receipts, r.Receipt)
		mu.Unlock()
	})
	_, m := listen(t, o, h)
	eventually(t, "all fetched", func() bool { return m.InFlight.Load() == 5 })
	go func() {
		time.Sleep(3 * time.Second) // the fault: sinks slower than three ack_waits
		close(release)
	}()
	<-release
	mu.Lock()
	for _, r := range receipts {
		r.Settle(message.Committed)
	}
	n := len(receipts)
	mu.Unlock()
	deadline := time.Now().Add(10 * time.Second)
	for m.Acked.Load() != 5 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if m.Acked.Load() != 5 {
		t.Fatalf("acked %d, received %d, redelivered %d, in flight %d, naked %d", m.Acked.Load(), m.Received.Load(),
			m.Redelivered.Load(), m.InFlight.Load(), m.Naked.Load())
	}
	if n != 5 || m.Redelivered.Load() != 0 {
		t.Errorf("handled %d, redelivered %d: InProgress did not hold them", n, m.Redelivered.Load())
	}
}

type handlerFunc func(*Record)

func (f handlerFunc) HandleRecord(r *Record) { f(r) }

// TestRefusesPushAndAckAll: a consumer the listener cannot acknowledge
// safely is refused, and the listener stays unbound.
func TestRefusesPushAndAckAll(t *testing.T) {
	url, js := server(t)
	for i, cfg := range []jetstream.ConsumerConfig{
		{Durable: "push", DeliverSubject: "deliver.x", AckPolicy: jetstream.AckExplicitPolicy},
		{Durable: "all", AckPolicy: jetstream.AckAllPolicy},
		{Durable: "none", AckPolicy: jetstream.AckNonePolicy},
	} {
		t.Run(cfg.Durable, func(t *testing.T) {
			if _, err := js.CreateOrUpdateConsumer(context.Background(), "S", cfg); err != nil {
				t.Fatal(err)
			}
			o := options(url)
			o.Consumer, o.CreateConsumer = cfg.Durable, nil
			h := &scripted{seen: map[string]int{}, decide: func(string, int) (message.Outcome, bool) { return message.Committed, true }}
			l, m := listen(t, o, h)
			eventually(t, fmt.Sprintf("case %d: a bind failure counted", i), func() bool { return m.FetchErrors.Load() > 0 })
			if l.Ready() {
				t.Error("bound to a consumer it cannot acknowledge safely")
			}
		})
	}
}
