package daemon

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"syslogd/config"
	"syslogd/sinks/buffer"
)

func bufferedConfig(t *testing.T, dir, format, bufDir string) *config.Config {
	t.Helper()
	y := `
listeners: [{name: tcp, protocol: tcp, address: "127.0.0.1:0"}]
sinks:
  - {name: f, type: file, path: "` + dir + `/{app_name}.log", format: ` + format + `, buffer: {dir: "` + bufDir + `"}}
routes: [{name: all, sinks: [f]}]
stats: {address: "off"}
shutdown_timeout: 2s
`
	return loadYAML(t, y)
}

// TestReloadHandsOverTheBuffer: a reload that changes a buffered sink keeps
// its open buffer for the new Runner (a second Open of the directory would
// fail: it is locked); one that moves the buffer opens the new directory
// and closes the old; Shutdown closes the buffer, so it can be opened again.
func TestReloadHandsOverTheBuffer(t *testing.T) {
	dir := t.TempDir()
	bufA, bufB := filepath.Join(dir, "buf-a"), filepath.Join(dir, "buf-b")
	d, err := New(bufferedConfig(t, dir, "rfc3164", bufA), quietLog(), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	addr := d.ListenerAddr("tcp").String()
	sendAndWait(t, d, addr, "one", 1)
	spill := d.spills["f"]
	if err := d.Reload(bufferedConfig(t, dir, "json", bufA)); err != nil {
		t.Fatalf("reload with the same buffer: %v", err)
	}
	if d.spills["f"] != spill || d.sinks["f"].spill != spill.spill {
		t.Error("the reloaded sink did not get the open buffer")
	}
	sendAndWait(t, d, addr, "two", 2)
	if err := d.Reload(bufferedConfig(t, dir, "json", bufB)); err != nil {
		t.Fatalf("reload moving the buffer: %v", err)
	}
	if d.spills["f"] == spill || d.spills["f"].dir != bufB {
		t.Error("the moved buffer was not opened")
	}
	if b, err := buffer.Open(bufA, 1<<20, nil); err != nil {
		t.Errorf("the old buffer is still open: %v", err)
	} else {
		b.Close()
	}
	sendAndWait(t, d, addr, "three", 3)
	if err := d.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if b, err := buffer.Open(bufB, 1<<20, nil); err != nil {
		t.Errorf("the buffer is still open after Shutdown: %v", err)
	} else {
		b.Close()
	}
	for _, f := range []string{"one.log", "two.log", "three.log"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
}
