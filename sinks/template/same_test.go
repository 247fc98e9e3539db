package template

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"
	"time"

	"syslogd/message"
)

// TestSame holds Same to Append: for every pair of a set of messages that
// differ in one field each, Same is true only when the expansions are
// equal, and (but for date placeholders) whenever they are, for a
// template of each placeholder and one of all of them.
func TestSame(t *testing.T) {
	base := message.Message{
		Hostname: "web-1", AppName: "sshd", ProcID: "42", MsgID: "ID1", Listener: "tcp",
		Facility: message.Auth, Severity: message.Info,
		Source:   netip.MustParseAddrPort("192.0.2.1:514"),
		Received: time.Date(2026, 12, 1, 10, 30, 0, 0, time.UTC),
	}
	vary := []func(*message.Message){
		func(m *message.Message) {},
		func(m *message.Message) { m.Hostname = "web-2" },
		func(m *message.Message) { m.Hostname = "" },
		func(m *message.Message) { m.AppName = "cron" },
		func(m *message.Message) { m.ProcID = "43" },
		func(m *message.Message) { m.MsgID = "ID2" },
		func(m *message.Message) { m.Listener = "udp" },
		func(m *message.Message) { m.Facility = message.Daemon },
		func(m *message.Message) { m.Severity = message.Err },
		func(m *message.Message) { m.Source = netip.MustParseAddrPort("192.0.2.2:514") },
		func(m *message.Message) { m.Source = netip.MustParseAddrPort("192.0.2.1:999") }, // port: never shown
		func(m *message.Message) { m.Received = m.Received.Add(20 * time.Minute) },       // same hour
		func(m *message.Message) { m.Received = m.Received.Add(time.Hour) },
		func(m *message.Message) { m.Received = m.Received.Add(24 * time.Hour) },
		func(m *message.Message) { m.Received = m.Received.AddDate(0, 1, 0) },
		func(m *message.Message) { m.Received = m.Received.AddDate(1, 0, 0) },
		func(m *message.Message) { m.Received = m.Received.In(time.FixedZone("", 3600)) },
		func(m *message.Message) { m.Text = "other text" }, // never in a path
	}
	msgs := make([]message.Message, len(vary))
	for i, v := range vary {
		msgs[i] = base
		v(&msgs[i])
	}
	names := strings.Fields(Placeholders)
	srcs := []string{"/var/log/static.log"}
	all := "/var/log"
	for _, n := range names {
		srcs = append(srcs, "/var/log/"+n+"/x.log")
		all += "/" + n
	}
	srcs = append(srcs, all+".log")
	for _, src := range srcs {
		tpl, err := Parse(src, Path)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		differs := 0
		for i := range msgs {
			for j := range msgs {
				a, b := &msgs[i], &msgs[j]
				same := bytes.Equal(tpl.Append(nil, a), tpl.Append(nil, b))
				// Same may say false for equal expansions only where a
				// date placeholder compares by the hour (a coarser day,
				// month or year can be equal across hours).
				got := tpl.Same(a, b)
				if got && !same || !got && same && !tpl.usesTime {
					t.Errorf("%s: Same(#%d, #%d) = %v, expansions equal %v", src, i, j, got, same)
				}
				if !same {
					differs++
				}
			}
		}
		if src != srcs[0] && differs == 0 {
			t.Errorf("%s: no pair of messages expands differently; the variations miss a field", src)
		}
	}
}
