package journald

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"syslogd/message"
	"syslogd/sinks"
	"syslogd/sinks/journald/journaldtest"
)

// These tests run the sink against a private systemd-journald namespace
// and read the entries back with journalctl (see journaldtest).

func nsSink(t *testing.T, ns *journaldtest.Namespace, static ...Field) *Sink {
	t.Helper()
	s, err := New(Options{Namespace: ns.Name(), Fields: static}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(context.Background()) })
	return s
}

// userFields drops what journald adds itself: trusted fields (_PID, ...)
// and addresses (__CURSOR, ...) start with '_'.
func userFields(e map[string]any) map[string]any {
	out := maps.Clone(e)
	maps.DeleteFunc(out, func(k string, _ any) bool { return strings.HasPrefix(k, "_") })
	return out
}

func fieldMap(fs []field) map[string]any {
	m := make(map[string]any, len(fs))
	for _, f := range fs {
		m[f.name] = f.value
	}
	return m
}

// TestJournaldEntries: every mapped field, a multi-line message, an
// unparsed frame, static fields and injection attempts, as journald
// stores them.
func TestJournaldEntries(t *testing.T) {
	ns := journaldtest.Start(t)
	static := []Field{{"SYSLOGD_SITE", "fra1"}}
	s := nsSink(t, ns, static...)

	inj := fullMessage(injection)
	inj.Hostname, inj.AppName = injection, injection
	inj.StructuredData = []message.SDElement{{ID: injection, Params: []message.SDParam{{Name: injection, Value: injection}}}}
	cases := []struct {
		name string
		m    *message.Message
		want []field
	}{
		{"every field", fullMessage("every field"), fullFields("every field")},
		{"multi-line", fullMessage("line one\nline two\n\tindented\n\nafter a blank line"),
			fullFields("line one\nline two\n\tindented\n\nafter a blank line")},
		{"unparsed", unparsedMessage("<999>not syslog"), []field{
			{"MESSAGE", "<999>not syslog"}, {"PRIORITY", "5"}, {"SYSLOG_FACILITY", "1"},
			{"SYSLOG_SOURCE", "2001:db8::1"}, {"SYSLOG_LISTENER", "udp"}, {"SYSLOG_RAW", "<999>not syslog"},
		}},
		{"injection", inj, append(fullFields(injection)[:10:10], field{"SD_X_1_PRIORITY_0_X_1_PRIORITY_0", injection})},
	}
	batch := make([]*message.Message, len(cases))
	for i, tc := range cases {
		tc.m.Listener += "-" + tc.name // one entry per case, found by listener
		batch[i] = tc.m
	}
	if err := s.Write(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	entries := ns.Entries(len(cases))
	if len(entries) != len(cases) {
		t.Fatalf("%d entries, want %d", len(entries), len(cases))
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want := fieldMap(append(tc.want, field{"SYSLOGD_SITE", "fra1"}))
			want["SYSLOG_LISTENER"] = tc.m.Listener
			if tc.name == "injection" {
				want["SYSLOG_HOSTNAME"], want["SYSLOG_IDENTIFIER"] = injection, injection
			}
			got := userFields(entries[i])
			if !maps.Equal(got, want) {
				t.Errorf("entry fields:\n got: %v\nwant: %v", got, want)
			}
		})
	}
}

// TestJournaldLargeMessage: a 1 MiB message does not fit a datagram; it
// must reach journald whole through the memfd.
func TestJournaldLargeMessage(t *testing.T) {
	ns := journaldtest.Start(t)
	s := nsSink(t, ns)
	rng := rand.New(rand.NewPCG(1, 2))
	var b strings.Builder
	for b.Len() < 1<<20 {
		b.WriteByte("abcdefghijklmnopqrstuvwxyz0123456789 \n"[rng.IntN(38)])
	}
	text := b.String()[:1<<20]
	if err := s.Write(context.Background(), []*message.Message{fullMessage(text)}); err != nil {
		t.Fatal(err)
	}
	if s.memfdSends != 1 {
		t.Fatalf("memfd sends = %d, want 1 (is this host's default socket send buffer over 1 MiB?)", s.memfdSends)
	}
	e := ns.Entries(1)[0]
	got, _ := e["MESSAGE"].(string)
	if got != text {
		t.Fatalf("MESSAGE has %d bytes, want the %d sent intact", len(got), len(text))
	}
	if e["SD_EXAMPLESDID_32473_IUT"] != "3" || e["PRIORITY"] != "4" {
		t.Errorf("fields around the large message lost: %v", userFields(e))
	}
}

// TestJournaldRestart: journald stops mid-stream. The Runner reports
// connected=false and keeps the messages queued meanwhile; once journald
// is back they all arrive, once each. With drop_newest and a small queue,
// what does not fit is counted (queue_full, or sink_down once the Runner
// has seen journald gone), and exactly the rest arrive.
func TestJournaldRestart(t *testing.T) {
	for _, tc := range []struct {
		name   string
		policy sinks.Policy
		queue  int
	}{
		{"block", sinks.Block, 100},
		{"drop_newest", sinks.DropNewest, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ns := journaldtest.Start(t)
			s, err := New(Options{Namespace: ns.Name()}, nil)
			if err != nil {
				t.Fatal(err)
			}
			var c sinks.Counters
			r := sinks.NewRunner(sinks.RunnerConfig{
				Name: "journal", Options: sinks.Options{QueueSize: tc.queue, BatchSize: 4, WhenFull: tc.policy},
				BackoffMin: 5 * time.Millisecond, BackoffMax: 50 * time.Millisecond,
			}, s, &c, slog.New(slog.DiscardHandler))
			t.Cleanup(func() { r.Stop(context.Background()) })
			send := func(prefix string, n int) {
				for i := range n {
					r.Enqueue(fullMessage(fmt.Sprintf("%s %d", prefix, i)))
				}
			}

			send("before", 3)
			ns.Entries(3)
			ns.Stop()
			send("during", 20)
			waitFor(t, "connected=false", func() bool { return !c.Connected.Load() })
			overflow := func() int { return int(c.Dropped(sinks.ReasonQueueFull) + c.Dropped(sinks.ReasonSinkDown)) }
			if tc.policy == sinks.DropNewest {
				// Queue full and one batch in flight: the rest is dropped.
				waitFor(t, "overflow drops", func() bool { return overflow() > 0 })
			}
			ns.Restart()
			dropped := overflow()
			want := 23 - dropped
			waitFor(t, "all written", func() bool { return int(c.Written.Load()) == want })
			if !c.Connected.Load() || c.Retries.Load() == 0 {
				t.Errorf("connected=%v retries=%d after restart", c.Connected.Load(), c.Retries.Load())
			}
			if c.DroppedTotal() != uint64(dropped) {
				t.Errorf("dropped %d in total, %d as queue_full or sink_down", c.DroppedTotal(), dropped)
			}
			if tc.policy == sinks.Block && dropped != 0 {
				t.Errorf("block policy dropped %d", dropped)
			}

			entries := ns.Entries(want)
			var texts []string
			for _, e := range entries {
				texts = append(texts, e["MESSAGE"].(string))
			}
			if len(texts) != want || len(slices.Compact(slices.Sorted(slices.Values(texts)))) != want {
				t.Errorf("journal has %d entries (%d distinct), want %d once each: %q", len(texts),
					len(slices.Compact(slices.Sorted(slices.Values(texts)))), want, texts)
			}
			if !slices.Contains(texts, "during 0") {
				t.Errorf("the first message sent while journald was down is missing: %q", texts)
			}
		})
	}
}

// waitFor polls cond: counters have no event to wait on.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
