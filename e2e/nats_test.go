package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	natstest "github.com/nats-io/nats-server/v2/test"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// natsConfig routes everything from a TCP listener to a JetStream stream
// the sink creates. %s is the NATS URL.
const natsConfig = `
listeners:
  - {name: tcp, protocol: tcp, address: "127.0.0.1:0"}
sinks:
  - name: bus
    type: nats
    url: %s
    subject: "syslog.{facility}.{app_name}"
    spool_dir: "{{DIR}}/spool"
    stream: {name: SYSLOG}
routes:
  - {name: all, sinks: [bus]}
stats: {address: "127.0.0.1:0"}
shutdown_timeout: 5s
`

// embeddedNATS is a JetStream server in the test process that can be
// stopped and started again on the same port and store.
type embeddedNATS struct {
	opts server.Options
	srv  *server.Server
}

func runNATS(t *testing.T) *embeddedNATS {
	t.Helper()
	e := &embeddedNATS{opts: natstest.DefaultTestOptions}
	e.opts.Port = -1
	e.opts.JetStream = true
	e.opts.StoreDir = t.TempDir()
	e.start()
	e.opts.Port = e.srv.Addr().(*net.TCPAddr).Port
	t.Cleanup(e.stop)
	return e
}

func (e *embeddedNATS) url() string { return "nats://127.0.0.1:" + strconv.Itoa(e.opts.Port) }

func (e *embeddedNATS) start() {
	opts := e.opts
	e.srv = natstest.RunServer(&opts)
}

func (e *embeddedNATS) stop() {
	if e.srv != nil {
		e.srv.Shutdown()
		e.srv.WaitForShutdown()
		e.srv = nil
	}
}

// streamPayloads reads every message of stream SYSLOG with a consumer.
func streamPayloads(t *testing.T, url string) []jetstream.Msg {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	st, err := js.Stream(ctx, "SYSLOG")
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cons, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	var out []jetstream.Msg
	for uint64(len(out)) < info.State.Msgs {
		batch, err := cons.Fetch(int(info.State.Msgs)-len(out), jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		n := len(out)
		for m := range batch.Messages() {
			out = append(out, m)
		}
		if len(out) == n {
			t.Fatalf("read %d of %d messages, then nothing: %v", n, info.State.Msgs, batch.Error())
		}
	}
	return out
}

// waitBus waits until the NATS sink "bus" satisfies cond.
func (p *proc) waitBus(what string, cond func(sinkStats) bool) sinkStats {
	p.t.Helper()
	return p.waitStats(what, func(s statsDoc) bool { return cond(s.Sinks["bus"]) }).Sinks["bus"]
}

// TestNATSEndToEnd: logger over TCP → syslogd → JetStream, read back with
// a nats.go consumer: subject, headers and the JSON payload.
func TestNATSEndToEnd(t *testing.T) {
	e := runNATS(t)
	p := start(t, fmt.Sprintf(natsConfig, e.url()))
	tcp := p.addrs["tcp"]
	// Two logger runs are two connections, which syslogd serves
	// concurrently: wait for the first so the stream order is known.
	logger(t, tcp, "-T", "--octet-count", "--rfc5424", "-t", "web.app", "-p", "local3.err", "hello over octet counting")
	p.waitBus("1 message acknowledged", func(b sinkStats) bool { return b.Written == 1 })
	logger(t, tcp, "-T", "--rfc3164", "-t", "sshd", "-p", "authpriv.warning", "Failed password for root")
	b := p.waitBus("2 messages acknowledged", func(b sinkStats) bool { return b.Written == 2 })
	if !b.Connected || b.Spooled == nil || *b.Spooled != 0 {
		t.Errorf("bus stats: %+v", b)
	}
	p.stop()

	got := streamPayloads(t, e.url())
	if len(got) != 2 {
		t.Fatalf("stream holds %d messages, want 2", len(got))
	}
	want := []struct{ subject, app, facility, severity, text string }{
		{"syslog.local3.web_app", "web.app", "local3", "err", "hello over octet counting"},
		{"syslog.authpriv.sshd", "sshd", "authpriv", "warning", "Failed password for root"},
	}
	for i, w := range want {
		m := got[i]
		if m.Subject() != w.subject {
			t.Errorf("message %d: subject %q, want %q", i, m.Subject(), w.subject)
		}
		h := m.Headers()
		if h.Get("Syslog-App-Name") != w.app || h.Get("Syslog-Facility") != w.facility ||
			h.Get("Syslog-Severity") != w.severity || h.Get("Syslog-Listener") != "tcp" ||
			h.Get("Syslog-Source") != "127.0.0.1" || h.Get("Nats-Msg-Id") == "" {
			t.Errorf("message %d: headers %v", i, h)
		}
		var doc map[string]any
		if err := json.Unmarshal(m.Data(), &doc); err != nil {
			t.Fatalf("message %d: payload %q: %v", i, m.Data(), err)
		}
		if doc["app_name"] != w.app || doc["message"] != w.text || doc["listener"] != "tcp" || doc["facility"] != w.facility {
			t.Errorf("message %d: payload %v", i, doc)
		}
	}
}

// TestNATSSpoolAcrossRestart: with NATS down the daemon spools and says
// connected=false; stopped with a full spool and started again it replays
// the spool once NATS is back, and nothing is lost or doubled.
func TestNATSSpoolAcrossRestart(t *testing.T) {
	e := runNATS(t)
	e.stop() // the port is known; nothing answers on it
	const n = 300
	lines := make([]string, n)
	for i := range lines {
		lines[i] = "spooled message " + strconv.Itoa(i)
	}
	input := filepath.Join(t.TempDir(), "lines")
	if err := os.WriteFile(input, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	p := start(t, fmt.Sprintf(natsConfig, e.url()))
	logger(t, p.addrs["tcp"], "-T", "--octet-count", "--rfc5424", "-t", "app", "-f", input)
	b := p.waitBus("the spool to hold every message", func(b sinkStats) bool { return b.Spooled != nil && *b.Spooled == n })
	if b.Connected || b.Written != 0 || b.Dropped != 0 {
		t.Errorf("while NATS is down: %+v, want connected=false, written=0, dropped=0", b)
	}
	metrics := get(t, "http://"+p.stats+"/metrics")
	for _, line := range []string{`syslogd_sink_spooled{sink="bus"} 300`, `syslogd_sink_connected{sink="bus"} 0`} {
		if !strings.Contains(metrics, line+"\n") {
			t.Errorf("/metrics lacks %q", line)
		}
	}
	p.stop()
	if _, err := os.Stat(filepath.Join(p.dir, "spool", "bus", "position")); err != nil {
		t.Fatalf("no spool left behind: %v", err)
	}

	p2 := startFile(t, p.dir, p.cfg)
	b = p2.waitBus("the spool reopened", func(b sinkStats) bool { return b.Spooled != nil && *b.Spooled == n })
	if b.Connected {
		t.Error("connected=true with NATS still down")
	}
	e.start()
	p2.waitBus("the spool replayed", func(b sinkStats) bool { return b.Written == n && *b.Spooled == 0 && b.Connected })
	p2.stop()

	got := streamPayloads(t, e.url())
	seen := map[string]int{}
	for _, m := range got {
		var doc map[string]any
		if err := json.Unmarshal(m.Data(), &doc); err != nil {
			t.Fatal(err)
		}
		msg, _ := doc["message"].(string)
		seen[msg]++
	}
	for i, l := range lines {
		if seen[l] != 1 {
			t.Errorf("%q arrived %d times, want once", l, seen[l])
		}
		if i < len(got) {
			var doc map[string]any
			_ = json.Unmarshal(got[i].Data(), &doc)
			if doc["message"] != l {
				t.Errorf("stream position %d holds %v, want %q (spool order)", i, doc["message"], l)
				break
			}
		}
	}
	if len(got) != n {
		t.Errorf("stream holds %d messages, want %d", len(got), n)
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestNATSReload: a reload that changes the sink starts the new one while
// the old one still drains; the new one waits for the old one's spool and
// then carries on, counters continuing.
func TestNATSReload(t *testing.T) {
	e := runNATS(t)
	p := start(t, fmt.Sprintf(natsConfig, e.url()))
	logger(t, p.addrs["tcp"], "-T", "--octet-count", "-t", "app", "before the reload")
	p.waitBus("first message", func(b sinkStats) bool { return b.Written == 1 })
	cfg, err := os.ReadFile(p.cfg)
	if err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(string(cfg), "    stream: {name: SYSLOG}", "    stream: {name: SYSLOG}\n    max_pending: 16", 1)
	if err := os.WriteFile(p.cfg, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	p.signal(sighup)
	p.waitLog("configuration reloaded")
	logger(t, p.addrs["tcp"], "-T", "--octet-count", "-t", "app", "after the reload")
	p.waitBus("second message", func(b sinkStats) bool { return b.Written == 2 && b.Connected })
	p.stop()
	if got := streamPayloads(t, e.url()); len(got) != 2 {
		t.Errorf("stream holds %d messages, want 2", len(got))
	}
}
