package nats

import (
	"context"
	"strings"
	"testing"
	"time"

	natsgo "github.com/nats-io/nats.go"

	"syslogd/message"
	"syslogd/sinks/format"
)

// TestFormatsAndHeaders publishes one message per format through
// JetStream and reads it back from the stream: subject, every header, a
// Nats-Msg-Id, and the payload as the format package renders it.
func TestFormatsAndHeaders(t *testing.T) {
	ns := startServer(t)
	_, js := ns.client(t)
	createStream(t, js, "SYSLOG")
	m := msg(7, "web01")
	formats := []format.Format{format.JSON, format.RFC5424, format.Raw}
	for _, f := range formats {
		cfg := testConfig(t, ns, JetStream, f)
		cfg.Name = f.String() // the same message through three sinks: three IDs
		s := newTestSink(t, cfg)
		ctx := context.Background()
		if err := s.Connect(ctx); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "connection", 5*time.Second, s.nc.IsConnected)
		if err := s.Write(ctx, []*message.Message{m}); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(ctx); err != nil {
			t.Fatal(err)
		}
	}
	got := readStream(t, js, "SYSLOG")
	if len(got) != len(formats) {
		t.Fatalf("stream holds %d messages, want %d", len(got), len(formats))
	}
	ids := map[string]bool{}
	for i, f := range formats {
		sm := got[i]
		if sm.Subject() != "syslog.local3.web01" {
			t.Errorf("%s: subject %q", f, sm.Subject())
		}
		want := map[string]string{
			HeaderFacility: "local3", HeaderSeverity: "info", HeaderHostname: "web01",
			HeaderAppName: "app", HeaderSource: "192.0.2.7", HeaderListener: "tcp",
		}
		for k, v := range want {
			if got := sm.Headers().Get(k); got != v {
				t.Errorf("%s: header %s = %q, want %q", f, k, got, v)
			}
		}
		id := sm.Headers().Get(natsgo.MsgIdHdr)
		if want := f.String() + "-8"; id != want || ids[id] { // sink name, "-", the message ID in base 36
			t.Errorf("%s: Nats-Msg-Id %q, want %q", f, id, want)
		}
		ids[id] = true
		line := format.Append(nil, f, m)
		wantData := string(line[:len(line)-1])
		if f == format.Raw {
			wantData = string(m.Raw)
		}
		if string(sm.Data()) != wantData {
			t.Errorf("%s: payload\n got %q\nwant %q", f, sm.Data(), wantData)
		}
	}
}

// TestSubjectSanitisation sends hostile hostnames and checks, with a core
// subscriber, that each stays one token of the subject.
func TestSubjectSanitisation(t *testing.T) {
	cases := []struct{ host, token string }{
		{"web01", "web01"},
		{"web01.example.com", "web01_example_com"},
		{"$JS.API.STREAM.DELETE.X", "_JS_API_STREAM_DELETE_X"},
		{"$SYS", "_SYS"},
		{"a$b", "a$b"},
		{"*", "_"},
		{">", "_"},
		{"a*b>c", "a_b_c"},
		{"two words", "two_words"},
		{"tab\there", "tab_here"},
		{"cr\r\nlf", "cr__lf"},
		{"nul\x00del\x7f", "nul_del_"},
		{"", "-"},
		{"...", "___"},
		{"ünïcödé.host", "ünïcödé_host"},
		{strings.Repeat("h", 300), strings.Repeat("h", 200)},
	}
	ns := startServer(t)
	nc, _ := ns.client(t)
	sub, err := nc.SubscribeSync("syslog.>")
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t, ns, Core, format.Raw)
	s := newTestSink(t, cfg)
	ctx := context.Background()
	if err := s.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	defer s.Close(ctx)
	waitFor(t, "connection", 5*time.Second, s.nc.IsConnected)
	batch := make([]*message.Message, len(cases))
	for i, tc := range cases {
		batch[i] = msg(i, tc.host)
	}
	if err := s.Write(ctx, batch); err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		m, err := sub.NextMsg(5 * time.Second)
		if err != nil {
			t.Fatalf("host %q: %v", tc.host, err)
		}
		want := "syslog.local3." + tc.token
		if m.Subject != want {
			t.Errorf("host %q: subject %q, want %q", tc.host, m.Subject, want)
		}
		if n := strings.Count(m.Subject, "."); n != 2 {
			t.Errorf("host %q: subject %q has %d tokens, want 3", tc.host, m.Subject, n+1)
		}
		if h := m.Header.Get(HeaderHostname); strings.ContainsAny(h, "\r\n\x00") {
			t.Errorf("host %q: header value %q carries control characters", tc.host, h)
		}
	}
}

// TestMissingStream: with no stream for the subjects the sink does not
// crash or lose anything: it counts failures, logs once, spools, and
// delivers everything once the stream exists.
func TestMissingStream(t *testing.T) {
	ns := startServer(t)
	_, js := ns.client(t)
	cfg := testConfig(t, ns, JetStream, format.Raw)
	var logs syncBuffer
	s, err := New(cfg, newBufLogger(&logs))
	if err != nil {
		t.Fatal(err)
	}
	r := runner(t, s, cfg.Counters)
	const n = 50
	for i := range n {
		r.Enqueue(msg(i, "h"))
	}
	waitFor(t, "all messages spooled", 10*time.Second, func() bool { return r.Buffered() == n })
	if f := cfg.Counters.Failed.Load(); f == 0 {
		t.Error("failed = 0 with no stream")
	}
	if got := strings.Count(logs.String(), "no JetStream stream"); got != 1 {
		t.Errorf("logged the missing stream %d times, want once:\n%s", got, logs.String())
	}
	createStream(t, js, "LATE")
	waitFor(t, "all messages written", 20*time.Second, func() bool { return cfg.Counters.Written.Load() == n })
	if err := r.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	checkSequence(t, readStream(t, js, "LATE"), n)
	if d := cfg.Counters.DroppedTotal(); d != 0 {
		t.Errorf("dropped %d", d)
	}
	if cfg.Counters.Retries.Load() == 0 {
		t.Error("retries = 0 after replaying failed messages")
	}
}

// TestCreatesStream: a configured stream is created on connect.
func TestCreatesStream(t *testing.T) {
	ns := startServer(t)
	_, js := ns.client(t)
	cfg := testConfig(t, ns, JetStream, format.JSON)
	cfg.Stream = &Stream{Name: "MADE", Storage: StorageMemory, Replicas: 1, MaxAge: time.Hour}
	s := newTestSink(t, cfg)
	r := runner(t, s, cfg.Counters)
	r.Enqueue(msg(1, "h"))
	waitFor(t, "written", 10*time.Second, func() bool { return cfg.Counters.Written.Load() == 1 })
	st, err := js.Stream(context.Background(), "MADE")
	if err != nil {
		t.Fatal(err)
	}
	c := st.CachedInfo().Config
	if len(c.Subjects) != 1 || c.Subjects[0] != "syslog.>" || c.MaxAge != time.Hour || c.Storage.String() != "Memory" {
		t.Errorf("stream config: subjects %v, max_age %v, storage %v", c.Subjects, c.MaxAge, c.Storage)
	}
}

// TestNew rejects what cannot work.
func TestNew(t *testing.T) {
	ok := Config{Options: DefaultOptions()}
	ok.URL, ok.Subject, ok.SpoolDir = []string{"nats://x"}, "s.{hostname}", t.TempDir()
	cases := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"ok", func(*Config) {}, ""},
		{"no subject", func(c *Config) { c.Subject = "" }, "subject: required"},
		{"no url", func(c *Config) { c.URL = nil }, "url: required"},
		{"rfc3164", func(c *Config) { c.Format = format.RFC3164 }, `format: invalid value "rfc3164"`},
		{"no spool", func(c *Config) { c.SpoolDir = "" }, "spool"},
		{"two auths", func(c *Config) { c.User, c.Token = "u", "t" }, "user and token are alternatives"},
		{"missing creds", func(c *Config) { c.CredsFile = "/nonexistent/x.creds" }, "creds_file"},
		{"missing nkey", func(c *Config) { c.NKeyFile = "/nonexistent/x.nk" }, "nkey_file"},
		{"missing ca", func(c *Config) { c.CAFile = "/nonexistent/ca.pem" }, "ca_file"},
		{"cert without key", func(c *Config) { c.CertFile = "/nonexistent/c.pem" }, "go together"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := ok
			tc.edit(&cfg)
			_, err := New(cfg, nil)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one mentioning %q", err, tc.want)
			}
		})
	}
	var m Mode = 9
	if err := m.UnmarshalText([]byte("core")); err != nil || m != Core {
		t.Errorf(`UnmarshalText("core") = %v, %v`, m, err)
	}
	if err := m.UnmarshalText([]byte("jetstream")); err != nil || m != JetStream {
		t.Errorf(`UnmarshalText("jetstream") = %v, %v`, m, err)
	}
	if err := m.UnmarshalText([]byte("")); err == nil {
		t.Error("UnmarshalText accepted an empty mode")
	}
}
