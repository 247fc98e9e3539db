package daemon

import (
	"context"
	"io"
	"log/slog"
	"net/netip"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"syslogd/hosts"
	"syslogd/listener"
	"syslogd/message"
	"syslogd/parser"
	"syslogd/router"
	"syslogd/sinks"
	"syslogd/sinks/file"
)

// BenchmarkPipeline measures one frame through everything but the socket:
// parse, route, enqueue, and the file sink's formatting and batched
// write(2) on its runner goroutine. CPU per message is what the end-to-end
// comparison with rsyslog is about, so it reports ns/op of the whole
// process (both goroutines), not just the handler.
func BenchmarkPipeline(b *testing.B) {
	frames := map[string]string{
		"rfc5424": "<38>1 2026-11-21T06:13:25.123456+00:00 localhost prg00000 1234 - - \xef\xbb\xbfseq: 0000000001, thread: 0000, runid: 1763705605, stamp: 2026-11-21T06:13:25 PADDPADDPADDPADDPADDPADDPADDPADDPADDPADDPADDPADDPADDPADDPADDPADDPADD",
		"rfc3164": "<38>Nov 21 06:13:25 localhost prg00000[1234]: seq: 0000000001, thread: 0000, runid: 1763705605, stamp: 2026-11-21T06:13:25 PADDPADDPADDPADDPADDPADDPADDPADDPADDPADDPADDPADDPADD",
	}
	for name, frame := range frames {
		b.Run(name, func(b *testing.B) {
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			fo := file.DefaultOptions()
			fo.Path = filepath.Join(b.TempDir(), "{hostname}/{app_name}.log")
			fs, err := file.New(fo, log)
			if err != nil {
				b.Fatal(err)
			}
			var sc sinks.Counters
			run := sinks.NewRunner(sinks.RunnerConfig{Name: "files"}, fs, &sc, log)
			r, err := router.New([]router.Route{{Name: "all", Sinks: []string{"files"}}}, []string{"files"})
			if err != nil {
				b.Fatal(err)
			}
			var tp atomic.Pointer[table]
			tp.Store(&table{router: r, sinks: []*sinks.Runner{run}, routes: []*atomic.Uint64{new(atomic.Uint64)}})
			p, _ := parser.New(parser.Options{Location: time.UTC})
			ht := hosts.New(hosts.Options{MaxTracked: hosts.DefaultMaxTracked}, log)
			defer ht.Stop()
			h := &handler{table: &tp, totals: &totals{}, c: &listenerCounters{}, parser: p, name: "tcp", ids: message.NewIDs(), seer: ht.Seer()}
			f := &listener.Frame{Data: []byte(frame), Source: netip.MustParseAddrPort("127.0.0.1:40000")}
			b.ReportAllocs()
			b.SetBytes(int64(len(frame)))
			cpu0 := processCPU(b)
			for b.Loop() {
				f.Received = time.Now()
				h.HandleFrame(f)
			}
			if err := run.Stop(context.Background()); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(processCPU(b)-cpu0)/float64(b.N), "cpu-ns/op")
			if sc.Written.Load() != uint64(b.N) {
				b.Fatalf("written %d of %d", sc.Written.Load(), b.N)
			}
		})
	}
}

// processCPU is user+system CPU time of this process in nanoseconds.
func processCPU(b *testing.B) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
