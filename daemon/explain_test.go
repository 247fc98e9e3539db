package daemon

import (
	"encoding/json"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"syslogd/config"
	"syslogd/message"
)

var explainNow = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)

// explainYAML has a socket listener of each kind that matters (network,
// local, central), a sink of every type, and routes that use final,
// fallback and parsed: false.
const explainYAML = `
listeners:
  - {name: central, protocol: jetstream, url: "nats://127.0.0.1:4222", stream: S, consumer: C}
  - {name: udp, protocol: udp, address: "127.0.0.1:0", timezone: UTC, max_message_bytes: 200}
  - {name: devlog, protocol: unixgram, address: /run/test/dev-log, timezone: UTC}
sinks:
  - {name: files, type: file, path: "/var/log/remote/{hostname}/{app_name}.log"}
  - {name: bus, type: nats, url: "nats://u:secret@nats:4222", subject: "syslog.{facility}.{hostname}", mode: core}
  - {name: journal, type: journald}
  - {name: relay, type: syslog, address: "relay.example.com:514", protocol: udp}
routes:
  - {name: auth, match: {facility: [auth]}, sinks: [journal, files], final: true}
  - {name: web, match: {hostname: ["web*"]}, sinks: [files, bus]}
  - {name: raw, match: {parsed: false, listener: [devlog]}, sinks: [relay]}
  - {name: rest, fallback: true, sinks: [bus]}
stats: {address: "off"}
`

func newTestExplainer(t *testing.T, o ExplainOptions) *Explainer {
	t.Helper()
	e, err := NewExplainer(loadYAML(t, explainYAML), o)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// sinkNames lists an explanation's sinks.
func sinkNames(x Explanation) []string {
	var out []string
	for _, s := range x.Sinks {
		out = append(out, s.Name)
	}
	return out
}

// results lists an explanation's route results.
func results(x Explanation) []string {
	var out []string
	for _, r := range x.Routes {
		out = append(out, r.Name+"="+r.Result+"/"+r.FailedKey+r.StoppedBy)
	}
	return out
}

func TestExplainDefaultsToTheFirstSocketListener(t *testing.T) {
	e := newTestExplainer(t, ExplainOptions{})
	x := e.Explain([]byte("<13>Mar  4 05:06:07 web01 nginx: GET /"), explainNow)
	if x.Listener != (ListenerInfo{Name: "udp", Protocol: "udp", Address: "127.0.0.1:0", Default: true, MaxMessageBytes: 200}) || x.Source != "127.0.0.1" {
		t.Errorf("listener %+v source %q", x.Listener, x.Source)
	}
	if x.Outcome != OutcomeRouted || !slices.Equal(sinkNames(x), []string{"files", "bus"}) {
		t.Errorf("outcome %s sinks %v", x.Outcome, sinkNames(x))
	}
	want := []string{"auth=not_matched/facility", "web=matched/", "raw=not_matched/parsed", "rest=fallback_not_applied/"}
	if !slices.Equal(results(x), want) {
		t.Errorf("routes %v, want %v", results(x), want)
	}
}

func TestExplainFinalAndDestinations(t *testing.T) {
	e := newTestExplainer(t, ExplainOptions{Source: netip.MustParseAddr("::ffff:192.0.2.7")})
	x := e.Explain([]byte(`<38>1 2025-03-04T05:06:07Z ../../etc sshd 42 ID1 [origin ip="10.0.0.1"] Failed password`), explainNow)
	if x.Source != "192.0.2.7" {
		t.Errorf("source %q, want it unmapped", x.Source)
	}
	want := []string{"auth=matched/", "web=not_evaluated/auth", "raw=not_evaluated/auth", "rest=fallback_not_applied/"}
	if !slices.Equal(results(x), want) {
		t.Errorf("routes %v, want %v", results(x), want)
	}
	if !slices.Equal(sinkNames(x), []string{"journal", "files"}) {
		t.Fatalf("sinks %v", sinkNames(x))
	}
	b, err := json.Marshal(x.Sinks)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`"path":"/var/log/remote/___.._etc/sshd.log"`, `{"name":"SD_ORIGIN_IP","value":"10.0.0.1"}`,
		`{"name":"SYSLOG_SOURCE","value":"192.0.2.7"}`, `"socket":"/run/systemd/journal/socket"`} {
		if !strings.Contains(string(b), s) {
			t.Errorf("sinks lack %s:\n%s", s, b)
		}
	}
}

func TestExplainFallbackAndEverySinkType(t *testing.T) {
	e := newTestExplainer(t, ExplainOptions{Listener: "udp"})
	x := e.Explain([]byte("<14>Mar  4 05:06:07 db1 app: hello"), explainNow)
	if x.Outcome != OutcomeRouted || !slices.Equal(sinkNames(x), []string{"bus"}) || x.Routes[3].Result != RouteFallbackApplied {
		t.Errorf("%+v", x)
	}
	if d := x.Sinks[0].Destination; d == nil || d.String() != "nats core subject syslog.user.db1 (json) via nats://nats:4222" {
		t.Errorf("bus: %v", d)
	}
	// Every sink type names its destinations.
	cfg := loadYAML(t, explainYAML)
	m := &message.Message{Format: message.RFC5424, Hostname: "h", Text: "x"}
	for _, sc := range cfg.Sinks {
		if r := sinkResult(sc, m); r.Error != "" || r.Destination == nil {
			t.Errorf("sink type %s: %+v", sc.Type, r)
		}
	}
}

func TestExplainLocalListener(t *testing.T) {
	e := newTestExplainer(t, ExplainOptions{Listener: "devlog", Source: netip.MustParseAddr("10.0.0.1"), Hostname: "thishost"})
	x := e.Explain([]byte("<13>Mar  4 05:06:07 app: no hostname"), explainNow)
	if !x.Listener.Local || x.Source != "" || x.Parse.Hostname != "thishost" {
		t.Errorf("listener %+v source %q hostname %q", x.Listener, x.Source, x.Parse.Hostname)
	}
	// An unparsable frame from a local socket is taken by the raw route.
	x = e.Explain([]byte("<999>junk"), explainNow)
	if x.Parse.Format != "unparsed" || x.Parse.Error == "" || x.Outcome != OutcomeRouted || !slices.Equal(sinkNames(x), []string{"relay"}) {
		t.Errorf("%+v", x)
	}
	if d := x.Sinks[0].Destination; d == nil || !strings.HasPrefix(d.String(), "syslog udp relay.example.com:514, datagram, rfc5424") {
		t.Errorf("relay: %v", d)
	}
}

func TestExplainDrops(t *testing.T) {
	e := newTestExplainer(t, ExplainOptions{})
	for _, tc := range []struct {
		line            string
		outcome, reason string
	}{
		{"<999>junk", OutcomeRouted, ""}, // the raw route is for devlog only: the fallback takes it
		{"", OutcomeSkipped, "empty"},
		{strings.Repeat("x", 201), OutcomeDropped, "too_large"},
		{strings.Repeat("x", 200), OutcomeRouted, ""}, // no PRI: user.notice, taken by the fallback
	} {
		x := e.Explain([]byte(tc.line), explainNow)
		if x.Outcome != tc.outcome || x.Reason != tc.reason {
			t.Errorf("%.10q: %s %s, want %s %s", tc.line, x.Outcome, x.Reason, tc.outcome, tc.reason)
		}
	}
}

// TestExplainUnmatched: without a fallback, what no route takes is
// unmatched, or dropped as parse_error when it did not parse.
func TestExplainUnmatched(t *testing.T) {
	cfg := loadYAML(t, `
listeners: [{name: udp, protocol: udp, address: "127.0.0.1:0"}]
sinks: [{name: f, type: file, path: /var/log/x.log}]
routes: [{name: mail, match: {facility: [mail]}, sinks: [f]}]
`)
	e, err := NewExplainer(cfg, ExplainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for line, want := range map[string]string{"<999>junk": OutcomeDropped + " parse_error", "<13>hello": OutcomeUnmatched + " "} {
		x := e.Explain([]byte(line), explainNow)
		if got := x.Outcome + " " + x.Reason; got != want || len(x.Sinks) != 0 || x.Routes[0].FailedKey != "facility" {
			t.Errorf("%q: %s, want %s (%+v)", line, got, want, x.Routes)
		}
	}
}

func TestExplainUnknownListener(t *testing.T) {
	cfg := loadYAML(t, explainYAML)
	for _, name := range []string{"nope", "central"} {
		_, err := NewExplainer(cfg, ExplainOptions{Listener: name})
		if !errors.Is(err, ErrListener) || !strings.Contains(err.Error(), "socket listeners: udp, devlog") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// FuzzExplain: any bytes are explained without a panic, and as a message
// the daemon would count.
func FuzzExplain(f *testing.F) {
	for _, s := range []string{"<13>Mar  4 05:06:07 web01 nginx: GET /", "<38>1 - - - - - [a b=\"c\"] x", "<999>", "\x00\xff\n", ""} {
		f.Add([]byte(s))
	}
	cfg, err := config.LoadBytes("test.yaml", []byte(explainYAML), Schema())
	if err != nil {
		f.Fatal(err)
	}
	e, err := NewExplainer(cfg, ExplainOptions{Listener: "devlog"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		x := e.Explain(line, explainNow)
		if x.Outcome == "" || len(x.Routes) == 0 && x.Parse != nil {
			t.Errorf("%q: %+v", line, x)
		}
		if _, err := json.Marshal(x); err != nil {
			t.Errorf("%q: %v", line, err)
		}
	})
}
