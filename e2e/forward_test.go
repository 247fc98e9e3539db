package e2e

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The syslog sink (type: syslog) against a real rsyslog: Debian's rsyslog
// 8.2302, unpacked with its gtls driver under .deps/rsyslog-root by
// scripts/rsyslog-root.sh (which scripts/test-deps.sh runs as root), run
// in the foreground as the test's child. rsyslog writes one JSON object per
// message, with the properties it parsed, to one file per input.

// rsyslogRoot returns the unpacked root (SYSLOGD_TEST_RSYSLOG_ROOT, else
// .deps/rsyslog-root in the repository). Without rsyslogd and the gtls
// driver there the test skips, and fails under CI=true.
func rsyslogRoot(t *testing.T) string {
	t.Helper()
	root := os.Getenv("SYSLOGD_TEST_RSYSLOG_ROOT")
	if root == "" {
		root = filepath.Join("..", ".deps", "rsyslog-root")
	}
	root, err := filepath.Abs(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"usr/sbin/rsyslogd", rsyslogModDir + "/imtcp.so", rsyslogModDir + "/imudp.so", rsyslogModDir + "/lmnsd_gtls.so"} {
		if _, err := os.Stat(filepath.Join(root, f)); err != nil {
			if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
				t.Fatalf("rsyslog is not unpacked (scripts/test-deps.sh does it as root): %v", err)
			}
			t.Skipf("rsyslog is not unpacked (run scripts/rsyslog-root.sh as root, or set SYSLOGD_TEST_RSYSLOG_ROOT): %v", err)
		}
	}
	return root
}

const rsyslogModDir = "usr/lib/x86_64-linux-gnu/rsyslog"

// rsyslogInputs names rsyslog's inputs; each writes DIR/NAME.jsonl.
var rsyslogInputs = []string{"udp", "tcp", "tls"}

// rsyslog is one rsyslogd configuration, started and stopped as often as
// a test needs, on the same ports every time.
type rsyslog struct {
	t     *testing.T
	root  string
	dir   string
	conf  string
	ports map[string]int // input name → port on 127.0.0.1
	cmd   *exec.Cmd
	dead  chan struct{} // closed when cmd has exited
	err   error         // cmd's exit; valid once dead is closed
}

// rsyslogConf has one ruleset per input, each writing its own file, and
// the template that puts every property the test compares in a JSON
// object. Internal messages go to internal.log (processInternalMessages,
// so that nothing reaches the host's own syslog socket).
const rsyslogConf = `
global(workDirectory="{{DIR}}" maxMessageSize="64k" processInternalMessages="on"
  defaultNetstreamDriverCAFile="{{DIR}}/ca.pem"
  defaultNetstreamDriverCertFile="{{DIR}}/server.pem"
  defaultNetstreamDriverKeyFile="{{DIR}}/server-key.pem")
module(load="imudp")
module(load="imtcp")
template(name="fields" type="list" option.jsonf="on") {
  property(outname="facility" name="syslogfacility" format="jsonf")
  property(outname="severity" name="syslogseverity" format="jsonf")
  property(outname="timestamp" name="timereported" dateFormat="rfc3339" format="jsonf")
  property(outname="hostname" name="hostname" format="jsonf")
  property(outname="app_name" name="app-name" format="jsonf")
  property(outname="proc_id" name="procid" format="jsonf")
  property(outname="msg_id" name="msgid" format="jsonf")
  property(outname="structured_data" name="structured-data" format="jsonf")
  property(outname="msg" name="msg" format="jsonf")
  property(outname="input" name="inputname" format="jsonf")
}
action(type="omfile" file="{{DIR}}/internal.log")
ruleset(name="udp") { action(type="omfile" file="{{DIR}}/udp.jsonl" template="fields") }
ruleset(name="tcp") { action(type="omfile" file="{{DIR}}/tcp.jsonl" template="fields") }
ruleset(name="tls") { action(type="omfile" file="{{DIR}}/tls.jsonl" template="fields") }
input(type="imudp" address="127.0.0.1" port="{{udp}}" ruleset="udp" rcvbufSize="4m")
input(type="imtcp" address="127.0.0.1" port="{{tcp}}" ruleset="tcp" supportOctetCountedFraming="on")
input(type="imtcp" address="127.0.0.1" port="{{tls}}" ruleset="tls" supportOctetCountedFraming="on"
  streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="anon")
`

// newRsyslog writes the configuration and a CA with a server certificate
// for rsyslogServerName (and 127.0.0.1) into a temp dir, on free ports.
func newRsyslog(t *testing.T) *rsyslog {
	t.Helper()
	r := &rsyslog{t: t, root: rsyslogRoot(t), dir: t.TempDir(), ports: map[string]int{
		"udp": freeUDPPort(t), "tcp": freePort(t), "tls": freePort(t),
	}}
	writeServerCerts(t, r.dir)
	conf := strings.ReplaceAll(rsyslogConf, "{{DIR}}", r.dir)
	for name, port := range r.ports {
		conf = strings.ReplaceAll(conf, "{{"+name+"}}", strconv.Itoa(port))
	}
	r.conf = filepath.Join(r.dir, "rsyslog.conf")
	if err := os.WriteFile(r.conf, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if r.cmd != nil {
			r.stop()
		}
		if t.Failed() {
			t.Logf("rsyslogd output:\n%s\nrsyslogd internal.log:\n%s",
				readFile(t, filepath.Join(r.dir, "rsyslogd.out")), readFile(t, filepath.Join(r.dir, "internal.log")))
		}
	})
	return r
}

func (r *rsyslog) addr(input string) string { return "127.0.0.1:" + strconv.Itoa(r.ports[input]) }

func (r *rsyslog) file(input string) string { return filepath.Join(r.dir, input+".jsonl") }

// start runs rsyslogd in the foreground and waits until every input is
// bound (a datagram or connection that arrives after the bind waits in the
// socket for rsyslog to read it).
func (r *rsyslog) start() {
	r.t.Helper()
	out, err := os.OpenFile(filepath.Join(r.dir, "rsyslogd.out"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		r.t.Fatal(err)
	}
	defer out.Close() // the child has its own copy
	r.cmd = exec.Command(filepath.Join(r.root, "usr/sbin/rsyslogd"), "-n", "-f", r.conf,
		"-i", filepath.Join(r.dir, "rsyslogd.pid"), "-M", filepath.Join(r.root, rsyslogModDir))
	r.cmd.Dir = r.dir
	r.cmd.Stdout, r.cmd.Stderr = out, out
	if err := r.cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	r.dead = make(chan struct{})
	go func(cmd *exec.Cmd, dead chan struct{}) {
		r.err = cmd.Wait()
		close(dead)
	}(r.cmd, r.dead)
	deadline := time.Now().Add(10 * time.Second)
	for {
		missing := r.unbound()
		if len(missing) == 0 {
			return
		}
		select {
		case <-r.dead:
			r.t.Fatalf("rsyslogd exited at start (%v):\n%s", r.err, readFile(r.t, filepath.Join(r.dir, "rsyslogd.out")))
		default:
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("rsyslogd did not bind %v within 10 s:\n%s", missing, readFile(r.t, filepath.Join(r.dir, "rsyslogd.out")))
		}
		time.Sleep(10 * time.Millisecond) // polling the sockets, bounded by the deadline
	}
}

// unbound returns the inputs whose socket is not yet there: read from
// /proc/net/{udp,tcp}, which, unlike a probe, sends rsyslog nothing.
func (r *rsyslog) unbound() []string {
	r.t.Helper()
	var missing []string
	for _, input := range rsyslogInputs {
		proto, state := "tcp", "0A" // LISTEN
		if input == "udp" {
			proto, state = "udp", "07" // unconnected
		}
		if !bound(r.t, proto, r.ports[input], state) {
			missing = append(missing, input)
		}
	}
	return missing
}

// bound reports whether /proc/net/PROTO has a socket on 127.0.0.1:port in
// state (hex, as the kernel prints it).
func bound(t *testing.T, proto string, port int, state string) bool {
	t.Helper()
	want := fmt.Sprintf("0100007F:%04X", port)
	for _, line := range strings.Split(readFile(t, "/proc/net/"+proto), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) > 3 && f[1] == want && f[3] == state {
			return true
		}
	}
	return false
}

// stop sends SIGTERM and waits for rsyslogd to exit; it flushes its files
// before.
func (r *rsyslog) stop() {
	r.t.Helper()
	defer func() { r.cmd = nil }()
	if err := r.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		r.t.Errorf("SIGTERM rsyslogd: %v", err)
	}
	select {
	case <-r.dead:
		if r.err != nil {
			r.t.Errorf("rsyslogd exit: %v", r.err)
		}
	case <-time.After(10 * time.Second):
		_ = r.cmd.Process.Kill()
		<-r.dead
		r.t.Errorf("rsyslogd did not exit within 10 s of SIGTERM")
	}
}

// rsRecord is one line of rsyslog's output: the properties it parsed.
type rsRecord struct {
	Facility       string `json:"facility"`
	Severity       string `json:"severity"`
	Timestamp      string `json:"timestamp"`
	Hostname       string `json:"hostname"`
	AppName        string `json:"app_name"`
	ProcID         string `json:"proc_id"`
	MsgID          string `json:"msg_id"`
	StructuredData string `json:"structured_data"`
	Msg            string `json:"msg"`
	Input          string `json:"input"`
}

// readRecords parses rsyslog's file (missing: none). A line that does not
// parse fails the test: rsyslog writes whole lines.
func readRecords(t *testing.T, path string) []rsRecord {
	t.Helper()
	var out []rsRecord
	sc := bufio.NewScanner(strings.NewReader(readFile(t, path)))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var r rsRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%s: line %q: %v", path, sc.Text(), err)
		}
		out = append(out, r)
	}
	return out
}

// waitRecords polls path until cond holds for what it holds, bounded.
func waitRecords(t *testing.T, path, what string, cond func([]rsRecord) bool) []rsRecord {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		recs := readRecords(t, path)
		if cond(recs) {
			return recs
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: timed out waiting for %s; %d lines", path, what, len(recs))
		}
		time.Sleep(20 * time.Millisecond) // polling the file, bounded by the deadline
	}
}

const rsyslogServerName = "rsyslog.test"

// writeServerCerts writes ca.pem, server.pem and server-key.pem into dir:
// a CA and, signed by it, a server certificate for rsyslogServerName and
// 127.0.0.1.
func writeServerCerts(t *testing.T, dir string) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "syslogd e2e CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: rsyslogServerName},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		DNSNames: []string{rsyslogServerName}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	for name, block := range map[string]*pem.Block{
		"ca.pem":         {Type: "CERTIFICATE", Bytes: caDER},
		"server.pem":     {Type: "CERTIFICATE", Bytes: der},
		"server-key.pem": {Type: "PRIVATE KEY", Bytes: keyDER},
	} {
		if err := os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// freeUDPPort returns a UDP port on 127.0.0.1 that was free a moment ago.
func freeUDPPort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// fwdMessage is message i of the field test, as sent and as rsyslog must
// report it: every header field, two SD elements with escaped values.
type fwdMessage struct {
	frame string
	want  rsRecord
}

// fwdMessageFor varies every field. A frame that is the rfc5424 line
// syslogd would write goes out as received; the others (two in three, by
// their timestamps) are encoded again from their fields, as the README
// says: a timestamp with other than six
// fraction digits gets six (the same instant and offset), a BOM before the
// text is not sent on (the text is the same), and a lone backslash in an
// SD value (kept, RFC 5424 §6.3.3) is sent escaped, `\\`.
func fwdMessageFor(i int) fwdMessage {
	fac, sev := i%24, (i/3)%8
	hosts := []string{"web-01", "db-2.example.net", "edge.eu-west.example.com", "192.0.2.17", "h"}
	apps := []string{"sshd", "nginx", "my-app", "cron.daily", "a_very-long.app-name_0123456789abcdef0123456789"}
	pid := "-" // NILVALUE: rsyslog reports it as "-" too
	if i%4 != 0 {
		pid = strconv.Itoa(1000 + i*7)
	}
	msgid := "-"
	if i%3 != 0 {
		msgid = fmt.Sprintf("ID%d", i%17)
	}
	var stamp string
	switch day := fmt.Sprintf("2024-05-06T07:%02d:%02d", i/60%60, i%60); i % 3 {
	case 0:
		stamp = fmt.Sprintf("%s.%06d+02:00", day, i*1001%1000000)
	case 1:
		stamp = fmt.Sprintf("%s.%03d-05:30", day, i%1000)
	default:
		stamp = day + "Z"
	}
	ts, err := time.Parse(time.RFC3339Nano, stamp)
	if err != nil {
		panic(err)
	}
	// Values with each escape RFC 5424 §6.3.3 names: \" \] and \\.
	sd := fmt.Sprintf(`[seq@32473 n="%d" q="say \"hi\" [x\] back\\slash"][meta@32473 i="%d" empty="" utf8="é ü"`, i, i%5)
	wantSD := sd
	if i%7 == 3 {
		sd += ` win="C:\temp"`
		wantSD += ` win="C:\\temp"`
	}
	sd, wantSD = sd+"]", wantSD+"]"
	msg := fmt.Sprintf(`seq %05d héllo "quoted" [bracket] back\slash end`, i)
	text := msg
	if i%5 == 2 {
		text = "\ufeff" + msg
	}
	host, app := hosts[i%len(hosts)], apps[i%len(apps)]
	return fwdMessage{
		frame: fmt.Sprintf("<%d>1 %s %s %s %s %s %s %s", fac*8+sev, stamp, host, app, pid, msgid, sd, text),
		want: rsRecord{Facility: strconv.Itoa(fac), Severity: strconv.Itoa(sev),
			Timestamp: ts.Format("2006-01-02T15:04:05.000000Z07:00"), Hostname: host,
			AppName: app, ProcID: pid, MsgID: msgid, StructuredData: wantSD, Msg: msg},
	}
}

// fwdSeq reads the sequence number from a record's text ("seq %05d …"),
// -1 when there is none.
func fwdSeq(msg string) int {
	digits, ok := strings.CutPrefix(msg, "seq ")
	if !ok || len(digits) < 5 {
		return -1
	}
	n, err := strconv.Atoi(digits[:5])
	if err != nil {
		return -1
	}
	return n
}

// TestForwardToRsyslog: syslogd forwards to a real rsyslog over UDP, TCP
// with octet counting and TLS (rsyslog's gtls driver); every message
// arrives once on each, with facility, severity, timestamp, host, app,
// pid, msgid, structured data and text as sent.
func TestForwardToRsyslog(t *testing.T) {
	rs := newRsyslog(t)
	rs.start()
	p := start(t, `
listeners: [{name: udp, protocol: udp, address: "127.0.0.1:0"}]
sinks:
  - {name: to_udp, type: syslog, address: "`+rs.addr("udp")+`", protocol: udp, format: rfc5424}
  - {name: to_tcp, type: syslog, address: "`+rs.addr("tcp")+`", protocol: tcp, framing: octet_counting, format: rfc5424}
  - {name: to_tls, type: syslog, address: "`+rs.addr("tls")+`", protocol: tls, format: rfc5424,
     tls: {ca_file: "`+filepath.Join(rs.dir, "ca.pem")+`", server_name: `+rsyslogServerName+`}}
routes: [{name: all, sinks: [to_udp, to_tcp, to_tls]}]
stats: {address: "127.0.0.1:0"}
shutdown_timeout: 5s
`)
	const n = 200
	c, err := net.Dial("udp", p.addrs["udp"])
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// Batches of 50, each received before the next is sent: the listener's
	// socket buffer never runs full, so any loss is the forwarding's.
	for i := 0; i < n; {
		for end := i + 50; i < end; i++ {
			if _, err := c.Write([]byte(fwdMessageFor(i).frame)); err != nil {
				t.Fatal(err)
			}
		}
		p.waitStats(fmt.Sprintf("%d received", i), func(s statsDoc) bool { return s.Listeners["udp"].Received == uint64(i) })
	}
	p.waitStats("every message forwarded", func(s statsDoc) bool {
		for _, k := range []string{"to_udp", "to_tcp", "to_tls"} {
			if s.Sinks[k].Written != n {
				return false
			}
		}
		return true
	})
	for _, input := range rsyslogInputs {
		waitRecords(t, rs.file(input), fmt.Sprintf("%d lines", n), func(r []rsRecord) bool { return len(r) >= n })
	}
	s := settled(t, p)
	for _, k := range []string{"to_udp", "to_tcp", "to_tls"} {
		if sk := s.Sinks[k]; sk.Written != n || sk.Dropped != 0 || sk.Enqueued != n || !sk.Connected {
			t.Errorf("sink %s: %+v, want %d enqueued and written, none dropped, connected", k, sk, n)
		}
	}
	p.stop()  // tcp and tls: closed once rsyslog has read everything
	rs.stop() // its files are complete
	for _, input := range rsyslogInputs {
		recs := readRecords(t, rs.file(input))
		seen := make([]int, n)
		bad := 0
		for _, r := range recs {
			i := fwdSeq(r.Msg)
			if i < 0 || i >= n {
				t.Errorf("%s: a message that was not sent: %+v", input, r)
				continue
			}
			seen[i]++
			want := fwdMessageFor(i).want
			want.Input = "imudp"
			if input != "udp" {
				want.Input = "imtcp"
			}
			if r != want && bad < 5 {
				bad++
				t.Errorf("%s: message %d arrived as\n%+v\nwant\n%+v", input, i, r, want)
			}
		}
		var missing, dups []int
		for i, k := range seen {
			switch {
			case k == 0:
				missing = append(missing, i)
			case k > 1:
				dups = append(dups, i)
			}
		}
		if len(missing) > 0 || len(dups) > 0 {
			t.Errorf("%s: %d lines; missing %v, more than once %v", input, len(recs), ranges(missing), ranges(dups))
		}
		t.Logf("%s: %d messages, %d lines, %d missing, %d duplicates", input, n, len(recs), len(missing), len(dups))
	}
}

// TestForwardSurvivesUpstreamRestart: a tcp syslog sink with a disk buffer
// under a steady stream; rsyslog is stopped (SIGTERM) mid-stream, stays
// down while syslogd buffers, and is started again on the same port.
// Every message reaches rsyslog; the only duplicates are messages the
// resend window sent again, ones written within resend_window of the
// connection's end. The window is 500 ms here, not the default 2 s, so
// that the stream has older messages that must not arrive twice.
func TestForwardSurvivesUpstreamRestart(t *testing.T) {
	rs := newRsyslog(t)
	rs.start()
	const window = 500 * time.Millisecond
	p := start(t, `
listeners: [{name: tcp, protocol: tcp, address: "127.0.0.1:0"}]
sinks:
  - {name: up, type: syslog, address: "`+rs.addr("tcp")+`", protocol: tcp, format: rfc5424,
     resend_window: `+window.String()+`, buffer: {dir: "{{DIR}}/buffer"}}
routes: [{name: all, sinks: [up]}]
stats: {address: "127.0.0.1:0"}
shutdown_timeout: 5s
`)
	const n, rate = 12000, 4000 // 3 s; rsyslog stopped after three quarters
	s := sendSeq(t, p.addrs["tcp"], "fwd", rate, n)
	s.await(t, 3*n/4)
	stopped := time.Now()
	rs.stop()
	down := p.waitStats("the sink disconnected and buffering", func(s statsDoc) bool {
		k := s.Sinks["up"]
		return !k.Connected && k.Buffered != nil && *k.Buffered > 0
	})
	noticed := time.Now()
	t.Logf("rsyslog stopped after %d sent; %v later the sink was down with %d buffered, %d written",
		s.sent.Load(), noticed.Sub(stopped).Round(time.Millisecond), *down.Sinks["up"].Buffered, down.Sinks["up"].Written)
	rs.start()
	sent := s.wait()
	s.noFaults(t)
	if sent != n {
		t.Fatalf("sent %d of %d", sent, n)
	}
	p.waitStats("every message written", func(s statsDoc) bool {
		k := s.Sinks["up"]
		return k.Written == uint64(n) && k.Queued == 0 && k.Buffered != nil && *k.Buffered == 0 && k.Connected
	})
	st := settled(t, p)
	if k := st.Sinks["up"]; k.Enqueued != uint64(n) || k.Dropped != 0 || st.Totals.Received != uint64(n) {
		t.Errorf("sink %+v, totals %+v: want %d received, enqueued and written, none dropped", k, st.Totals, n)
	}
	// Once every sequence number is in rsyslog's file, stop syslogd (its
	// graceful close ends once rsyslog has read everything), then rsyslog
	// (which flushes its file), and count.
	seqs := func(recs []rsRecord) []int {
		var out []int
		for _, r := range recs {
			i := -1
			if rest, ok := strings.CutPrefix(r.Msg, "seq "); ok && len(rest) >= 8 {
				i, _ = strconv.Atoi(rest[:8])
			}
			if want := fmt.Sprintf("seq %08d %s", i, seqPad); r.Msg != want || r.AppName != "fwd" || r.Hostname != "host" ||
				r.Facility != "1" || r.Severity != "5" {
				t.Fatalf("not a message of the stream, or not whole: %+v", r)
			}
			out = append(out, i)
		}
		return out
	}
	waitRecords(t, rs.file("tcp"), "every sequence number", func(recs []rsRecord) bool {
		return countSeq(n, seqFile{seqs: seqs(recs)}).missing == 0
	})
	p.stop()
	rs.stop()

	got := seqs(readRecords(t, rs.file("tcp")))
	c := countSeq(n, seqFile{name: rs.file("tcp"), seqs: got})
	// The duplicates: which, and when they were first sent.
	count := map[int]int{}
	var dups []int
	for _, i := range got {
		if count[i]++; count[i] == 2 {
			dups = append(dups, i)
		}
	}
	t.Logf("%v; %d messages arrived more than once", c, len(dups))
	// Every duplicate is one the sink counted as sent again.
	if r := st.Sinks["up"].Resent; r == nil || uint64(len(dups)) > *r {
		t.Errorf("%d duplicates, but resent is %v: a message sent twice must be counted", len(dups), r)
	}
	if c.missing != 0 {
		t.Errorf("%d messages lost across the restart: %v", c.missing, ranges(c.missed))
	}
	sort.Ints(dups)
	if len(dups) > 0 {
		// A message sent again was written in the window before the
		// connection ended, between the SIGTERM and the sink noticing.
		// The times are the sender's; allow 1 s for syslogd's lag behind
		// it (queue, batches, a loaded machine).
		const slack = time.Second
		first, last := s.sentAt(dups[0]), s.sentAt(dups[len(dups)-1])
		t.Logf("duplicates: seq %v, first sent %v to %v after the SIGTERM", ranges(dups),
			first.Sub(stopped).Round(time.Millisecond), last.Sub(stopped).Round(time.Millisecond))
		for _, i := range dups {
			if at := s.sentAt(i); at.Before(stopped.Add(-window-slack)) || at.After(noticed.Add(slack)) {
				t.Errorf("seq %d arrived twice but was sent %v after the SIGTERM, outside the resend window (%v before it to %v after)",
					i, at.Sub(stopped).Round(time.Millisecond), window+slack, noticed.Sub(stopped)+slack)
				break
			}
		}
	}
}
