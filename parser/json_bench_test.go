package parser

import (
	"testing"

	"syslogd/message"
	sinkformat "syslogd/sinks/format"
)

// BenchmarkDecodeJSON decodes the json lines of benchFrames, so each case
// compares with BenchmarkParse of the same message. The message is
// reused, as a consumer reading a stream would.
func BenchmarkDecodeJSON(b *testing.B) {
	for _, bf := range benchFrames {
		b.Run(bf.name, func(b *testing.B) {
			line := jsonLine(b, newTestParser(b, "").Parse([]byte(bf.frame), goldenSrc, goldenListener, goldenReceived))
			b.ReportAllocs()
			b.SetBytes(int64(len(line)))
			var m message.Message
			for b.Loop() {
				if err := DecodeJSON(line, &m); err != nil {
					b.Fatal(err)
				}
			}
			if m.Text == "" {
				b.Fatalf("%s: empty text", bf.name)
			}
		})
	}
}

// jsonLine is the json line sinks/format writes for m, without its '\n'.
func jsonLine(tb testing.TB, m *message.Message) []byte {
	tb.Helper()
	line := sinkformat.Append(nil, sinkformat.JSON, m)
	if len(line) == 0 || line[len(line)-1] != '\n' {
		tb.Fatalf("json line %q does not end in a newline", line)
	}
	return line[:len(line)-1]
}
