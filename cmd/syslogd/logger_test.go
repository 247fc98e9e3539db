package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"syslogd/config"
)

// TestDaemonLogFollowsReload: a logger derived at start (With, WithGroup)
// writes in the new format and at the new level after apply.
func TestDaemonLogFollowsReload(t *testing.T) {
	var buf bytes.Buffer
	cfg := &config.Config{}
	cfg.Log.Level, cfg.Log.Format = "info", "text"
	dl, log := newDaemonLog(cfg, &buf)
	sink := log.With("sink", "files").WithGroup("g")
	sink.Debug("hidden")
	sink.Info("as text", "k", 1)
	if got := buf.String(); strings.Contains(got, "hidden") || !strings.Contains(got, `msg="as text" sink=files g.k=1`) {
		t.Fatalf("text at info: %q", got)
	}
	buf.Reset()
	cfg.Log.Level, cfg.Log.Format = "debug", "json"
	dl.apply(cfg)
	sink.Debug("now shown", "k", 2)
	var m map[string]any
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatalf("not json after the switch: %q (%v)", buf.String(), err)
	}
	g, _ := m["g"].(map[string]any)
	if m["msg"] != "now shown" || m["level"] != "DEBUG" || m["sink"] != "files" || g["k"] != 2.0 {
		t.Errorf("json at debug: %v", m)
	}
}
