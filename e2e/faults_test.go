package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"syslogd/stats"
)

// The fault suite (README "Fault suite"): each TestFault case starts the
// real binary, sends sequence-numbered messages (seq_test.go) while it
// injects one fault, checks what arrived for missing, duplicated and torn
// lines, and ends with the accounting identities of /stats (settled). The
// quick variants run with every `go test`; `make faults` runs the full ones
// (SYSLOGD_FAULTS=full) together with the older tests that already prove a
// case exactly (TestShutdownIsBounded, TestBufferReplaySurvivesKills,
// TestDiskFull, TestDeadSinkDoesNotStallOthers).

// seqConfig routes everything from one listener (a YAML flow mapping) to
// one raw file per app name: {{DIR}}/TAG.log for stream TAG.
func seqConfig(listener string) string {
	return `
listeners: [` + listener + `]
sinks: [{name: f, type: file, path: "{{DIR}}/{app_name}.log", format: raw}]
routes: [{name: all, sinks: [f]}]
stats: {address: "127.0.0.1:0"}
`
}

const tcpListener = `{name: tcp, protocol: tcp, address: "127.0.0.1:0"}`

// fileStream starts the daemon on seqConfig(tcpListener) and a stream of n
// messages at rate into it; the stream's file is DIR/tag.log.
func fileStream(t *testing.T, tag string, rate, n int) (*proc, *seqStream, string) {
	t.Helper()
	p := start(t, seqConfig(tcpListener))
	return p, sendSeq(t, p.addrs["tcp"], tag, rate, n), filepath.Join(p.dir, tag+".log")
}

// finishStream waits for the stream's end and for the sink to have written
// every message, then checks the identities; it returns the count sent.
func finishStream(t *testing.T, p *proc, s *seqStream) int {
	t.Helper()
	sent := s.wait()
	s.noFaults(t)
	p.waitStats("every message written", func(s statsDoc) bool { return s.Sinks["f"].Written == uint64(sent) })
	if st := settled(t, p); st.Totals.Received != uint64(sent) {
		t.Errorf("received %d, sent %d", st.Totals.Received, sent)
	}
	return sent
}

// atIntervals injects fault(k) for k = 1…rounds, each once the stream has
// sent k/(rounds+1) of its n messages.
func atIntervals(t *testing.T, s *seqStream, n, rounds int, fault func(k int)) {
	t.Helper()
	for k := 1; k <= rounds; k++ {
		s.await(t, k*n/(rounds+1))
		fault(k)
	}
}

// TestFaultRotateUnderLoad: logrotate's create mode under a steady TCP
// stream, again and again: rename the file, SIGUSR1. Every message is in
// one of the files, once and whole, and the files in rotation order hold
// the stream in order.
func TestFaultRotateUnderLoad(t *testing.T) {
	rate, n, rotations := faultSize(2000, 10000), faultSize(4000, 60000), faultSize(3, 20)
	p, s, path := fileStream(t, "rot", rate, n)
	var files []string
	atIntervals(t, s, n, rotations, func(k int) {
		old := path + "." + strconv.Itoa(k)
		if err := os.Rename(path, old); err != nil {
			t.Fatal(err)
		}
		p.signal(sigusr1)
		p.waitLog("files reopened")
		files = append(files, old)
	})
	sent := finishStream(t, p, s)
	var got []seqFile
	for _, f := range append(files, path) {
		got = append(got, readSeq(t, "rot", f))
	}
	c := countSeq(sent, got...)
	t.Logf("%d rotations at %d msg/s: %v", rotations, rate, c)
	c.whole(t, got...)
	inOrder(t, got...)
}

// copyTruncate does what logrotate's copytruncate does: copy the file,
// then cut the original to zero length; it returns the copy's path.
func copyTruncate(t *testing.T, path string, k int) string {
	t.Helper()
	src, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	cp := path + "." + strconv.Itoa(k)
	dst, err := os.Create(cp)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	// What the daemon appends from here to the truncate is lost: the
	// window, widened to the 20 ms a copy of a larger file or a busy
	// machine takes, so that the test sees where the losses fall.
	time.Sleep(20 * time.Millisecond)
	if err := src.Truncate(0); err != nil {
		t.Fatal(err)
	}
	return cp
}

// TestFaultCopytruncateUnderLoad: logrotate's copytruncate under a steady
// stream. The README promises nothing for it; what is checked is what the
// daemon does and its README section states: the file sink appends
// (O_APPEND), so after the truncate it writes at the new end (no hole of
// NUL bytes) and the live file has no torn line; the only messages lost
// are those written between a copy and its truncate, the copy's last line
// half-copied at worst; nothing is doubled and the order holds.
func TestFaultCopytruncateUnderLoad(t *testing.T) {
	rate, n, rounds := faultSize(2000, 10000), faultSize(4000, 60000), faultSize(2, 10)
	p, s, path := fileStream(t, "ct", rate, n)
	var copies []string
	atIntervals(t, s, n, rounds, func(k int) { copies = append(copies, copyTruncate(t, path, k)) })
	sent := finishStream(t, p, s)
	var got []seqFile
	for _, cp := range copies {
		content := readFile(t, cp)
		f := parseSeq("ct", cp, content)
		// A copy that caught a line half-written ends in that half line.
		if len(f.torn) > 1 || len(f.torn) == 1 && (strings.HasSuffix(content, "\n") || !strings.HasSuffix(content, f.torn[0])) {
			t.Errorf("%s: torn lines %q, at most its unterminated last one allowed", cp, f.torn)
		} else if len(f.torn) == 1 {
			t.Logf("%s ends in a half-copied line %q", cp, f.torn[0])
		}
		f.torn = nil
		got = append(got, f)
	}
	live := readFile(t, path)
	if strings.IndexByte(live, 0) >= 0 {
		t.Errorf("%s has NUL bytes: written at the old offset after the truncate", path)
	}
	got = append(got, parseSeq("ct", path, live))
	c := countSeq(sent, got...)
	t.Logf("%d copytruncates at %d msg/s: %v", rounds, rate, c)
	if c.dups != 0 || c.torn != 0 {
		t.Errorf("duplicates or torn lines: %v", c)
	}
	inOrder(t, got...)
	// Every message lost falls between a copy's last line and the next
	// file's first: the copy-to-truncate window, nowhere else.
	type at struct{ seq, file int }
	var all []at
	for i, f := range got {
		for _, n := range f.seqs {
			all = append(all, at{n, i})
		}
	}
	lost := make([]int, len(copies))
	for _, m := range c.missed {
		i := sort.Search(len(all), func(i int) bool { return all[i].seq > m })
		if i == 0 || i == len(all) || all[i-1].file == all[i].file {
			t.Errorf("seq %d lost outside a copy-to-truncate window", m)
			continue
		}
		lost[all[i-1].file]++
	}
	t.Logf("lost per copytruncate (lines the daemon appended between the copy and the truncate): %v", lost)
}

// TestFaultDeletedUnderLoad: the file is deleted while the daemon writes
// it, without SIGUSR1. The test keeps the deleted inode open, so it can
// see what still went there: every message is in the deleted file or the
// recreated one, once and whole, in order; and, as the README says, the
// file is recreated within about a second: the first line of the new file
// was sent at most 2 s after the removal (1 s check plus slack). What
// reached the removed inode after the removal is what a real deletion
// loses; the test reports it.
func TestFaultDeletedUnderLoad(t *testing.T) {
	rate, n, deletions := faultSize(2000, 10000), faultSize(6000, 60000), faultSize(1, 4)
	p, s, path := fileStream(t, "del", rate, n)
	var removed []*os.File
	var removedAt []time.Time
	var sentBefore []int
	atIntervals(t, s, n, deletions, func(k int) {
		f, err := os.Open(path) // the test's view of the inode after the unlink
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		sentBefore = append(sentBefore, int(s.sent.Load()))
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
		removedAt = append(removedAt, time.Now())
		removed = append(removed, f)
		p.waitStats("the file recreated", func(s statsDoc) bool {
			r := s.Sinks["f"].Reopens
			return r != nil && *r == uint64(k)
		})
	})
	sent := finishStream(t, p, s)
	var got []seqFile
	for k, f := range removed {
		b, err := io.ReadAll(f)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, parseSeq("del", fmt.Sprintf("deleted file %d", k+1), string(b)))
	}
	got = append(got, readSeq(t, "del", path))
	c := countSeq(sent, got...)
	t.Logf("%d deletions at %d msg/s: %v", deletions, rate, c)
	c.whole(t, got...)
	inOrder(t, got...)
	for k := range removed {
		late := 0
		for _, n := range got[k].seqs {
			if n >= sentBefore[k] {
				late++
			}
		}
		next := got[k+1].seqs
		if len(next) == 0 {
			t.Errorf("nothing written after deletion %d", k+1)
			continue
		}
		window := s.sentAt(next[0]).Sub(removedAt[k])
		t.Logf("deletion %d: %d lines went to the deleted file after its removal (lost if nobody holds it open); the new file starts with a message sent %v after the removal",
			k+1, late, window.Round(time.Millisecond))
		if window > 2*time.Second {
			t.Errorf("deletion %d: the new file's first message was sent %v after the removal, want about a second at most", k+1, window)
		}
	}
}

// TestFaultReloadUnderStream: SIGHUP after SIGHUP, alternating a valid
// config that changes the TCP listener's settings (idle_timeout,
// max_connections) and a broken one, under a steady stream on one
// connection. The sender sees no reset or close, nothing is lost or
// doubled, /stats counts every broken config as a reload failure and
// every valid one as a reload, and a last reload to max_connections 1
// shows that the new settings apply to the listener the stream is on.
func TestFaultReloadUnderStream(t *testing.T) {
	rate, hups := faultSize(1000, 10000), faultSize(10, 100)
	// A fixed port: a changed listener must keep its address.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	const settings = "idle_timeout: 60s, max_connections: 100"
	p := start(t, seqConfig(`{name: tcp, protocol: tcp, address: "127.0.0.1:`+port+`", `+settings+`}`))
	b, err := os.ReadFile(p.cfg)
	if err != nil {
		t.Fatal(err)
	}
	base := string(b)
	broken := []func(string) string{
		func(c string) string { return strings.Replace(c, settings, settings+", bogus_key: 1", 1) },
		func(c string) string { return strings.Replace(c, "max_connections: 100", "max_connections: 0", 1) },
		func(c string) string { return strings.Replace(c, "sinks: [f]}]", "sinks: [nope]}]", 1) },
		func(c string) string { return c + "\nroutes: [\n" },
	}
	s := sendSeq(t, p.addrs["tcp"], "hup", rate, 0)
	s.await(t, rate/10)
	var valid, bad uint64
	for i := range hups {
		cfg := strings.Replace(base, settings, fmt.Sprintf("idle_timeout: %ds, max_connections: %d", 61+i, 101+i), 1)
		if i%2 == 1 {
			cfg = broken[(i/2)%len(broken)](base)
			bad++
		} else {
			valid++
		}
		if err := os.WriteFile(p.cfg, []byte(cfg), 0o644); err != nil {
			t.Fatal(err)
		}
		p.signal(sighup)
		p.waitStats("the reload", func(s statsDoc) bool { return s.Config.Reloads+s.Config.ReloadFailures == uint64(i+1) })
		// Spread the reloads over the stream: 20 ms of it between two.
		s.await(t, int(s.sent.Load())+rate/50)
	}
	// The settings did change under the open connection: a last valid
	// reload to max_connections 1 refuses a second connection at once.
	if err := os.WriteFile(p.cfg, []byte(strings.Replace(base, settings, "idle_timeout: 60s, max_connections: 1", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	p.signal(sighup)
	valid++
	p.waitStats("the last reload", func(s statsDoc) bool { return s.Config.Reloads == valid })
	probe, err := net.Dial("tcp", p.addrs["tcp"])
	if err != nil {
		t.Fatal(err)
	}
	defer probe.Close()
	if !closedByPeer(probe, 5*time.Second) {
		t.Error("a second connection was admitted after the reload to max_connections 1")
	}
	s.await(t, int(s.sent.Load())+rate/10)
	sent := s.stop()
	st := settled(t, p)
	if l := p.listener("tcp"); l.Rejected != 1 {
		t.Errorf("rejected %d, want 1 (the probe)", l.Rejected)
	}
	got := readSeq(t, "hup", filepath.Join(p.dir, "hup.log"))
	c := countSeq(sent, got)
	t.Logf("%d reloads (%d valid, %d broken) at %d msg/s: %v; sender faults %d; written %d",
		hups+1, valid, bad, rate, c, len(s.faultList()), st.Sinks["f"].Written)
	s.noFaults(t)
	c.whole(t, got)
	if st.Config.ReloadFailures != bad || st.Config.Reloads != valid {
		t.Errorf("reloads %d, reload_failures %d; want %d and %d (last error %q)",
			st.Config.Reloads, st.Config.ReloadFailures, valid, bad, st.Config.LastReloadError)
	}
	if st.Totals.Received != uint64(sent) {
		t.Errorf("received %d, sent %d", st.Totals.Received, sent)
	}
}

// dribbled is what one slowloris connection sent and how it ended.
type dribbled struct {
	sent   string
	took   time.Duration // from the frame's first byte to the daemon's close
	closed bool
}

// dribble sends a frame's header at once and then its text one byte a
// second, without ending the frame, until the daemon closes the connection
// (or limit passes).
func dribble(addr string, i int, limit time.Duration) (dribbled, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return dribbled{}, err
	}
	defer c.Close()
	d := dribbled{sent: fmt.Sprintf("<13>Dec  1 10:00:00 host drib: dribbler %03d ", i)}
	if _, err := io.WriteString(c, d.sent); err != nil {
		return d, err
	}
	begin := time.Now()
	closed := make(chan struct{})
	go func() {
		_, _ = c.Read(make([]byte, 1)) // the daemon never sends: this returns at its close
		close(closed)
	}()
	tick := time.NewTicker(time.Second) // the fault: a byte a second keeps the idle timeout away
	defer tick.Stop()
	giveUp := time.After(limit)
	for {
		select {
		case <-closed:
			d.took, d.closed = time.Since(begin), true
			return d, nil
		case <-tick.C:
			if _, err := io.WriteString(c, "x"); err == nil {
				d.sent += "x"
			}
		case <-giveUp:
			return d, nil
		}
	}
}

// TestFaultSlowlorisWithNormalSender: dribblers each hold a connection
// with a frame that never ends, one byte a second, while a normal sender
// streams. frame_timeout closes every dribbler (counted frame_timeouts),
// not before it and not much after (the sweep runs every frame_timeout/4);
// what each sent is delivered as one line; the normal sender sees no fault
// and all its messages arrive.
func TestFaultSlowlorisWithNormalSender(t *testing.T) {
	frameTimeout := time.Duration(faultSize(1, 2)) * time.Second
	dribblers, rate := faultSize(5, 50), faultSize(1000, 5000)
	p := start(t, seqConfig(fmt.Sprintf(`{name: tcp, protocol: tcp, address: "127.0.0.1:0", frame_timeout: %v}`, frameTimeout)))
	addr := p.addrs["tcp"]
	s := sendSeq(t, addr, "normal", rate, 0)
	got := make([]dribbled, dribblers)
	errs := make([]error, dribblers)
	var wg sync.WaitGroup
	for i := range dribblers {
		wg.Go(func() { got[i], errs[i] = dribble(addr, i, frameTimeout+10*time.Second) })
	}
	wg.Wait()
	sent := s.stop()
	s.noFaults(t)
	upper := frameTimeout + frameTimeout/4 + time.Second
	var slowest time.Duration
	for i, d := range got {
		switch {
		case errs[i] != nil:
			t.Errorf("dribbler %d: %v", i, errs[i])
		case !d.closed:
			t.Errorf("dribbler %d still open after %v (frame_timeout %v)", i, frameTimeout+10*time.Second, frameTimeout)
		case d.took < frameTimeout-50*time.Millisecond || d.took > upper: // 50 ms: the two ends' clocks start apart
			t.Errorf("dribbler %d closed after %v, want between frame_timeout %v and %v", i, d.took, frameTimeout, upper)
		}
		slowest = max(slowest, d.took)
	}
	var l stats.ListenerStats
	p.waitStats("every message written", func(s statsDoc) bool {
		l = p.listener("tcp")
		return s.Sinks["f"].Written == uint64(sent)+uint64(dribblers) && l.FrameTimeouts >= uint64(dribblers)
	})
	st := settled(t, p)
	if l.FrameTimeouts != uint64(dribblers) || st.Totals.Received != uint64(sent+dribblers) {
		t.Errorf("frame_timeouts %d, received %d; want %d and %d", l.FrameTimeouts, st.Totals.Received, dribblers, sent+dribblers)
	}
	// Each dribbler's line is what it sent, or what of it the daemon had
	// read when it closed: the header at least.
	lines := strings.Split(strings.TrimSuffix(readFile(t, filepath.Join(p.dir, "drib.log")), "\n"), "\n")
	seen := map[int]bool{}
	for _, line := range lines {
		var i int
		_, after, _ := strings.Cut(line, ": dribbler ")
		_, err := fmt.Sscanf(after, "%d", &i)
		if err != nil || i >= dribblers || seen[i] || !strings.HasPrefix(got[i].sent, line) {
			t.Errorf("dribbler line %q: not what one dribbler sent, or twice", line)
			continue
		}
		seen[i] = true
	}
	if len(seen) != dribblers {
		t.Errorf("%d dribblers' lines delivered, want %d", len(seen), dribblers)
	}
	normal := readSeq(t, "normal", filepath.Join(p.dir, "normal.log"))
	c := countSeq(sent, normal)
	t.Logf("%d dribblers closed by frame_timeout %v (slowest after %v); normal sender at %d msg/s: %v",
		dribblers, frameTimeout, slowest.Round(time.Millisecond), rate, c)
	c.whole(t, normal)
	inOrder(t, normal)
}

// TestFaultConnectionFlood: every max_connections slot taken by a silent
// connection, then a flood of connections beyond it: the daemon closes
// each at once and counts it rejected, exactly. Once the slots are free,
// a normal sender gets in and delivers every message.
func TestFaultConnectionFlood(t *testing.T) {
	limit, flood, n := faultSize(10, 200), faultSize(40, 2000), faultSize(2000, 20000)
	p := start(t, seqConfig(fmt.Sprintf(`{name: tcp, protocol: tcp, address: "127.0.0.1:0", max_connections: %d}`, limit)))
	addr := p.addrs["tcp"]
	holders := make([]net.Conn, limit)
	for i := range holders {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		holders[i] = c
	}
	p.waitStats("every slot taken", func(statsDoc) bool { return p.listener("tcp").Connections == int64(limit) })
	var refused, other atomic.Int64
	var wg sync.WaitGroup
	slots := make(chan struct{}, 16) // 16 connection attempts at a time
	for range flood {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			c, err := net.Dial("tcp", addr)
			if err != nil {
				other.Add(1)
				return
			}
			defer c.Close()
			if closedByPeer(c, 5*time.Second) {
				refused.Add(1)
			} else {
				other.Add(1)
			}
		})
	}
	wg.Wait()
	var l stats.ListenerStats
	p.waitStats("the flood counted", func(statsDoc) bool { l = p.listener("tcp"); return l.Rejected >= uint64(flood) })
	if refused.Load() != int64(flood) || other.Load() != 0 || l.Rejected != uint64(flood) {
		t.Errorf("flood of %d: %d closed by the daemon, %d not (dial error or admitted), rejected %d",
			flood, refused.Load(), other.Load(), l.Rejected)
	}
	for _, c := range holders {
		c.Close()
	}
	p.waitStats("the slots free", func(statsDoc) bool { return p.listener("tcp").Connections == 0 })
	s := sendSeq(t, addr, "normal", 0, n)
	sent := finishStream(t, p, s)
	if l = p.listener("tcp"); l.Rejected != uint64(flood) {
		t.Errorf("rejected %d after the normal sender, want %d", l.Rejected, flood)
	}
	got := readSeq(t, "normal", filepath.Join(p.dir, "normal.log"))
	c := countSeq(sent, got)
	t.Logf("max_connections %d, %d refused and counted; normal sender: %v", limit, refused.Load(), c)
	c.whole(t, got)
	inOrder(t, got)
}

// slowFIFO is a FIFO for a file sink's path, and its reading end: it opens
// when the daemon opens the FIFO for its first batch, reads nothing until
// release, then reads slowly until the daemon closes it (at its stop).
type slowFIFO struct {
	path    string
	release func()
	read    chan fifoRead
}

type fifoRead struct {
	data []byte
	err  error
}

func newSlowFIFO(t *testing.T) *slowFIFO {
	t.Helper()
	f := &slowFIFO{path: filepath.Join(t.TempDir(), "slow"), read: make(chan fifoRead, 1)}
	if err := syscall.Mkfifo(f.path, 0o600); err != nil {
		t.Fatal(err)
	}
	gate := make(chan struct{})
	f.release = sync.OnceFunc(func() { close(gate) })
	t.Cleanup(f.release)
	go func() {
		r, err := os.Open(f.path) // returns once the daemon opens the FIFO
		if err != nil {
			f.read <- fifoRead{err: err}
			return
		}
		defer r.Close()
		<-gate
		var buf bytes.Buffer
		chunk := make([]byte, 4096)
		for {
			k, err := r.Read(chunk)
			buf.Write(chunk[:k])
			if err != nil {
				if errors.Is(err, io.EOF) {
					err = nil
				}
				f.read <- fifoRead{buf.Bytes(), err}
				return
			}
			time.Sleep(time.Millisecond) // the slow reader: 4 KiB a millisecond at most
		}
	}()
	return f
}

// config is a daemon config with one listener whose messages all go to
// sink "slow", a raw file sink on the FIFO with a small queue and the
// given when_full; its stall_timeout is long, so it is slow, never down.
func (f *slowFIFO) config(listener, whenFull string) string {
	return `
listeners: [` + listener + `]
sinks:
  - {name: slow, type: file, path: "` + f.path + `", format: raw, when_full: ` + whenFull + `,
     queue_size: 100, batch_size: 16, stall_timeout: 1h}
routes: [{name: all, sinks: [slow]}]
stats: {address: "127.0.0.1:0"}
`
}

// drained stops the daemon, which closes the FIFO, and returns what the
// reader read as stream tag.
func (f *slowFIFO) drained(t *testing.T, p *proc, tag string) seqFile {
	t.Helper()
	f.release()
	p.stop()
	select {
	case r := <-f.read:
		if r.err != nil {
			t.Fatal(r.err)
		}
		return parseSeq(tag, f.path, string(r.data))
	case <-time.After(20 * time.Second):
		t.Fatal("the FIFO reader did not finish")
	}
	return seqFile{}
}

// TestFaultBurstDropNewest: a TCP burst into a file sink with when_full:
// drop_newest whose file is a FIFO the test does not read until the burst
// is in (then reads slowly): the pipe and the queue fill, and the rest is
// dropped as queue_full. Exactly: sent = written + queue_full, the messages
// read from the FIFO are the written ones, whole, in order, and the missing
// ones are as many as queue_full counted.
func TestFaultBurstDropNewest(t *testing.T) {
	n := faultSize(5000, 50000)
	fifo := newSlowFIFO(t)
	p := start(t, fifo.config(tcpListener, "drop_newest"))
	s := sendSeq(t, p.addrs["tcp"], "burst", 0, n)
	sent := s.wait()
	s.noFaults(t)
	st := p.waitStats("the burst routed", func(s statsDoc) bool { return s.Sinks["slow"].Enqueued == uint64(sent) })
	if st.Sinks["slow"].DroppedBy["queue_full"] == 0 {
		t.Fatalf("nothing dropped: the sink kept up with the burst, the test proves nothing (%+v)", st.Sinks["slow"])
	}
	fifo.release()
	p.waitStats("every message written or dropped", func(s statsDoc) bool {
		k := s.Sinks["slow"]
		return k.Written+k.Dropped == uint64(sent) && k.Queued == 0
	})
	st = settled(t, p)
	f := fifo.drained(t, p, "burst")
	k := st.Sinks["slow"]
	qf := k.DroppedBy["queue_full"]
	c := countSeq(sent, f)
	t.Logf("burst of %d: written %d, dropped %d (queue_full %d); read from the FIFO: %v", sent, k.Written, k.Dropped, qf, c)
	if k.Dropped != qf || k.Written+qf != uint64(sent) {
		t.Errorf("sent %d != written %d + queue_full %d (dropped %d by reason %v)", sent, k.Written, qf, k.Dropped, k.DroppedBy)
	}
	if c.dups != 0 || c.torn != 0 || uint64(c.lines) != k.Written || uint64(c.missing) != qf {
		t.Errorf("FIFO holds %v; want %d lines, %d missing, none doubled or torn", c, k.Written, qf)
	}
	inOrder(t, f)
}

// softnetDrops sums the per-CPU backlog drops of /proc/net/softnet_stat
// (its second column): packets the kernel dropped before any socket, which
// no listener can count. 0 where the file cannot be read.
func softnetDrops(t *testing.T) uint64 {
	t.Helper()
	b, err := os.ReadFile("/proc/net/softnet_stat")
	if err != nil {
		t.Logf("no softnet_stat: %v", err)
		return 0
	}
	var sum uint64
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if f := strings.Fields(line); len(f) > 1 {
			v, _ := strconv.ParseUint(f[1], 16, 64)
			sum += v
		}
	}
	return sum
}

// TestFaultUDPFlood: datagrams as fast as one sender writes them, into a
// sink on a FIFO not read until the flood is over: the UDP read loop waits
// for the sink (when_full: block), the socket buffer fills, and the kernel
// drops the rest, which the listener counts (kernel_drops: SO_RXQ_OVFL on
// the datagrams read later, SO_MEMINFO every second). Exactly: sent =
// written + kernel_drops + sink drops (+ drops before any socket, from
// /proc/net/softnet_stat, which the daemon cannot see: reported), and the
// messages missing from the FIFO are as many.
func TestFaultUDPFlood(t *testing.T) {
	n := faultSize(20000, 200000)
	fifo := newSlowFIFO(t)
	p := start(t, fifo.config(`{name: udp, protocol: udp, address: "127.0.0.1:0"}`, "block"))
	backlog := softnetDrops(t)
	c, err := net.Dial("udp", p.addrs["udp"])
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	began := time.Now()
	sendErrors := 0
	for i := 0; i < n; {
		if _, err := c.Write([]byte(seqLine("udp", i))); err != nil {
			if sendErrors++; sendErrors > 1000 {
				t.Fatalf("UDP send: %v (%d errors)", err, sendErrors)
			}
			time.Sleep(time.Millisecond) // the sender backs off and sends the same datagram again
			continue
		}
		i++
	}
	took := time.Since(began)
	fifo.release()
	// Wait until the accounting closes, or until nothing has moved for 3 s
	// (the SO_MEMINFO read comes every second).
	var l stats.ListenerStats
	var outside uint64
	var last [3]uint64
	moved := time.Now()
	p.waitStats("every datagram accounted for", func(s statsDoc) bool {
		l, outside = p.listener("udp"), softnetDrops(t)-backlog
		k := s.Sinks["slow"]
		if now := [3]uint64{l.Received, k.Written, l.KernelDrops}; now != last {
			last, moved = now, time.Now()
		}
		return k.Written+k.Dropped+l.KernelDrops+outside == uint64(n) && k.Queued == 0 || time.Since(moved) > 3*time.Second
	})
	st := settled(t, p)
	l = p.listener("udp")
	k := st.Sinks["slow"]
	f := fifo.drained(t, p, "udp")
	count := countSeq(n, f)
	t.Logf("%d datagrams in %v (%d send errors): written %d, sink dropped %d, kernel_drops %d, dropped before the socket %d; FIFO: %v",
		n, took.Round(time.Millisecond), sendErrors, k.Written, k.Dropped, l.KernelDrops, outside, count)
	if l.KernelDrops == 0 {
		t.Errorf("no kernel_drops: the flood did not overflow the socket buffer, or the drops went uncounted")
	}
	if k.Written+k.Dropped+l.KernelDrops+outside != uint64(n) || l.Received+l.KernelDrops+outside != uint64(n) {
		t.Errorf("sent %d != written %d + sink dropped %d + kernel_drops %d + before the socket %d (received %d)",
			n, k.Written, k.Dropped, l.KernelDrops, outside, l.Received)
	}
	if count.dups != 0 || count.torn != 0 || uint64(count.lines) != k.Written || uint64(count.missing) != uint64(n)-k.Written {
		t.Errorf("FIFO: %v; want %d lines, %d missing (the counted drops), none doubled or torn", count, k.Written, uint64(n)-k.Written)
	}
}
