package daemon

import (
	"context"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// A reload keeps a listener's rate_limit buckets when its block is the
// same, starts new ones when it changed, and drops them when it is gone;
// the hosts table takes the new bound at once.
func TestReloadRateLimitAndHosts(t *testing.T) {
	dir := t.TempDir()
	limited := `  - {name: udp, protocol: udp, address: "127.0.0.1:0", rate_limit: {messages_per_second: 10}}`
	d, err := New(testConfig(t, dir, limited), quietLog(), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = d.Shutdown(context.Background()) }()
	first := d.reg.limiters["udp"]
	if first == nil {
		t.Fatal("no rate_limit table for udp")
	}
	for i := range 20 {
		sendAndWait(t, d, d.ListenerAddr("tcp").String(), "app", uint64(i+1))
	}
	if c := d.hosts.Counts(); c.Tracked != 1 {
		t.Fatalf("hosts = %+v, want the one sender", c)
	}

	reload := func(listener, hosts string) {
		t.Helper()
		if err := d.Reload(loadYAML(t, testConfigYAML(dir, listener)+hosts)); err != nil {
			t.Fatal(err)
		}
	}
	reload(limited, "")
	if d.reg.limiters["udp"] != first {
		t.Error("an unchanged rate_limit got new buckets")
	}
	reload(`  - {name: udp, protocol: udp, address: "127.0.0.1:0", rate_limit: {messages_per_second: 20}}`, "")
	if l := d.reg.limiters["udp"]; l == first || l.Options().MessagesPerSecond != 20 {
		t.Error("a changed rate_limit kept the old buckets")
	}
	reload(`  - {name: udp, protocol: udp, address: "127.0.0.1:0"}`, "hosts: {max_tracked: 0}\n")
	if _, ok := d.reg.limiters["udp"]; ok {
		t.Error("a removed rate_limit kept its table")
	}
	if c := d.hosts.Counts(); c.Tracked != 0 || c.Evicted != 0 {
		t.Errorf("hosts after max_tracked: 0 = %+v, want an empty table, nothing counted evicted", c)
	}
}
