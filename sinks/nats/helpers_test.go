package nats

import (
	"context"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	natstest "github.com/nats-io/nats-server/v2/test"
	natsgo "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"syslogd/message"
	"syslogd/sinks"
	"syslogd/sinks/buffer"
	"syslogd/sinks/format"
	"syslogd/sinks/template"
)

// natsServer is an in-process nats-server that can be stopped and started
// again on the same port with the same JetStream store.
type natsServer struct {
	t    testing.TB
	opts server.Options
	mu   sync.Mutex
	srv  *server.Server
}

func startServer(t testing.TB) *natsServer {
	t.Helper()
	opts := natstest.DefaultTestOptions
	opts.Port = -1
	opts.JetStream = true
	opts.StoreDir = t.TempDir()
	ns := &natsServer{t: t, opts: opts}
	ns.srv = natstest.RunServer(&ns.opts)
	ns.opts.Port = ns.srv.Addr().(*net.TCPAddr).Port
	t.Cleanup(ns.stop)
	return ns
}

func (ns *natsServer) url() string {
	return "nats://127.0.0.1:" + strconv.Itoa(ns.opts.Port)
}

func (ns *natsServer) stop() {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if ns.srv != nil {
		ns.srv.Shutdown()
		ns.srv.WaitForShutdown()
		ns.srv = nil
	}
}

// start runs the server again with the same port and store.
func (ns *natsServer) start() {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if ns.srv == nil {
		opts := ns.opts
		ns.srv = natstest.RunServer(&opts)
	}
}

// client connects a test client that reconnects forever.
func (ns *natsServer) client(t testing.TB) (*natsgo.Conn, jetstream.JetStream) {
	t.Helper()
	nc, err := natsgo.Connect(ns.url(), natsgo.MaxReconnects(-1), natsgo.ReconnectWait(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return nc, js
}

// createStream makes a file stream over syslog.>.
func createStream(t testing.TB, js jetstream.JetStream, name string) jetstream.Stream {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: name, Subjects: []string{"syslog.>"}, Storage: jetstream.FileStorage})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// readStream returns every message in the stream, in stream order.
func readStream(t testing.TB, js jetstream.JetStream, name string) []jetstream.Msg {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	st, err := js.Stream(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	total := int(info.State.Msgs)
	cons, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]jetstream.Msg, 0, total)
	for len(out) < total {
		batch, err := cons.Fetch(min(total-len(out), 5000), jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		n := len(out)
		for m := range batch.Messages() {
			out = append(out, m)
		}
		if err := batch.Error(); err != nil {
			t.Fatal(err)
		}
		if len(out) == n {
			t.Fatalf("stream %s: read %d of %d messages, then nothing", name, n, total)
		}
	}
	return out
}

func subjectTemplate(t testing.TB, s string) *template.Template {
	t.Helper()
	tmpl, err := template.Parse(s, template.Subject)
	if err != nil {
		t.Fatal(err)
	}
	return tmpl
}

// testConfig is a sink config for ns with a fresh spool directory.
func testConfig(t testing.TB, ns *natsServer, mode Mode, f format.Format) Config {
	o := DefaultOptions()
	o.URL = []string{ns.url()}
	o.Subject = "syslog.{facility}.{hostname}"
	o.Format, o.Mode, o.SpoolDir = f, mode, t.TempDir()
	return Config{Name: "bus", Options: o, AckTimeout: 2 * time.Second, Counters: new(sinks.Counters)}
}

func newTestSink(t testing.TB, cfg Config) *Sink {
	t.Helper()
	s, err := New(cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// testLogger logs through t, so a failing test shows what the sink said.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p[:len(p)-1]))
	return len(p), nil
}

// runner wraps s in a Runner with the disk buffer its options name, as
// the daemon does; both are stopped at cleanup.
func runner(t testing.TB, s *Sink, c *sinks.Counters) *sinks.Runner {
	t.Helper()
	b := openSpool(t, s.cfg)
	r := sinks.NewRunner(sinks.RunnerConfig{Name: "bus", BackoffMin: 10 * time.Millisecond, Spill: sinks.NewSpill(b)}, s, c, testLogger(t))
	t.Cleanup(func() { _ = r.Stop(context.Background()); _ = b.Close() })
	return r
}

// openSpool opens the disk buffer cfg's spool_dir and spool_max_bytes name.
func openSpool(t testing.TB, cfg Config) *buffer.Buffer {
	t.Helper()
	o := cfg.Spool(cfg.Name)
	b, err := buffer.Open(o.Dir, o.MaxBytes, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// msg is a parsed RFC 5424 message whose text and raw frame carry seq.
func msg(seq int, host string) *message.Message {
	text := strconv.Itoa(seq)
	return &message.Message{
		Received:  time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC),
		Timestamp: time.Date(2025, 3, 1, 11, 59, 59, 500000000, time.UTC),
		Facility:  message.Local3, Severity: message.Info,
		Hostname: host, AppName: "app", ProcID: "42", MsgID: "ID7",
		Text: text, Raw: []byte("<158>1 2025-03-01T11:59:59.5Z " + host + " app 42 ID7 - " + text),
		Format: message.RFC5424, Source: netip.MustParseAddrPort("192.0.2.7:5514"), Listener: "tcp",
		ID: uint64(seq) + 1,
	}
}

// waitFor polls cond until it holds or the deadline passes. It is used
// for counters, which have no event to wait on.
func waitFor(t testing.TB, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// seqOf returns the sequence number a raw payload ends with.
func seqOf(t testing.TB, data []byte) int {
	t.Helper()
	s := string(data)
	n, err := strconv.Atoi(s[strings.LastIndexByte(s, ' ')+1:])
	if err != nil {
		t.Fatalf("payload %q carries no sequence number", s)
	}
	return n
}

// tally counts how often each sequence number 0..n-1 was seen.
func tally(t testing.TB, payloads [][]byte, n int) (missing, dups int) {
	t.Helper()
	seen := make([]int, n)
	for _, p := range payloads {
		k := seqOf(t, p)
		if k < 0 || k >= n {
			t.Fatalf("sequence %d out of range", k)
		}
		seen[k]++
	}
	for _, c := range seen {
		switch {
		case c == 0:
			missing++
		case c > 1:
			dups += c - 1
		}
	}
	return missing, dups
}

// checkSequence asserts the stream holds 0..n-1 exactly once each.
func checkSequence(t testing.TB, msgs []jetstream.Msg, n int) {
	t.Helper()
	payloads := make([][]byte, len(msgs))
	for i, m := range msgs {
		payloads[i] = m.Data()
	}
	missing, dups := tally(t, payloads, n)
	if missing != 0 || dups != 0 {
		t.Errorf("stream: %d messages, %d missing, %d duplicates (want %d, 0, 0)", len(msgs), missing, dups, n)
	}
}

// syncBuffer is a log destination tests can read while the sink writes.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func newBufLogger(b *syncBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(b, nil))
}

// proxy forwards TCP connections to a server and can cut them all at
// once: the server goes on (what it stored stays stored) while whatever
// was in transit, acknowledgements included, is lost.
type proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  []net.Conn
	wg     sync.WaitGroup
	// swallow discards what the server sends (acknowledgements) until
	// the next cut.
	swallow atomic.Bool
}

func newProxy(t testing.TB, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target}
	p.wg.Go(p.accept)
	t.Cleanup(func() {
		ln.Close()
		p.cut()
		p.wg.Wait()
	})
	return p
}

func (p *proxy) url() string { return "nats://" + p.ln.Addr().String() }

func (p *proxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, s)
		p.mu.Unlock()
		p.wg.Go(func() { p.pipe(s, c, nil) })
		p.wg.Go(func() { p.pipe(c, s, &p.swallow) })
	}
}

// pipe copies src to dst, discarding instead while drop is set.
func (p *proxy) pipe(dst, src net.Conn, drop *atomic.Bool) {
	defer src.Close()
	defer dst.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && (drop == nil || !drop.Load()) {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// cut closes every connection through the proxy.
func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
	p.swallow.Store(false)
}
