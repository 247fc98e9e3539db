package hosts

import (
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"testing"
	"time"
)

// BenchmarkSeen is the per-message cost on the hot path: one sender on a
// connection (the fast path), and senders that alternate (the locked
// path), from one goroutine and from all of them.
func BenchmarkSeen(b *testing.B) {
	names := make([]string, 64)
	for i := range names {
		names[i] = fmt.Sprintf("host-%02d.example.com", i)
	}
	for _, tc := range []struct {
		name  string
		hosts int
	}{{"one-host", 1}, {"alternating-64", 64}} {
		b.Run(tc.name, func(b *testing.B) {
			t := New(Options{MaxTracked: DefaultMaxTracked}, slog.New(slog.NewTextHandler(io.Discard, nil)))
			defer t.Stop()
			s, now, i := t.Seer(), time.Now(), 0
			for b.Loop() {
				s.Seen(names[i%tc.hosts], netip.Addr{}, "tcp", now)
				i++
			}
		})
		b.Run(tc.name+"-parallel", func(b *testing.B) {
			t := New(Options{MaxTracked: DefaultMaxTracked}, slog.New(slog.NewTextHandler(io.Discard, nil)))
			defer t.Stop()
			b.RunParallel(func(pb *testing.PB) {
				s, now, i := t.Seer(), time.Now(), 0
				for pb.Next() {
					s.Seen(names[i%tc.hosts], netip.Addr{}, "tcp", now)
					i++
				}
			})
		})
	}
}
