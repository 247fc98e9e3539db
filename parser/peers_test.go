package parser

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// peerSrc is the sender the peers saw (scripts/peer-parse.sh sends from
// loopback); a hostname equal to it is the sender fallback.
var peerSrc = netip.MustParseAddrPort("127.0.0.1:40000")

// peerFields is what the agreement table compares: hostname, app, pid and
// the message with one leading space removed ("msg~" in the README).
type peerFields struct{ host, app, pid, msg string }

func (f peerFields) String() string {
	return fmt.Sprintf("host=%q app=%q pid=%q msg=%q", f.host, f.app, f.pid, f.msg)
}

type peerFrame struct {
	index int
	label string
	frame []byte
	// agree is set when rsyslog and syslog-ng extracted the same fields.
	agree bool
	want  peerFields
	// rsyslog and syslogng are each peer's fields, for messages.
	rsyslog, syslogng peerFields
}

// peerDisagreements lists frames where both peers agree and we do not, each
// with the reason the difference is deliberate. The test fails for any other
// frame where the peers agree and we differ, and for a frame listed here that
// we now agree on (so the list cannot go stale).
var peerDisagreements = map[string]string{
	"corpus/pri-empty": "an invalid PRI is a malformed frame, counted and kept unparsed; both peers " +
		"read \"<>\" as PRI 0, kern.emerg, which would page whoever routes emergencies",
	"corpus/pri-leading-zeros": "an invalid PRI (RFC 5424 §6.2.1 forbids leading zeros) is a malformed frame, " +
		"counted and kept unparsed, as for every other invalid PRI",
}

// TestPeerAgreement holds the parser to rsyslog and syslog-ng on every frame
// of testdata/peers where the two agree on hostname, app, pid and message.
func TestPeerAgreement(t *testing.T) {
	frames := loadPeerFrames(t)
	agreeing := 0
	for _, f := range frames {
		if !f.agree {
			continue
		}
		agreeing++
		t.Run(fmt.Sprintf("%d-%s", f.index, strings.TrimPrefix(strings.Fields(f.label)[0], "wild/")), func(t *testing.T) {
			m := newTestParser(t, "").Parse(f.frame, peerSrc, goldenListener, goldenReceived)
			got := peerFields{host: m.Hostname, app: m.AppName, pid: m.ProcID, msg: m.Text}
			if got.host == peerSrc.Addr().String() {
				got.host = "(sender)"
			}
			if !m.Parsed() {
				got = peerFields{host: "(sender)", msg: string(f.frame)}
			}
			reason, listed := peerDisagreements[f.label]
			switch {
			case got == f.want && listed:
				t.Errorf("frame %q: now agrees with both peers (%v); remove it from peerDisagreements", f.frame, got)
			case got != f.want && !listed:
				t.Errorf("frame %q:\n got  %v\n want %v (rsyslog and syslog-ng)", f.frame, got, f.want)
			case got != f.want:
				t.Logf("deliberately differs: %s", reason)
			}
		})
	}
	if agreeing < 70 {
		t.Fatalf("only %d frames where the peers agree; testdata/peers is incomplete", agreeing)
	}
}

// peerSides names, for frames where rsyslog and syslog-ng disagree, the
// peer whose fields we give (keyed by the label's first word). The groups:
// IPv6 literal hostnames, ISO stamps with a space or no zone, Cisco IOS
// '*' and time-zone stamps, and a BOM before the tag are read as syslog-ng
// reads them (rsyslog's RFC 3164 parser leaves them in the text); a tag's
// '/' stays in the app name, as in syslog-ng (rsyslog cuts "postfix/smtpd"
// to "postfix"); an unpadded day ("Dec 1") and an unclosed "[pid" are read
// as rsyslog reads them (syslog-ng gives up on the header); RFC 5424 text
// after a BOM and nil header fields as syslog-ng gives them (rsyslog keeps
// the BOM and writes "-"). Frames in neither group have reasons of their
// own: invalid PRIs (unparsed here), control bytes rsyslog escapes, a BOM
// syslog-ng keeps.
var peerSides = map[string]string{
	"wild/python-sysloghandler-bom":      "syslog-ng",
	"wild/ipv6-host-compressed":          "syslog-ng",
	"wild/ipv6-host-loopback":            "syslog-ng",
	"wild/ipv6-host-full":                "syslog-ng",
	"wild/ipv6-host-zone":                "syslog-ng",
	"wild/cisco-ios-seq-uptime":          "rsyslog",
	"wild/cisco-ios-unsynced-no-seq":     "syslog-ng",
	"wild/cisco-ios-seq-unsynced":        "syslog-ng",
	"wild/cisco-ios-seq-datetime-tz":     "syslog-ng",
	"wild/cisco-nxos":                    "syslog-ng",
	"wild/asr-unpadded-day":              "rsyslog",
	"wild/rfc5424-bom-msg":               "syslog-ng",
	"wild/rfc5424-nil-fields-with-stamp": "syslog-ng",
	"wild/rfc3164-iso-stamp-space":       "syslog-ng",
	"wild/tag-slash-postfix":             "syslog-ng",
	"wild/tag-slash-docker":              "syslog-ng",
	"wild/tag-unclosed-pid":              "rsyslog",
	"wild/paloalto":                      "syslog-ng",
	"corpus/rfc3164-ansi-colours":        "syslog-ng",
	"corpus/rfc3164-cisco-counter":       "syslog-ng",
	"corpus/rfc3164-example4":            "syslog-ng",
	"corpus/rfc3164-no-timestamp":        "syslog-ng",
	"corpus/rfc3164-rfc3339-no-offset":   "syslog-ng",
	"corpus/rfc3164-single-digit-day":    "rsyslog",
	"corpus/rfc5424-example1":            "syslog-ng",
	"corpus/rfc5424-example3":            "syslog-ng",
	"corpus/rfc5424-trailing-newline":    "syslog-ng",
}

// TestPeerSides holds the parser to the peer peerSides names, on the
// frames where the peers disagree.
func TestPeerSides(t *testing.T) {
	frames := loadPeerFrames(t)
	seen := 0
	for _, f := range frames {
		key := strings.Fields(f.label)[0]
		side, ok := peerSides[key]
		if !ok {
			continue
		}
		seen++
		if f.agree {
			t.Errorf("%s: the peers agree now; move it out of peerSides", key)
			continue
		}
		want := f.rsyslog
		if side == "syslog-ng" {
			want = f.syslogng
		}
		want.msg = strings.TrimPrefix(want.msg, " ")
		m := newTestParser(t, "").Parse(f.frame, peerSrc, goldenListener, goldenReceived)
		got := peerFields{host: m.Hostname, app: m.AppName, pid: m.ProcID, msg: m.Text}
		if got.host == peerSrc.Addr().String() {
			got.host = "(sender)"
		}
		if got != want {
			t.Errorf("%s %q:\n got  %v\n want %v (%s)", key, f.frame, got, want, side)
		}
	}
	if seen != len(peerSides) {
		t.Errorf("%d of %d peerSides labels found in testdata/peers", seen, len(peerSides))
	}
}

// loadPeerFrames reads frames.txt and both peers' JSONL.
func loadPeerFrames(t *testing.T) []peerFrame {
	t.Helper()
	dir := filepath.Join("testdata", "peers")
	raw, err := os.ReadFile(filepath.Join(dir, "frames.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var frames []peerFrame
	label := ""
	for _, line := range strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n") {
		if l, ok := strings.CutPrefix(line, "#: "); ok {
			label = l
			continue
		}
		if strings.HasPrefix(line, "#") {
			continue
		}
		frames = append(frames, peerFrame{index: len(frames) + 1, label: label, frame: decodePeerFrame(t, line)})
		label = ""
	}
	rs := readPeerJSONL(t, filepath.Join(dir, "rsyslog.jsonl"))
	ng := readPeerJSONL(t, filepath.Join(dir, "syslog-ng.jsonl"))
	if len(rs) != len(frames) || len(ng) != len(frames) {
		t.Fatalf("%d frames, %d rsyslog and %d syslog-ng records", len(frames), len(rs), len(ng))
	}
	for i := range frames {
		f := &frames[i]
		r, n := rs[i], ng[i]
		if r.Label != f.label || n.Label != f.label {
			t.Fatalf("frame %d: labels %q / %q / %q", i+1, f.label, r.Label, n.Label)
		}
		if r.Dropped || n.Dropped || n.Extra != nil {
			continue // a peer made no message, or several
		}
		f.rsyslog = peerFields{host: sender(r.Hostname, "localhost"), app: r.Programname, pid: dash(r.Procid), msg: r.Msg}
		f.syslogng = peerFields{host: sender(n.Hostname, "127.0.0.1"), app: n.Program, pid: n.Pid, msg: n.Message}
		a, b := f.rsyslog, f.syslogng
		a.msg, b.msg = strings.TrimPrefix(a.msg, " "), strings.TrimPrefix(b.msg, " ")
		f.agree, f.want = a == b, a
	}
	return frames
}

type peerRecord struct {
	Label   string          `json:"label"`
	Dropped bool            `json:"dropped"`
	Extra   json.RawMessage `json:"extra"`
	// rsyslog
	Hostname    string `json:"hostname"`
	Programname string `json:"programname"`
	Procid      string `json:"procid"`
	Msg         string `json:"msg"`
	// syslog-ng
	Program string `json:"program"`
	Pid     string `json:"pid"`
	Message string `json:"message"`
}

func readPeerJSONL(t *testing.T, path string) []peerRecord {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []peerRecord
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r peerRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// decodePeerFrame undoes frames.txt's one escape, \xHH.
func decodePeerFrame(t *testing.T, line string) []byte {
	t.Helper()
	var out []byte
	for i := 0; i < len(line); i++ {
		if line[i] == '\\' && i+3 < len(line) && line[i+1] == 'x' {
			if b, err := hex.DecodeString(line[i+2 : i+4]); err == nil {
				out = append(out, b[0])
				i += 3
				continue
			}
		}
		out = append(out, line[i])
	}
	return out
}

func sender(host, fallback string) string {
	if host == fallback {
		return "(sender)"
	}
	return host
}

func dash(s string) string {
	if s == "-" {
		return ""
	}
	return s
}
