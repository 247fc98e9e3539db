package config

import (
	"reflect"
	"testing"
	"time"
)

// TestNATSDecoded: url as one string or a list, and the stream block's
// defaults.
func TestNATSDecoded(t *testing.T) {
	c := mustLoad(t, `
listeners: [{name: u, protocol: udp, address: ":0"}]
sinks:
  - {name: one, type: nats, url: nats://a:4222, subject: s.x}
  - name: two
    type: nats
    url: [nats://a:4222, tls://b:4222]
    subject: syslog.{hostname}
    mode: core
    spool_dir: /var/lib/syslogd/spool
    spool_max_bytes: 1048576
    max_pending: 10
  - {name: three, type: nats, url: nats://a, subject: s.x, stream: {name: SYSLOG, max_age: 24h}}
routes: [{name: r, sinks: [one, two, three]}]
`)
	if got := c.Sinks[0].URL; !reflect.DeepEqual(got, StringList{"nats://a:4222"}) {
		t.Errorf("url as a string: %q", got)
	}
	two := c.Sinks[1]
	if !reflect.DeepEqual(two.URL, StringList{"nats://a:4222", "tls://b:4222"}) || two.Mode != "core" ||
		two.SpoolDir != "/var/lib/syslogd/spool" || two.SpoolMaxBytes != 1<<20 || two.MaxPending != 10 {
		t.Errorf("sink two: %+v", two)
	}
	want := &NATSStream{Name: "SYSLOG", Storage: "file", Replicas: 1, MaxAge: 24 * time.Hour}
	if got := c.Sinks[2].Stream; !reflect.DeepEqual(got, want) {
		t.Errorf("stream: got %+v, want %+v", got, want)
	}
	if c.Sinks[0].Stream != nil {
		t.Error("a sink without a stream block got one")
	}
}
