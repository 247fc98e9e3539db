package router

import (
	"net/netip"
	"slices"
	"strconv"
	"sync"
	"testing"

	"syslogd/message"
)

var testSinks = []string{"a", "b", "c", "d"}

// baseMessage is a parsed auth.warning from sshd on web01 via tcp.
func baseMessage() message.Message {
	return message.Message{
		Format:   message.RFC5424,
		Facility: message.Auth,
		Severity: message.Warning,
		Hostname: "web01.example.com",
		AppName:  "sshd",
		Source:   netip.MustParseAddrPort("10.1.2.3:514"),
		Listener: "tcp",
		Text:     "Failed password for root from 192.0.2.7",
	}
}

func ptr[T any](v T) *T { return &v }

// only is a route named name that sends to sinks when m holds.
func only(name string, m Match, sinks ...string) Route {
	return Route{Name: name, Match: m, Sinks: sinks}
}

type routeCase struct {
	name       string
	routes     []Route
	msg        func(*message.Message) // edits baseMessage; nil keeps it
	wantRoutes []string
	wantSinks  []string
}

func TestRoute(t *testing.T) {
	unparsed := func(m *message.Message) {
		*m = message.Message{Format: message.Unparsed, Raw: []byte("<999>junk"), ParseError: "bad PRI",
			Source: m.Source, Listener: "udp"}
	}
	tests := []routeCase{
		// Each match key alone.
		{name: "empty match catches all", routes: []Route{only("all", Match{}, "a")},
			wantRoutes: []string{"all"}, wantSinks: []string{"a"}},
		{name: "facility name", routes: []Route{only("r", Match{Facility: []string{"auth"}}, "a")},
			wantRoutes: []string{"r"}, wantSinks: []string{"a"}},
		{name: "facility code", routes: []Route{only("r", Match{Facility: []string{"4"}}, "a")},
			wantRoutes: []string{"r"}, wantSinks: []string{"a"}},
		{name: "facility mismatch", routes: []Route{only("r", Match{Facility: []string{"mail", "kern"}}, "a")}},
		{name: "facility OR within list", routes: []Route{only("r", Match{Facility: []string{"mail", "auth"}}, "a")},
			wantRoutes: []string{"r"}, wantSinks: []string{"a"}},
		{name: "severity exact set", routes: []Route{only("r", Match{Severity: []string{"err", "warning"}}, "a")},
			wantRoutes: []string{"r"}, wantSinks: []string{"a"}},
		{name: "severity exact set excludes more severe", routes: []Route{only("r", Match{Severity: []string{"notice"}}, "a")},
			msg: func(m *message.Message) { m.Severity = message.Emerg }},
		{name: "hostname literal case-insensitive", routes: []Route{only("r", Match{Hostname: []string{"WEB01.example.COM"}}, "a")},
			msg:        func(m *message.Message) { m.Hostname = "Web01.Example.com" },
			wantRoutes: []string{"r"}, wantSinks: []string{"a"}},
		{name: "hostname prefix glob", routes: []Route{only("r", Match{Hostname: []string{"db-*", "web*"}}, "a")},
			wantRoutes: []string{"r"}, wantSinks: []string{"a"}},
		{name: "hostname suffix glob uppercase host", routes: []Route{only("r", Match{Hostname: []string{"*.example.com"}}, "a")},
			msg:        func(m *message.Message) { m.Hostname = "WEB01.EXAMPLE.COM" },
			wantRoutes: []string{"r"}, wantSinks: []string{"a"}},
		{name: "hostname class glob", routes: []Route{only("r", Match{Hostname: []string{"web0[2-9]*"}}, "a")}},
		{name: "hostname general glob uppercase", routes: []Route{only("r", Match{Hostname: []string{"w?b0[0-9].*.com"}}, "a")},
			msg:        func(m *message.Message) { m.Hostname = "WEB01.EXAMPLE.COM" },
			wantRoutes: []string{"r"}, wantSinks: []string{"a"}},
		{name: "app_name glob", routes: []Route{only("r", Match{AppName: []string{"sudo", "ss*"}}, "a")},
			wantRoutes: []string{"r"}, wantSinks: []string{"a"}},
		{name: "app_name is case-sensitive", routes: []Route{only("r", Match{AppName: []string{"SSHD"}}, "a")}},
		{name: "source CIDR", routes: []Route{only("r", Match{Source: []string{"192.168.0.0/16", "10.0.0.0/8"}}, "a")},
			wantRoutes: []string{"r"}, wantSinks: []string{"a"}},
		{name: "source plain IP", routes: []Route{only("r", Match{Source: []string{"10.1.2.3"}}, "a")},
			wantRoutes: []string{"r"}, wantSinks: []string{"a"}},
		{name: "source IP mismatch", routes: []Route{only("r", Match{Source: []string{"10.1.2.4", "11.0.0.0/8"}}, "a")}},
		// A dual-stack socket's ::ffff:10.9.9.9 reaches the router unmapped (the listener's job).
		{name: "source v4 sender from dual-stack socket matches v4 CIDR", routes: []Route{only("r", Match{Source: []string{"10.0.0.0/8"}}, "a")},
			msg:        func(m *message.Message) { m.Source = netip.MustParseAddrPort("10.9.9.9:514") },
			wantRoutes: []string{"r"}, wantSinks: []string{"a"}},
		{name: "source v4-mapped CIDR matches v4 sender", routes: []Route{only("r", Match{Source: []string{"::ffff:10.0.0.0/104"}}, "a")},
			wantRoutes: []string{"r"}, wantSinks: []string{"a"}},
		{name: "source v6 CIDR", routes: []Route{only("r", Match{Source: []string{"2001:db8::/32"}}, "a")},
			msg:        func(m *message.Message) { m.Source = netip.MustParseAddrPort("[2001:db8::1%eth0]:514") },
			wantRoutes: []string{"r"}, wantSinks: []string{"a"}},
		{name: "source v6 CIDR does not take v4", routes: []Route{only("r", Match{Source: []string{"::/0"}}, "a")}},
		{name: "source unknown sender", routes: []Route{only("r", Match{Source: []string{"0.0.0.0/0"}}, "a")},
			msg: func(m *message.Message) { m.Source = netip.AddrPort{} }},
		{name: "listener", routes: []Route{only("r", Match{Listener: []string{"udp", "tcp"}}, "a")},
			wantRoutes: []string{"r"}, wantSinks: []string{"a"}},
		{name: "listener mismatch", routes: []Route{only("r", Match{Listener: []string{"TCP"}}, "a")}},
		{name: "message regex unanchored", routes: []Route{only("r", Match{Message: "password for"}, "a")},
			wantRoutes: []string{"r"}, wantSinks: []string{"a"}},
		{name: "message regex flags", routes: []Route{only("r", Match{Message: "(?i)FAILED PASSWORD"}, "a")},
			wantRoutes: []string{"r"}, wantSinks: []string{"a"}},
		{name: "message regex mismatch", routes: []Route{only("r", Match{Message: "^password"}, "a")}},
		{name: "parsed true", routes: []Route{only("r", Match{Parsed: ptr(true)}, "a")},
			wantRoutes: []string{"r"}, wantSinks: []string{"a"}},
		{name: "parsed true skips unparsed", routes: []Route{only("r", Match{Parsed: ptr(true)}, "a")}, msg: unparsed},
		{name: "parsed false skips parsed", routes: []Route{only("r", Match{Parsed: ptr(false)}, "a")}},
		{name: "parsed false selects unparsed", routes: []Route{only("r", Match{Parsed: ptr(false)}, "a")}, msg: unparsed,
			wantRoutes: []string{"r"}, wantSinks: []string{"a"}},
		{name: "unparsed never matches PRI keys", msg: unparsed, routes: []Route{
			only("fac", Match{Facility: []string{"kern"}}, "a"),
			only("sev", Match{MinSeverity: "debug"}, "b"),
			only("src", Match{Source: []string{"10.0.0.0/8"}, Listener: []string{"udp"}}, "c"),
		}, wantRoutes: []string{"src"}, wantSinks: []string{"c"}},

		// AND across keys.
		{name: "AND all keys hold", routes: []Route{only("r", Match{
			Facility: []string{"auth"}, MinSeverity: "warning", Hostname: []string{"web*"},
			AppName: []string{"sshd"}, Source: []string{"10.0.0.0/8"}, Listener: []string{"tcp"},
			Message: "Failed", Parsed: ptr(true)}, "a")},
			wantRoutes: []string{"r"}, wantSinks: []string{"a"}},
		{name: "AND one key fails", routes: []Route{only("r", Match{
			Facility: []string{"auth"}, Hostname: []string{"db*"}}, "a")}},

		// Ordering, final and dedup.
		{name: "every matching route delivers", routes: []Route{
			only("r1", Match{Facility: []string{"auth"}}, "a"),
			only("r2", Match{Facility: []string{"mail"}}, "b"),
			only("r3", Match{AppName: []string{"sshd"}}, "c"),
		}, wantRoutes: []string{"r1", "r3"}, wantSinks: []string{"a", "c"}},
		{name: "sink dedup across routes in first-delivery order", routes: []Route{
			only("r1", Match{}, "c", "a"),
			only("r2", Match{}, "a", "b", "c"),
			only("r3", Match{}, "b", "d"),
		}, wantRoutes: []string{"r1", "r2", "r3"}, wantSinks: []string{"c", "a", "b", "d"}},
		{name: "sink repeated within a route", routes: []Route{only("r", Match{}, "b", "b", "a")},
			wantRoutes: []string{"r"}, wantSinks: []string{"b", "a"}},
		{name: "final stops later routes", routes: []Route{
			only("r1", Match{}, "a"),
			{Name: "stop", Match: Match{Facility: []string{"auth"}}, Sinks: []string{"b"}, Final: true},
			only("r3", Match{}, "c"),
		}, wantRoutes: []string{"r1", "stop"}, wantSinks: []string{"a", "b"}},
		{name: "final that does not match does not stop", routes: []Route{
			{Name: "stop", Match: Match{Facility: []string{"mail"}}, Sinks: []string{"b"}, Final: true},
			only("r2", Match{}, "c"),
		}, wantRoutes: []string{"r2"}, wantSinks: []string{"c"}},

		// Fallback.
		{name: "fallback when nothing matched", routes: []Route{
			only("mail", Match{Facility: []string{"mail"}}, "a"),
			{Name: "rest", Fallback: true, Sinks: []string{"d"}},
		}, wantRoutes: []string{"rest"}, wantSinks: []string{"d"}},
		{name: "no fallback when something matched", routes: []Route{
			only("auth", Match{Facility: []string{"auth"}}, "a"),
			{Name: "rest", Fallback: true, Sinks: []string{"d"}},
		}, wantRoutes: []string{"auth"}, wantSinks: []string{"a"}},
		{name: "fallback listed first still waits for the others", routes: []Route{
			{Name: "rest", Fallback: true, Sinks: []string{"d"}},
			only("auth", Match{Facility: []string{"auth"}}, "a"),
		}, wantRoutes: []string{"auth"}, wantSinks: []string{"a"}},
		{name: "fallback after a matching final route", routes: []Route{
			{Name: "stop", Sinks: []string{"a"}, Final: true},
			{Name: "rest", Fallback: true, Sinks: []string{"d"}},
		}, wantRoutes: []string{"stop"}, wantSinks: []string{"a"}},
		{name: "fallback after a final route that did not match", routes: []Route{
			{Name: "stop", Match: Match{Listener: []string{"udp"}}, Sinks: []string{"a"}, Final: true},
			{Name: "rest", Fallback: true, Sinks: []string{"d"}},
		}, wantRoutes: []string{"rest"}, wantSinks: []string{"d"}},
		{name: "several fallbacks all deliver, deduplicated", routes: []Route{
			{Name: "fb1", Fallback: true, Sinks: []string{"d", "a"}},
			only("never", Match{Listener: []string{"none"}}, "b"),
			{Name: "fb2", Fallback: true, Sinks: []string{"a", "c"}},
		}, wantRoutes: []string{"fb1", "fb2"}, wantSinks: []string{"d", "a", "c"}},
		{name: "nothing matched and no fallback", routes: []Route{
			only("mail", Match{Facility: []string{"mail"}}, "a"),
		}},
		{name: "unparsed frame falls back", msg: unparsed, routes: []Route{
			only("auth", Match{Facility: []string{"auth"}}, "a"),
			{Name: "rest", Fallback: true, Sinks: []string{"d"}},
		}, wantRoutes: []string{"rest"}, wantSinks: []string{"d"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := New(tc.routes, testSinks)
			if err != nil {
				t.Fatal(err)
			}
			m := baseMessage()
			if tc.msg != nil {
				tc.msg(&m)
			}
			var d Decision
			r.Route(&m, &d)
			gotRoutes, gotSinks := decisionNames(r, &d)
			if !slices.Equal(gotRoutes, tc.wantRoutes) || !slices.Equal(gotSinks, tc.wantSinks) {
				t.Errorf("routes %q sinks %q, want routes %q sinks %q", gotRoutes, gotSinks, tc.wantRoutes, tc.wantSinks)
			}
		})
	}
}

func decisionNames(r *Router, d *Decision) (routes, sinks []string) {
	names := r.RouteNames()
	for _, i := range d.Routes {
		routes = append(routes, names[i])
	}
	for _, i := range d.Sinks {
		sinks = append(sinks, testSinks[i])
	}
	return routes, sinks
}

// TestMinSeverityOrdering checks that min_severity means "this or more
// severe", i.e. a lower or equal code, for names, aliases and codes.
func TestMinSeverityOrdering(t *testing.T) {
	for _, min := range []string{"warning", "warn", "4"} {
		r, err := New([]Route{only("r", Match{MinSeverity: min}, "a")}, testSinks)
		if err != nil {
			t.Fatal(err)
		}
		for s := message.Emerg; s <= message.Debug; s++ {
			m := baseMessage()
			m.Severity = s
			var d Decision
			r.Route(&m, &d)
			if got, want := len(d.Routes) == 1, s <= message.Warning; got != want {
				t.Errorf("min_severity %s, message %s: matched=%v, want %v", min, s, got, want)
			}
		}
	}
}

// TestEveryKeyIsANDed starts from a route whose every key holds and
// breaks the message one key at a time: each must then stop the match.
func TestEveryKeyIsANDed(t *testing.T) {
	all := Match{
		Facility: []string{"auth"}, Severity: []string{"warning"}, Hostname: []string{"web01.*"},
		AppName: []string{"sshd"}, Source: []string{"10.1.2.3"}, Listener: []string{"tcp"},
		Message: "Failed", Parsed: ptr(true),
	}
	r, err := New([]Route{only("all", all, "a")}, testSinks)
	if err != nil {
		t.Fatal(err)
	}
	breaks := map[string]func(*message.Message){
		"facility": func(m *message.Message) { m.Facility = message.Mail },
		"severity": func(m *message.Message) { m.Severity = message.Err },
		"hostname": func(m *message.Message) { m.Hostname = "db01.example.com" },
		"app_name": func(m *message.Message) { m.AppName = "sudo" },
		"source":   func(m *message.Message) { m.Source = netip.MustParseAddrPort("10.1.2.4:514") },
		"listener": func(m *message.Message) { m.Listener = "udp" },
		"message":  func(m *message.Message) { m.Text = "Accepted publickey" },
		"parsed":   func(m *message.Message) { m.Format = message.Unparsed },
	}
	var d Decision
	m := baseMessage()
	if r.Route(&m, &d); len(d.Routes) != 1 {
		t.Fatal("unbroken message does not match")
	}
	for key, brk := range breaks {
		m := baseMessage()
		brk(&m)
		if r.Route(&m, &d); len(d.Routes) != 0 {
			t.Errorf("breaking %s still matches", key)
		}
	}
}

// TestDecisionReuse checks that Route resets a reused Decision.
func TestDecisionReuse(t *testing.T) {
	r, err := New([]Route{only("r1", Match{}, "a", "b"), only("r2", Match{Listener: []string{"tcp"}}, "c")}, testSinks)
	if err != nil {
		t.Fatal(err)
	}
	var d Decision
	m := baseMessage()
	r.Route(&m, &d)
	m.Listener = "udp"
	r.Route(&m, &d)
	if !slices.Equal(d.Routes, []int{0}) || !slices.Equal(d.Sinks, []int{0, 1}) {
		t.Errorf("second decision = %+v, want routes [0] sinks [0 1]", d)
	}
}

// TestManySinks crosses the 256-sink bitset boundary, where dedup falls
// back to scanning the decision.
func TestManySinks(t *testing.T) {
	var sinks []string
	for i := range 600 {
		sinks = append(sinks, "s"+strconv.Itoa(i))
	}
	routes := []Route{
		only("r1", Match{}, "s1", "s300", "s599", "s255", "s256"),
		only("r2", Match{}, "s599", "s2", "s300", "s256", "s1", "s400"),
	}
	r, err := New(routes, sinks)
	if err != nil {
		t.Fatal(err)
	}
	var d Decision
	m := baseMessage()
	r.Route(&m, &d)
	if want := []int{1, 300, 599, 255, 256, 2, 400}; !slices.Equal(d.Sinks, want) {
		t.Errorf("sinks = %v, want %v", d.Sinks, want)
	}
}

// TestConcurrentRoute shares one Router between goroutines; run with
// -race it checks that Route only reads the Router.
func TestConcurrentRoute(t *testing.T) {
	r, err := New(benchRoutes(), benchSinks)
	if err != nil {
		t.Fatal(err)
	}
	msgs := benchMessages()
	want := make([]Decision, len(msgs))
	for i := range msgs {
		r.Route(&msgs[i], &want[i])
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			var d Decision
			for range 200 {
				for i := range msgs {
					r.Route(&msgs[i], &d)
					if !slices.Equal(d.Routes, want[i].Routes) || !slices.Equal(d.Sinks, want[i].Sinks) {
						t.Errorf("message %d: got %+v, want %+v", i, d, want[i])
						return
					}
				}
			}
		})
	}
	wg.Wait()
}

func TestRouteNamesIsACopy(t *testing.T) {
	r, err := New([]Route{only("r", Match{}, "a")}, testSinks)
	if err != nil {
		t.Fatal(err)
	}
	r.RouteNames()[0] = "changed"
	if got := r.RouteNames()[0]; got != "r" {
		t.Errorf("RouteNames()[0] = %q after caller modified its copy", got)
	}
}

// TestBenchDecisions pins the benchmark's routing so the benchmark
// measures the mix it claims to.
func TestBenchDecisions(t *testing.T) {
	r, err := New(benchRoutes(), benchSinks)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"ssh-failures"},
		{"web"},
		{"db", "dmz", "audit"},
		{"debug"},
		{"rest"},
		{"unparsed"},
	}
	msgs := benchMessages()
	if len(msgs) != len(want) {
		t.Fatalf("%d bench messages, %d expectations", len(msgs), len(want))
	}
	names := r.RouteNames()
	for i := range msgs {
		var d Decision
		r.Route(&msgs[i], &d)
		var got []string
		for _, ri := range d.Routes {
			got = append(got, names[ri])
		}
		if !slices.Equal(got, want[i]) {
			t.Errorf("bench message %d routes %q, want %q", i, got, want[i])
		}
	}
}
