package ratelimit

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

func newLimiter(t *testing.T, o Options) (*Limiter, *bytes.Buffer) {
	t.Helper()
	if errs := o.Check(); len(errs) > 0 {
		t.Fatalf("options: %v", errs)
	}
	var buf bytes.Buffer
	l, err := New(o, "udp", slog.New(slog.NewTextHandler(&buf, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return l, &buf
}

// allowed sends n messages evenly over d from one key and returns how
// many passed.
func allowed(l *Limiter, host string, src Source, start time.Time, n int, d time.Duration) int {
	ok := 0
	for i := range n {
		if l.Allow(host, src, start.Add(d*time.Duration(i)/time.Duration(n))) {
			ok++
		}
	}
	return ok
}

func TestHoldsEachSourceToItsRate(t *testing.T) {
	l, logs := newLimiter(t, Options{MessagesPerSecond: 100, Burst: 20, By: "source", MaxKeys: 10})
	flood, calm := Source{Addr: netip.MustParseAddr("192.0.2.1")}, Source{Addr: netip.MustParseAddr("192.0.2.2")}
	// 10 seconds: the flood at 10× the rate, the calm source at half.
	got := allowed(l, "", flood, t0, 10000, 10*time.Second)
	if lo, hi := 1000, 1000+20; got < lo || got > hi {
		t.Errorf("flood passed %d, want %d..%d (rate × time + burst)", got, lo, hi)
	}
	if got := allowed(l, "", calm, t0, 500, 10*time.Second); got != 500 {
		t.Errorf("calm source passed %d of 500", got)
	}
	// The first drop is logged, then at most one line a minute: 10 s of
	// flooding is one line.
	if n := strings.Count(logs.String(), "rate limit exceeded"); n != 1 {
		t.Errorf("%d log lines, want 1:\n%s", n, logs)
	}
	allowed(l, "", flood, t0.Add(61*time.Second), 1000, time.Second)
	if n := strings.Count(logs.String(), "rate limit exceeded"); n != 2 {
		t.Errorf("%d log lines after a minute, want 2:\n%s", n, logs)
	}
	if !strings.Contains(logs.String(), "key=192.0.2.1") {
		t.Errorf("log does not name the key:\n%s", logs)
	}
}

func TestBurstDefaultsToOneSecond(t *testing.T) {
	l, _ := newLimiter(t, Options{MessagesPerSecond: 50, By: "source", MaxKeys: 10})
	if got := allowed(l, "", Source{Addr: netip.MustParseAddr("::1")}, t0, 1000, 0); got != 50 {
		t.Errorf("an instant burst passed %d, want 50", got)
	}
}

func TestByHostname(t *testing.T) {
	l, _ := newLimiter(t, Options{MessagesPerSecond: 10, Burst: 10, By: "hostname", MaxKeys: 10})
	src := Source{Addr: netip.MustParseAddr("192.0.2.1")} // one relay, many hosts behind it
	a := allowed(l, "web1", src, t0, 100, 0)
	b := allowed(l, "web2", src, t0, 100, 0)
	c := allowed(l, "", src, t0, 100, 0) // no hostname: keyed by address
	if a != 10 || b != 10 || c != 10 {
		t.Errorf("passed web1 %d, web2 %d, nameless %d; want 10 each", a, b, c)
	}
}

func TestKeyTableIsBounded(t *testing.T) {
	l, _ := newLimiter(t, Options{MessagesPerSecond: 1, Burst: 1, By: "hostname", MaxKeys: 100})
	for i := range 5000 {
		l.Allow(fmt.Sprintf("spoofed-%d", i), Source{}, t0)
	}
	held, evicted := l.Keys()
	if held != 100 || evicted != 4900 {
		t.Errorf("held %d, evicted %d; want 100, 4900", held, evicted)
	}
}

// On a local socket senders have no address: each process is a key, and
// without credentials all of them share one.
func TestLocalSendersByProcess(t *testing.T) {
	l, logs := newLimiter(t, Options{MessagesPerSecond: 5, By: "source", MaxKeys: 10})
	a := allowed(l, "", Source{PID: 100}, t0, 50, 0)
	b := allowed(l, "", Source{PID: 200}, t0, 50, 0)
	c := allowed(l, "", Source{}, t0, 50, 0)
	if a != 5 || b != 5 || c != 5 {
		t.Errorf("passed pid 100 %d, pid 200 %d, unknown %d; want 5 each", a, b, c)
	}
	if !strings.Contains(logs.String(), `key="pid 100"`) || !strings.Contains(logs.String(), "key=local") {
		t.Errorf("log lines do not name the processes:\n%s", logs)
	}
}

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		o    Options
		want string
	}{
		{Options{MessagesPerSecond: 0, By: "source", MaxKeys: 1}, "messages_per_second: must be at least 1"},
		{Options{MessagesPerSecond: 1, Burst: -1, By: "source", MaxKeys: 1}, "burst: must be 0"},
		{Options{MessagesPerSecond: 1, By: "ip", MaxKeys: 1}, `by: unknown key "ip"`},
		{Options{MessagesPerSecond: 1, By: "source"}, "max_keys: must be at least 1"},
	} {
		errs := tc.o.Check()
		if len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.o, errs, tc.want)
		}
	}
	var o Options
	o.SetDefaults()
	o.MessagesPerSecond = 1
	if errs := o.Check(); len(errs) != 0 {
		t.Errorf("defaults: %v", errs)
	}
}
