package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"syslogd/config"
	"syslogd/daemon"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

var update = flag.Bool("update", false, "rewrite testdata/explain/*.golden from the output")

func TestMain(m *testing.M) {
	// configs/syslogd.yaml reads RFC 3164 timestamps in the Local zone:
	// the same on every machine for the golden files.
	time.Local = time.UTC
	os.Exit(m.Run())
}

// explainTestEnv is a fixed clock (a minute after the lines' own
// timestamps, so that year-less ones fall in its year) and host name.
var explainTestEnv = explainEnv{
	now:      func() time.Time { return time.Date(2025, 3, 4, 5, 7, 0, 0, time.UTC) },
	hostname: "testhost",
}

const (
	productionConfig = "../../configs/syslogd.yaml"
	testConfig       = "testdata/explain.yaml"
	strictConfig     = "testdata/explain-strict.yaml"
)

// Lines the golden cases share.
const (
	line5424       = `<38>1 2025-03-04T05:06:07.123456+01:00 web01.example.com sshd 4242 ID47 [exampleSDID@32473 iut="3" eventSource="Application"][origin ip="192.0.2.7"] Failed password for root from 203.0.113.9`
	line3164       = "<13>Mar  4 05:06:07 web01 nginx[812]: GET /healthz 200"
	lineAuth3164   = "<36>Mar  4 05:06:07 bastion sshd[99]: Invalid user admin from 203.0.113.9"
	lineHostile1   = "<14>Mar  4 05:06:07 ../../etc cron[1]: hostile hostname"
	lineHostile2   = "<14>Mar  4 05:06:07 a/b cron[1]: hostile hostname"
	lineHostile3   = "<14>Mar  4 05:06:07 .. cron[1]: hostile hostname"
	lineUnparsable = "<999>not syslog at all"
	lineNoHost     = "<14>Mar  4 05:06:07 myapp[7]: from a local socket"
	lineControl    = "<14>Mar  4 05:06:07 web01 app: bell\x07 and escape \x1b[31m"
)

type goldenCase struct {
	name  string // testdata/explain/<name>.golden
	args  []string
	stdin string
}

func goldenCases() []goldenCase {
	all := []string{line5424, line3164, lineAuth3164, lineHostile1, lineHostile2, lineHostile3, lineUnparsable, lineControl}
	var cases []goldenCase
	for _, format := range []string{"text", "json"} {
		cases = append(cases,
			goldenCase{name: "production." + format,
				args: append([]string{"--config", productionConfig, "--format", format}, line5424, line3164, lineHostile1, lineHostile2, lineUnparsable)},
			goldenCase{name: "test." + format,
				args: append([]string{"--config", testConfig, "--format", format}, all...)},
			goldenCase{name: "test-dmz." + format,
				args: []string{"--config", testConfig, "--format", format, "--listener", "secure", "--source", "192.0.2.7", line3164, strings.Repeat("x", 513)}},
			goldenCase{name: "test-devlog." + format,
				args: []string{"--config", testConfig, "--format", format, "--listener", "devlog", lineNoHost, line5424, lineUnparsable}},
			goldenCase{name: "strict." + format,
				args: []string{"--config", strictConfig, "--format", format}, stdin: line3164 + "\r\n\n" + lineUnparsable},
		)
	}
	return cases
}

// TestExplainGolden runs explain over the production example and the
// test configuration; go test ./cmd/syslogd -run ExplainGolden -update
// rewrites the files.
func TestExplainGolden(t *testing.T) {
	for _, tc := range goldenCases() {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := explainWith(tc.args, strings.NewReader(tc.stdin), &stdout, &stderr, explainTestEnv); code != 0 || stderr.Len() > 0 {
				t.Fatalf("exit %d, stderr:\n%s", code, stderr.String())
			}
			path := filepath.Join("testdata", "explain", tc.name+".golden")
			if *update {
				if err := os.WriteFile(path, stdout.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(stdout.Bytes(), want) {
				t.Errorf("output differs from %s (-update rewrites it):\n%s", path, stdout.String())
			}
		})
	}
}

// TestExplainJSONLines: one object a line, with the contract's keys.
func TestExplainJSONLines(t *testing.T) {
	var stdout, stderr bytes.Buffer
	in := line5424 + "\n" + line3164 + "\r\n\n\x00\xff\xfe" // CRLF, an empty line, binary, no final LF
	if code := explainWith([]string{"--config", testConfig, "--format", "json"}, strings.NewReader(in), &stdout, &stderr, explainTestEnv); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	lines := strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d lines, want 4:\n%s", len(lines), stdout.String())
	}
	keys := []string{"line", "listener", "source", "received", "parse", "routes", "sinks", "outcome", "reason"}
	for i, l := range lines {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal([]byte(l), &obj); err != nil {
			t.Fatalf("line %d: %v: %s", i+1, err, l)
		}
		for _, k := range keys {
			if _, ok := obj[k]; !ok {
				t.Errorf("line %d lacks %q: %s", i+1, k, l)
			}
		}
	}
	if !strings.Contains(lines[1], `"line":"`+line3164+`"`) || !strings.Contains(lines[2], `"outcome":"skipped"`) {
		t.Errorf("CRLF or empty line mishandled:\n%s", stdout.String())
	}
}

// TestExplainBadConfig: the problems --check-config prints, exit 1.
func TestExplainBadConfig(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	yaml := "listeners:\n  - {name: u, protocol: udp, address: \"127.0.0.1:5514\", fromat: auto}\n" +
		"sinks: [{name: f, type: file, path: /var/log/x.log}]\nroutes: [{name: r, sinks: [f]}]\n"
	if err := os.WriteFile(bad, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, explainErr, checkErr bytes.Buffer
	if code := run([]string{"explain", "--config", bad, "<13>x"}, strings.NewReader(""), &out, &explainErr); code != 1 || out.Len() > 0 {
		t.Errorf("exit %d, stdout %q", code, out.String())
	}
	want := bad + `:2:57: listeners[0].fromat: unknown key "fromat"; did you mean "format"?`
	if !strings.Contains(explainErr.String(), want) {
		t.Errorf("stderr %q lacks %q", explainErr.String(), want)
	}
	if code := run([]string{"--check-config", "--config", bad}, strings.NewReader(""), &out, &checkErr); code != 1 || checkErr.String() != explainErr.String() {
		t.Errorf("--check-config (exit %d) says %q, explain %q", code, checkErr.String(), explainErr.String())
	}
}

// TestExplainUsage: usage errors exit 2 with a reason, --help 0.
func TestExplainUsage(t *testing.T) {
	tests := []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"<13>x"}, 2, "--config FILE is required"},
		{[]string{"--config", testConfig, "--listener", "nope", "<13>x"}, 2, `no such socket listener: "nope" (socket listeners: edge, secure, devlog)`},
		{[]string{"--config", testConfig, "--source", "web01", "<13>x"}, 2, "--source"},
		{[]string{"--config", testConfig, "--format", "yaml", "<13>x"}, 2, `unknown format "yaml"`},
		{[]string{"--bogus"}, 2, "Usage: syslogd explain"},
		{[]string{"--config", "testdata/missing.yaml", "<13>x"}, 1, "no such file"},
		{[]string{"--help"}, 0, ""},
	}
	for _, tc := range tests {
		var stdout, stderr bytes.Buffer
		code := run(append([]string{"explain"}, tc.args...), strings.NewReader(""), &stdout, &stderr)
		if code != tc.code || !strings.Contains(stderr.String(), tc.stderr) {
			t.Errorf("%q: exit %d, stderr %q; want %d and %q", tc.args, code, stderr.String(), tc.code, tc.stderr)
		}
		if tc.code == 0 && !strings.HasPrefix(stdout.String(), "Usage: syslogd explain --config FILE") {
			t.Errorf("--help printed %q", stdout.String())
		}
	}
}

// FuzzExplainOutput: whatever the line, the text output holds no control
// byte but its newlines and is valid UTF-8, and the json output is one
// valid JSON object.
func FuzzExplainOutput(f *testing.F) {
	for _, l := range []string{line5424, line3164, lineHostile1, lineUnparsable, lineControl, "\xff\xfe\x00", ""} {
		f.Add([]byte(l))
	}
	cfg, err := config.Load(testConfig, daemon.Schema())
	if err != nil {
		f.Fatal(err)
	}
	e, err := daemon.NewExplainer(cfg, daemon.ExplainOptions{Hostname: "testhost"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		x := e.Explain(line, explainTestEnv.now())
		var text, js bytes.Buffer
		writeText(&text, 1, x)
		if !utf8.Valid(text.Bytes()) || bytes.ContainsFunc(text.Bytes(), func(r rune) bool { return r != '\n' && unicode.IsControl(r) }) {
			t.Errorf("text output of %q holds control bytes or invalid UTF-8:\n%q", line, text.String())
		}
		writeJSON(&js, x)
		if !json.Valid(js.Bytes()) || bytes.Count(js.Bytes(), []byte("\n")) != 1 {
			t.Errorf("json output of %q is not one JSON line: %q", line, js.String())
		}
	})
}
