package router

import (
	"net/netip"
	"testing"
	"time"

	"syslogd/message"
)

var benchSinks = []string{"journal", "bus", "remote-files", "security", "audit-archive", "debug-files"}

// benchRoutes is a realistic ten-route config: security first, per-team
// routes by host glob and app, a noisy-app drop-in, unparsed frames kept
// raw, and a fallback.
func benchRoutes() []Route {
	return []Route{
		{Name: "auth", Match: Match{Facility: []string{"auth", "authpriv"}, MinSeverity: "warning"},
			Sinks: []string{"security", "journal"}},
		{Name: "ssh-failures", Match: Match{AppName: []string{"sshd"}, Message: "(?i)failed password|invalid user"},
			Sinks: []string{"security", "bus"}},
		{Name: "kernel", Match: Match{Facility: []string{"kern"}, Severity: []string{"emerg", "alert", "crit"}},
			Sinks: []string{"journal"}},
		{Name: "web", Match: Match{Hostname: []string{"web-*", "*.web.example.com"}, AppName: []string{"nginx", "haproxy*"}},
			Sinks: []string{"remote-files", "bus"}},
		{Name: "db", Match: Match{Hostname: []string{"db[0-9][0-9].example.com"}, Listener: []string{"tls"}},
			Sinks: []string{"remote-files"}},
		{Name: "dmz", Match: Match{Source: []string{"192.0.2.0/24", "2001:db8:1::/48"}},
			Sinks: []string{"audit-archive"}},
		{Name: "audit", Match: Match{Facility: []string{"security", "local6"}},
			Sinks: []string{"audit-archive"}, Final: true},
		{Name: "debug", Match: Match{Severity: []string{"debug"}, Listener: []string{"udp"}},
			Sinks: []string{"debug-files"}, Final: true},
		{Name: "unparsed", Match: Match{Parsed: ptr(false)}, Sinks: []string{"remote-files"}},
		{Name: "rest", Fallback: true, Sinks: []string{"remote-files"}},
	}
}

// benchMessages mixes messages that hit one, several, a final, and only
// the fallback route; TestBenchDecisions pins what each one gets.
func benchMessages() []message.Message {
	now := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	mk := func(f message.Facility, s message.Severity, host, app, src, lis, text string) message.Message {
		return message.Message{Received: now, Format: message.RFC5424, Facility: f, Severity: s,
			Hostname: host, AppName: app, Source: netip.MustParseAddrPort(src), Listener: lis, Text: text}
	}
	return []message.Message{
		mk(message.AuthPriv, message.Notice, "Web-07", "sshd", "10.0.0.7:514", "tcp",
			"Failed password for invalid user admin from 203.0.113.9 port 51234 ssh2"),
		mk(message.Daemon, message.Info, "web-12", "nginx", "10.0.1.12:514", "tcp",
			`10.0.0.1 - - "GET /healthz HTTP/1.1" 200 2`),
		mk(message.Local6, message.Info, "db03.example.com", "auditd", "192.0.2.20:514", "tls",
			"type=SYSCALL msg=audit(1700000000.123:42): arch=c000003e syscall=59"),
		mk(message.User, message.Debug, "laptop", "myapp", "[2001:db8:2::5]:514", "udp", "debug: cache miss for key"),
		mk(message.Mail, message.Info, "mail01", "postfix", "10.0.0.5:514", "tcp", "connect from unknown"),
		{Format: message.Unparsed, Raw: []byte("<999>garbage"), Source: netip.MustParseAddrPort("10.0.0.9:514"), Listener: "udp"},
	}
}

func BenchmarkRoute(b *testing.B) {
	r, err := New(benchRoutes(), benchSinks)
	if err != nil {
		b.Fatal(err)
	}
	msgs := benchMessages()
	var d Decision
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		r.Route(&msgs[i%len(msgs)], &d)
	}
}

func BenchmarkGlob(b *testing.B) {
	for _, bc := range []struct{ pattern, name string }{
		{"web-*", "WEB-17.example.com"},
		{"*.example.com", "web-17.Example.com"},
		{"db[0-9][0-9].*.com", "DB42.prod.example.com"},
	} {
		b.Run(bc.pattern, func(b *testing.B) {
			g, err := compileGlob(bc.pattern, true)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				g.match(bc.name)
			}
		})
	}
}
