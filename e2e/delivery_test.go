package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"syslogd/sinks/journald/journaldtest"
	"testing"
	"time"
)

// framesFile writes n lines made by line(i) to a file for logger -f, one
// message each.
func framesFile(t *testing.T, n int, line func(i int) string) string {
	t.Helper()
	var b strings.Builder
	for i := range n {
		b.WriteString(line(i))
		b.WriteByte('\n')
	}
	path := filepath.Join(t.TempDir(), "frames")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// deadSinkConfig sends auth to a journald sink whose socket does not exist
// and everything to a file: the dead journald must not hold up the file.
const deadSinkConfig = `
listeners:
  - {name: udp, protocol: udp, address: "127.0.0.1:0"}
sinks:
  - {name: journal, type: journald, socket: /nonexistent/journal/socket, queue_size: 50}
  - {name: all, type: file, path: "{{DIR}}/all.log", format: raw}
routes:
  - {name: auth, match: {facility: [auth]}, sinks: [journal]}
  - {name: all, sinks: [all]}
stats: {address: "127.0.0.1:0"}
shutdown_timeout: 2s
`

// TestDeadSinkDoesNotStallOthers: with when_full block, a journald sink that
// cannot connect takes what fits its queue, is down, and drops the rest as
// sink_down at once, while every message reaches the file over the same UDP
// listener, the user messages sent after the auth flood included.
func TestDeadSinkDoesNotStallOthers(t *testing.T) {
	p := start(t, deadSinkConfig)
	p.waitStats("journal down", func(s statsDoc) bool { return s.Sinks["journal"].State == "down" })
	const auth, user = 500, 20
	file := framesFile(t, auth+user, func(i int) string {
		if i < auth {
			return fmt.Sprintf("<36>Dec  1 10:00:00 host app: auth %d", i)
		}
		return fmt.Sprintf("<13>Dec  1 10:00:00 host app: user %d", i-auth)
	})
	// One datagram per line; --skip-empty and --prio-prefix keep each frame as written.
	logger(t, p.addrs["udp"], "-d", "--prio-prefix", "--skip-empty", "-f", file)
	s := p.waitStats("the file has every message", func(s statsDoc) bool { return s.Sinks["all"].Written == auth+user })
	j := s.Sinks["journal"]
	if j.State != "down" || j.Enqueued != auth || j.Written != 0 || j.DroppedBy["sink_down"] == 0 ||
		j.Enqueued != j.DroppedBy["sink_down"]+uint64(j.Queued) {
		t.Errorf("journal sink: %+v, want down with enqueued = sink_down + queued", j)
	}
	if got := strings.Count(readFile(t, filepath.Join(p.dir, "all.log")), "app: user "); got != user {
		t.Errorf("%d user messages in the file, want %d", got, user)
	}
	if !balanced(s) || s.Totals.Received != auth+user {
		t.Errorf("totals %+v", s.Totals)
	}
}

// TestDeletedFileIsRecreated: a log file deleted while syslogd writes it
// (no SIGUSR1) is recreated within about a second, and what is sent after
// that lands in the new file.
func TestDeletedFileIsRecreated(t *testing.T) {
	p := start(t, `
listeners: [{name: tcp, protocol: tcp, address: "127.0.0.1:0"}]
sinks: [{name: f, type: file, path: "{{DIR}}/app.log", format: raw}]
routes: [{name: all, sinks: [f]}]
stats: {address: "127.0.0.1:0"}
`)
	path := filepath.Join(p.dir, "app.log")
	logger(t, p.addrs["tcp"], "-T", "--rfc3164", "-t", "app", "before")
	p.waitStats("the first line", func(s statsDoc) bool { return s.Sinks["f"].Written == 1 })
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	// Lines sent until the removal is noticed go to the deleted file; keep
	// sending until the path exists again (bounded by waitStats' deadline).
	for i := 0; ; i++ {
		logger(t, p.addrs["tcp"], "-T", "--rfc3164", "-t", "app", fmt.Sprintf("during %d", i))
		s := p.waitStats("the line", func(s statsDoc) bool { return s.Sinks["f"].Written == uint64(i+2) })
		if _, err := os.Stat(path); err == nil {
			if s.Sinks["f"].Reopens == nil || *s.Sinks["f"].Reopens != 1 {
				t.Errorf("reopens %v, want 1", s.Sinks["f"].Reopens)
			}
			break
		}
		if i > 1000 {
			t.Fatal("the deleted file was never recreated")
		}
	}
	logger(t, p.addrs["tcp"], "-T", "--rfc3164", "-t", "app", "after")
	p.waitStats("the last line", func(s statsDoc) bool { return s.Sinks["f"].Queued == 0 && strings.Contains(readFile(t, path), "after") })
	if got := readFile(t, path); strings.Contains(got, "before") || !strings.HasSuffix(got, "app: after\n") {
		t.Errorf("new file:\n%s", got)
	}
}

// TestBufferedJournaldGetsEverythingInOrder: the journald sink has a disk
// buffer; while journald is down, its queue and then its buffer take the
// auth messages (none dropped, the file keeps getting everything); once
// journald is back, every auth message arrives, in order.
func TestBufferedJournaldGetsEverythingInOrder(t *testing.T) {
	ns := journaldtest.Start(t)
	ns.Stop()
	p := start(t, `
listeners: [{name: udp, protocol: udp, address: "127.0.0.1:0"}]
sinks:
  - {name: journal, type: journald, namespace: `+ns.Name()+`, queue_size: 20, batch_size: 16,
     fields: [{name: SYSLOGD_TEST, value: buffered}], buffer: {dir: "{{DIR}}/buffer/journal"}}
  - {name: all, type: file, path: "{{DIR}}/all.log", format: raw}
routes:
  - {name: auth, match: {facility: [auth]}, sinks: [journal]}
  - {name: all, sinks: [all]}
stats: {address: "127.0.0.1:0"}
shutdown_timeout: 5s
`)
	p.waitStats("journal down", func(s statsDoc) bool { return s.Sinks["journal"].State == "down" })
	const auth = 300
	frames := framesFile(t, auth, func(i int) string { return fmt.Sprintf("<36>Dec  1 10:00:00 host app: auth %03d", i) })
	logger(t, p.addrs["udp"], "-d", "--prio-prefix", "--skip-empty", "-f", frames)
	// The journal sink holds them in its buffer, its queue and the batch
	// it keeps retrying (in memory when senders overflowed into the buffer
	// before it found journald gone: the buffer's order comes first).
	s := p.waitStats("the file has everything, the journal sink holds the rest", func(s statsDoc) bool {
		j := s.Sinks["journal"]
		return s.Sinks["all"].Written == auth && j.Enqueued == auth && j.Buffered != nil && *j.Buffered > 0
	})
	if j := s.Sinks["journal"]; j.Dropped != 0 || *j.Buffered == 0 {
		t.Fatalf("journal sink while down: %+v", j)
	}
	ns.Restart()
	p.waitStats("all auth messages in journald", func(s statsDoc) bool {
		j := s.Sinks["journal"]
		return j.Written == auth && *j.Buffered == 0 && j.State == "up"
	})
	entries := ns.Entries(auth, "SYSLOGD_TEST=buffered")
	if len(entries) != auth {
		t.Fatalf("%d entries in journald, want %d", len(entries), auth)
	}
	for i, e := range entries {
		// logger puts its own header before the line's text.
		if want := fmt.Sprintf("app: auth %03d", i); !strings.HasSuffix(fmt.Sprint(e["MESSAGE"]), want) {
			t.Fatalf("entry %d is %q, want %q (order lost)", i, e["MESSAGE"], want)
		}
	}
	p.stop()
}

// TestDiskFull: a file sink on a small tmpfs runs out of space mid-stream.
// No torn line and no repeated line is left in its file, the other sink
// gets every message, and /stats accounts for each one: written or dropped
// as sink_error. With space back, new lines are written again.
func TestDiskFull(t *testing.T) {
	small := t.TempDir()
	if err := syscall.Mount("tmpfs", small, "tmpfs", 0, "size=32k"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("mount tmpfs: %v", err)
		}
		t.Skipf("mount tmpfs: %v (needs root)", err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(small, 0) })
	p := start(t, `
listeners: [{name: tcp, protocol: tcp, address: "127.0.0.1:0"}]
sinks:
  - {name: small, type: file, path: "`+small+`/app.log", format: raw}
  - {name: big, type: file, path: "{{DIR}}/app.log", format: raw}
routes: [{name: all, sinks: [small, big]}]
stats: {address: "127.0.0.1:0"}
`)
	const n = 1000 // ~75 bytes a line: more than 32 KiB
	frames := framesFile(t, n, func(i int) string {
		return fmt.Sprintf("<13>Dec  1 10:00:00 host app: seq %04d %s", i, strings.Repeat("x", 20))
	})
	logger(t, p.addrs["tcp"], "-T", "--prio-prefix", "--skip-empty", "-f", frames)
	s := p.waitStats("every message settled", func(s statsDoc) bool {
		sm := s.Sinks["small"]
		return s.Sinks["big"].Written == n && sm.Written+sm.Dropped == n && sm.Queued == 0
	})
	sm := s.Sinks["small"]
	if sm.Dropped == 0 || sm.DroppedBy["sink_error"] != sm.Dropped || sm.Enqueued != n {
		t.Errorf("small sink: %+v, want some dropped as sink_error, all enqueued", sm)
	}
	got := readFile(t, filepath.Join(small, "app.log"))
	lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	if !strings.HasSuffix(got, "\n") || uint64(len(lines)) != sm.Written {
		t.Fatalf("file has %d lines (ends in newline: %v), stats say %d written", len(lines), strings.HasSuffix(got, "\n"), sm.Written)
	}
	seen := map[string]bool{}
	for _, l := range lines {
		if !strings.HasSuffix(l, strings.Repeat("x", 20)) || seen[l] {
			t.Fatalf("torn or repeated line %q", l)
		}
		seen[l] = true
	}
	// Space again: a new line is written whole after the old ones.
	if err := syscall.Mount("tmpfs", small, "tmpfs", syscall.MS_REMOUNT, "size=1m"); err != nil {
		t.Fatal(err)
	}
	logger(t, p.addrs["tcp"], "-T", "--rfc3164", "-t", "app", "after")
	p.waitStats("the line after", func(s statsDoc) bool { return s.Sinks["small"].Written == sm.Written+1 })
	if now := readFile(t, filepath.Join(small, "app.log")); !strings.HasPrefix(now, got) || !strings.HasSuffix(now, "app: after\n") ||
		strings.Count(now[len(got):], "\n") != 1 {
		t.Errorf("after space returned, the file grew by %q, want one whole line", now[min(len(got), len(now)):])
	}
}

// TestBufferReplaySurvivesKills: a buffered file sink whose directory
// cannot be created (a regular file is in the way) keeps everything in its
// disk buffer; the daemon is killed with SIGKILL, the path fixed, and the
// daemon killed again, three times, while it replays. At the end every
// message the buffer had accepted is in the file; duplicates (a batch
// written but not yet committed when the kill came) are allowed and
// reported.
func TestBufferReplaySurvivesKills(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "out")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "syslogd.yaml")
	if err := os.WriteFile(cfg, []byte(`
listeners: [{name: tcp, protocol: tcp, address: "127.0.0.1:0"}]
sinks:
  - {name: f, type: file, path: "`+blocker+`/app.log", format: raw, queue_size: 10, batch_size: 4,
     buffer: {dir: "`+dir+`/buffer"}}
routes: [{name: all, sinks: [f]}]
stats: {address: "127.0.0.1:0"}
log: {level: debug, format: json}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	p := startFile(t, dir, cfg)
	const n = 3000
	frames := framesFile(t, n, func(i int) string { return fmt.Sprintf("<13>Dec  1 10:00:00 host app: seq %04d", i) })
	logger(t, p.addrs["tcp"], "-T", "--prio-prefix", "--skip-empty", "-f", frames)
	s := p.waitStats("messages buffered", func(s statsDoc) bool {
		f := s.Sinks["f"]
		return f.Buffered != nil && *f.Buffered >= n-10
	})
	accepted := int(*s.Sinks["f"].Buffered)
	kill := func(p *proc) {
		if err := p.cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		<-p.exited
	}
	kill(p)
	if err := os.Remove(blocker); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(blocker, "app.log")
	for round := range 3 {
		before := len(readFile(t, out))
		p := startFile(t, dir, cfg)
		// Kill as soon as the file has grown in this round: mid-replay,
		// unless the replay was quicker than the first look.
		s := p.waitStats("replay under way", func(s statsDoc) bool {
			return len(readFile(t, out)) > before || *s.Sinks["f"].Buffered == 0
		})
		kill(p)
		t.Logf("round %d: killed with %d bytes in the file, %d still buffered", round, len(readFile(t, out)), *s.Sinks["f"].Buffered)
	}
	p = startFile(t, dir, cfg)
	p.waitStats("the buffer written", func(s statsDoc) bool {
		f := s.Sinks["f"]
		return f.Buffered != nil && *f.Buffered == 0
	})
	p.stop()
	seen := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(readFile(t, out)), "\n") {
		i := strings.Index(line, "seq ")
		if i < 0 {
			t.Fatalf("torn line %q", line)
		}
		seen[line[i:]]++
	}
	dups := 0
	for _, k := range seen {
		dups += k - 1
	}
	if len(seen) < accepted {
		t.Errorf("%d distinct messages in the file, the buffer had accepted %d", len(seen), accepted)
	}
	t.Logf("%d distinct messages, %d duplicates, %d accepted before the first kill", len(seen), dups, accepted)
}

// TestShutdownIsBounded: a file sink whose file is a FIFO nobody reads
// blocks in open(2), which no deadline interrupts, and a NATS sink waits
// for acknowledgements a stalled server never sends. SIGTERM still ends
// the process within shutdown_timeout and a second, exit 1, saying how
// many messages were not written.
func TestShutdownIsBounded(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "stuck")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	// NATS answers nothing either: a proxy holds back what it sends once
	// the sink is connected, so publishes wait for acknowledgements.
	e := runNATS(t)
	px := newStallProxy(t, e.srv.Addr().String())
	p := start(t, `
listeners: [{name: tcp, protocol: tcp, address: "127.0.0.1:0"}]
sinks:
  - {name: f, type: file, path: "`+fifo+`", format: raw}
  - {name: bus, type: nats, url: "`+px.url()+`", subject: syslog.x, spool_dir: "{{DIR}}/spool"}
routes: [{name: all, sinks: [f, bus]}]
stats: {address: "127.0.0.1:0"}
shutdown_timeout: 1s
`)
	p.waitBus("NATS connected", func(b sinkStats) bool { return b.Connected })
	px.stall(true)
	logger(t, p.addrs["tcp"], "-T", "--rfc3164", "-t", "app", "one")
	logger(t, p.addrs["tcp"], "-T", "--rfc3164", "-t", "app", "two")
	p.waitStats("both routed", func(s statsDoc) bool { return s.Sinks["f"].Enqueued == 2 && s.Sinks["bus"].Enqueued == 2 })
	sent := time.Now()
	p.signal(syscall.SIGTERM)
	select {
	case err := <-p.exited:
		if took := time.Since(sent); took > 3*time.Second {
			t.Errorf("exit took %v, want at most shutdown_timeout + 1s (and some slack)", took)
		}
		if exitCode(err) != 1 {
			t.Errorf("exit: %v, want status 1", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("syslogd did not exit after SIGTERM")
	}
	// The file sink's two are not written; the NATS sink's two went to its
	// disk buffer when the deadline cut its wait for acknowledgements.
	line := p.waitLog("shutdown did not finish within shutdown_timeout; exiting with messages not written")
	if n, _ := line["not_written"].(float64); n != 2 {
		t.Errorf("not_written = %v, want 2", line["not_written"])
	}
}
