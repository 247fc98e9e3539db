package e2e

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"syslogd/sinks/journald/journaldtest"
)

// journalConfig routes auth and authpriv to a journal namespace and
// everything else to a file.
const journalConfig = `
listeners:
  - {name: udp, protocol: udp, address: "127.0.0.1:0"}
  - {name: tcp, protocol: tcp, address: "127.0.0.1:0"}
sinks:
  - name: journal
    type: journald
    namespace: {{NS}}
    fields: [{name: SYSLOGD_TEST, value: e2e}]
  - {name: rest, type: file, path: "{{DIR}}/log/rest.log", format: rfc3164}
routes:
  - name: auth
    match: {facility: [auth, authpriv]}
    sinks: [journal]
    final: true
  - name: rest
    sinks: [rest]
stats: {address: "127.0.0.1:0"}
shutdown_timeout: 5s
`

func TestJournaldNamespaceGetsAuth(t *testing.T) {
	ns := journaldtest.Start(t)
	p := start(t, strings.ReplaceAll(journalConfig, "{{NS}}", ns.Name()))
	udp, tcp := p.addrs["udp"], p.addrs["tcp"]
	logger(t, udp, "-d", "--rfc3164", "-t", "sshd", "-p", "auth.warning", "Failed password for root from 10.0.0.9")
	logger(t, tcp, "-T", "--octet-count", "--rfc5424", "-t", "sudo", "--id=4242", "-p", "authpriv.notice",
		"--sd-id", "exampleSDID@32473", "--sd-param", `iut="3"`, "session opened for user root")
	logger(t, tcp, "-T", "--rfc3164", "-t", "cron", "-p", "cron.info", "not for the journal")
	logger(t, udp, "-d", "--rfc5424", "-t", "app", "-p", "user.err", "nor this")

	s := p.waitStats("journal 2, file 2", func(s statsDoc) bool {
		return s.Sinks["journal"].Written == 2 && s.Sinks["rest"].Written == 2
	})
	if !balanced(s) || s.Totals.Received != 4 || s.Totals.Dropped != 0 {
		t.Errorf("totals %+v", s.Totals)
	}
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	entries := ns.Entries(2, "SYSLOGD_TEST=e2e")
	if len(entries) != 2 {
		t.Fatalf("%d journal entries, want 2", len(entries))
	}
	bySender := map[string]map[string]any{}
	for _, e := range entries {
		bySender[e["SYSLOG_IDENTIFIER"].(string)] = e
	}
	for app, want := range map[string]map[string]string{
		"sshd": {"PRIORITY": "4", "SYSLOG_FACILITY": "4", "SYSLOG_HOSTNAME": strings.Split(host, ".")[0],
			"SYSLOG_LISTENER": "udp", "SYSLOG_SOURCE": "127.0.0.1", "MESSAGE": "Failed password for root from 10.0.0.9"},
		"sudo": {"PRIORITY": "5", "SYSLOG_FACILITY": "10", "SYSLOG_HOSTNAME": host, "SYSLOG_PID": "4242",
			"SYSLOG_LISTENER": "tcp", "SD_EXAMPLESDID_32473_IUT": "3", "MESSAGE": "session opened for user root"},
	} {
		e, ok := bySender[app]
		if !ok {
			t.Errorf("no journal entry with SYSLOG_IDENTIFIER=%s in %v", app, entries)
			continue
		}
		for k, v := range want {
			if e[k] != v {
				t.Errorf("%s: %s = %v, want %q", app, k, e[k], v)
			}
		}
		if ts, _ := e["SYSLOG_TIMESTAMP"].(string); !validRFC3339(ts) {
			t.Errorf("%s: SYSLOG_TIMESTAMP = %q, want RFC 3339", app, ts)
		}
	}
	rest := readFile(t, filepath.Join(p.dir, "log", "rest.log"))
	if !strings.Contains(rest, "cron: not for the journal") || !strings.Contains(rest, "app: nor this") ||
		strings.Contains(rest, "sshd") || strings.Contains(rest, "sudo") {
		t.Errorf("rest.log = %q", rest)
	}
	p.stop()
}

// TestJournaldLateStart: the daemon starts before journald. The sink
// reports connected=false, the message waits in its queue, and arrives
// once journald is up; the daemon never fails on it.
func TestJournaldLateStart(t *testing.T) {
	ns := journaldtest.Start(t)
	ns.Stop()
	p := start(t, strings.ReplaceAll(journalConfig, "{{NS}}", ns.Name()))
	logger(t, p.addrs["tcp"], "-T", "--rfc3164", "-t", "login", "-p", "auth.err", "queued while journald is down")
	waitConnected(t, p, false)
	p.waitStats("message queued", func(s statsDoc) bool { return s.Sinks["journal"].Queued+int(s.Sinks["journal"].Written) == 1 })
	ns.Restart()
	p.waitStats("message written", func(s statsDoc) bool { return s.Sinks["journal"].Written == 1 })
	waitConnected(t, p, true)
	if e := ns.Entries(1, "SYSLOGD_TEST=e2e")[0]; e["MESSAGE"] != "queued while journald is down" || e["PRIORITY"] != "3" {
		t.Errorf("entry %v", e)
	}
	p.stop()
}

// waitConnected polls /stats for the journal sink's connected flag.
func waitConnected(t *testing.T, p *proc, want bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var s struct {
			Sinks map[string]struct {
				Connected bool `json:"connected"`
			} `json:"sinks"`
		}
		resp, err := http.Get("http://" + p.stats + "/stats")
		if err != nil {
			t.Fatal(err)
		}
		err = json.NewDecoder(resp.Body).Decode(&s)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if s.Sinks["journal"].Connected == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("journal sink connected != %v after 20s", want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func validRFC3339(s string) bool {
	_, err := time.Parse(time.RFC3339Nano, s)
	return err == nil
}
