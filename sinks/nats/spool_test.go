package nats

import (
	"context"
	"errors"
	"testing"
	"time"

	natsgo "github.com/nats-io/nats.go"

	"syslogd/sinks"
	"syslogd/sinks/format"
)

// TestOutageSpoolsThenDelivers: with NATS down the spool grows and the
// sink reports disconnected; when NATS returns everything arrives once.
func TestOutageSpoolsThenDelivers(t *testing.T) {
	ns := startServer(t)
	_, js := ns.client(t)
	createStream(t, js, "SYSLOG")
	cfg := testConfig(t, ns, JetStream, format.Raw)
	s := newTestSink(t, cfg)
	r := runner(t, s, cfg.Counters)
	waitFor(t, "connected", 5*time.Second, cfg.Counters.Connected.Load)
	const before, during = 500, 3000
	for i := range before {
		r.Enqueue(msg(i, "h"))
	}
	waitFor(t, "first messages written", 10*time.Second, func() bool { return cfg.Counters.Written.Load() == before })

	ns.stop()
	waitFor(t, "disconnected", 5*time.Second, func() bool { return !cfg.Counters.Connected.Load() })
	for i := before; i < before+during; i++ {
		r.Enqueue(msg(i, "h"))
	}
	waitFor(t, "spool to hold the outage", 10*time.Second, func() bool { return s.Spooled() == during })
	if cfg.Counters.Connected.Load() {
		t.Error("connected = true while NATS is down")
	}
	if w := cfg.Counters.Written.Load(); w != before {
		t.Errorf("written = %d during the outage, want %d", w, before)
	}

	ns.start()
	waitFor(t, "everything written", 20*time.Second, func() bool { return cfg.Counters.Written.Load() == before+during })
	if !cfg.Counters.Connected.Load() || s.Spooled() != 0 {
		t.Errorf("after the outage: connected %v, spooled %d", cfg.Counters.Connected.Load(), s.Spooled())
	}
	if err := r.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	checkSequence(t, readStream(t, js, "SYSLOG"), before+during)
	if d := cfg.Counters.DroppedTotal(); d != 0 {
		t.Errorf("dropped = %d", d)
	}
}

// TestSpoolOutlivesTheSink: messages still queued when the Runner stops
// (SIGTERM) with NATS down go to the spool, not to shutdown_timeout; the
// next sink on the same spool replays them once NATS is up.
func TestSpoolOutlivesTheSink(t *testing.T) {
	ns := startServer(t)
	_, js := ns.client(t)
	createStream(t, js, "SYSLOG")
	ns.stop()
	cfg := testConfig(t, ns, JetStream, format.Raw)
	const n = 5000
	s1 := newTestSink(t, cfg)
	r1 := sinks.NewRunner(sinks.RunnerConfig{Name: "bus"}, s1, cfg.Counters, testLogger(t))
	for i := range n {
		r1.Enqueue(msg(i, "h"))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r1.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if d := cfg.Counters.DroppedTotal(); d != 0 {
		t.Fatalf("stop with NATS down dropped %d messages, want 0 (spooled)", d)
	}
	if sp := s1.Spooled(); sp != n {
		t.Fatalf("spooled at stop = %d, want %d", sp, n)
	}

	cfg.Counters = new(sinks.Counters) // a new process
	s2 := newTestSink(t, cfg)
	r2 := runner(t, s2, cfg.Counters)
	waitFor(t, "spool reopened", 5*time.Second, func() bool { return s2.Spooled() == n })
	r2.Enqueue(msg(n, "h")) // a new message queues up behind the spool
	ns.start()
	waitFor(t, "spool replayed", 20*time.Second, func() bool { return cfg.Counters.Written.Load() == n+1 })
	if err := r2.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := readStream(t, js, "SYSLOG")
	checkSequence(t, got, n+1)
	if len(got) == n+1 && seqOf(t, got[n].Data()) != n {
		t.Errorf("last message in the stream is %d, want %d (after the spool)", seqOf(t, got[n].Data()), n)
	}
}

// TestSpoolFull: a spool at its bound drops new messages with reason
// spool_full, and every message is either spooled or counted.
func TestSpoolFull(t *testing.T) {
	ns := startServer(t)
	ns.stop()
	cfg := testConfig(t, ns, JetStream, format.Raw)
	cfg.SpoolMaxBytes = 32 << 10
	s := newTestSink(t, cfg)
	r := runner(t, s, cfg.Counters)
	const n = 1000
	for i := range n {
		r.Enqueue(msg(i, "h"))
	}
	full := func() uint64 { return cfg.Counters.Dropped(sinks.ReasonSpoolFull) }
	waitFor(t, "every message spooled or dropped", 10*time.Second, func() bool { return uint64(s.Spooled())+full() == n })
	if full() == 0 {
		t.Fatal("no spool_full drops with 1000 messages and a 32 KiB spool")
	}
	if b := s.spool.Load().bytes.Load(); b > cfg.SpoolMaxBytes {
		t.Errorf("spool holds %d bytes, bound %d", b, cfg.SpoolMaxBytes)
	}
}

// TestSpoolLock: a second sink cannot open a spool in use (the sink a
// reload replaces still drains into it); it can once the first closes.
func TestSpoolLock(t *testing.T) {
	ns := startServer(t)
	cfg := testConfig(t, ns, JetStream, format.Raw)
	a, b := newTestSink(t, cfg), newTestSink(t, cfg)
	ctx := context.Background()
	if err := a.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.Connect(ctx); !errors.Is(err, errSpoolLocked) {
		t.Fatalf("second Connect: %v, want errSpoolLocked", err)
	}
	if err := a.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.Connect(ctx); err != nil {
		t.Fatalf("Connect after the first closed: %v", err)
	}
	if err := b.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestRecordRoundTrip(t *testing.T) {
	m := &natsgo.Msg{Subject: "syslog.user.h", Data: []byte("payload\x00\n"),
		Header: natsgo.Header{HeaderMsgID: {"id-1"}, HeaderHostname: {""}, "Syslog-App-Name": {"ä"}}}
	rec := appendRecord(nil, m, attempt{fails: 3, rejects: 1})
	got, a, err := decodeRecord(rec)
	if err != nil {
		t.Fatal(err)
	}
	if got.Subject != m.Subject || string(got.Data) != string(m.Data) || a != (attempt{3, 1}) || len(got.Header) != 3 {
		t.Fatalf("round trip: %+v %+v", got, a)
	}
	for k, v := range m.Header {
		if got.Header.Get(k) != v[0] {
			t.Errorf("header %s = %q, want %q", k, got.Header.Get(k), v[0])
		}
	}
	for _, bad := range [][]byte{nil, {9, 0, 0}, rec[:4], {recordVersion, 0, 0, 5, 'a'}, {recordVersion, 0, 0, 1, 'a', 200}} {
		if _, _, err := decodeRecord(bad); !errors.Is(err, errBadRecord) {
			t.Errorf("decodeRecord(%q) err = %v, want errBadRecord", bad, err)
		}
	}
	if a := (attempt{fails: 255, rejects: 255}).failed(true); a.fails != 255 || a.rejects != 255 {
		t.Errorf("attempt counters wrap: %+v", a)
	}
}
