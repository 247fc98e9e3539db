package journald

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"syslogd/message"
	"syslogd/sinks/journald/journaldtest"
)

// benchBatch is the Runner's default batch size.
const benchBatch = 512

// BenchmarkEncode measures the encoding of one typical RFC 5424 message
// with structured data, without I/O.
func BenchmarkEncode(b *testing.B) {
	m := fullMessage("Failed password for invalid user admin from 198.51.100.23 port 52122 ssh2")
	s, _ := New(Options{Fields: []Field{{"SYSLOGD_SITE", "fra1"}}}, nil)
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf = appendEntry(buf[:0], m, s.static, s.nStatic)
	}
	b.SetBytes(int64(len(buf)))
}

// BenchmarkJournald sends messages through the sink, in Runner-sized
// batches, to a real journald namespace; one op is one message. journald
// is the slower side, so this measures journald's intake as seen by the
// sink (the sink blocks while journald's socket queue is full). Afterwards
// every entry is counted in the journal, so a message journald lost would
// fail the benchmark rather than flatter it.
func BenchmarkJournald(b *testing.B) {
	ns := journaldtest.Start(b)
	s, err := New(Options{Namespace: ns.Name()}, nil)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if err := s.Connect(ctx); err != nil {
		b.Fatal(err)
	}
	defer s.Close(ctx)
	batch := make([]*message.Message, benchBatch)
	for i := range batch {
		batch[i] = fullMessage(fmt.Sprintf("Failed password for invalid user admin from 198.51.100.23 port %d ssh2", 50000+i))
	}
	b.ReportAllocs()
	b.ResetTimer()
	start, ours, theirs := time.Now(), cpuSelf(b), ns.CPU()
	for sent := 0; sent < b.N; sent += benchBatch {
		if err := s.Write(ctx, batch[:min(benchBatch, b.N-sent)]); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(n/time.Since(start).Seconds(), "msgs/s")
	b.ReportMetric(float64(cpuSelf(b)-ours)/n, "sender-cpu-ns/msg")
	b.ReportMetric(float64(ns.CPU()-theirs)/n, "journald-cpu-ns/msg")
	if n := ns.Count(b.N); n != b.N {
		b.Fatalf("journal has %d entries, want %d", n, b.N)
	}
}

// cpuSelf is this process's user+system CPU time: the sink's side of the
// benchmark (the process does nothing else while it runs).
func cpuSelf(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
