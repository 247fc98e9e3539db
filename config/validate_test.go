package config_test

import (
	"errors"

	"slices"
	"strings"
	"syslogd/config"
	"syslogd/daemon"
	"testing"
)

// Valid sections that complete a case. Each case writes the section under
// test first, so its line numbers start at 1.
const (
	okListeners = "listeners: [{name: u, protocol: udp, address: \"127.0.0.1:0\"}]\n"
	okSinks     = "sinks: [{name: f, type: file, path: x.log}]\n"
	okRoutes    = "routes: [{name: r, sinks: [f]}]\n"
)

// load loads src with the daemon's table of listener protocols and sink
// types, the one the binary uses.
func load(name, src string) (*config.Config, error) {
	return config.LoadBytes(name, []byte(src), daemon.Schema())
}

// problems loads src and returns each problem as "LINE:COL: path: reason".
func problems(t *testing.T, src string) []string {
	t.Helper()
	_, err := load("t.yaml", src)
	if err == nil {
		return nil
	}
	errs, ok := errors.AsType[*config.Errors](err)
	if !ok {
		t.Fatalf("error is %T, want *Errors: %v", err, err)
	}
	var out []string
	for _, e := range errs.List {
		if e.File != "t.yaml" {
			t.Errorf("File = %q, want t.yaml", e.File)
		}
		out = append(out, strings.TrimPrefix(e.Error(), "t.yaml:"))
	}
	return out
}

type problemCase struct {
	name string
	src  string
	want []string
}

func runProblems(t *testing.T, cases []problemCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := problems(t, tc.src)
			if !slices.Equal(got, tc.want) {
				t.Errorf("problems:\n got: %q\nwant: %q", got, tc.want)
			}
		})
	}
}

func TestStructuralProblems(t *testing.T) {
	runProblems(t, []problemCase{
		{"unknown key with suggestion", okListeners + "sinks:\n  - name: f\n    type: file\n    pth: x.log\n" + okRoutes, []string{
			`3:5: sinks[0].path: required`, // missing: reported at the sink
			`5:5: sinks[0].pth: unknown key "pth"; did you mean "path"?`,
		}},
		{"unknown top-level key", "colour: blue\n" + okListeners + okSinks + okRoutes, []string{
			`1:1: colour: unknown key "colour"`,
		}},
		{"unknown section name typo", "listener: []\n" + okListeners + okSinks + okRoutes, []string{
			`1:1: listener: unknown key "listener"; did you mean "listeners"?`,
		}},
		{"string where a list is wanted", "routes:\n  - name: r\n    match: {facility: auth}\n    sinks: [f]\n" + okListeners + okSinks, []string{
			`3:23: routes[0].match.facility: expected a list, got "auth"; write [auth]`,
		}},
		{"mapping where a string is wanted", "listeners:\n  - name: {a: b}\n    protocol: udp\n    address: \":0\"\n" + okSinks + okRoutes, []string{
			`2:11: listeners[0].name: expected a string, got a mapping`,
		}},
		{"bool", "routes: [{name: r, sinks: [f], final: yes}]\n" + okListeners + okSinks, []string{
			`1:39: routes[0].final: expected true or false, got "yes"`,
		}},
		{"integer given as a string", "listeners: [{name: u, protocol: udp, address: \":0\", max_message_bytes: \"100\"}]\n" + okSinks + okRoutes, []string{
			`1:72: listeners[0].max_message_bytes: expected an integer, got "100"`,
		}},
		{"duration", "listeners: [{name: t, protocol: tcp, address: \":0\", idle_timeout: 5x}]\n" + okSinks + okRoutes, []string{
			`1:67: listeners[0].idle_timeout: invalid duration "5x" (want e.g. 30s or 5m)`,
		}},
		{"duration without unit", "shutdown_timeout: 10\n" + okListeners + okSinks + okRoutes, []string{
			`1:19: shutdown_timeout: invalid duration "10" (want e.g. 30s or 5m)`,
		}},
		{"allowed_sources", "listeners: [{name: u, protocol: udp, address: \":0\", allowed_sources: [10.0.0.0/8, 10.1.2.3, \"::1\", 300.1.1.1, 10.0.0.0/33]}]\n" + okSinks + okRoutes, []string{
			`1:100: listeners[0].allowed_sources[3]: bad IP or CIDR: ParseAddr("300.1.1.1"): IPv4 field has value >255`,
			`1:111: listeners[0].allowed_sources[4]: bad CIDR: netip.ParsePrefix("10.0.0.0/33"): prefix length out of range`,
		}},
		{"duplicate key", "listeners:\n  - name: u\n    protocol: udp\n    address: \":0\"\n    protocol: tcp\n" + okSinks + okRoutes, []string{
			`5:5: listeners[0].protocol: duplicate key "protocol" (first at line 3)`,
		}},
		{"top level is a list", "- a\n- b\n", []string{
			`1:1: expected a mapping, got a list`,
		}},
		{"empty file", "", []string{
			`1:1: listeners: at least one listener is required`,
			`1:1: sinks: at least one sink is required`,
			`1:1: routes: at least one route is required`,
		}},
		{"empty lists", "listeners: []\nsinks: []\nroutes: []\n", []string{
			`1:12: listeners: at least one listener is required`,
			`2:8: sinks: at least one sink is required`,
			`3:9: routes: at least one route is required`,
		}},
	})
}

// l wraps one listener written in flow style into a complete config.
func l(listener string) string {
	return "listeners: [" + listener + "]\n" + okSinks + okRoutes
}

func TestListenerProblems(t *testing.T) {
	runProblems(t, []problemCase{
		{"valid udp tcp tls", "listeners:\n" +
			"  - {name: u, protocol: udp, address: \"127.0.0.1:5514\", allowed_sources: [10.0.0.0/8, \"::1\"], timezone: UTC}\n" +
			"  - {name: t, protocol: tcp, address: \"127.0.0.1:5514\", framing: octet_counting, timezone: Europe/Berlin}\n" +
			"  - {name: s, protocol: tls, address: \"[::1]:6514\", tls: {cert_file: testdata/placeholder.pem, key_file: testdata/placeholder.pem}}\n" +
			okSinks + okRoutes, nil},
		{"name missing", l(`{protocol: udp, address: ":0"}`), []string{
			`1:13: listeners[0].name: listener name is empty`,
		}},
		{"name alphabet", l(`{name: "a b", protocol: udp, address: ":0"}`), []string{
			`1:20: listeners[0].name: invalid listener name "a b" (use letters, digits, '_', '.', '-')`,
		}},
		{"name duplicate", "listeners:\n  - {name: u, protocol: udp, address: \":0\"}\n  - {name: u, protocol: tcp, address: \":0\"}\n" + okSinks + okRoutes, []string{
			`3:12: listeners[1].name: duplicate listener name "u" (also listeners[0])`,
		}},
		{"protocol missing", l(`{name: u, address: ":0"}`), []string{
			`1:13: listeners[0].protocol: required (want udp, tcp, tls, unix, unixgram, jetstream)`,
		}},
		{"protocol invalid", l(`{name: u, protocol: sctp, address: ":0"}`), []string{
			`1:33: listeners[0].protocol: invalid value "sctp" (want udp, tcp, tls, unix, unixgram, jetstream)`,
		}},
		{"address missing", l(`{name: u, protocol: udp}`), []string{
			`1:13: listeners[0].address: required`,
		}},
		{"address without port", l(`{name: u, protocol: udp, address: 127.0.0.1}`), []string{
			`1:47: listeners[0].address: invalid address "127.0.0.1": missing port in address (want host:port)`,
		}},
		{"port out of range", l(`{name: u, protocol: udp, address: "127.0.0.1:70000"}`), []string{
			`1:47: listeners[0].address: invalid port "70000" (want 0-65535)`,
		}},
		{"named port", l(`{name: u, protocol: udp, address: "localhost:syslog"}`), []string{
			`1:47: listeners[0].address: invalid port "syslog" (want 0-65535)`,
		}},
		{"format", l(`{name: u, protocol: udp, address: ":0", format: rfc9999}`), []string{
			`1:61: listeners[0].format: invalid value "rfc9999" (want auto, rfc5424, rfc3164)`,
		}},
		{"framing", l(`{name: t, protocol: tcp, address: ":0", framing: lf}`), []string{
			`1:62: listeners[0].framing: invalid value "lf" (want auto, octet_counting, non_transparent)`,
		}},
		{"framing on udp", l(`{name: u, protocol: udp, address: ":0", framing: octet_counting}`), []string{
			`1:62: listeners[0].framing: framing "octet_counting" is for stream protocols; a udp datagram is one message`,
		}},
		{"auto framing on udp is fine", l(`{name: u, protocol: udp, address: ":0", framing: auto}`), nil},
		{"sizes and durations", "listeners:\n  - name: t\n    protocol: tcp\n    address: \":0\"\n" +
			"    max_message_bytes: 16777217\n    max_connections: 0\n    idle_timeout: -1s\n" + okSinks + okRoutes, []string{
			`5:24: listeners[0].max_message_bytes: must be between 1 and 16777216 (16 MiB)`,
			`6:22: listeners[0].max_connections: must be > 0`,
			`7:19: listeners[0].idle_timeout: must be >= 0 (0: never)`,
		}},
		{"rate limit", l(`{name: u, protocol: udp, address: ":0", rate_limit: {messages_per_second: 0, burst: -1, by: ip, max_keys: 0}}`), []string{
			`1:87: listeners[0].rate_limit.messages_per_second: must be at least 1`,
			`1:97: listeners[0].rate_limit.burst: must be 0 (one second's worth) or more`,
			`1:105: listeners[0].rate_limit.by: unknown key "ip" (want source or hostname)`,
			`1:119: listeners[0].rate_limit.max_keys: must be at least 1`,
		}},
		{"rate limit with its defaults", l(`{name: u, protocol: udp, address: ":0", rate_limit: {messages_per_second: 10}}`), nil},
		{"rate limit is not for jetstream", "listeners: [{name: j, protocol: jetstream, url: \"nats://127.0.0.1:4222\", stream: S, consumer: C, rate_limit: {messages_per_second: 1}}]\n" + okSinks + okRoutes, []string{
			`1:98: listeners[0].rate_limit: key "rate_limit" is not valid for a jetstream listener`,
		}},
		{"hosts", okListeners + okSinks + okRoutes + "hosts: {max_tracked: -1, silent_after: -2s}\n", []string{
			`4:22: hosts.max_tracked: must be >= 0 (0 turns tracking off)`,
			`4:40: hosts.silent_after: must be >= 0 (0 turns silence detection off)`,
		}},
		{"negative size", l(`{name: u, protocol: udp, address: ":0", max_message_bytes: -1}`), []string{
			`1:72: listeners[0].max_message_bytes: must be between 1 and 16777216 (16 MiB)`,
		}},
		{"timezone", l(`{name: u, protocol: udp, address: ":0", timezone: Mars/Olympus}`), []string{
			`1:63: listeners[0].timezone: unknown time zone "Mars/Olympus" (want an IANA name such as Europe/Berlin, Local or UTC)`,
		}},
		{"tls block on tcp", l(`{name: t, protocol: tcp, address: ":0", tls: {cert_file: a}}`), []string{
			`1:53: listeners[0].tls: tls is only valid for protocol tls, not tcp`,
		}},
		{"tls block missing", l(`{name: s, protocol: tls, address: ":0"}`), []string{
			`1:13: listeners[0].tls: required for protocol tls (cert_file and key_file)`,
		}},
		{"tls files", "listeners:\n  - name: s\n    protocol: tls\n    address: \":0\"\n    tls:\n" +
			"      cert_file: testdata/missing.pem\n      client_auth: require\n" + okSinks + okRoutes, []string{
			`6:7: listeners[0].tls.key_file: required`, // absent: at the tls block
			`6:7: listeners[0].tls.client_ca_file: required when client_auth is require`,
			`6:18: listeners[0].tls.cert_file: cannot read file: open testdata/missing.pem: no such file or directory`,
		}},
		{"tls client auth and ca", "listeners:\n  - name: s\n    protocol: tls\n    address: \":0\"\n    tls:\n" +
			"      cert_file: testdata/placeholder.pem\n      key_file: testdata\n" +
			"      client_auth: always\n      client_ca_file: testdata/nope.pem\n" + okSinks + okRoutes, []string{
			`7:17: listeners[0].tls.key_file: testdata is a directory`,
			`8:20: listeners[0].tls.client_auth: invalid value "always" (want none, request, require)`,
			`9:23: listeners[0].tls.client_ca_file: cannot read file: open testdata/nope.pem: no such file or directory`,
		}},
		{"same address twice", "listeners:\n" +
			"  - {name: a, protocol: udp, address: \"127.0.0.1:5514\"}\n" +
			"  - {name: b, protocol: tcp, address: \"127.0.0.1:5514\"}\n" +
			"  - {name: c, protocol: udp, address: \"127.0.0.1:05514\"}\n" +
			"  - {name: d, protocol: tls, address: \"127.0.0.1:5514\", tls: {cert_file: testdata/placeholder.pem, key_file: testdata/placeholder.pem}}\n" +
			"  - {name: e, protocol: udp, address: \"127.0.0.1:0\"}\n" +
			"  - {name: f, protocol: udp, address: \"127.0.0.1:0\"}\n" +
			okSinks + okRoutes, []string{
			`4:39: listeners[2].address: listeners[0] already listens on udp 127.0.0.1:05514`,
			`5:39: listeners[3].address: listeners[1] already listens on tcp 127.0.0.1:5514`,
		}},
	})
}

// s wraps sinks written one per line into a complete config; the route
// sends to the first.
func s(sinks ...string) string {
	src := "sinks:\n"
	for _, x := range sinks {
		src += "  - " + x + "\n"
	}
	return src + okListeners + okRoutes
}

func TestSinkProblems(t *testing.T) {
	runProblems(t, []problemCase{
		{"valid of each type", s(
			`{name: f, type: file, path: "/var/log/{hostname}/{date}.log", format: json, fsync: batch, max_open_files: 10, when_full: drop_newest}`,
			`{name: n, type: nats, url: "nats://127.0.0.1:4222", subject: "syslog.{facility}.{hostname}", format: rfc5424}`,
			`{name: j, type: journald, namespace: syslog}`,
			`{name: k, type: nats, url: "nats://x", subject: syslog}`,
		), nil},
		{"name", s(`{type: journald}`, `{name: a/b, type: journald}`, `{name: f, type: journald}`, `{name: f, type: journald}`), []string{
			`2:5: sinks[0].name: sink name is empty`,
			`3:12: sinks[1].name: invalid sink name "a/b" (use letters, digits, '_', '.', '-')`,
			`5:12: sinks[3].name: duplicate sink name "f" (also sinks[2])`,
		}},
		{"type", s(`{name: f}`, `{name: g, type: kafka}`), []string{
			`2:5: sinks[0].type: required (want file, nats, journald, syslog)`,
			`3:21: sinks[1].type: invalid value "kafka" (want file, nats, journald, syslog)`,
		}},
		{"queue", s(`{name: f, type: journald, when_full: drop_oldest, queue_size: 0, batch_size: -1}`), []string{
			`2:42: sinks[0].when_full: invalid value "drop_oldest" (want block, drop_newest)`,
			`2:67: sinks[0].queue_size: must be > 0`,
			`2:82: sinks[0].batch_size: must be > 0`,
		}},
		{"queue_max_bytes", s(`{name: f, type: journald, queue_max_bytes: 0}`, `{name: g, type: file, path: x.log, queue_max_bytes: -1}`,
			`{name: h, type: journald, queue_max_bytes: 8MiB}`), []string{
			`2:48: sinks[0].queue_max_bytes: must be > 0`,
			`3:57: sinks[1].queue_max_bytes: must be > 0`,
			`4:48: sinks[2].queue_max_bytes: expected an integer, got "8MiB"`,
		}},
		{"file", s(`{name: f, type: file}`, `{name: g, type: file, path: "log/{host}.log", format: cef, fsync: always, max_open_files: 0}`), []string{
			`2:5: sinks[0].path: required`,
			`3:33: sinks[1].path: unknown placeholder {host} (known: {hostname} {app_name} {proc_id} {msg_id} {facility} {severity} {listener} {source_ip} {date} {year} {month} {day} {hour})`,
			`3:59: sinks[1].format: invalid value "cef" (want rfc3164, rfc5424, json, raw)`,
			`3:71: sinks[1].fsync: invalid value "always" (want never, batch)`,
			`3:95: sinks[1].max_open_files: must be > 0`,
		}},
		{"file path braces", s(`{name: f, type: file, path: "log/{hostname.log"}`), []string{
			`2:33: sinks[0].path: unclosed '{' at offset 4`,
		}},
		{"nats required", s(`{name: f, type: nats}`), []string{
			`2:5: sinks[0].url: required`,
			`2:5: sinks[0].subject: required`,
		}},
		{"nats subject and format", s(
			`{name: a, type: nats, url: "nats://x", subject: "{hostname}.syslog", format: rfc3164}`,
			`{name: b, type: nats, url: "nats://x", subject: "syslog..x"}`,
			`{name: c, type: nats, url: "nats://x", subject: "syslog.*"}`,
			`{name: d, type: nats, url: "nats://x", subject: "sys{facility}.x"}`,
			`{name: e, type: nats, url: "nats://x", subject: "syslog.{nope}"}`,
			`{name: f, type: nats, url: "nats://x", subject: "{hostname}"}`,
		), []string{
			`2:53: sinks[0].subject: subject "{hostname}.syslog" must start with a literal token (e.g. syslog.{facility})`,
			`2:82: sinks[0].format: invalid value "rfc3164" (want json, rfc5424, raw)`,
			`3:53: sinks[1].subject: subject "syslog..x" has an empty token`,
			`4:53: sinks[2].subject: subject "syslog.*" has a wildcard or whitespace in token "*"`,
			`5:53: sinks[3].subject: subject "sys{facility}.x" must start with a literal token (e.g. syslog.{facility})`,
			`6:53: sinks[4].subject: unknown placeholder {nope} (known: {hostname} {app_name} {proc_id} {msg_id} {facility} {severity} {listener} {source_ip} {date} {year} {month} {day} {hour})`,
			`7:53: sinks[5].subject: subject "{hostname}" must start with a literal token (e.g. syslog.{facility})`,
		}},
		{"nats valid, every key", s(
			`{name: f, type: nats, url: [nats://a:4222, "tls://b:4222"], subject: "syslog.{hostname}", mode: jetstream, user: u, password: p, ca_file: testdata/placeholder.pem, cert_file: testdata/placeholder.pem, key_file: testdata/placeholder.pem, spool_dir: /var/lib/syslogd/spool, spool_max_bytes: 1048576, max_pending: 64, stream: {name: SYSLOG, subjects: ["syslog.>", "audit.*.x"], storage: memory, replicas: 3, max_age: 72h}}`,
			`{name: b, type: nats, url: nats://a, subject: s.x, mode: core, creds_file: testdata/placeholder.pem}`,
			`{name: c, type: nats, url: nats://a, subject: s.x, token: t, stream: {name: S}}`,
		), nil},
		{"nats url", s(
			`{name: f, type: nats, url: "http://x", subject: s}`,
			`{name: b, type: nats, url: [nats://ok, "nats://", ""], subject: s}`,
			`{name: c, type: nats, url: [], subject: s}`,
		), []string{
			`2:32: sinks[0].url: invalid url scheme "http" (want nats, tls, ws or wss)`,
			`3:44: sinks[1].url[1]: invalid url "nats://" (want e.g. nats://host:4222)`,
			`3:55: sinks[1].url[2]: empty url`,
			`4:32: sinks[2].url: required`,
		}},
		{"nats mode, auth and files", s(
			`{name: f, type: nats, url: nats://x, subject: s, mode: at_least_once, user: u, token: t}`,
			`{name: b, type: nats, url: nats://x, subject: s, password: p, nkey_file: /nonexistent/seed.nk, cert_file: testdata/placeholder.pem}`,
		), []string{
			`2:60: sinks[0].mode: invalid value "at_least_once" (want core, jetstream)`,
			`2:91: sinks[0].token: user and token are alternatives; use one way to authenticate`,
			`3:64: sinks[1].password: password needs user`,
			`3:78: sinks[1].nkey_file: cannot read file: open /nonexistent/seed.nk: no such file or directory`,
			`3:111: sinks[1].cert_file: cert_file and key_file go together`,
		}},
		{"nats spool and pending", s(`{name: f, type: nats, url: nats://x, subject: s, spool_dir: "", spool_max_bytes: 0, max_pending: -1}`), []string{
			`2:65: sinks[0].spool_dir: required`,
			`2:86: sinks[0].spool_max_bytes: must be > 0`,
			`2:102: sinks[0].max_pending: must be > 0`,
		}},
		{"nats stream", s(
			`{name: f, type: nats, url: nats://x, subject: s, stream: {subjects: ["a..b", "a.>.b", "a.b*", "a b"], storage: disk, replicas: 7, max_age: -1h}}`,
			`{name: b, type: nats, url: nats://x, subject: s, mode: core, stream: {name: "my.stream"}}`,
		), []string{
			`2:62: sinks[0].stream.name: required`,
			`2:74: sinks[0].stream.subjects[0]: subject "a..b" has an empty token`,
			`2:82: sinks[0].stream.subjects[1]: subject "a.>.b" has '>' before its last token`,
			`2:91: sinks[0].stream.subjects[2]: subject "a.b*" has a wildcard inside token "b*"`,
			`2:99: sinks[0].stream.subjects[3]: subject "a b" has whitespace`,
			`2:116: sinks[0].stream.storage: invalid value "disk" (want file, memory)`,
			`2:132: sinks[0].stream.replicas: must be 1 to 5`,
			`2:144: sinks[0].stream.max_age: must be >= 0`,
			`3:74: sinks[1].stream: a stream is only used in jetstream mode`,
			`3:81: sinks[1].stream.name: invalid stream name "my.stream" (no whitespace, '.', '*', '>', '/' or '\')`,
		}},
		{"nats keys on a file sink", s(`{name: f, type: file, path: x.log, spool_dir: /s, stream: {name: S}}`), []string{
			`2:40: sinks[0].spool_dir: key "spool_dir" is not valid for a file sink`,
			`2:55: sinks[0].stream: key "stream" is not valid for a file sink`,
		}},
		{"buffer", s(`{name: f, type: file, path: x.log, buffer: {max_bytes: 0}, stall_timeout: 0s}`,
			`{name: n, type: nats, url: "nats://x", subject: s, buffer: {dir: /b}}`,
			`{name: j, type: journald, buffer: {dir: /var/lib/syslogd/buffer/j}}`), []string{
			`2:48: sinks[0].buffer.dir: required`, // absent: at the buffer block
			`2:60: sinks[0].buffer.max_bytes: must be > 0`,
			`2:79: sinks[0].stall_timeout: must be > 0`,
			`3:64: sinks[1].buffer: this sink is always buffered on disk, in spool_dir (bounded by spool_max_bytes)`,
		}},
		{"journald", s(`{name: f, type: journald, socket: /run/systemd/journal/socket, namespace: x}`), []string{
			`2:79: sinks[0].namespace: socket and namespace are mutually exclusive`,
		}},
		{"journald valid", s(
			`{name: f, type: journald, socket: /run/systemd/journal/socket, fields: [{name: SYSLOGD_SITE, value: fra1}, {name: MESSAGE_ID, value: ""}]}`,
			`{name: b, type: journald, namespace: "audit-1.x:y", fields: [{name: N9, value: 5}]}`,
		), nil},
		{"journald socket and namespace", s(`{name: f, type: journald, socket: run/j.sock}`, `{name: b, type: journald, namespace: "a/b"}`,
			`{name: c, type: journald, namespace: .hidden}`), []string{
			`2:39: sinks[0].socket: socket "run/j.sock" must be an absolute path`,
			`3:42: sinks[1].namespace: invalid namespace "a/b" (use letters, digits, '_', '-', '.', ':', not starting with '.', at most 128)`,
			`4:42: sinks[2].namespace: invalid namespace ".hidden" (use letters, digits, '_', '-', '.', ':', not starting with '.', at most 128)`,
		}},
		{"journald field names", "sinks:\n  - name: f\n    type: journald\n    fields:\n" +
			"      - {name: lower, value: x}\n      - {name: _PID, value: x}\n      - {name: 9LIVES, value: x}\n" +
			"      - {name: PRIORITY, value: \"0\"}\n      - {name: SD_ORIGIN_IP, value: x}\n      - {name: \"X=1\\nPRIORITY\", value: x}\n" +
			"      - {name: " + strings.Repeat("A", 65) + ", value: x}\n      - {value: x}\n" + okListeners + okRoutes, []string{
			`5:16: sinks[0].fields[0].name: invalid field name "lower" (use A-Z, 0-9 and _)`,
			`6:16: sinks[0].fields[1].name: field name "_PID" starts with '_' (reserved for journald's trusted fields)`,
			`7:16: sinks[0].fields[2].name: field name "9LIVES" starts with a digit`,
			`8:16: sinks[0].fields[3].name: field name "PRIORITY" is set by the sink from each message`,
			`9:16: sinks[0].fields[4].name: field name "SD_ORIGIN_IP" uses the SD_ prefix reserved for structured data`,
			`10:16: sinks[0].fields[5].name: invalid field name "X=1\nPRIORITY" (use A-Z, 0-9 and _)`,
			`11:16: sinks[0].fields[6].name: field name "` + strings.Repeat("A", 65) + `" is longer than 64 characters`,
			`12:9: sinks[0].fields[7].name: required`,
		}},
		{"journald fields on another type", s(`{name: f, type: file, path: x.log, fields: [{name: A, value: b}]}`), []string{
			`2:40: sinks[0].fields: key "fields" is not valid for a file sink`,
		}},
		{"keys of another type", "sinks:\n  - name: f\n    type: file\n    path: x.log\n    url: nats://x\n    socket: /s\n" +
			"  - name: j\n    type: journald\n    format: json\n    path: x\n" + okListeners + okRoutes, []string{
			`5:5: sinks[0].url: key "url" is not valid for a file sink`,
			`6:5: sinks[0].socket: key "socket" is not valid for a file sink`,
			`9:5: sinks[1].format: key "format" is not valid for a journald sink`,
			`10:5: sinks[1].path: key "path" is not valid for a journald sink`,
		}},
	})
}

// r wraps routes written one per line into a complete config with
// listeners u and t and sinks f and g.
func r(routes ...string) string {
	src := "routes:\n"
	for _, x := range routes {
		src += "  - " + x + "\n"
	}
	return src + "listeners: [{name: u, protocol: udp, address: \":0\"}, {name: t, protocol: tcp, address: \":0\"}]\n" +
		"sinks: [{name: f, type: file, path: x.log}, {name: g, type: journald}]\n"
}

func TestRouteProblems(t *testing.T) {
	runProblems(t, []problemCase{
		{"valid", r(
			`{name: auth, match: {facility: [auth, 10], min_severity: warning, hostname: ["web-*"], app_name: [sshd], source: [10.0.0.0/8, "::1"], listener: [u, t], message: "(?i)failed", parsed: true}, sinks: [f, g], final: true}`,
			`{name: rest, fallback: true, sinks: [f]}`,
		), nil},
		{"names", r(`{sinks: [f]}`, `{name: "a b", sinks: [f]}`, `{name: x, sinks: [f]}`, `{name: x, sinks: [f]}`), []string{
			`2:5: routes[0].name: route name is empty`,
			`3:12: routes[1].name: invalid route name "a b" (use letters, digits, '_', '.', '-')`,
			`5:12: routes[3].name: duplicate route name "x" (also routes[2])`,
		}},
		{"sinks", r(`{name: a}`, `{name: b, sinks: [f, nope]}`), []string{
			`2:5: routes[0].sinks: route has no sinks`, // absent: at the route
			`3:26: routes[1].sinks[1]: unknown sink "nope"`,
		}},
		{"match values", "routes:\n  - name: a\n    sinks: [f]\n    match:\n" +
			"      facility: [auth, bogus]\n      severity: [err, 9]\n      min_severity: warning\n" +
			"      hostname: [\"web-[\"]\n      source: [10.0.0.0/40]\n      listener: [u, tcp]\n      message: \"(\"\n" +
			okListeners + okSinks, []string{
			`5:24: routes[0].match.facility[1]: unknown facility "bogus" (want kern..local7 or 0-23)`,
			`6:23: routes[0].match.severity[1]: unknown severity "9" (want emerg..debug or 0-7)`,
			`7:21: routes[0].match.min_severity: min_severity and severity are mutually exclusive`,
			`8:18: routes[0].match.hostname[0]: bad glob "web-[": syntax error in pattern`,
			`9:16: routes[0].match.source[0]: bad CIDR: netip.ParsePrefix("10.0.0.0/40"): prefix length out of range`,
			`10:21: routes[0].match.listener[1]: unknown listener "tcp"`,
			"11:16: routes[0].match.message: bad regex: error parsing regexp: missing closing ): `(`",
		}},
		{"fallback with match keys", r(`{name: a, fallback: true, match: {app_name: [x]}, sinks: [f]}`), []string{
			`2:25: routes[0].fallback: a fallback route cannot have match keys (has app_name)`,
		}},
	})
}

func TestTopLevelProblems(t *testing.T) {
	ok := okListeners + okSinks + okRoutes
	runProblems(t, []problemCase{
		{"stats off", "stats: {address: \"off\"}\n" + ok, nil},
		{"stats empty", "stats: {address: \"\"}\n" + ok, nil},
		{"stats address", "stats: {address: localhost}\n" + ok, []string{
			`1:18: stats.address: invalid address "localhost": missing port in address (want host:port)`,
		}},
		{"shutdown timeout", "shutdown_timeout: 0s\n" + ok, []string{
			`1:19: shutdown_timeout: must be > 0`,
		}},
		{"log", "log:\n  level: verbose\n  format: xml\n" + ok, []string{
			`2:10: log.level: invalid value "verbose" (want debug, info, warn, error)`,
			`3:11: log.format: invalid value "xml" (want text, json)`,
		}},
		{"explicit empty enum is not a default", "log: {level: \"\"}\n" + ok, []string{
			`1:14: log.level: invalid value "" (want debug, info, warn, error)`,
		}},
	})
}

func TestSyntaxErrors(t *testing.T) {
	runProblems(t, []problemCase{
		{"mapping value in plain scalar", "listeners:\n  - name: a: b\n", []string{
			`2:5: yaml: mapping values are not allowed in this context`,
		}},
		{"bad indentation", "listeners:\n  - name: x\n   protocol: udp\n", []string{
			`3:4: yaml: did not find expected '-' indicator`,
		}},
		{"unclosed quote points at its line", "sinks:\n  - name: 'f\n    type: file\n", []string{
			`2:5: yaml: found unexpected end of stream`,
		}},
		{"unclosed flow", "a: 1\nroutes: [{name: r, sinks: [f]}\nb: 2\n", []string{
			`2:1: yaml: did not find expected ',' or ']'`,
		}},
		{"tab", "log:\n\tlevel: info\n", []string{
			`2:1: yaml: found character that cannot start any token`,
		}},
		{"two documents", okListeners + "---\n" + okSinks, []string{
			`2:1: a second YAML document; the configuration is one document`,
		}},
		{"unknown anchor", "sinks: *nope\n", []string{
			`1:1: yaml: unknown anchor 'nope' referenced`,
		}},
	})
}
