package file

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"syslogd/message"
	"syslogd/sinks/format"
	"syslogd/sinks/template"
)

// rawTemplate is `dir/{hostname}/{app_name}.log` WITHOUT the template's
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

func (t rawTemplate) Same(a, b *message.Message) bool {
	return a.Hostname == b.Hostname && a.AppName == b.AppName
}

// staticPath names one file for every message.
type staticPath string

func (p staticPath) Append(dst []byte, _ *message.Message) []byte { return append(dst, p...) }
func (p staticPath) StaticPrefix() string                         { return string(p) }
func (p staticPath) Same(_, _ *message.Message) bool              { return true }

func pathTemplate(t testing.TB, src string) *template.Template {
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

// testConfig is what the tests vary: the path, which may be an expander
// that does not sanitise, and the options that differ from the defaults.
type testConfig struct {
	Name         string
	Path         expander
	Format       format.Format
	FSync        string
	MaxOpenFiles int
}

// options returns the sink options cfg stands for.
func (cfg testConfig) options(t testing.TB) Options {
	t.Helper()
	o := DefaultOptions()
	o.Format = cfg.Format
	if cfg.FSync != "" {
		if err := o.FSync.UnmarshalText([]byte(cfg.FSync)); err != nil {
			t.Fatal(err)
		}
	}
	if cfg.MaxOpenFiles != 0 {
		o.MaxOpenFiles = cfg.MaxOpenFiles
	}
	return o
}

// newSink builds a sink around cfg.Path as it is, so that hostile
// expanders reach the directory guard.
func newSink(t testing.TB, cfg testConfig, log *slog.Logger) *Sink {
	t.Helper()
	s := build(cfg.options(t), cfg.Path, log)
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
