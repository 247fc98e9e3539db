package nats

import (
	"slices"
	"strings"
	"testing"

	natsgo "github.com/nats-io/nats.go"

	"syslogd/sinks/format"
	"syslogd/sinks/template"
)

// TestDestinationIsWhereWritePublishes holds Destination's subject to the
// one the sink's builder puts on the NATS message.
func TestDestinationIsWhereWritePublishes(t *testing.T) {
	o := DefaultOptions()
	o.URL = []string{"nats://user:secret@nats1:4222", "tls://token@nats2:4222"}
	o.Subject = "syslog.{facility}.{hostname}.{app_name}"
	o.Stream = &Stream{Name: "SYSLOG"}
	tpl, err := template.Parse(o.Subject, template.Subject)
	if err != nil {
		t.Fatal(err)
	}
	b := newBuilder(tpl, format.JSON, true, "bus")
	for i, host := range []string{"web01", "web01.example.com", "$SYS", "a*b>c", "two words", "", "...", "../../etc", "a/b"} {
		m := msg(i, host)
		d, err := o.Destination(m)
		if err != nil {
			t.Fatal(err)
		}
		var built natsgo.Msg
		b.build(&built, m, nil, natsgo.Header{}, make([]string, headerValues))
		nd := d.(Destination)
		if nd.Subject != built.Subject {
			t.Errorf("host %q: Destination subject %q, published on %q", host, nd.Subject, built.Subject)
		}
		if n := strings.Count(nd.Subject, "."); n != 3 {
			t.Errorf("host %q: subject %q has %d tokens", host, nd.Subject, n+1)
		}
		if nd.Mode != "jetstream" || nd.Format != "json" || nd.Stream != "SYSLOG" ||
			!slices.Equal(nd.URL, []string{"nats://nats1:4222", "tls://nats2:4222"}) {
			t.Errorf("%+v", nd)
		}
	}
}
