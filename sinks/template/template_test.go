package template

import (
	"math/rand/v2"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"syslogd/message"
)

func templateMessage() *message.Message {
	// 23:30 on the 31st in UTC-5 is 04:30 on the 1st of the next month in UTC.
	received := time.Date(2024, 12, 31, 23, 30, 0, 0, time.FixedZone("EST", -5*3600))
	return &message.Message{
		Received: received, Format: message.RFC5424,
		Facility: message.Local3, Severity: message.Err,
		Hostname: "web01", AppName: "nginx", ProcID: "4242", MsgID: "ID47",
		Source: netip.MustParseAddrPort("192.0.2.10:514"), Listener: "tcp-in",
	}
}

func expand(t *testing.T, src string, kind Kind, m *message.Message) string {
	t.Helper()
	tpl, err := Parse(src, kind)
	if err != nil {
		t.Fatalf("Parse(%q): %v", src, err)
	}
	return string(tpl.Append(nil, m))
}

func TestTemplatePlaceholders(t *testing.T) {
	tests := []struct{ src, want string }{
		{"{hostname}", "web01"},
		{"{app_name}", "nginx"},
		{"{proc_id}", "4242"},
		{"{msg_id}", "ID47"},
		{"{facility}", "local3"},
		{"{severity}", "err"},
		{"{listener}", "tcp-in"},
		{"{source_ip}", "192.0.2.10"},
		{"{date}", "2025-01-01"},
		{"{year}", "2025"},
		{"{month}", "01"},
		{"{day}", "01"},
		{"{hour}", "04"},
		{"/var/log/{hostname}/{year}/{month}/{app_name}-{proc_id}.log", "/var/log/web01/2025/01/nginx-4242.log"},
		{"plain", "plain"},
		{"", ""},
	}
	m := templateMessage()
	for _, tc := range tests {
		if got := expand(t, tc.src, Path, m); got != tc.want {
			t.Errorf("%q = %q, want %q", tc.src, got, tc.want)
		}
	}
	// Every documented placeholder is covered above.
	for _, name := range strings.Fields(Placeholders) {
		if _, err := Parse(name, Path); err != nil {
			t.Errorf("documented placeholder %s rejected: %v", name, err)
		}
	}
}

// TestTemplateSourceIPv6 checks that an IPv6 sender prints as IPv6: Source
// is already unmapped by the listener, so the template prints it as it is.
func TestTemplateSourceIPv6(t *testing.T) {
	m := templateMessage()
	m.Source = netip.MustParseAddrPort("[2001:db8::7]:514")
	if got, want := expand(t, "{source_ip}", Path, m), "2001:db8::7"; got != want {
		t.Errorf("source_ip -> %q, want %q", got, want)
	}
}

func TestTemplateEmptyValues(t *testing.T) {
	m := &message.Message{Format: message.Unparsed}
	got := expand(t, "{hostname}/{app_name}/{proc_id}/{msg_id}/{listener}/{source_ip}.log", Path, m)
	if want := "-/-/-/-/-/-.log"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := expand(t, "syslog.{hostname}.{source_ip}", Subject, m); got != "syslog.-.-" {
		t.Errorf("subject got %q, want syslog.-.-", got)
	}
}

func TestPathSanitise(t *testing.T) {
	tests := []struct{ host, want string }{
		{"../../etc/passwd", "___.._etc_passwd"},
		{"..", "__"},
		{".", "_"},
		{".hidden", "_hidden"},
		{"a..b", "a..b"},
		{"a/b", "a_b"},
		{`a\b`, "a_b"},
		{"a\x00b", "a_b"},
		{"\n", "_"},
		{"a\r\nb\tc\x7f", "a__b_c_"},
		{"", "-"},
		{"web01.example.com", "web01.example.com"},
		{"host name", "host name"},
		{"ünïcödé", "ünïcödé"},
	}
	for _, tc := range tests {
		m := templateMessage()
		m.Hostname = tc.host
		if got := expand(t, "{hostname}", Path, m); got != tc.want {
			t.Errorf("hostname %q -> %q, want %q", tc.host, got, tc.want)
		}
	}
	// Literal text is the operator's and stays untouched.
	m := templateMessage()
	m.Hostname = "../x"
	if got, want := expand(t, "/var/log/../{hostname}/.d", Path, m), "/var/log/../___x/.d"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestSubjectSanitise(t *testing.T) {
	tests := []struct{ host, want string }{
		{"web01.example.com", "web01_example_com"},
		{"$JS.API.STREAM.DELETE.X", "_JS_API_STREAM_DELETE_X"},
		{"a*b>c d\te", "a_b_c_d_e"},
		{"a$b", "a$b"},
		{"\x00\n\x7f", "___"},
		{"", "-"},
		{"web-01:x", "web-01:x"},
	}
	for _, tc := range tests {
		m := templateMessage()
		m.Hostname = tc.host
		if got := expand(t, "syslog.{hostname}", Subject, m); got != "syslog."+tc.want {
			t.Errorf("hostname %q -> %q, want %q", tc.host, got, "syslog."+tc.want)
		}
	}
	m := templateMessage()
	if got, want := expand(t, "{source_ip}", Subject, m), "192_0_2_10"; got != want {
		t.Errorf("source_ip -> %q, want %q", got, want)
	}
}

func TestParseTemplateErrors(t *testing.T) {
	tests := []struct{ src, reason string }{
		{"{host}", "unknown placeholder {host}"},
		{"{}", "unknown placeholder {}"},
		{"{{hostname}}", "unknown placeholder {{hostname}"},
		{"/var/{hostname", "unclosed '{' at offset 5"},
		{"/var/}x", "unexpected '}' at offset 5"},
		{"{HOSTNAME}", "unknown placeholder"},
	}
	for _, tc := range tests {
		_, err := Parse(tc.src, Path)
		if err == nil || !strings.Contains(err.Error(), tc.reason) {
			t.Errorf("Parse(%q) = %v, want error containing %q", tc.src, err, tc.reason)
		}
	}
}

func TestTemplateStatic(t *testing.T) {
	tests := []struct {
		src    string
		static bool
		prefix string
	}{
		{"/var/log/all.log", true, "/var/log/all.log"},
		{"/var/log/{hostname}/x.log", false, "/var/log/"},
		{"{hostname}.log", false, ""},
		{"", true, ""},
	}
	for _, tc := range tests {
		tpl, err := Parse(tc.src, Path)
		if err != nil {
			t.Fatal(err)
		}
		if tpl.Static() != tc.static || tpl.StaticPrefix() != tc.prefix || tpl.String() != tc.src {
			t.Errorf("%q: Static %v StaticPrefix %q String %q", tc.src, tpl.Static(), tpl.StaticPrefix(), tpl.String())
		}
	}
}

// hostileHostname builds names from the characters that could move a
// path: separators, dots, NUL and control characters.
func hostileHostname(r *rand.Rand) string {
	const alphabet = "./\\\x00\n\r\t ~$*>a-é"
	runes := []rune(alphabet)
	b := make([]rune, r.IntN(12))
	for i := range b {
		b[i] = runes[r.IntN(len(runes))]
	}
	return string(b)
}

// checkStaysUnder expands relative path templates for one hostname and
// requires the joined path to stay strictly below dir.
func checkStaysUnder(t *testing.T, host string) {
	t.Helper()
	const dir = "/var/log/remote"
	m := templateMessage()
	m.Hostname, m.AppName = host, host
	for _, src := range []string{"{hostname}", "{hostname}/{app_name}.log", "{hostname}{app_name}", "x{hostname}"} {
		rel := expand(t, src, Path, m)
		full := filepath.Join(dir, rel)
		if !strings.HasPrefix(full, dir+"/") || strings.Contains(full, "\x00") {
			t.Fatalf("hostname %q, template %q: %q escapes %s", host, src, full, dir)
		}
		if strings.Count(rel, "/") != strings.Count(src, "/") {
			t.Fatalf("hostname %q, template %q: %q changed the directory depth", host, src, rel)
		}
	}
}

func TestPathTemplateStaysUnderDir(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 5000 {
		checkStaysUnder(t, hostileHostname(r))
	}
}

func FuzzPathTemplateStaysUnderDir(f *testing.F) {
	for _, s := range []string{"../../etc/passwd", "..", ".hidden", "a/b", `a\b`, "\x00", "\n", ""} {
		f.Add(s)
	}
	f.Fuzz(checkStaysUnder)
}

func TestTemplateAppendAllocs(t *testing.T) {
	tpl, err := Parse("/var/log/{hostname}/{date}/{source_ip}-{facility}.log", Path)
	if err != nil {
		t.Fatal(err)
	}
	m := templateMessage()
	buf := make([]byte, 0, 256)
	if n := testing.AllocsPerRun(100, func() { buf = tpl.Append(buf[:0], m) }); n != 0 {
		t.Errorf("Append allocates %v times", n)
	}
}

func TestTemplateCapsLongValues(t *testing.T) {
	tmpl, err := Parse("{hostname}.log", Path)
	if err != nil {
		t.Fatal(err)
	}
	m := &message.Message{Hostname: strings.Repeat("h", 10000)}
	got := string(tmpl.Append(nil, m))
	if got != strings.Repeat("h", MaxValueBytes)+".log" {
		t.Errorf("long hostname expanded to %d bytes", len(got))
	}
}
