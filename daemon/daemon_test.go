package daemon

import (
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"syslogd/config"
)

func testConfig(t *testing.T, dir, extraListener string) *config.Config {
	t.Helper()
	return loadYAML(t, testConfigYAML(dir, extraListener))
}

// testConfigYAML is testConfig's text: a TCP listener, a file sink and a
// route, plus extraListener.
func testConfigYAML(dir string, extraListener ...string) string {
	return `
listeners:
  - {name: tcp, protocol: tcp, address: "127.0.0.1:0"}
` + strings.Join(extraListener, "\n") + `
sinks:
  - {name: f, type: file, path: "` + dir + `/{app_name}.log"}
routes:
  - {name: all, sinks: [f]}
stats: {address: "off"}
shutdown_timeout: 2s
`
}

// loadYAML loads a test configuration with the daemon's table.
func loadYAML(t *testing.T, y string) *config.Config {
	t.Helper()
	cfg, err := config.LoadBytes("test.yaml", []byte(y), Schema())
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// sendAndWait writes one frame to addr and waits until the sink wrote it.
func sendAndWait(t *testing.T, d *Daemon, addr, tag string, want uint64) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write([]byte("<13>Nov 21 06:13:25 host " + tag + ": hi\n")); err != nil {
		t.Fatal(err)
	}
	c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for d.Snapshot().Sinks["f"].Written < want {
		if time.Now().After(deadline) {
			t.Fatalf("sink wrote %d, want %d", d.Snapshot().Sinks["f"].Written, want)
		}
		time.Sleep(5 * time.Millisecond) // polling counters: there is no event to await
	}
}

// TestReloadBindFailureKeepsRunning: a reload whose new listener cannot
// bind is rejected, counted, and the running listener keeps working.
func TestReloadBindFailureKeepsRunning(t *testing.T) {
	dir := t.TempDir()
	reg := prometheus.NewRegistry()
	d, err := New(testConfig(t, dir, ""), quietLog(), reg)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Shutdown(context.Background())
	addr := d.ListenerAddr("tcp").String()
	sendAndWait(t, d, addr, "one", 1)

	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	bad := testConfig(t, dir, `  - {name: tcp2, protocol: tcp, address: "`+busy.Addr().String()+`"}`)
	if err := d.Reload(bad); err == nil {
		t.Fatal("reload onto a busy port succeeded")
	}
	s := d.Snapshot()
	if s.Config.ReloadFailures != 1 || s.Config.Reloads != 0 || !strings.Contains(s.Config.LastReloadError, "tcp2") {
		t.Fatalf("config stats after failed reload: %+v", s.Config)
	}
	if d.ListenerAddr("tcp2") != nil {
		t.Fatal("failed listener is registered")
	}
	sendAndWait(t, d, addr, "two", 2)
	if got := metricValue(t, reg, "syslogd_config_reload_failures_total"); got != 1 {
		t.Errorf("reload failures metric = %v", got)
	}
	if err := d.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, tag := range []string{"one", "two"} {
		if b, err := os.ReadFile(filepath.Join(dir, tag+".log")); err != nil || !strings.Contains(string(b), tag+": hi") {
			t.Errorf("%s.log: %q, %v", tag, b, err)
		}
	}
}

// metricValue reads an unlabelled counter from the registry.
func metricValue(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.Metric) == 1 {
			return mf.Metric[0].GetCounter().GetValue()
		}
	}
	t.Fatalf("metric %s not found", name)
	return 0
}

// TestReloadKeepsConnections: a reload that changes a TCP listener's
// settings keeps the connection open and delivering; one that changes its
// address takes new connections on the new address only, while the open
// connection to the old one goes on until it ends.
func TestReloadKeepsConnections(t *testing.T) {
	dir := t.TempDir()
	d, err := New(testConfig(t, dir, ""), quietLog(), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Shutdown(context.Background())
	oldAddr := d.ListenerAddr("tcp").String()
	c, err := net.Dial("tcp", oldAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	line := func(tag string) []byte { return []byte("<13>Nov 21 06:13:25 host " + tag + ": hi\n") }
	written := func(want uint64) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for d.Snapshot().Sinks["f"].Written < want {
			if time.Now().After(deadline) {
				t.Fatalf("sink wrote %d, want %d", d.Snapshot().Sinks["f"].Written, want)
			}
			time.Sleep(5 * time.Millisecond) // polling counters: there is no event to await
		}
	}
	if _, err := c.Write(line("a")); err != nil {
		t.Fatal(err)
	}
	written(1)

	changed := strings.Replace(testConfigYAML(dir), `address: "127.0.0.1:0"}`, `address: "127.0.0.1:0", idle_timeout: 1m, max_message_bytes: 8192}`, 1)
	if err := d.Reload(loadYAML(t, changed)); err != nil {
		t.Fatal(err)
	}
	if got := d.ListenerAddr("tcp").String(); got != oldAddr {
		t.Fatalf("settings-only reload moved the listener from %s to %s", oldAddr, got)
	}
	if _, err := c.Write(line("b")); err != nil {
		t.Fatal(err)
	}
	written(2)

	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	newAddr := free.Addr().String()
	free.Close()
	moved := strings.Replace(testConfigYAML(dir), `"127.0.0.1:0"`, `"`+newAddr+`"`, 1)
	if err := d.Reload(loadYAML(t, moved)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write(line("c")); err != nil { // the old connection goes on
		t.Fatal(err)
	}
	written(3)
	sendAndWait(t, d, newAddr, "d", 4)
	if c2, err := net.DialTimeout("tcp", oldAddr, time.Second); err == nil {
		c2.Close()
		t.Error("the old address still accepts connections")
	}
	if err := d.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := d.Snapshot().Totals.Received; got != 4 {
		t.Errorf("received %d, want 4", got)
	}
}
