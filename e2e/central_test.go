package e2e

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"syslogd/stats"
	"testing"
	"time"
)

// edgeConfig publishes everything to the stream SYSLOG (json payload) and
// writes it to two files of its own, as a central instance should.
const edgeConfig = `
listeners:
  - {name: tcp, protocol: tcp, address: "127.0.0.1:0"}
sinks:
  - {name: bus, type: nats, url: %s, subject: "syslog.{facility}", spool_dir: "{{DIR}}/spool", stream: {name: SYSLOG}}
  - {name: text, type: file, path: "{{DIR}}/out.log", format: rfc3164}
  - {name: json, type: file, path: "{{DIR}}/out.json", format: json}
routes: [{name: all, sinks: [bus, text, json]}]
stats: {address: "127.0.0.1:0"}
`

// centralConfig consumes the stream and writes the same two files.
const centralConfig = `
listeners:
  - {name: bus, protocol: jetstream, url: %s, stream: SYSLOG, consumer: central,
     create_consumer: {filter_subjects: ["syslog.>"], ack_wait: 5s}}
sinks:
  - {name: text, type: file, path: "{{DIR}}/out.log", format: rfc3164}
  - {name: json, type: file, path: "{{DIR}}/out.json", format: json}
routes:
  - {name: tcp, match: {listener: [tcp]}, sinks: [text, json]}   # the edge's listener name
stats: {address: "127.0.0.1:0"}
`

// TestCentralWritesWhatTheEdgeWrote: logger → edge syslogd → JetStream →
// central syslogd → files. The central instance's lines are byte-identical
// to the edge's own, for RFC 5424 with structured data, RFC 3164 and an
// unparsed frame; the central listener acknowledged everything and its
// numbers balance.
func TestCentralWritesWhatTheEdgeWrote(t *testing.T) {
	e := runNATS(t)
	edge := start(t, fmt.Sprintf(edgeConfig, e.url()))
	central := start(t, fmt.Sprintf(centralConfig, e.url()))
	addr := edge.addrs["tcp"]
	logger(t, addr, "-T", "--octet-count", "--rfc5424", "-t", "app", "--sd-id", "zoo@32473", "--sd-param", `tiger="hungry"`,
		"--sd-param", `zebra="striped \"x\""`, "five four two four")
	logger(t, addr, "-T", "--rfc3164", "-t", "daemon", "-p", "auth.warning", "three one six four")
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write([]byte("<999>not syslog at all\n")); err != nil {
		t.Fatal(err)
	}
	c.Close()
	const n = 3
	edge.waitStats("the edge published", func(s statsDoc) bool { return s.Sinks["bus"].Written == n && s.Sinks["json"].Written == n })
	central.waitStats("the central instance wrote", func(s statsDoc) bool {
		return s.Sinks["json"].Written == n && s.Sinks["text"].Written == n
	})
	for _, f := range []string{"out.log", "out.json"} {
		want, got := readFile(t, filepath.Join(edge.dir, f)), readFile(t, filepath.Join(central.dir, f))
		if got != want {
			t.Errorf("%s differs\nedge:\n%s\ncentral:\n%s", f, want, got)
		}
	}
	if !strings.Contains(readFile(t, filepath.Join(central.dir, "out.json")), `"zebra":"striped \"x\""`) {
		t.Errorf("structured data lost:\n%s", readFile(t, filepath.Join(central.dir, "out.json")))
	}
	js := central.listener("bus").JetStream
	deadline := time.Now().Add(10 * time.Second)
	for (js == nil || js.Acked != n) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond) // polling /stats: there is no event to await
		js = central.listener("bus").JetStream
	}
	if js == nil || js.Acked != n || js.InFlight != 0 || js.Naked != 0 || js.Terminated != 0 || !js.Bound || !js.Connected {
		t.Errorf("central listener: %+v, want %d acked and nothing else", js, n)
	}
	if l := central.listener("bus"); l.Received != n {
		t.Errorf("central received %d, want %d", l.Received, n)
	}
	central.stop()
	edge.stop()
}

// centralSeqConfig is a central instance writing what it consumes to one
// file of its own. %s: the NATS URL; %s: extra consumer keys.
const centralSeqConfig = `
listeners:
  - {name: bus, protocol: jetstream, url: %s, stream: SYSLOG, consumer: central, retry_delays: [200ms],
     create_consumer: {filter_subjects: ["syslog.>"], ack_wait: 30s%s}}
sinks:
  - {name: f, type: file, path: "%s", format: rfc3164}
routes: [{name: all, sinks: [f]}]
stats: {address: "127.0.0.1:0"}
shutdown_timeout: 5s
`

// seqsIn counts the sequence numbers of seqLine lines in the files at
// paths (missing files are empty).
func seqsIn(t *testing.T, paths ...string) map[int]int {
	t.Helper()
	seen := map[int]int{}
	for _, p := range paths {
		for _, line := range strings.Split(readFile(t, p), "\n") {
			i := strings.Index(line, ": seq ")
			if i < 0 || len(line) < i+14 {
				continue
			}
			var n int
			if _, err := fmt.Sscanf(line[i+6:i+14], "%d", &n); err == nil {
				seen[n]++
			}
		}
	}
	return seen
}

// TestCentralSIGTERMHandsOver: two central instances share the consumer;
// one, whose sink is slow (a FIFO the test reads slowly, so that its
// writes block in the kernel), is stopped (SIGTERM, shutdown_timeout 1s)
// with messages fetched and still queued. It exits at the hard bound, and
// naks what it holds on the way out; the other instance takes those at
// once — well before the consumer's 30 s ack_wait would bring them back —
// and nothing is missing.
func TestCentralSIGTERMHandsOver(t *testing.T) {
	e := runNATS(t)
	edge := start(t, fmt.Sprintf(edgeConfig, e.url()))
	dir := t.TempDir()
	fifo, fb := filepath.Join(dir, "a.fifo"), filepath.Join(dir, "b.log")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	// The slow reader: 1 KiB every 50 ms until the writer closes, through a
	// pipe buffer of one page, so that a's sink is slow at once.
	var fromA strings.Builder
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		f, err := os.Open(fifo)
		if err != nil {
			return
		}
		defer f.Close()
		const fSetPipeSize = 1031 // F_SETPIPE_SZ
		_, _, _ = syscall.Syscall(syscall.SYS_FCNTL, f.Fd(), fSetPipeSize, 4096)
		buf := make([]byte, 1024)
		for {
			n, err := f.Read(buf)
			fromA.Write(buf[:n])
			if err != nil {
				return
			}
			time.Sleep(50 * time.Millisecond) // the fault: a slow sink
		}
	}()
	// a's sink writes batches of 64: the batch it is writing when it has to
	// exit is in the FIFO in part and is nak'ed whole, so up to 64
	// messages can arrive twice.
	const aBatch = 64
	aCfg := fmt.Sprintf(centralSeqConfig, e.url(), "", fifo)
	aCfg = strings.Replace(aCfg, "shutdown_timeout: 5s", "shutdown_timeout: 1s", 1)
	aCfg = strings.Replace(aCfg, "format: rfc3164}", fmt.Sprintf("format: rfc3164, batch_size: %d}", aBatch), 1)
	a := start(t, aCfg)
	b := start(t, fmt.Sprintf(centralSeqConfig, e.url(), "", fb))
	n := faultSize(10000, 50000)
	s := sendSeq(t, edge.addrs["tcp"], "app", 5000, n)
	a.waitStats("instance a holding messages", func(st statsDoc) bool { return st.Sinks["f"].Queued > 500 })
	stopped := time.Now()
	a.signal(syscall.SIGTERM)
	<-a.exited
	// What a handed back: nak'ed by its listener as the sinks settled, or
	// all at once if its blocked sink made it exit at the hard bound.
	var naked float64
	for _, l := range strings.Split(a.logs.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) != nil {
			continue
		}
		switch m["msg"] {
		case "stopped consuming":
			n, _ := m["nak_on_stop"].(float64)
			naked += n
		case "exiting with messages unsettled: nak'ed them, another instance takes them now":
			n, _ := m["messages"].(float64)
			naked += n
		}
	}
	<-readDone
	sent := s.wait()
	s.noFaults(t)
	deadline := stopped.Add(20 * time.Second)
	var seen map[int]int
	for {
		seen = seqsIn(t, fb)
		for k, v := range seqsIn(t, writeTemp(t, fromA.String())) {
			seen[k] += v
		}
		if len(seen) >= sent || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond) // polling files: there is no event to await
	}
	took := time.Since(stopped)
	missing, dups := 0, 0
	var missed []int
	for i := range sent {
		switch k := seen[i]; {
		case k == 0:
			missing++
			missed = append(missed, i)
		case k > 1:
			dups += k - 1
		}
	}
	if missing > 0 {
		t.Logf("missing %s; a's lines %d, b's %d", ranges(missed), len(seqsIn(t, writeTemp(t, fromA.String()))), len(seqsIn(t, fb)))
		am := seqsIn(t, writeTemp(t, fromA.String()))
		var near []int
		for k := missed[0] - 20; k < missed[len(missed)-1]+20; k++ {
			if am[k] > 0 {
				near = append(near, k)
			}
		}
		t.Logf("a has near the gap: %v; a's last bytes %q", near, fromA.String()[max(0, fromA.Len()-300):])
	}
	t.Logf("%d sent; a nak'ed %v at its SIGTERM; all in %v after it; missing %d, duplicates %d",
		sent, naked, took.Round(time.Millisecond), missing, dups)
	if naked == 0 {
		t.Error("instance a nak'ed nothing at its SIGTERM: the test did not reach the hand-over")
	}
	if missing > 0 {
		t.Errorf("%d messages missing 20 s after the SIGTERM (the consumer's ack_wait is 30 s: they were not nak'ed)", missing)
	}
	if dups > aBatch {
		t.Errorf("%d duplicates, more than the batch a was writing (%d)", dups, aBatch)
	}
	b.stop()
	edge.stop()
}

// writeTemp writes s to a temporary file and returns its path.
func writeTemp(t *testing.T, s string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestCentralDownSinkNaks: a central file sink that cannot write (its
// directory is a file) makes the listener nak, with retry_delays, not
// ack; once the directory can be made, the messages arrive. Messages that
// keep failing are terminated at max_deliver and counted.
func TestCentralDownSinkNaks(t *testing.T) {
	e := runNATS(t)
	edge := start(t, fmt.Sprintf(edgeConfig, e.url()))
	dir := t.TempDir()
	blocker := filepath.Join(dir, "out")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	c := start(t, fmt.Sprintf(centralSeqConfig, e.url(), ", max_deliver: 3", filepath.Join(blocker, "app.log")))
	listener := func() *stats.JetStream {
		js := c.listener("bus").JetStream
		if js == nil {
			t.Fatal("no jetstream numbers in /stats")
		}
		return js
	}
	s := sendSeq(t, edge.addrs["tcp"], "app", 0, 5)
	s.wait()
	waitFor := func(what string, cond func(*stats.JetStream) bool) *stats.JetStream {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			js := listener()
			if cond(js) {
				return js
			}
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s: %+v", what, js)
			}
			time.Sleep(20 * time.Millisecond) // polling /stats: there is no event to await
		}
	}
	waitFor("the first naks", func(js *stats.JetStream) bool { return js.Naked >= 5 })
	if js := listener(); js.Acked != 0 {
		t.Fatalf("acked %d messages no sink wrote", js.Acked)
	}
	if err := os.Remove(blocker); err != nil { // the sink can write again
		t.Fatal(err)
	}
	js := waitFor("the messages written", func(js *stats.JetStream) bool { return js.Acked == 5 })
	if got := len(seqsIn(t, filepath.Join(blocker, "app.log"))); got != 5 || js.Terminated != 0 {
		t.Errorf("after the sink came back: %d lines, %+v", got, js)
	}

	// Broken for good: terminated after three deliveries, and counted.
	if err := os.RemoveAll(blocker); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	c.signal(syscall.SIGUSR1) // the sink closes the file it has open
	c.waitLog("files reopened")
	s2 := sendSeq(t, edge.addrs["tcp"], "more", 0, 4)
	s2.wait()
	js = waitFor("terminated at max_deliver", func(js *stats.JetStream) bool { return js.Terminated == 4 })
	if l := c.listener("bus"); js.Acked != 5 || js.InFlight != 0 || l.Received != js.Acked+js.Naked+js.Terminated {
		t.Errorf("listener numbers do not balance: received %d, %+v", l.Received, js)
	}
	if st := c.getStats(); st.Sinks["f"].DroppedBy["sink_error"] == 0 {
		t.Errorf("the sink counted no sink_error: %+v", st.Sinks["f"])
	}
	c.stop()
	edge.stop()
}

// TestCentralReloadUnderStream: a reload that changes the jetstream
// listener (its batch) replaces it under a stream: the old one stops
// fetching and acknowledges what its sinks settle, the new one binds the
// same consumer, and nothing is missing.
func TestCentralReloadUnderStream(t *testing.T) {
	e := runNATS(t)
	edge := start(t, fmt.Sprintf(edgeConfig, e.url()))
	out := filepath.Join(t.TempDir(), "c.log")
	cfg := fmt.Sprintf(centralSeqConfig, e.url(), "", out)
	c := start(t, cfg)
	n := 8000
	s := sendSeq(t, edge.addrs["tcp"], "app", 4000, n)
	for i, batch := range []int{64, 512, 128} {
		s.await(t, (i+1)*n/4)
		changed := strings.Replace(cfg, "retry_delays: [200ms],", fmt.Sprintf("retry_delays: [200ms], batch: %d,", batch), 1) +
			"\nlog: {level: debug, format: json}\n" // as start wrote it
		if err := os.WriteFile(c.cfg, []byte(changed), 0o644); err != nil {
			t.Fatal(err)
		}
		c.signal(syscall.SIGHUP)
		c.waitStats("the reload", func(st statsDoc) bool { return st.Config.Reloads == uint64(i+1) })
	}
	sent := s.wait()
	s.noFaults(t)
	deadline := time.Now().Add(20 * time.Second)
	var seen map[int]int
	for {
		if seen = seqsIn(t, out); len(seen) >= sent || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond) // polling the file: there is no event to await
	}
	missing := 0
	for i := range sent {
		if seen[i] == 0 {
			missing++
		}
	}
	t.Logf("%d sent through 3 reloads: %d distinct in the file, %d missing", sent, len(seen), missing)
	if missing != 0 {
		t.Errorf("%d messages missing after the reloads", missing)
	}
	c.stop()
	edge.stop()
}
