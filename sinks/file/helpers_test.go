package file

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"syslogd/sinks/template"
	"testing"
	"time"

	"syslogd/message"
	"syslogd/sinks/format"
)

// rawTemplate is `dir/{hostname}/{app_name}.log` WITHOUT the router's
// sanitising, so tests can hand the sink hostile paths and see the guard
// itself at work.
type rawTemplate struct{ dir string }

func (t rawTemplate) Append(dst []byte, m *message.Message) []byte {
	dst = append(dst, t.dir...)
	dst = append(dst, '/')
	dst = append(dst, m.Hostname...)
	dst = append(dst, '/')
	dst = append(dst, m.AppName...)
	return append(dst, ".log"...)
}

func (t rawTemplate) StaticPrefix() string { return t.dir + "/" }

// staticPath names one file for every message.
type staticPath string

func (p staticPath) Append(dst []byte, _ *message.Message) []byte { return append(dst, p...) }
func (p staticPath) StaticPrefix() string                         { return string(p) }

func routerTemplate(t testing.TB, src string) *template.Template {
	t.Helper()
	tpl, err := template.Parse(src, template.Path)
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

var t0 = time.Date(2025, 10, 1, 9, 5, 3, 0, time.UTC)

func msg(host, app, text string) *message.Message {
	return &message.Message{
		Received: t0, Timestamp: t0,
		Facility: message.Daemon, Severity: message.Info,
		Hostname: host, AppName: app, ProcID: "42", Text: text,
		Raw:    []byte("<30>" + text),
		Format: message.RFC3164, Listener: "udp",
	}
}

func newSink(t testing.TB, cfg Config, log *slog.Logger) *Sink {
	t.Helper()
	s, err := New(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	return s
}

func write(t testing.TB, s *Sink, batch ...*message.Message) {
	t.Helper()
	if err := s.Write(context.Background(), batch); err != nil {
		t.Fatalf("Write: %v", err)
	}
}

// lines renders msgs as f would write them.
func lines(f format.Format, msgs ...*message.Message) string {
	var b []byte
	for _, m := range msgs {
		b = format.Append(b, f, m)
	}
	return string(b)
}

func checkFile(t *testing.T, path, want string) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if !bytes.Equal(got, []byte(want)) {
		t.Errorf("%s:\n got %q\nwant %q", filepath.Base(path), got, want)
	}
}
