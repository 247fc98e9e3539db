package parser

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"syslogd/message"
)

// The fast path's deliberate differences from go-syslog. On every frame
// both accept, every field must agree, except in these ways (README.md,
// "Parsing", lists the same):
//
//  1. More header from RFC 3164 text (peerHeader). Where go-syslog's
//     grammar stops, the fast path reads on the way rsyslog and syslog-ng
//     do: a tag without a colon ("app[12] msg", "app msg"), a tag without
//     a space after its colon ("app:x"), IPv6 literals as hostname. Then
//     the fields go-syslog found are the same, and the fast path's text is
//     the end of go-syslog's: what go-syslog called text, the fast path
//     took in part as header. (Or the texts are equal and go-syslog lost
//     the header: checkHeader drops a tag such as "0]:" that go-syslog
//     reports but that is not "TAG[PID]:" in the frame.)
//  2. No hostname with '[' (bracketWord). go-syslog takes any printable
//     word (or the part of one after a '[') as HOSTNAME; the fast path reads a word with '[' as a tag
//     ("sshd[42] x" after a timestamp) or text, as rsyslog does. Then the
//     fast path has the sender as hostname, and one text ends the other.
//
//  3. Control bytes kept (keptControls). go-syslog refuses control bytes in
//     an RFC 3164 frame; the go-syslog path retries with them replaced by
//     spaces (normalize), so one right after the header becomes a separator
//     and leaves the text. The fast path keeps them in the text.
//
// Frames only the fast path accepts are not compared (go-syslog calls them
// errors): RFC 5424 structured data with a backslash before a byte other
// than '"', '\' or ']' (kept, as RFC 5424 §6.3.3 says), a repeated SD-ID
// (kept, in order), up to 9 fraction digits in an RFC 5424 TIMESTAMP, RFC
// 3164 stamps with an unpadded day, a year, or a space for 'T', and RFC
// 3164 frames with no timestamp the grammar can find (read as tag and
// text, RFC 3164 §4.3.2). TestPeerAgreement holds those to rsyslog and
// syslog-ng.

// FuzzFastPath is the differential test: the fast path against the
// go-syslog path (noFast) on the same frame, in every format mode.
func FuzzFastPath(f *testing.F) {
	for _, s := range fastSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkFastPath(t, data) })
}

// TestFastPathSeeds runs the differential check on the seeds alone, so a
// plain go test covers it.
func TestFastPathSeeds(t *testing.T) {
	for _, s := range fastSeeds(t) {
		checkFastPath(t, s)
	}
}

func fastSeeds(t testing.TB) [][]byte {
	var seeds [][]byte
	inputs, err := filepath.Glob(filepath.Join("testdata", "*", "input"))
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range inputs {
		data, err := os.ReadFile(in)
		if err != nil {
			t.Fatal(err)
		}
		seeds = append(seeds, data)
	}
	if tt, ok := t.(*testing.T); ok {
		for _, f := range loadPeerFrames(tt) {
			seeds = append(seeds, f.frame)
		}
	}
	for _, bf := range benchFrames {
		seeds = append(seeds, []byte(bf.frame))
	}
	for _, s := range liftSeeds {
		seeds = append(seeds, []byte(s))
	}
	return seeds
}

func checkFastPath(t *testing.T, data []byte) {
	t.Helper()
	for _, format := range []string{"auto", "rfc3164", "rfc5424"} {
		fast, slow := newTestParser(t, format), newTestParser(t, format)
		slow.noFast = true
		a := fast.Parse(data, goldenSrc, goldenListener, goldenReceived)
		b := slow.Parse(data, goldenSrc, goldenListener, goldenReceived)
		checkInvariants(t, data, a)
		if b.NoPRI && b.Text == string(trimTrailer(data)) {
			continue // go-syslog found no header: all of it is text (parseNoPRI)
		}
		if !a.Parsed() || !b.Parsed() {
			if !a.Parsed() && b.Parsed() {
				t.Errorf("%s %q: the fast path refuses what go-syslog accepts: %s", format, data, a.ParseError)
			}
			if a.Format == message.RFC5424 && !b.Parsed() && !lenient5424(a) {
				t.Errorf("%s %q: the fast path accepts an RFC 5424 frame go-syslog rejects (%s), outside the listed leniencies",
					format, data, b.ParseError)
			}
			continue
		}
		if d := fastDiff(a, b, data); d != "" {
			t.Errorf("%s %q: fast path and go-syslog differ: %s\n fast %+v\n slow %+v", format, data, d, render(a), render(b))
		}
	}
}

// fastDiff returns "" when a (fast path) and b (go-syslog) agree up to
// the deliberate differences above, or what differs.
func fastDiff(a, b *message.Message, frame []byte) string {
	ga, gb := render(a), render(b)
	if !a.Timestamp.IsZero() {
		_, oa := a.Timestamp.Zone()
		_, ob := b.Timestamp.Zone()
		if oa != ob {
			return fmt.Sprintf("timestamp offset %d, go-syslog %d", oa, ob)
		}
	}
	if a.Format == message.RFC3164 && b.Format == message.RFC3164 && peerHeader(a, b) {
		ga.Hostname, ga.AppName, ga.ProcID, ga.Text = gb.Hostname, gb.AppName, gb.ProcID, gb.Text
	}
	if a.Format == message.RFC3164 && bracketWord(a, b, frame) {
		ga.Hostname, ga.AppName, ga.ProcID, ga.Text = gb.Hostname, gb.AppName, gb.ProcID, gb.Text
	}
	if a.Format == message.RFC3164 && keptControls(a.Text, b.Text) {
		ga.Text = gb.Text
	}
	if !reflect.DeepEqual(ga, gb) {
		return "fields"
	}
	return ""
}

// peerHeader is difference 1: a took more of the frame as header than b,
// agreeing with every header field b found.
func peerHeader(a, b *message.Message) bool {
	if !strings.HasSuffix(b.Text, a.Text) {
		return false
	}
	sender := goldenSrc.Addr().String()
	if b.Hostname != sender && b.Hostname != a.Hostname {
		return false
	}
	if b.AppName != "" && (b.AppName != a.AppName || b.ProcID != a.ProcID) {
		return false
	}
	return true
}

// bracketWord is difference 2: the word after the timestamp has a '[',
// and a has no hostname. (go-syslog's grammar may also backtrack into such
// a word and take the part after the '[' as hostname.)
func bracketWord(a, b *message.Message, frame []byte) bool {
	in := trimTrailer(frame)
	i := 0
	if len(in) > 0 && in[0] == '<' {
		_, end, reason := parsePRI(in)
		if reason != "" {
			return false
		}
		i = end
	}
	for i < len(in) && in[i] == ' ' {
		i++
	}
	p := Parser{loc: time.UTC, now: func() time.Time { return goldenNow }}
	_, end, ok := p.stamp3164(in, i, goldenReceived)
	if !ok {
		return false
	}
	i = end
	for i < len(in) && (in[i] == ' ' || in[i] == ':') {
		i++
	}
	j := i
	for j < len(in) && in[j] != ' ' {
		j++
	}
	return bytes.IndexByte(in[i:j], '[') >= 0 && a.Hostname == goldenSrc.Addr().String() &&
		(strings.HasSuffix(a.Text, b.Text) || strings.HasSuffix(b.Text, a.Text))
}

// keptControls is difference 3: a ends with b, and what a has more is
// control bytes and spaces.
func keptControls(a, b string) bool {
	extra, ok := strings.CutSuffix(a, b)
	if !ok || extra == "" {
		return false
	}
	for i := 0; i < len(extra); i++ {
		if c := extra[i]; c != ' ' && !isCtl(c) {
			return false
		}
	}
	return true
}

// lenient5424 reports whether m, an RFC 5424 message go-syslog rejected,
// shows one of the leniencies listed at the top of this file: a backslash
// in a PARAM-VALUE (kept where go-syslog refuses an escape of another
// byte), a repeated SD-ID, or fraction digits beyond microseconds.
func lenient5424(m *message.Message) bool {
	ids := map[string]bool{}
	for _, e := range m.StructuredData {
		if ids[e.ID] {
			return true
		}
		ids[e.ID] = true
		for _, p := range e.Params {
			if strings.Contains(p.Value, `\`) {
				return true
			}
		}
	}
	return m.Timestamp.Nanosecond()%1000 != 0
}
