package stats

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func TestEndpoints(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "syslogd_test_total", Help: "t"})
	reg.MustRegister(c)
	c.Add(3)
	var ready atomic.Bool
	s, err := Listen("127.0.0.1:0", Source{
		Snapshot: func() Snapshot {
			return Snapshot{Totals: Totals{Received: 10, Routed: 9, Unmatched: 1},
				Listeners: map[string]ListenerStats{"udp": {Received: 10}}}
		},
		Gatherer: reg,
		Ready:    ready.Load,
	}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown(context.Background())
	base := "http://" + s.Addr().String()
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get("/readyz"); code != 503 {
		t.Errorf("/readyz before ready = %d, want 503", code)
	}
	ready.Store(true)
	if code, _ := get("/readyz"); code != 200 {
		t.Errorf("/readyz = %d, want 200", code)
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Errorf("/healthz = %d", code)
	}
	code, body := get("/stats")
	var snap map[string]any
	if code != 200 || json.Unmarshal([]byte(body), &snap) != nil {
		t.Fatalf("/stats = %d %q", code, body)
	}
	for _, k := range []string{"uptime_seconds", "config", "totals", "listeners", "routes", "sinks"} {
		if _, ok := snap[k]; !ok {
			t.Errorf("/stats lacks %q", k)
		}
	}
	if _, body := get("/metrics"); !strings.Contains(body, "syslogd_test_total 3") {
		t.Errorf("/metrics lacks counter: %q", body)
	}
	resp, err := http.Post(base+"/stats", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /stats = %d, want 405", resp.StatusCode)
	}
}
