package template

import (
	"net/netip"
	"testing"
	"time"

	"syslogd/message"
)

func BenchmarkTemplateAppend(b *testing.B) {
	for _, bc := range []struct {
		name string
		src  string
		kind Kind
	}{
		{"path", "/var/log/remote/{hostname}/{date}/{app_name}.log", Path},
		{"subject", "syslog.{facility}.{severity}.{hostname}", Subject},
	} {
		b.Run(bc.name, func(b *testing.B) {
			tpl, err := Parse(bc.src, bc.kind)
			if err != nil {
				b.Fatal(err)
			}
			m := benchMessage()
			buf := make([]byte, 0, 256)
			b.ReportAllocs()
			for b.Loop() {
				buf = tpl.Append(buf[:0], &m)
			}
		})
	}
}

func benchMessage() message.Message {
	return message.Message{
		Received: time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC), Format: message.RFC5424,
		Facility: message.Local6, Severity: message.Info, Hostname: "db03.example.com", AppName: "auditd",
		Source: netip.MustParseAddrPort("192.0.2.20:514"), Listener: "tls",
		Text: "type=SYSCALL msg=audit(1700000000.123:42): arch=c000003e syscall=59",
	}
}
