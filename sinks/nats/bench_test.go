package nats

import (
	"context"
	"testing"
	"time"

	natsgo "github.com/nats-io/nats.go"

	"syslogd/message"
	"syslogd/sinks/format"
)

// BenchmarkWrite publishes batches of 512 through the sink to an
// in-process nats-server; each Write returns once its batch is confirmed
// (core: by the flush; jetstream: acknowledged by a file-backed stream).
// One op is one message. allocs/op counts the whole process, the embedded server
// included; BenchmarkBuild shows the sink's own share.
func BenchmarkWrite(b *testing.B) {
	for _, mode := range []Mode{Core, JetStream} {
		name := map[Mode]string{Core: "core", JetStream: "jetstream"}[mode]
		b.Run(name, func(b *testing.B) {
			ns := startServer(b)
			_, js := ns.client(b)
			createStream(b, js, "SYSLOG")
			cfg := testConfig(b, ns, mode, format.JSON)
			s := newTestSink(b, cfg)
			ctx := context.Background()
			if err := s.Connect(ctx); err != nil {
				b.Fatal(err)
			}
			defer s.Close(ctx)
			waitFor(b, "connection", 5*time.Second, s.nc.IsConnected)
			batch := make([]*message.Message, 512)
			for i := range batch {
				batch[i] = msg(i, "web01")
			}
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			for sent := 0; sent < b.N; sent += len(batch) {
				if err := s.Write(ctx, batch[:min(len(batch), b.N-sent)]); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
		})
	}
}

// BenchmarkBuild is the sink's own work per message in JetStream mode:
// subject, payload (JSON), headers and message ID, without the network.
func BenchmarkBuild(b *testing.B) {
	s := &Sink{b: newBuilder(subjectTemplate(b, "syslog.{facility}.{hostname}"), format.JSON, true, "bus")}
	batch := make([]*message.Message, 512)
	for i := range batch {
		batch[i] = msg(i, "web01")
	}
	b.ReportAllocs()
	var out []*natsgo.Msg
	for sent := 0; sent < b.N; sent += len(batch) {
		out = s.buildJetStream(batch[:min(len(batch), b.N-sent)])
	}
	_ = out
}
