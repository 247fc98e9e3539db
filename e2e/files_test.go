package e2e

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const baseConfig = `
listeners:
  - {name: udp, protocol: udp, address: "127.0.0.1:0"}
  - {name: tcp, protocol: tcp, address: "127.0.0.1:0", max_message_bytes: 4096}
sinks:
  - {name: hosts, type: file, path: "{{DIR}}/log/{hostname}/{app_name}.log", format: rfc3164}
  - {name: auth, type: file, path: "{{DIR}}/log/auth.json", format: json}
  - {name: unparsed, type: file, path: "{{DIR}}/log/unparsed.log", format: raw}
routes:
  - name: auth
    match: {facility: [auth, authpriv]}
    sinks: [auth]
    final: true
  - name: bad
    match: {parsed: false}
    sinks: [unparsed]
    final: true
  - name: rest
    sinks: [hosts]
stats: {address: "127.0.0.1:0"}
shutdown_timeout: 5s
`

// findOne returns the single file matching pattern under dir.
func findOne(t *testing.T, pattern string) string {
	t.Helper()
	m, err := filepath.Glob(pattern)
	if err != nil || len(m) != 1 {
		t.Fatalf("glob %s = %v, %v; want one file", pattern, m, err)
	}
	return m[0]
}

func TestLoggerMessagesLandInTheRightFiles(t *testing.T) {
	p := start(t, baseConfig)
	udp, tcp := p.addrs["udp"], p.addrs["tcp"]
	logger(t, udp, "-d", "--rfc3164", "-t", "udpapp", "-p", "user.info", "hello over udp")
	logger(t, tcp, "-T", "--octet-count", "--rfc5424", "-t", "octetapp", "-p", "local3.notice", "hello octet counted")
	logger(t, tcp, "-T", "--rfc3164", "-t", "ntapp", "-p", "daemon.err", "hello non-transparent")
	logger(t, tcp, "-T", "--rfc5424", "-t", "sshd", "-p", "authpriv.warning", "Failed password for root")

	s := p.waitStats("4 messages written", func(s statsDoc) bool {
		return s.Sinks["hosts"].Written == 3 && s.Sinks["auth"].Written == 1
	})
	if !balanced(s) || s.Totals.Received != 4 || s.Totals.Routed != 4 {
		t.Errorf("stats do not balance: %+v", s.Totals)
	}
	if s.Routes["auth"].Matched != 1 || s.Routes["rest"].Matched != 3 {
		t.Errorf("route counts: %+v", s.Routes)
	}
	for app, want := range map[string]string{
		"udpapp":   "udpapp: hello over udp",
		"octetapp": "octetapp: hello octet counted",
		"ntapp":    "ntapp: hello non-transparent",
	} {
		got := readFile(t, findOne(t, filepath.Join(p.dir, "log", "*", app+".log")))
		if !strings.Contains(got, want) || strings.Count(got, "\n") != 1 {
			t.Errorf("%s.log = %q, want one line containing %q", app, got, want)
		}
	}
	var auth map[string]any
	if err := json.Unmarshal([]byte(readFile(t, filepath.Join(p.dir, "log", "auth.json"))), &auth); err != nil {
		t.Fatal(err)
	}
	if auth["facility"] != "authpriv" || auth["severity"] != "warning" || auth["app_name"] != "sshd" ||
		auth["listener"] != "tcp" || auth["format"] != "rfc5424" {
		t.Errorf("auth.json = %v", auth)
	}
	p.stop()
}

func TestCheckConfig(t *testing.T) {
	out, err := runBinary("--check-config", "--config", "../config/testdata/bad.yaml")
	if code := exitCode(err); code != 1 {
		t.Fatalf("exit %d, want 1; output:\n%s", code, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	wants := []string{"unknown key", "regex", "unknown sink"} // sorted by position
	if len(lines) != len(wants) {
		t.Fatalf("want %d problems, got:\n%s", len(wants), out)
	}
	for i, w := range wants {
		var line, col int
		var rest string
		n, _ := fmt.Sscanf(strings.TrimPrefix(lines[i], "../config/testdata/bad.yaml:"), "%d:%d:%s", &line, &col, &rest)
		if n < 2 || line < 1 || col < 1 || !strings.Contains(lines[i], w) {
			t.Errorf("line %d = %q, want FILE:LINE:COL: ... %s", i, lines[i], w)
		}
	}
	out, err = runBinary("--check-config", "--config", "../config/testdata/good.yaml")
	if exitCode(err) != 0 || strings.TrimSpace(out) != "../config/testdata/good.yaml: OK" {
		t.Fatalf("good.yaml: %v\n%s", err, out)
	}
	out, err = runBinary("--check-config")
	if exitCode(err) != 0 || !strings.HasSuffix(strings.TrimSpace(out), ": OK") {
		t.Fatalf("embedded default: %v\n%s", err, out)
	}
}

func TestReloadKeepsOldConfigOnError(t *testing.T) {
	p := start(t, baseConfig)
	tcp := p.addrs["tcp"]
	logger(t, tcp, "-T", "--rfc3164", "-t", "before", "one")
	p.waitStats("first message", func(s statsDoc) bool { return s.Sinks["hosts"].Written == 1 })

	good, err := os.ReadFile(p.cfg)
	if err != nil {
		t.Fatal(err)
	}
	broken := strings.Replace(string(good), "final: true", "final: true\n    bogus_key: 1", 1)
	if err := os.WriteFile(p.cfg, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	p.signal(sighup)
	s := p.waitStats("reload failure", func(s statsDoc) bool { return s.Config.ReloadFailures == 1 })
	if !strings.Contains(s.Config.LastReloadError, "bogus_key") || s.Config.Reloads != 0 {
		t.Errorf("config stats after bad reload: %+v", s.Config)
	}
	logger(t, tcp, "-T", "--rfc3164", "-t", "after", "two")
	p.waitStats("old routes still work", func(s statsDoc) bool { return s.Sinks["hosts"].Written == 2 })
	findOne(t, filepath.Join(p.dir, "log", "*", "after.log"))

	// A good reload switches routes (everything now goes to one file) and
	// adds a listener; the unchanged tcp listener keeps its socket.
	next := strings.Replace(string(good), "/log/{hostname}/{app_name}.log", "/log/all.log", 1)
	next = strings.Replace(next, "listeners:\n", "listeners:\n  - {name: tcp2, protocol: tcp, address: \"127.0.0.1:0\"}\n", 1)
	if err := os.WriteFile(p.cfg, []byte(next), 0o644); err != nil {
		t.Fatal(err)
	}
	p.signal(sighup)
	tcp2 := p.waitLog("listening")["address"].(string)
	p.waitStats("reload", func(s statsDoc) bool { return s.Config.Reloads == 1 })
	logger(t, tcp, "-T", "--rfc3164", "-t", "third", "three")
	logger(t, tcp2, "-T", "--rfc3164", "-t", "fourth", "four")
	p.waitStats("new routes", func(s statsDoc) bool { return s.Sinks["hosts"].Written == 4 })
	got := readFile(t, filepath.Join(p.dir, "log", "all.log"))
	if !strings.Contains(got, "third: three") || !strings.Contains(got, "fourth: four") {
		t.Errorf("all.log = %q", got)
	}
	p.stop()
}

// TestSIGUSR1ReopensFiles follows logrotate: rename the file, send USR1,
// and the next message lands in a new file while the old one keeps its
// lines.
func TestSIGUSR1ReopensFiles(t *testing.T) {
	p := start(t, baseConfig)
	tcp := p.addrs["tcp"]
	logger(t, tcp, "-T", "--rfc3164", "-t", "rot", "before rotation")
	p.waitStats("first line", func(s statsDoc) bool { return s.Sinks["hosts"].Written == 1 })
	path := findOne(t, filepath.Join(p.dir, "log", "*", "rot.log"))
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	p.signal(sigusr1)
	p.waitLog("files reopened")
	logger(t, tcp, "-T", "--rfc3164", "-t", "rot", "after rotation")
	p.waitStats("second line", func(s statsDoc) bool { return s.Sinks["hosts"].Written == 2 })
	old, cur := readFile(t, path+".1"), readFile(t, path)
	if !strings.Contains(old, "before rotation") || strings.Contains(old, "after rotation") {
		t.Errorf("rotated file = %q", old)
	}
	if !strings.Contains(cur, "after rotation") || strings.Contains(cur, "before rotation") {
		t.Errorf("new file = %q", cur)
	}
	p.stop()
}

// TestHostlessMessageNamesTheSender: an RFC 3164 message without a
// hostname gets the sender's address as its hostname, the same in a path
// template as in the line written and in JSON.
func TestHostlessMessageNamesTheSender(t *testing.T) {
	p := start(t, `
listeners: [{name: tcp, protocol: tcp, address: "127.0.0.1:0"}]
sinks:
  - {name: f, type: file, path: "{{DIR}}/{hostname}/x.log", format: rfc3164}
  - {name: j, type: file, path: "{{DIR}}/{hostname}/x.json", format: json}
routes: [{name: all, sinks: [f, j]}]
stats: {address: "127.0.0.1:0"}
`)
	c, err := net.Dial("tcp", p.addrs["tcp"])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write([]byte("<174>pyapp[6915]: text\n")); err != nil { // Python's SysLogHandler: no timestamp, no host
		t.Fatal(err)
	}
	c.Close()
	p.waitStats("written", func(s statsDoc) bool { return s.Sinks["f"].Written == 1 && s.Sinks["j"].Written == 1 })
	line := readFile(t, filepath.Join(p.dir, "127.0.0.1", "x.log"))
	if !strings.Contains(line, " 127.0.0.1 ") {
		t.Errorf("line %q does not name the sender", line)
	}
	if j := readFile(t, filepath.Join(p.dir, "127.0.0.1", "x.json")); !strings.Contains(j, `"hostname":"127.0.0.1"`) {
		t.Errorf("json %q does not name the sender", j)
	}
}
