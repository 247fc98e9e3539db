package e2e

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"syslogd/stats"
)

// The fault suite's sender and checker, rsyslog-testbench style: every
// message carries a sequence number and a fixed body, so the checker can
// tell a missing message, a duplicate and a torn line apart.

// fullFaults reports whether the full fault suite runs (make faults sets
// SYSLOGD_FAULTS=full); otherwise each case runs its quick variant.
func fullFaults() bool { return os.Getenv("SYSLOGD_FAULTS") == "full" }

// faultSize picks the quick or the full variant's size.
func faultSize(quick, full int) int {
	if fullFaults() {
		return full
	}
	return quick
}

// seqPad makes a line long enough that a torn one is likely to be seen.
var seqPad = strings.Repeat("x", 40)

// seqLine is message i of stream tag: a raw RFC 3164 frame whose app name
// is tag, so a file sink with path {app_name}.log keeps each stream apart.
func seqLine(tag string, i int) string {
	return fmt.Sprintf("<13>Dec  1 10:00:00 host %s: seq %08d %s", tag, i, seqPad)
}

// seqStream sends seqLine(tag, 0), seqLine(tag, 1), … over TCP as RFC 6587
// octet-counted frames, at rate messages a second (0: as fast as it can).
// A write error or a close by the daemon is recorded, the connection is
// dialled again and the failed write is sent again, as a sender that
// retries would: the checker then sees what the fault cost.
type seqStream struct {
	tag  string
	addr string
	rate int
	n    int // stop after n messages; 0: until stop

	sent atomic.Int64 // messages written into a connection without error
	quit chan struct{}
	done chan struct{}

	mu      sync.Mutex
	marks   []seqMark   // when each write began
	faults  []string    // write errors and closes seen by the sender
	waiters []seqWaiter // reached channels not yet closed
}

type seqMark struct {
	first int
	at    time.Time
}

type seqWaiter struct {
	n  int
	ch chan struct{}
}

// sendSeq starts a stream of n messages (0: until stop) to addr.
func sendSeq(t *testing.T, addr, tag string, rate, n int) *seqStream {
	t.Helper()
	s := &seqStream{tag: tag, addr: addr, rate: rate, n: n, quit: make(chan struct{}), done: make(chan struct{})}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	go s.run(s.watch(c.(*net.TCPConn)))
	t.Cleanup(func() { s.stop() })
	return s
}

// seqConn is one connection of a stream; closed is closed when the daemon
// closed it (or reset it).
type seqConn struct {
	*net.TCPConn
	closed chan struct{}
	err    error // the read that saw the close; valid once closed is
}

func (s *seqStream) watch(c *net.TCPConn) *seqConn {
	sc := &seqConn{TCPConn: c, closed: make(chan struct{})}
	go func() {
		_, err := c.Read(make([]byte, 1)) // the daemon never sends: this returns at its close
		sc.err = err
		close(sc.closed)
	}()
	return sc
}

func (s *seqStream) fault(format string, args ...any) {
	s.mu.Lock()
	s.faults = append(s.faults, time.Now().Format("15:04:05.000 ")+fmt.Sprintf(format, args...))
	s.mu.Unlock()
}

func (s *seqStream) run(c *seqConn) {
	defer close(s.done)
	var ticker *time.Ticker
	if s.rate > 0 {
		// The pace of the load, not synchronisation: each tick sends what
		// the rate allows since the start.
		ticker = time.NewTicker(5 * time.Millisecond)
		defer ticker.Stop()
	}
	begin := time.Now()
	var buf []byte
	for seq := 0; s.n == 0 || seq < s.n; {
		hi := seq + 256
		if ticker != nil {
			select {
			case <-s.quit:
				s.finish(c)
				return
			case now := <-ticker.C:
				hi = int(float64(s.rate) * now.Sub(begin).Seconds())
			}
		} else {
			select {
			case <-s.quit:
				s.finish(c)
				return
			default:
			}
		}
		hi = min(hi, seq+4096) // a stream that fell behind catches up in bounded writes
		if s.n > 0 {
			hi = min(hi, s.n)
		}
		if hi <= seq {
			continue
		}
		buf = buf[:0]
		for i := seq; i < hi; i++ {
			line := seqLine(s.tag, i)
			buf = append(strconv.AppendInt(buf, int64(len(line)), 10), ' ')
			buf = append(buf, line...)
		}
		s.mu.Lock()
		s.marks = append(s.marks, seqMark{seq, time.Now()})
		s.mu.Unlock()
		select {
		case <-c.closed:
			s.fault("connection closed by the daemon before seq %d: %v", seq, c.err)
			if c = s.redial(c); c == nil {
				return
			}
			continue
		default:
		}
		if _, err := c.Write(buf); err != nil {
			s.fault("write of seq %d..%d: %v", seq, hi-1, err)
			if c = s.redial(c); c == nil {
				return
			}
			continue // the same messages again
		}
		seq = hi
		s.advance(seq)
	}
	s.finish(c)
}

// advance records that n messages are sent and wakes reached waiters.
func (s *seqStream) advance(n int) {
	s.sent.Store(int64(n))
	s.mu.Lock()
	defer s.mu.Unlock()
	kept := s.waiters[:0]
	for _, w := range s.waiters {
		if n >= w.n {
			close(w.ch)
		} else {
			kept = append(kept, w)
		}
	}
	s.waiters = kept
}

// redial replaces a broken connection, trying for up to 10 s (a listener
// being rebound refuses connections for a moment); nil when it gave up.
func (s *seqStream) redial(old *seqConn) *seqConn {
	old.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", s.addr)
		if err == nil {
			return s.watch(c.(*net.TCPConn))
		}
		if time.Now().After(deadline) {
			s.fault("redial gave up: %v", err)
			return nil
		}
		time.Sleep(10 * time.Millisecond) // a redial's pace
	}
}

// finish half-closes the connection and waits for the daemon to close its
// side: then it has read every frame.
func (s *seqStream) finish(c *seqConn) {
	defer c.Close()
	if err := c.CloseWrite(); err != nil {
		s.fault("close write: %v", err)
		return
	}
	select {
	case <-c.closed:
		if c.err != io.EOF {
			s.fault("the daemon ended the stream with %v, not EOF", c.err)
		}
	case <-time.After(20 * time.Second):
		s.fault("the daemon did not close the connection 20 s after the last frame")
	}
}

// reached returns a channel closed once n messages are sent (or the stream
// ended).
func (s *seqStream) reached(n int) <-chan struct{} {
	ch := make(chan struct{})
	s.mu.Lock()
	defer s.mu.Unlock()
	if int(s.sent.Load()) >= n {
		close(ch)
	} else {
		s.waiters = append(s.waiters, seqWaiter{n, ch})
	}
	return ch
}

// await blocks until n messages are sent.
func (s *seqStream) await(t *testing.T, n int) {
	t.Helper()
	select {
	case <-s.reached(n):
	case <-s.done:
		if int(s.sent.Load()) < n {
			t.Fatalf("stream %s ended after %d messages, before %d; faults: %v", s.tag, s.sent.Load(), n, s.faultList())
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("stream %s: %d messages sent, not %d, after 60 s", s.tag, s.sent.Load(), n)
	}
}

// wait waits for the stream's end and returns the number of messages sent.
func (s *seqStream) wait() int {
	<-s.done
	return int(s.sent.Load())
}

// stop ends an open-ended stream and returns the number of messages sent.
// Idempotent.
func (s *seqStream) stop() int {
	s.mu.Lock()
	select {
	case <-s.quit:
	default:
		close(s.quit)
	}
	s.mu.Unlock()
	return s.wait()
}

// sentAt returns when the write that carried message seq began.
func (s *seqStream) sentAt(seq int) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := sort.Search(len(s.marks), func(i int) bool { return s.marks[i].first > seq })
	if i == 0 {
		return time.Time{}
	}
	return s.marks[i-1].at
}

func (s *seqStream) faultList() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.faults...)
}

// noFaults fails the test if the sender saw a write error or a close.
func (s *seqStream) noFaults(t *testing.T) {
	t.Helper()
	if f := s.faultList(); len(f) > 0 {
		t.Errorf("the %s sender saw %d faults (resets, closes, write errors), the first:\n%s", s.tag, len(f), strings.Join(f[:min(20, len(f))], "\n"))
	}
}

// seqFile is what one file holds of a stream: its sequence numbers in file
// order and its lines that are not one whole message (torn).
type seqFile struct {
	name string
	seqs []int
	torn []string
}

// parseSeq reads content as lines of stream tag. A last line without its
// newline is torn.
func parseSeq(tag, name, content string) seqFile {
	f := seqFile{name: name}
	prefix := "<13>Dec  1 10:00:00 host " + tag + ": seq "
	for len(content) > 0 {
		line, rest, whole := strings.Cut(content, "\n")
		content = rest
		digits, ok := strings.CutPrefix(line, prefix)
		n, err := strconv.Atoi(digits[:min(8, len(digits))])
		if !whole || !ok || err != nil || line != seqLine(tag, n) {
			f.torn = append(f.torn, line)
			continue
		}
		f.seqs = append(f.seqs, n)
	}
	return f
}

// readSeq parses the file at path (missing: empty).
func readSeq(t *testing.T, tag, path string) seqFile {
	t.Helper()
	return parseSeq(tag, path, readFile(t, path))
}

// seqCount is the checker's verdict over every file a stream went to.
type seqCount struct {
	sent, lines, missing, dups, torn int
	missed                           []int // the missing sequence numbers, ascending
}

func countSeq(sent int, files ...seqFile) seqCount {
	c := seqCount{sent: sent}
	seen := make([]int, sent)
	for _, f := range files {
		c.lines += len(f.seqs)
		c.torn += len(f.torn)
		for _, n := range f.seqs {
			if n >= sent {
				c.dups++ // a message the sender never finished sending cannot arrive
				continue
			}
			if seen[n]++; seen[n] > 1 {
				c.dups++
			}
		}
	}
	for n, k := range seen {
		if k == 0 {
			c.missing++
			c.missed = append(c.missed, n)
		}
	}
	return c
}

func (c seqCount) String() string {
	s := fmt.Sprintf("sent %d, lines %d, missing %d, duplicates %d, torn %d", c.sent, c.lines, c.missing, c.dups, c.torn)
	if c.missing > 0 {
		s += ", missing " + ranges(c.missed)
	}
	return s
}

// whole fails the test unless every message sent arrived once and whole.
func (c seqCount) whole(t *testing.T, files ...seqFile) {
	t.Helper()
	if c.missing == 0 && c.dups == 0 && c.torn == 0 {
		return
	}
	t.Errorf("not every message once and whole: %v", c)
	for _, f := range files {
		if len(f.torn) > 0 {
			t.Errorf("%s: torn lines %q", f.name, f.torn[:min(5, len(f.torn))])
		}
	}
}

// ranges prints ascending numbers as "[3-7 9]", at most 20 ranges.
func ranges(ns []int) string {
	var parts []string
	for i := 0; i < len(ns); {
		j := i
		for j+1 < len(ns) && ns[j+1] == ns[j]+1 {
			j++
		}
		if len(parts) == 20 {
			parts = append(parts, "…")
			break
		}
		if i == j {
			parts = append(parts, strconv.Itoa(ns[i]))
		} else {
			parts = append(parts, fmt.Sprintf("%d-%d", ns[i], ns[j]))
		}
		i = j + 1
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// inOrder fails the test unless the files, read one after the other, hold
// ascending sequence numbers: one sender on one connection into one sink
// is written in the order it was sent, and a rotation only moves where.
func inOrder(t *testing.T, files ...seqFile) {
	t.Helper()
	last, lastFile := -1, ""
	for _, f := range files {
		for _, n := range f.seqs {
			if n <= last {
				t.Errorf("seq %d in %s after seq %d in %s: out of order", n, f.name, last, lastFile)
				return
			}
			last, lastFile = n, f.name
		}
	}
}

// settled waits until /stats stops moving (two polls alike) and checks the
// accounting identities the README promises while idle: totals received =
// routed + unmatched + dropped, and per sink enqueued = written + dropped +
// queued + buffered.
func settled(t *testing.T, p *proc) statsDoc {
	t.Helper()
	var prev statsDoc
	polled := false
	s := p.waitStats("/stats to settle", func(s statsDoc) bool {
		same := polled && reflect.DeepEqual(prev, s)
		prev, polled = s, true
		return same
	})
	if !balanced(s) {
		t.Errorf("totals do not balance: %+v", s.Totals)
	}
	for name, k := range s.Sinks {
		var buffered uint64
		if k.Buffered != nil {
			buffered = uint64(*k.Buffered)
		}
		if k.Enqueued != k.Written+k.Dropped+uint64(k.Queued)+buffered {
			t.Errorf("sink %s: enqueued %d != written %d + dropped %d + queued %d + buffered %d",
				name, k.Enqueued, k.Written, k.Dropped, k.Queued, buffered)
		}
	}
	t.Logf("totals %+v", s.Totals)
	return s
}

// listener reads the listener's counters with the daemon's own /stats
// types, for those statsDoc leaves out (connections, rejected,
// kernel_drops, frame_timeouts).
func (p *proc) listener(name string) stats.ListenerStats {
	p.t.Helper()
	var s stats.Snapshot
	if err := json.Unmarshal([]byte(get(p.t, "http://"+p.stats+"/stats")), &s); err != nil {
		p.t.Fatal(err)
	}
	l, ok := s.Listeners[name]
	if !ok {
		p.t.Fatalf("no listener %q in /stats", name)
	}
	return l
}

// closedByPeer reports whether the daemon closes c within d: a read that
// ends in EOF or a reset, rather than the deadline.
func closedByPeer(c net.Conn, d time.Duration) bool {
	_ = c.SetReadDeadline(time.Now().Add(d))
	_, err := c.Read(make([]byte, 1))
	return err != nil && !errors.Is(err, os.ErrDeadlineExceeded)
}
