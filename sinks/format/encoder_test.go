package format

import (
	"bytes"
	"testing"
	"time"

	"syslogd/message"
)

// TestEncoderSameAsAppend: the Encoder's remembered timestamp never shows:
// a sequence of messages within one second, across seconds, with and
// without their own timestamp and in other zones gives Append's lines.
func TestEncoderSameAsAppend(t *testing.T) {
	base := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	stamps := []time.Time{
		base, base.Add(300 * time.Millisecond), base.Add(time.Second), base,
		base.In(time.FixedZone("", 3600)), {}, base.Add(24 * time.Hour), base.Add(-time.Second),
	}
	for _, f := range allFormats {
		enc := Encoder{Format: f}
		for i, ts := range stamps {
			m := &message.Message{Format: message.RFC3164, Timestamp: ts, Received: base.Add(time.Duration(i) * time.Minute),
				Hostname: "h", AppName: "a", Text: "t"}
			got, want := enc.Append(nil, m), Append(nil, f, m)
			if !bytes.Equal(got, want) {
				t.Errorf("%s, message %d: Encoder %q, Append %q", f, i, got, want)
			}
		}
	}
}
