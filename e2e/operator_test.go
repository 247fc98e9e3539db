package e2e

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// hostsDoc is GET /hosts.
type hostsDoc struct {
	Tracked int    `json:"tracked"`
	Silent  int    `json:"silent"`
	Evicted uint64 `json:"evicted"`
	Hosts   []struct {
		Host     string `json:"host"`
		By       string `json:"by"`
		Listener string `json:"listener"`
		Messages uint64 `json:"messages"`
		Silent   bool   `json:"silent"`
	} `json:"hosts"`
}

func (p *proc) getHosts(query string) hostsDoc {
	p.t.Helper()
	var d hostsDoc
	if err := json.Unmarshal([]byte(get(p.t, "http://"+p.stats+"/hosts"+query)), &d); err != nil {
		p.t.Fatal(err)
	}
	return d
}

func (d hostsDoc) names() []string {
	var out []string
	for _, h := range d.Hosts {
		out = append(out, h.Host)
	}
	return out
}

// metric returns the value of one sample in /metrics ("name" or
// `name{labels}`), or -1 when it is absent.
func (p *proc) metric(sample string) float64 {
	p.t.Helper()
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(sample) + ` (\S+)$`)
	m := re.FindStringSubmatch(get(p.t, "http://"+p.stats+"/metrics"))
	if m == nil {
		return -1
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		p.t.Fatal(err)
	}
	return v
}

// waitFor polls cond (an outside view of the daemon: there is no event to
// await) until it holds or within expires, and returns how long it took.
func waitFor(t *testing.T, what string, within time.Duration, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > within {
			t.Fatalf("%s: not within %s", what, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return time.Since(start)
}

const hostsConfig = `
listeners:
  - {name: udp, protocol: udp, address: "127.0.0.1:0"}
  - {name: tcp, protocol: tcp, address: "127.0.0.1:0"}
sinks:
  - {name: all, type: file, path: "{{DIR}}/all.log", when_full: block}
routes:
  - {name: all, sinks: [all]}
hosts: {max_tracked: 50, silent_after: 2s}
stats: {address: "127.0.0.1:0"}
`

// TestHostsGoSilentAndComeBack: three senders; one stops and is silent
// within 3 s (silent_after 2 s), in /hosts?silent=true and the gauge, and
// leaves both when it sends again; a flood of spoofed hostnames beyond
// max_tracked keeps the table at its bound and counts every eviction.
func TestHostsGoSilentAndComeBack(t *testing.T) {
	p := start(t, hostsConfig)
	conn, err := net.Dial("udp", p.addrs["udp"])
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	sendAs := func(host string) {
		if _, err := fmt.Fprintf(conn, "<14>1 2026-12-02T10:00:00Z %s app - - - alive", host); err != nil {
			t.Error(err)
		}
	}
	// web1 and web2 keep sending; db1 sends once and stops.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			sendAs("web1")
			sendAs("web2")
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	})
	stopSenders := sync.OnceFunc(func() { close(stop); wg.Wait() })
	defer stopSenders()
	sendAs("db1")
	stopped := time.Now()
	waitFor(t, "three hosts tracked", 10*time.Second, func() bool { return p.getHosts("").Tracked == 3 })

	took := waitFor(t, "db1 silent", 10*time.Second, func() bool { return p.getHosts("?silent=true").Silent == 1 })
	if since := time.Since(stopped); since > 3*time.Second+500*time.Millisecond {
		t.Errorf("db1 reported silent %s after its last message, want within 3s (poll took %s)", since.Round(time.Millisecond), took)
	}
	silent := p.getHosts("?silent=true")
	if got := silent.names(); len(got) != 1 || got[0] != "db1" || !silent.Hosts[0].Silent {
		t.Fatalf("silent hosts = %v, want [db1]", got)
	}
	if v := p.metric("syslogd_hosts_silent"); v != 1 {
		t.Errorf("syslogd_hosts_silent = %v, want 1", v)
	}
	if v := p.metric("syslogd_hosts_tracked"); v != 3 {
		t.Errorf("syslogd_hosts_tracked = %v, want 3", v)
	}
	p.waitLog("host went silent")

	sendAs("db1")
	waitFor(t, "db1 back", 5*time.Second, func() bool { return p.getHosts("?silent=true").Silent == 0 })
	if v := p.metric("syslogd_hosts_silent"); v != 0 {
		t.Errorf("syslogd_hosts_silent = %v after db1 came back, want 0", v)
	}
	p.waitLog("host sending again")
	if n := strings.Count(p.logs.String(), "host went silent"); n != 1 {
		t.Errorf("went silent logged %d times, want once", n)
	}

	// The flood: 2,000 spoofed names of 200 bytes over TCP (no loss), 50
	// tracked at most. Every new name beyond the bound evicts one.
	stopSenders() // only the flood adds names from here: the evictions are exact
	before := p.getHosts("")
	var flood strings.Builder
	pad := strings.Repeat("x", 200)
	const spoofed = 2000
	for i := range spoofed {
		fmt.Fprintf(&flood, "<14>Dec  2 10:00:00 %d-%s app: spoofed\n", i, pad)
	}
	received := p.getStats().Listeners["tcp"].Received
	send(t, p.addrs["tcp"], strings.NewReader(flood.String()))
	p.waitStats("the flood received", func(s statsDoc) bool { return s.Listeners["tcp"].Received == received+spoofed })
	after := p.getHosts("")
	if after.Tracked != 50 || len(after.Hosts) != 50 {
		t.Errorf("tracked %d (listed %d) after the flood, want max_tracked 50", after.Tracked, len(after.Hosts))
	}
	if want := before.Evicted + uint64(before.Tracked+spoofed-50); after.Evicted != want {
		t.Errorf("evicted %d, want %d (every name beyond the bound)", after.Evicted, want)
	}
	for _, h := range after.Hosts {
		if len(h.Host) > 255 {
			t.Fatalf("a tracked name of %d bytes: names are cut to 255", len(h.Host))
		}
	}
	if s := p.getStats(); !balanced(s) {
		t.Errorf("unbalanced: %+v", s.Totals)
	}
}

const rateConfig = `
listeners:
  - name: udp
    protocol: udp
    address: "127.0.0.1:0"
    rate_limit: {messages_per_second: 100, burst: 50, by: source}
sinks:
  - {name: per-source, type: file, path: "{{DIR}}/{source_ip}.log", when_full: block}
routes:
  - {name: all, sinks: [per-source]}
stats: {address: "127.0.0.1:0"}
`

// TestRateLimitHoldsAFloodingSource: one source at 10× its rate_limit
// beside one well within it: the normal one loses nothing, the flooding
// one is held to the rate (± burst), every drop is counted rate_limited
// and /stats balances.
func TestRateLimitHoldsAFloodingSource(t *testing.T) {
	p := start(t, rateConfig)
	dst, err := net.ResolveUDPAddr("udp", p.addrs["udp"])
	if err != nil {
		t.Fatal(err)
	}
	dial := func(src string) *net.UDPConn {
		c, err := net.DialUDP("udp", &net.UDPAddr{IP: net.ParseIP(src)}, dst)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	normal, flooder := dial("127.0.0.2"), dial("127.0.0.3")
	const (
		seconds   = 3
		rate      = 100
		burst     = 50
		floodRate = 10 * rate
		calmRate  = rate / 2
	)
	// Every 10 ms: 10 flood messages and, every other tick, one calm one.
	var sentFlood, sentCalm int
	start := time.Now()
	tick := time.NewTicker(10 * time.Millisecond)
	for i := 0; i < seconds*100; i++ {
		for range floodRate / 100 {
			fmt.Fprintf(flooder, "<14>1 2026-12-02T10:00:00Z flood app - - - %d", sentFlood)
			sentFlood++
		}
		if i%(100/calmRate) == 0 {
			fmt.Fprintf(normal, "<14>1 2026-12-02T10:00:00Z calm app - - - %d", sentCalm)
			sentCalm++
		}
		<-tick.C
	}
	tick.Stop()
	elapsed := time.Since(start)

	s := p.waitStats("every datagram accounted", func(s statsDoc) bool {
		return s.Listeners["udp"].Received == uint64(sentFlood+sentCalm) && s.Sinks["per-source"].Written == s.Totals.Routed
	})
	lines := func(src string) int {
		return strings.Count(readFile(t, filepath.Join(p.dir, src+".log")), "\n")
	}
	if got := lines("127.0.0.2"); got != sentCalm {
		t.Errorf("the normal source: %d of %d written; want every one", got, sentCalm)
	}
	kept := lines("127.0.0.3")
	lo := int(float64(rate) * elapsed.Seconds() * 0.9)
	hi := int(float64(rate)*(elapsed.Seconds()+0.5)) + burst
	if kept < lo || kept > hi {
		t.Errorf("the flooding source: %d of %d kept in %s; want %d..%d (the rate, ± burst)", kept, sentFlood, elapsed.Round(time.Millisecond), lo, hi)
	}
	var doc struct {
		Listeners map[string]struct {
			Dropped     uint64 `json:"dropped"`
			RateLimited uint64 `json:"rate_limited"`
		} `json:"listeners"`
	}
	if err := json.Unmarshal([]byte(get(t, "http://"+p.stats+"/stats")), &doc); err != nil {
		t.Fatal(err)
	}
	l := doc.Listeners["udp"]
	if want := uint64(sentFlood - kept); l.RateLimited != want || l.Dropped != want || s.Totals.Dropped != want {
		t.Errorf("rate_limited %d, listener dropped %d, total dropped %d; want %d each", l.RateLimited, l.Dropped, s.Totals.Dropped, want)
	}
	if !balanced(s) {
		t.Errorf("unbalanced: %+v", s.Totals)
	}
	if v := p.metric(`syslogd_listener_dropped_total{listener="udp",reason="rate_limited"}`); v != float64(l.RateLimited) {
		t.Errorf("/metrics rate_limited = %v, want %d", v, l.RateLimited)
	}
	warn := p.waitLog("rate limit exceeded, dropping messages")
	if warn["key"] != "127.0.0.3" || warn["listener"] != "udp" {
		t.Errorf("the warning names %v on %v, want 127.0.0.3 on udp", warn["key"], warn["listener"])
	}
	if n := strings.Count(p.logs.String(), "rate limit exceeded"); n != 1 {
		t.Errorf("logged %d times in %s, want once (at most a line a minute per key)", n, elapsed)
	}
}

// TestPromtoolChecksMetrics runs `promtool check metrics` (from Debian's
// prometheus package, unpacked by scripts/promtool.sh) on /metrics of a
// daemon that has seen traffic on every kind of series.
func TestPromtoolChecksMetrics(t *testing.T) {
	tool := os.Getenv("SYSLOGD_TEST_PROMTOOL")
	if tool == "" {
		tool = filepath.Join("..", ".deps", "prometheus-root", "usr", "bin", "promtool")
	}
	if _, err := os.Stat(tool); err != nil {
		if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
			t.Fatalf("promtool is not unpacked (scripts/test-deps.sh does it): %v", err)
		}
		t.Skipf("promtool is not unpacked (run scripts/promtool.sh, or set SYSLOGD_TEST_PROMTOOL): %v", err)
	}
	p := start(t, rateConfig)
	logger(t, p.addrs["udp"], "-d", "-t", "app", "one message")
	p.waitStats("the message written", func(s statsDoc) bool { return s.Sinks["per-source"].Written == 1 })
	cmd := exec.Command(tool, "check", "metrics")
	cmd.Stdin = strings.NewReader(get(t, "http://"+p.stats+"/metrics"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("promtool check metrics: %v\n%s", err, out)
	}
}
