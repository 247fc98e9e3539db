package nats

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	natsgo "github.com/nats-io/nats.go"

	"syslogd/sinks"
	"syslogd/sinks/format"
)

// The oracle sends 0..n-1 through the sink while the server is stopped
// and started again (same port, same store) restarts times, each outage
// lasting outage. n is 100,000 unless -short.
const (
	oracleN  = 100_000
	restarts = 3
	outage   = 300 * time.Millisecond
)

func oracleSize() int {
	if testing.Short() {
		return 20_000
	}
	return oracleN
}

// produceWithRestarts enqueues 0..n-1 into r while another goroutine
// stops and restarts the server each time another quarter of them has
// been confirmed (so every outage hits live traffic: the rest is still
// queued, in flight or being produced).
func produceWithRestarts(t *testing.T, ns *natsServer, r *sinks.Runner, c *sinks.Counters, n int) {
	t.Helper()
	errc := make(chan error, 1)
	go func() {
		defer close(errc)
		for k := 1; k <= restarts; k++ {
			if err := poll(30*time.Second, func() bool { return c.Written.Load() >= uint64(k*n/(restarts+1)) }); err != nil {
				errc <- fmt.Errorf("restart %d: %w", k, err)
				return
			}
			ns.stop()
			time.Sleep(outage) // the outage itself, not synchronisation
			ns.start()
		}
	}()
	for i := range n {
		r.Enqueue(msg(i, "h"))
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

// poll is waitFor for goroutines other than the test's.
func poll(d time.Duration, cond func() bool) error {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("condition not met within %v", d)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return nil
}

// TestOracleJetStream: 0 missing and 0 duplicates in the stream across
// server restarts, thanks to the spool, retry until acknowledged and a
// Nats-Msg-Id that never changes.
func TestOracleJetStream(t *testing.T) {
	n := oracleSize()
	ns := startServer(t)
	_, js := ns.client(t)
	createStream(t, js, "SYSLOG")
	cfg := testConfig(t, ns, JetStream, format.Raw)
	s := newTestSink(t, cfg)
	r := runner(t, s, cfg.Counters)
	c := cfg.Counters
	start := time.Now()
	produceWithRestarts(t, ns, r, c, n)
	waitFor(t, "every message acknowledged", 90*time.Second, func() bool { return c.Written.Load() >= uint64(n) })
	elapsed := time.Since(start)
	if err := r.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if w := c.Written.Load(); w != uint64(n) || r.Buffered() != 0 {
		t.Errorf("written %d, spooled %d after stop; want %d, 0 (each message counted once)", w, r.Buffered(), n)
	}
	got := readStream(t, js, "SYSLOG")
	checkSequence(t, got, n)
	t.Logf("jetstream: %d messages, %d restarts in %v: stream holds %d; failed attempts %d, retried %d, dropped %d",
		n, restarts, elapsed.Round(time.Millisecond), len(got), c.Failed.Load(), c.Retries.Load(), c.DroppedTotal())
	if c.Failed.Load() == 0 {
		t.Error("no failed attempt: the restarts did not hit the traffic, the test proves nothing")
	}
	if c.DroppedTotal() != 0 {
		t.Errorf("dropped %d", c.DroppedTotal())
	}
}

// TestOracleCore: the same run in core mode. Core NATS cannot promise
// delivery; the sink's promise is that it says how much it could not
// confirm: every message is written (confirmed by a flush) or dropped as
// unconfirmed, and none is sent twice.
func TestOracleCore(t *testing.T) {
	n := oracleSize()
	ns := startServer(t)
	nc, _ := ns.client(t)
	var (
		mu       sync.Mutex
		payloads [][]byte
		last     = make(chan struct{})
		gotLast  atomic.Bool
	)
	sub, err := nc.Subscribe("syslog.>", func(m *natsgo.Msg) {
		if string(m.Data) == "end" {
			if gotLast.CompareAndSwap(false, true) {
				close(last)
			}
			return
		}
		mu.Lock()
		payloads = append(payloads, m.Data)
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	_ = sub.SetPendingLimits(-1, -1)
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t, ns, Core, format.Raw)
	s := newTestSink(t, cfg)
	r := runner(t, s, cfg.Counters)
	c := cfg.Counters
	start := time.Now()
	produceWithRestarts(t, ns, r, c, n)
	unconfirmed := func() uint64 { return c.Dropped(sinks.ReasonUnconfirmed) }
	waitFor(t, "every message confirmed or reported", 90*time.Second, func() bool {
		return c.Written.Load()+unconfirmed() == uint64(n) && r.Buffered() == 0
	})
	elapsed := time.Since(start)
	// A last message through the same connection: once the subscriber
	// has it, it has everything the server delivered before it.
	end := msg(0, "h")
	end.Raw = []byte("end")
	waitFor(t, "subscriber reconnected", 10*time.Second, nc.IsConnected)
	r.Enqueue(end)
	select {
	case <-last:
	case <-time.After(20 * time.Second):
		t.Fatal("end marker never arrived")
	}
	if err := r.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	missing, dups := tally(t, payloads, n)
	mu.Unlock()
	t.Logf("core: %d messages, %d restarts in %v: written (confirmed) %d, unconfirmed %d; subscriber received %d, missing %d, duplicates %d",
		n, restarts, elapsed.Round(time.Millisecond), c.Written.Load()-1, unconfirmed(), len(payloads), missing, dups)
	if dups != 0 {
		t.Errorf("core mode delivered %d duplicates; it must never resend", dups)
	}
	if other := c.DroppedTotal() - unconfirmed(); other != 0 {
		t.Errorf("dropped %d for reasons other than unconfirmed", other)
	}
}

// TestOracleLostAcks cuts the connection (through a proxy) while
// publishes are in flight: the server keeps what it stored, the
// acknowledgements are lost, the sink sends those messages again, and the
// unchanged Nats-Msg-Id lets the stream drop the copies.
func TestOracleLostAcks(t *testing.T) {
	n := oracleSize()
	ns := startServer(t)
	_, js := ns.client(t)
	createStream(t, js, "SYSLOG")
	px := newProxy(t, ns.srv.Addr().String())
	cfg := testConfig(t, ns, JetStream, format.Raw)
	cfg.URL = []string{px.url()}
	cfg.AckTimeout = 500 * time.Millisecond
	s := newTestSink(t, cfg)
	r := runner(t, s, cfg.Counters)
	c := cfg.Counters
	st, err := js.Stream(context.Background(), "SYSLOG")
	if err != nil {
		t.Fatal(err)
	}
	stored := func() uint64 {
		info, err := st.Info(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return info.State.Msgs
	}
	// Each quarter after the first is sent while the proxy swallows what
	// the server answers: the server stores messages whose
	// acknowledgements never reach the sink. Then the connection is cut.
	chunk := n / (restarts + 1)
	for k := range restarts + 1 {
		w := c.Written.Load()
		px.swallow.Store(k > 0)
		for i := k * chunk; i < (k+1)*chunk; i++ {
			r.Enqueue(msg(i, "h"))
		}
		if k > 0 {
			waitFor(t, "messages stored but not acknowledged", 20*time.Second, func() bool { return stored() > w+100 })
			px.cut()
		}
	}
	waitFor(t, "every message acknowledged", 90*time.Second, func() bool { return c.Written.Load() >= uint64(n) })
	if err := r.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if w := c.Written.Load(); w != uint64(n) {
		t.Errorf("written %d after stop, want %d (each message counted once)", w, n)
	}
	checkSequence(t, readStream(t, js, "SYSLOG"), n)
	t.Logf("lost acks: %d messages, %d cuts: failed attempts %d, sent again %d, of which the stream already had %d",
		n, restarts, c.Failed.Load(), c.Retries.Load(), s.dups.Load())
	if s.dups.Load() == 0 {
		t.Error("no duplicate was acknowledged: no acknowledgement was lost, the test proves nothing")
	}
}
