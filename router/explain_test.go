package router

import (
	"net/netip"
	"slices"
	"strconv"
	"testing"

	"syslogd/message"
)

// explainMatches is a spread of matches: every key alone, pairs, and the
// benchmark's realistic routes.
func explainMatches() []Match {
	ms := []Match{
		{},
		{Facility: []string{"auth", "authpriv"}},
		{Facility: []string{"kern"}},
		{Severity: []string{"err", "warning"}},
		{Severity: []string{"debug"}},
		{MinSeverity: "warning"},
		{MinSeverity: "emerg"},
		{Hostname: []string{"web*"}},
		{Hostname: []string{"*.example.com", "db[0-9]"}},
		{AppName: []string{"sshd", "ss*"}},
		{Source: []string{"10.0.0.0/8"}},
		{Source: []string{"2001:db8::/32", "192.0.2.1"}},
		{Listener: []string{"tcp"}},
		{Listener: []string{"udp", "local"}},
		{Message: "(?i)failed"},
		{Message: "^$"},
		{Parsed: ptr(true)},
		{Parsed: ptr(false)},
		{Facility: []string{"auth"}, MinSeverity: "err"},
		{Facility: []string{"user"}, Parsed: ptr(false)},
		{Severity: []string{"notice"}, Listener: []string{"udp"}},
		{Hostname: []string{"web*"}, AppName: []string{"nginx"}, Message: "GET"},
		{Source: []string{"10.0.0.0/8"}, Hostname: []string{"db*"}},
		{Facility: []string{"auth"}, MinSeverity: "warning", Hostname: []string{"web*"},
			AppName: []string{"sshd"}, Source: []string{"10.0.0.0/8"}, Listener: []string{"tcp"},
			Message: "Failed", Parsed: ptr(true)},
	}
	for _, rt := range benchRoutes() {
		if !rt.Fallback {
			ms = append(ms, rt.Match)
		}
	}
	return ms
}

// explainMessages varies every field a match reads, unparsed frames
// included.
func explainMessages() []message.Message {
	var out []message.Message
	hosts := []string{"web01.example.com", "WEB-7", "db3", "", "a/b"}
	apps := []string{"sshd", "nginx", ""}
	srcs := []netip.AddrPort{netip.MustParseAddrPort("10.1.2.3:514"), netip.MustParseAddrPort("[2001:db8::1%eth0]:514"),
		netip.MustParseAddrPort("192.0.2.1:1"), {}}
	texts := []string{"Failed password for root", "GET /", ""}
	i := 0
	for _, f := range []message.Format{message.RFC5424, message.RFC3164, message.Unparsed} {
		for _, fac := range []message.Facility{message.Kern, message.User, message.Auth, message.AuthPriv, message.Local6} {
			for sev := range message.Severity(message.NumSeverities) {
				i++
				out = append(out, message.Message{Format: f, Facility: fac, Severity: sev,
					Hostname: hosts[i%len(hosts)], AppName: apps[i%len(apps)], Source: srcs[i%len(srcs)],
					Listener: []string{"tcp", "udp", "local"}[i%3], Text: texts[i%len(texts)]})
			}
		}
	}
	// Codes no parser makes: a mask bit that does not exist still fails.
	out = append(out, message.Message{Format: message.RFC5424, Facility: 30, Severity: 14, Listener: "tcp"},
		message.Message{Format: message.RFC5424, Facility: message.Local6, Severity: 200, Listener: "udp"})
	return append(out, benchMessages()...)
}

// TestFirstFailureAgreesWithMatch holds the explaining matcher to the
// routing one: no key fails exactly when the message matches.
func TestFirstFailureAgreesWithMatch(t *testing.T) {
	var routes []Route
	for i, m := range explainMatches() {
		routes = append(routes, only("r"+strconv.Itoa(i), m, "a"))
	}
	r, err := New(routes, testSinks)
	if err != nil {
		t.Fatal(err)
	}
	msgs := explainMessages()
	for i := range r.ordered {
		c := &r.ordered[i].m
		for j := range msgs {
			m := &msgs[j]
			if failed, match := c.firstFailure(m), c.match(m); (failed == "") != match {
				t.Errorf("route %+v on %+v: firstFailure %q, match %v", routes[i].Match, *m, failed, match)
			}
		}
	}
}

// TestExplainAgreesWithRoute: the routes Explain reports as matched are
// Decision.Routes, for configurations with final and fallback routes.
func TestExplainAgreesWithRoute(t *testing.T) {
	configs := [][]Route{
		benchRoutes(),
		{
			{Name: "rest", Fallback: true, Sinks: []string{"d"}},
			only("auth", Match{Facility: []string{"auth"}}, "a"),
			{Name: "stop", Match: Match{Listener: []string{"udp"}}, Sinks: []string{"b"}, Final: true},
			only("after", Match{}, "c"),
			{Name: "rest2", Fallback: true, Sinks: []string{"a"}},
		},
		{only("web", Match{Hostname: []string{"web*"}}, "a")},
	}
	for _, routes := range configs {
		r, err := New(routes, append(testSinks, benchSinks...))
		if err != nil {
			t.Fatal(err)
		}
		var d Decision
		msgs := explainMessages()
		for j := range msgs {
			m := &msgs[j]
			r.Route(m, &d)
			var got []int
			for _, tr := range r.Explain(m) {
				if tr.Matched {
					got = append(got, tr.Index)
				}
			}
			if !slices.Equal(got, d.Routes) {
				t.Errorf("%+v: Explain matched %v, Route %v", *m, got, d.Routes)
			}
		}
	}
}

func TestExplain(t *testing.T) {
	routes := []Route{
		only("auth", Match{Facility: []string{"auth"}, MinSeverity: "err"}, "a"),
		only("web", Match{Hostname: []string{"web*"}, Message: "GET"}, "b"),
		{Name: "unparsed", Match: Match{Parsed: ptr(false)}, Sinks: []string{"c"}, Final: true},
		only("udp", Match{Listener: []string{"udp"}}, "b"),
		{Name: "rest", Fallback: true, Sinks: []string{"d"}},
	}
	r, err := New(routes, testSinks)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		msg  func(*message.Message)
		want []RouteTrace
	}{
		{name: "severity fails, then hostname passes and message fails: fallback applies",
			want: []RouteTrace{
				{Index: 0, Name: "auth", Failed: "min_severity"},
				{Index: 1, Name: "web", Failed: "message"},
				{Index: 2, Name: "unparsed", Final: true, Failed: "parsed"},
				{Index: 3, Name: "udp", Failed: "listener"},
				{Index: 4, Name: "rest", Fallback: true, Matched: true},
			}},
		{name: "matched: fallback does not apply",
			msg: func(m *message.Message) { m.Severity = message.Crit },
			want: []RouteTrace{
				{Index: 0, Name: "auth", Matched: true},
				{Index: 1, Name: "web", Failed: "message"},
				{Index: 2, Name: "unparsed", Final: true, Failed: "parsed"},
				{Index: 3, Name: "udp", Failed: "listener"},
				{Index: 4, Name: "rest", Fallback: true},
			}},
		{name: "unparsed: facility fails, final stops",
			msg: func(m *message.Message) {
				*m = message.Message{Format: message.Unparsed, Hostname: "web01", Text: "GET", Listener: "udp"}
			},
			want: []RouteTrace{
				{Index: 0, Name: "auth", Failed: "facility"},
				{Index: 1, Name: "web", Matched: true},
				{Index: 2, Name: "unparsed", Final: true, Matched: true},
				{Index: 3, Name: "udp", StoppedBy: "unparsed"},
				{Index: 4, Name: "rest", Fallback: true},
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := baseMessage()
			m.Severity = message.Warning
			if tc.msg != nil {
				tc.msg(&m)
			}
			if got := r.Explain(&m); !slices.Equal(got, tc.want) {
				t.Errorf("Explain:\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// TestFirstFailureKeys names each key alone.
func TestFirstFailureKeys(t *testing.T) {
	unparsed := message.Message{Format: message.Unparsed}
	tests := []struct {
		match Match
		msg   message.Message
		want  string
	}{
		{Match{Parsed: ptr(false)}, baseMessage(), "parsed"},
		{Match{Facility: []string{"mail"}}, baseMessage(), "facility"},
		{Match{Severity: []string{"debug"}}, baseMessage(), "severity"},
		{Match{MinSeverity: "emerg"}, baseMessage(), "min_severity"},
		{Match{MinSeverity: "debug"}, unparsed, "min_severity"},
		{Match{Severity: []string{"debug"}}, unparsed, "severity"},
		{Match{Facility: []string{"user"}, MinSeverity: "debug"}, unparsed, "facility"},
		{Match{Listener: []string{"udp"}}, baseMessage(), "listener"},
		{Match{Source: []string{"192.0.2.0/24"}}, baseMessage(), "source"},
		{Match{Hostname: []string{"db*"}}, baseMessage(), "hostname"},
		{Match{AppName: []string{"nginx"}}, baseMessage(), "app_name"},
		{Match{Message: "^GET"}, baseMessage(), "message"},
		{Match{Parsed: ptr(true), Listener: []string{"udp"}}, unparsed, "parsed"},
	}
	for _, tc := range tests {
		r, err := New([]Route{only("r", tc.match, "a")}, testSinks)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.ordered[0].m.firstFailure(&tc.msg); got != tc.want {
			t.Errorf("%+v: firstFailure = %q, want %q", tc.match, got, tc.want)
		}
	}
}

// FuzzExplain holds Explain to Route on messages of any content.
func FuzzExplain(f *testing.F) {
	f.Add(uint8(1), uint8(4), uint8(3), "web01", "sshd", "10.0.0.1", "tcp", "Failed password")
	f.Add(uint8(0), uint8(0), uint8(0), "", "", "", "udp", "")
	r, err := New(benchRoutes(), benchSinks)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, format, fac, sev uint8, host, app, src, lis, text string) {
		m := message.Message{Format: message.Format(format % 3), Facility: message.Facility(fac),
			Severity: message.Severity(sev), Hostname: host, AppName: app, Listener: lis, Text: text}
		if a, err := netip.ParseAddr(src); err == nil {
			m.Source = netip.AddrPortFrom(a, 514)
		}
		var d Decision
		r.Route(&m, &d)
		var got []int
		for _, tr := range r.Explain(&m) {
			if tr.Matched {
				got = append(got, tr.Index)
			}
		}
		if !slices.Equal(got, d.Routes) {
			t.Errorf("Explain matched %v, Route %v", got, d.Routes)
		}
	})
}
