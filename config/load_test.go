package config_test

import (
	"errors"
	"io/fs"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"syslogd/config"
	"syslogd/daemon"
	"syslogd/listener"
	"syslogd/natsconn"
	"syslogd/parser"
	"syslogd/sinks"
	"syslogd/sinks/file"
	"syslogd/sinks/format"
	"syslogd/sinks/journald"
	"syslogd/sinks/nats"
	"testing"
	"time"
)

func mustLoad(t *testing.T, src string) *config.Config {
	t.Helper()
	c, err := load("t.yaml", src)
	if err != nil {
		t.Fatalf("LoadBytes: %v", err)
	}
	return c
}

func TestDefaultValidates(t *testing.T) {
	c, err := config.Default(daemon.Schema())
	if err != nil {
		t.Fatalf("Default: %v", err)
	}
	if c.File != config.DefaultName {
		t.Errorf("File = %q", c.File)
	}
	if l, _ := listenerOptions(t, c.Listeners[0]); len(c.Listeners) != 2 || l.Address != "127.0.0.1:5514" || c.Listeners[1].Protocol != "tcp" {
		t.Errorf("listeners = %+v", c.Listeners)
	}
	if c.Stats.Address != "127.0.0.1:9514" || c.ShutdownTimeout != 10*time.Second {
		t.Errorf("stats %q, shutdown_timeout %v", c.Stats.Address, c.ShutdownTimeout)
	}
	b := config.DefaultYAML()
	b[0] = 'X'
	if config.DefaultYAML()[0] == 'X' {
		t.Error("DefaultYAML returns the embedded slice itself")
	}
}

func TestDefaultsApplied(t *testing.T) {
	c := mustLoad(t, `
listeners:
  - {name: u, protocol: udp, address: ":0", timezone: }   # null: default
  - {name: s, protocol: tls, address: ":1", tls: {cert_file: testdata/placeholder.pem, key_file: testdata/placeholder.pem}}
sinks:
  - {name: f, type: file, path: x.log}
  - {name: n, type: nats, url: "nats://x", subject: s}
  - {name: j, type: journald}
routes: [{name: r, sinks: [f, n, j]}]
`)
	l, p := listenerOptions(t, c.Listeners[0])
	wantL := listener.Options{Protocol: "udp", Address: ":0", Framing: listener.FramingAuto,
		MaxMessageBytes: 65536, MaxConnections: 1024, IdleTimeout: 5 * time.Minute, FrameTimeout: 30 * time.Second}
	if !reflect.DeepEqual(l, wantL) || p != (parser.Config{Format: "auto", Timezone: "Local"}) {
		t.Errorf("listener defaults:\n got %+v %+v\nwant %+v", l, p, wantL)
	}
	if l, _ := listenerOptions(t, c.Listeners[1]); l.TLS == nil || l.TLS.ClientAuth != listener.ClientAuthNone {
		t.Errorf("tls = %+v, want client_auth none", l.TLS)
	}
	queue := sinks.Options{WhenFull: sinks.Block, QueueSize: 10000, QueueMaxBytes: 8 << 20, BatchSize: 512, StallTimeout: 10 * time.Second}
	q, f := sinkOptions[file.Options](t, c.Sinks[0])
	if want := (file.Options{Path: "x.log", Format: format.RFC3164, FSync: file.FSyncNever, MaxOpenFiles: 256}); q != queue || f != want {
		t.Errorf("file sink defaults: %+v %+v, want %+v", q, f, want)
	}
	q, n := sinkOptions[nats.Options](t, c.Sinks[1])
	wantN := nats.Options{Options: natsconn.Options{URL: []string{"nats://x"}}, Subject: "s", Format: format.JSON, Mode: nats.JetStream,
		SpoolDir: "spool", SpoolMaxBytes: 1 << 30, MaxPending: 1024}
	if q != queue || !reflect.DeepEqual(n, wantN) {
		t.Errorf("nats sink defaults: %+v %+v, want %+v", q, n, wantN)
	}
	if q, j := sinkOptions[journald.Options](t, c.Sinks[2]); q != queue || !reflect.DeepEqual(j, journald.Options{}) {
		t.Errorf("journald sink defaults: %+v %+v", q, j)
	}
	if c.Stats.Address != config.DefaultStatsAddress || c.ShutdownTimeout != config.DefaultShutdownTimeout ||
		c.Log != (config.Log{Level: "info", Format: "text"}) {
		t.Errorf("top-level defaults: stats %q, shutdown %v, log %+v", c.Stats.Address, c.ShutdownTimeout, c.Log)
	}
}

func TestValuesDecoded(t *testing.T) {
	c, err := config.Load("testdata/good.yaml", daemon.Schema())
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if c.File != "testdata/good.yaml" {
		t.Errorf("File = %q", c.File)
	}
	want := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	if l, _ := listenerOptions(t, c.Listeners[0]); !slices.Equal(l.AllowedSources, want) {
		t.Errorf("allowed_sources = %v, want %v", l.AllowedSources, want)
	}
	if l, _ := listenerOptions(t, c.Listeners[1]); l.MaxMessageBytes != 131072 || l.MaxConnections != 256 || l.IdleTimeout != 2*time.Minute {
		t.Errorf("tcp listener = %+v", l)
	}
	rt := c.Routes[0]
	if rt.Match.Parsed != nil || !slices.Equal(rt.Match.Facility, []string{"auth", "authpriv"}) || !rt.Final {
		t.Errorf("route 0 = %+v", rt)
	}
	if p := c.Routes[1].Match.Parsed; p == nil || *p {
		t.Errorf("routes[1].match.parsed = %v, want false", p)
	}
	if q, _ := sinkOptions[nats.Options](t, c.Sinks[1]); c.Log.Format != "json" || q.WhenFull != sinks.DropNewest || q.QueueMaxBytes != 1<<20 {
		t.Errorf("log %+v, sinks[1] %+v", c.Log, q)
	}
}

func TestBadFileReportsAllThree(t *testing.T) {
	_, err := config.Load("testdata/bad.yaml", daemon.Schema())
	errs, ok := errors.AsType[*config.Errors](err)
	if !ok {
		t.Fatalf("Load: %v, want *Errors", err)
	}
	want := "testdata/bad.yaml:13:5: sinks[0].fromat: unknown key \"fromat\"; did you mean \"format\"?\n" +
		"testdata/bad.yaml:18:16: routes[0].match.message: bad regex: error parsing regexp: missing closing ): `failed (password`\n" +
		"testdata/bad.yaml:19:20: routes[0].sinks[1]: unknown sink \"journal\""
	if got := errs.Error(); got != want {
		t.Errorf("Error():\n%s\nwant:\n%s", got, want)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := config.Load("testdata/does-not-exist.yaml", daemon.Schema())
	if !errors.Is(err, fs.ErrNotExist) || !strings.HasPrefix(err.Error(), "open testdata/does-not-exist.yaml: ") {
		t.Fatalf("err = %v, want open ...: not exist", err)
	}
	if _, ok := errors.AsType[*config.Errors](err); ok {
		t.Error("an I/O error must not be *Errors")
	}
}

func TestErrorsFormat(t *testing.T) {
	e := &config.Errors{List: []config.Error{
		{File: "a.yaml", Line: 3, Col: 7, Path: "sinks[0].path", Reason: "required"},
		{File: "a.yaml", Line: 1, Col: 1, Reason: "yaml: oops"},
	}}
	want := "a.yaml:3:7: sinks[0].path: required\na.yaml:1:1: yaml: oops"
	if got := e.Error(); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestProblemsSortedByPosition(t *testing.T) {
	// Found in the order sinks, structure, routes; reported by position.
	got := problems(t, "routes: [{name: r, sinks: [nope]}]\nsinks: [{name: f, type: file}]\nlisteners: [{name: u, protocol: udp, address: \":0\", bogus: 1}]\n")
	want := []string{
		`1:28: routes[0].sinks[0]: unknown sink "nope"`,
		`2:9: sinks[0].path: required`,
		`3:53: listeners[0].bogus: unknown key "bogus"`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

func TestEnvOverrides(t *testing.T) {
	t.Setenv("SYSLOGD_STATS_ADDRESS", "127.0.0.1:19514")
	t.Setenv("SYSLOGD_SHUTDOWN_TIMEOUT", "3s")
	t.Setenv("SYSLOGD_LOG_LEVEL", "debug")
	for _, src := range []string{
		okListeners + okSinks + okRoutes, // keys absent from the file
		okListeners + okSinks + okRoutes + "stats: {address: \"off\"}\nshutdown_timeout: 1m\nlog: {level: warn}\n",
	} {
		c := mustLoad(t, src)
		if c.Stats.Address != "127.0.0.1:19514" || c.ShutdownTimeout != 3*time.Second || c.Log.Level != "debug" {
			t.Errorf("env not applied: stats %q, shutdown %v, log %+v\n%s", c.Stats.Address, c.ShutdownTimeout, c.Log, src)
		}
	}
	c, err := config.Default(daemon.Schema())
	if err != nil || c.Stats.Address != "127.0.0.1:19514" {
		t.Errorf("Default with env: %v, %+v", err, c)
	}
}

func TestEmptyEnvIsIgnored(t *testing.T) {
	t.Setenv("SYSLOGD_STATS_ADDRESS", "")
	if c := mustLoad(t, okListeners+okSinks+okRoutes); c.Stats.Address != config.DefaultStatsAddress {
		t.Errorf("stats address = %q", c.Stats.Address)
	}
}

func TestEnvProblems(t *testing.T) {
	ok := okListeners + okSinks + okRoutes
	cases := []struct {
		name, key, val, src string
		want                []string
	}{
		{"no node: 1:1", "SYSLOGD_SHUTDOWN_TIMEOUT", "soon", ok, []string{
			`1:1: shutdown_timeout: invalid duration "soon" (want e.g. 30s or 5m) (from SYSLOGD_SHUTDOWN_TIMEOUT)`,
		}},
		{"overrides a file value: at its section", "SYSLOGD_STATS_ADDRESS", "nowhere", ok + "stats:\n  address: 127.0.0.1:1\n", []string{
			`4:1: stats.address: invalid address "nowhere": missing port in address (want host:port) (from SYSLOGD_STATS_ADDRESS)`,
		}},
		{"enum", "SYSLOGD_LOG_FORMAT", "xml", ok, []string{
			`1:1: log.format: invalid value "xml" (want text, json) (from SYSLOGD_LOG_FORMAT)`,
		}},
		{"lists are not overridable", "SYSLOGD_LISTENERS", "x", ok, []string{
			`1:1: listeners: SYSLOGD_LISTENERS is set, but listeners cannot be set from the environment`,
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(tc.key, tc.val)
			if got := problems(t, tc.src); !slices.Equal(got, tc.want) {
				t.Errorf("got %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestMergeKeys(t *testing.T) {
	c := mustLoad(t, `
listeners:
  - &a {name: a, protocol: tcp, address: ":0", max_connections: 7}
  - {<<: *a, name: b, max_connections: 9}
`+okSinks+okRoutes)
	a, _ := listenerOptions(t, c.Listeners[0])
	b, _ := listenerOptions(t, c.Listeners[1])
	if len(c.Listeners) != 2 || a.MaxConnections != 7 || b.MaxConnections != 9 || c.Listeners[1].Protocol != "tcp" {
		t.Errorf("listeners = %+v", c.Listeners)
	}
}

func BenchmarkLoadDefault(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := config.Default(daemon.Schema()); err != nil {
			b.Fatal(err)
		}
	}
}
