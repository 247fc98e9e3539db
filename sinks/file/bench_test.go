package file

import (
	"context"
	"testing"

	"syslogd/message"
	"syslogd/sinks/format"
)

// BenchmarkWrite writes batches of 256 messages spread over 4 files with
// the real router template; ns/msg and allocs/op (per batch) are the
// numbers that matter.
func BenchmarkWrite(b *testing.B) {
	for _, f := range []format.Format{format.RFC3164, format.JSON} {
		b.Run(f.String(), func(b *testing.B) {
			dir := b.TempDir()
			s := newSink(b, testConfig{Path: pathTemplate(b, dir+"/{hostname}/{app_name}.log"), Format: f}, nil)
			batch := make([]*message.Message, 256)
			hosts := []string{"web-1", "web-2", "db-1", "db-2"}
			for i := range batch {
				batch[i] = msg(hosts[i%len(hosts)], "nginx", "GET /index.html HTTP/1.1 200 612 \"-\" \"curl/8.5.0\"")
			}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if err := s.Write(ctx, batch); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(batch)), "ns/msg")
		})
	}
}
