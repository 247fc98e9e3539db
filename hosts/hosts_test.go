package hosts

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

func newTracker(t *testing.T, o Options) (*Tracker, *bytes.Buffer) {
	t.Helper()
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&syncWriter{w: &buf}, nil))
	tr := New(o, log)
	t.Cleanup(tr.Stop)
	return tr, &buf
}

type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func names(hs []Host) []string {
	var out []string
	for _, h := range hs {
		out = append(out, h.Host)
	}
	return out
}

func TestSeenCountsAndLists(t *testing.T) {
	tr, _ := newTracker(t, Options{MaxTracked: 10})
	s := tr.Seer()
	src := netip.MustParseAddr("192.0.2.7")
	for i := range 3 {
		s.Seen("web1", src, "udp", t0.Add(time.Duration(i)*time.Second))
	}
	s.Seen("", src, "tcp", t0.Add(5*time.Second))
	tr.Seer().Seen("db1", netip.Addr{}, "tcp", t0.Add(6*time.Second))
	s.Seen("", netip.Addr{}, "unix", t0) // no name, no address: not tracked

	hs := tr.List(false)
	if got, want := strings.Join(names(hs), ","), "192.0.2.7,db1,web1"; got != want {
		t.Fatalf("hosts = %s, want %s", got, want)
	}
	web := hs[2]
	if web.Messages != 3 || web.By != "hostname" || web.Listener != "udp" ||
		!web.FirstSeen.Equal(t0) || !web.LastSeen.Equal(t0.Add(2*time.Second)) {
		t.Errorf("web1 = %+v", web)
	}
	if hs[0].By != "source" || hs[0].Listener != "tcp" || hs[0].Messages != 1 {
		t.Errorf("by source = %+v", hs[0])
	}
	if c := tr.Counts(); c != (Counts{Tracked: 3}) {
		t.Errorf("counts = %+v", c)
	}
}

// The fast path (a Seer seeing the same host again) does not reorder the
// list; eviction must still remove the host least recently seen.
func TestEvictsLeastRecentlySeen(t *testing.T) {
	tr, _ := newTracker(t, Options{MaxTracked: 3})
	a, b := tr.Seer(), tr.Seer()
	a.Seen("h1", netip.Addr{}, "udp", t0)
	b.Seen("h2", netip.Addr{}, "udp", t0.Add(1))
	b.Seen("h3", netip.Addr{}, "udp", t0.Add(2))
	a2 := tr.Seer()
	a2.Seen("h1", netip.Addr{}, "udp", t0.Add(3)) // locked path: h1 to the front
	a2.Seen("h1", netip.Addr{}, "udp", t0.Add(4)) // fast path
	b.Seen("h3", netip.Addr{}, "udp", t0.Add(5))  // fast path: h3 newer than h2
	b.Seen("h4", netip.Addr{}, "udp", t0.Add(6))
	if got, want := strings.Join(names(tr.List(false)), ","), "h1,h3,h4"; got != want {
		t.Fatalf("after one eviction: %s, want %s", got, want)
	}
	b.Seen("h5", netip.Addr{}, "udp", t0.Add(7))
	if got, want := strings.Join(names(tr.List(false)), ","), "h3,h4,h5"; got != want {
		t.Fatalf("after two evictions: %s, want %s", got, want)
	}
	if c := tr.Counts(); c.Evicted != 2 || c.Tracked != 3 {
		t.Errorf("counts = %+v", c)
	}
	// A Seer holding an evicted entry does not count into it.
	a2.Seen("h1", netip.Addr{}, "udp", t0.Add(8))
	for _, h := range tr.List(false) {
		if h.Host == "h1" && h.Messages != 1 {
			t.Errorf("h1 came back with %d messages, want a new entry with 1", h.Messages)
		}
	}
}

func TestFloodStaysBounded(t *testing.T) {
	tr, _ := newTracker(t, Options{MaxTracked: 100})
	s := tr.Seer()
	long := strings.Repeat("x", 4000)
	for i := range 10000 {
		s.Seen(fmt.Sprintf("%d-%s", i, long), netip.Addr{}, "udp", t0.Add(time.Duration(i)))
	}
	c := tr.Counts()
	if c.Tracked != 100 || c.Evicted != 9900 {
		t.Fatalf("counts = %+v", c)
	}
	for _, h := range tr.List(false) {
		if len(h.Host) != MaxKeyBytes {
			t.Fatalf("key of %d bytes, want %d", len(h.Host), MaxKeyBytes)
		}
	}
}

func TestSilentAndBack(t *testing.T) {
	tr, logs := newTracker(t, Options{MaxTracked: 10, SilentAfter: time.Minute})
	s := tr.Seer()
	s.Seen("quiet", netip.Addr{}, "udp", t0)
	s.Seen("chatty", netip.Addr{}, "udp", t0)
	for i := range 5 {
		s.Seen("chatty", netip.Addr{}, "udp", t0.Add(time.Duration(i+1)*20*time.Second))
	}
	tr.scan(t0.Add(59 * time.Second))
	if c := tr.Counts(); c.Silent != 0 {
		t.Fatalf("silent before the threshold: %+v", c)
	}
	tr.scan(t0.Add(61 * time.Second))
	tr.scan(t0.Add(62 * time.Second)) // once: a second scan does not log again
	if got := names(tr.List(true)); len(got) != 1 || got[0] != "quiet" {
		t.Fatalf("silent = %v, want [quiet]", got)
	}
	if c := tr.Counts(); c.Silent != 1 {
		t.Fatalf("counts = %+v", c)
	}
	if n := strings.Count(logs.String(), "host went silent"); n != 1 {
		t.Fatalf("went-silent logged %d times:\n%s", n, logs)
	}
	s.Seen("quiet", netip.Addr{}, "udp", t0.Add(70*time.Second))
	if got := tr.List(true); len(got) != 0 {
		t.Fatalf("still silent after sending: %v", got)
	}
	if n := strings.Count(logs.String(), "host sending again"); n != 1 {
		t.Fatalf("sending-again logged %d times:\n%s", n, logs)
	}
	tr.scan(t0.Add(200 * time.Second))
	if c := tr.Counts(); c.Silent != 2 {
		t.Fatalf("both quiet for long: %+v", c)
	}
}

func TestConfigure(t *testing.T) {
	tr, logs := newTracker(t, Options{MaxTracked: 10, SilentAfter: time.Minute})
	s := tr.Seer()
	for i := range 5 {
		s.Seen(fmt.Sprintf("h%d", i), netip.Addr{}, "udp", time.Now().Add(-time.Duration(5-i)*time.Minute))
	}
	tr.Configure(Options{MaxTracked: 3, SilentAfter: 150 * time.Second})
	if got, want := strings.Join(names(tr.List(false)), ","), "h2,h3,h4"; got != want {
		t.Fatalf("after shrinking: %s, want %s", got, want)
	}
	// h2 is 3 minutes old, h3 2 and h4 1: only h2 is silent at 150s.
	if c := tr.Counts(); c.Silent != 1 || c.Evicted != 2 {
		t.Fatalf("counts = %+v", c)
	}
	if strings.Contains(logs.String(), "went silent") {
		t.Errorf("a reload logged each host:\n%s", logs)
	}
	tr.Configure(Options{MaxTracked: 0})
	if c := tr.Counts(); c != (Counts{Evicted: 2}) {
		t.Fatalf("tracking off: %+v", c)
	}
	s.Seen("h9", netip.Addr{}, "udp", time.Now())
	if c := tr.Counts(); c.Tracked != 0 {
		t.Fatalf("tracked while off: %+v", c)
	}
}

// The scan goroutine reports a silent host by itself.
func TestScanLoop(t *testing.T) {
	tr, _ := newTracker(t, Options{MaxTracked: 10, SilentAfter: 200 * time.Millisecond})
	tr.Seer().Seen("h", netip.Addr{}, "udp", time.Now())
	deadline := time.Now().Add(5 * time.Second)
	for tr.Counts().Silent == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the host never became silent")
		}
		time.Sleep(20 * time.Millisecond) // polling the outcome of a timer-driven scan
	}
}

func TestConcurrentSeers(t *testing.T) {
	tr, _ := newTracker(t, Options{MaxTracked: 50, SilentAfter: time.Millisecond})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			s := tr.Seer()
			for i := range 2000 {
				s.Seen(fmt.Sprintf("h%d", (i/10+g)%80), netip.Addr{}, "udp", time.Now())
			}
		})
	}
	wg.Go(func() {
		for range 50 {
			tr.scan(time.Now())
			_ = tr.List(false)
		}
	})
	wg.Wait()
	var total uint64
	for _, h := range tr.List(false) {
		total += h.Messages
	}
	c := tr.Counts()
	if c.Tracked > 50 || total == 0 {
		t.Fatalf("counts = %+v, messages %d", c, total)
	}
}
