// Package journaldtest runs a private systemd-journald namespace for tests,
// so that the journald sink is tested against the real journald and read
// back with journalctl, without touching the system journal.
//
// It needs root and /lib/systemd/systemd-journald. Without them the test is
// skipped, except when CI=true: CI must run these tests, so there it fails
// and says what is missing.
package journaldtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// Binary is the journald that Start runs.
const Binary = "/lib/systemd/systemd-journald"

// startTimeout bounds how long journald may take to open its socket.
const startTimeout = 20 * time.Second

var seq atomic.Uint64

// Namespace is a running (or stopped) systemd-journald for one namespace.
type Namespace struct {
	t    testing.TB
	name string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
	out    bytes.Buffer // journald's own log, shown when a test fails
}

// Require skips t unless journald can run here (fails instead under CI).
func Require(t testing.TB) {
	t.Helper()
	var missing string
	switch {
	case os.Geteuid() != 0:
		missing = "root (systemd-journald must run as root)"
	case !executable(Binary):
		missing = Binary + " (install systemd)"
	default:
		if _, err := exec.LookPath("journalctl"); err != nil {
			missing = "journalctl (install systemd)"
		}
	}
	if missing == "" {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("journald tests must run in CI but this machine lacks %s", missing)
	}
	t.Skipf("needs %s", missing)
}

func executable(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0
}

// Start runs journald for a fresh namespace and waits until its socket
// accepts datagrams. The namespace's config disables rate limiting (the
// default, 10000 entries per 30 s per sender, would throttle a benchmark)
// and keeps the journal in /run. Cleanup stops journald and removes the
// config, the runtime directory and the journal files.
func Start(t testing.TB) *Namespace {
	t.Helper()
	Require(t)
	ns := &Namespace{t: t, name: fmt.Sprintf("syslogdtest-%d-%d", os.Getpid(), seq.Add(1))}
	conf := "/etc/systemd/journald@" + ns.name + ".conf"
	t.Cleanup(func() {
		ns.Stop()
		if t.Failed() {
			t.Logf("journald %s log:\n%s", ns.name, ns.log())
		}
		os.Remove(conf)
		os.RemoveAll(filepath.Dir(ns.Socket()))
		for _, dir := range []string{"/run/log/journal", "/var/log/journal"} {
			m, _ := filepath.Glob(filepath.Join(dir, "*."+ns.name))
			for _, d := range m {
				os.RemoveAll(d)
			}
		}
	})
	if err := os.WriteFile(conf, []byte("[Journal]\nStorage=volatile\nRateLimitIntervalSec=0\n"), 0o644); err != nil {
		t.Fatalf("write %s: %v", conf, err)
	}
	ns.Restart()
	return ns
}

// Name is the namespace name, as for `journalctl --namespace`.
func (ns *Namespace) Name() string { return ns.name }

// Socket is the namespace's native protocol socket.
func (ns *Namespace) Socket() string { return "/run/systemd/journal." + ns.name + "/socket" }

// Restart starts journald (again) and waits until its socket accepts a
// connection: the socket file alone may be left from a stopped journald.
func (ns *Namespace) Restart() {
	ns.t.Helper()
	ns.mu.Lock()
	if ns.cmd != nil {
		ns.mu.Unlock()
		ns.t.Fatal("journaldtest: Restart while journald is running")
	}
	cmd := exec.Command(Binary, ns.name)
	cmd.Env = append(os.Environ(), "SYSTEMD_LOG_TARGET=console", "SYSTEMD_LOG_LEVEL=info")
	cmd.Stdout, cmd.Stderr = &syncWriter{ns}, &syncWriter{ns}
	if err := cmd.Start(); err != nil {
		ns.mu.Unlock()
		ns.t.Fatalf("start %s: %v", Binary, err)
	}
	exited := make(chan struct{})
	ns.cmd, ns.exited = cmd, exited
	ns.mu.Unlock()
	go func() { _ = cmd.Wait(); close(exited) }()

	deadline := time.Now().Add(startTimeout)
	for {
		c, err := net.Dial("unixgram", ns.Socket())
		if err == nil {
			c.Close()
			return
		}
		select {
		case <-exited:
			ns.t.Fatalf("journald for namespace %s exited during start:\n%s", ns.name, ns.log())
		default:
		}
		if time.Now().After(deadline) {
			ns.t.Fatalf("journald socket %s not ready after %s: %v\n%s", ns.Socket(), startTimeout, err, ns.log())
		}
		time.Sleep(10 * time.Millisecond) // no event to wait for: poll the socket
	}
}

// Stop terminates journald and waits for it to exit. Entries it wrote stay
// readable. Stopping a stopped namespace does nothing.
func (ns *Namespace) Stop() {
	ns.mu.Lock()
	cmd, exited := ns.cmd, ns.exited
	ns.cmd = nil
	ns.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
	}
}

// Entries reads the entries that arrived through the native protocol
// (_TRANSPORT=journal) and match every FIELD=value in matches, polling
// until there are at least n or the deadline passes. Values are decoded:
// journalctl writes binary values as arrays of bytes, and fields that
// occur more than once as arrays of values, which become a []string.
func (ns *Namespace) Entries(n int, matches ...string) []map[string]any {
	ns.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := ns.read(matches)
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			ns.t.Fatalf("journal namespace %s has %d entries matching %v, want %d\n%s", ns.name, len(got), matches, n, ns.log())
		}
		time.Sleep(20 * time.Millisecond) // journalctl has no way to wait for a count
	}
}

// Count polls until at least n native-protocol entries are in the journal
// or the deadline passes, and returns how many there are. It is cheaper
// than Entries for the many entries of a benchmark.
func (ns *Namespace) Count(n int) int {
	ns.t.Helper()
	args := []string{"--namespace=" + ns.name, "-o", "cat", "--output-fields=PRIORITY", "--no-pager", "_TRANSPORT=journal"}
	deadline := time.Now().Add(60 * time.Second)
	for {
		out, err := exec.Command("journalctl", args...).Output()
		if err != nil {
			ns.t.Fatalf("journalctl %v: %v", args, err)
		}
		got := bytes.Count(out, []byte{'\n'})
		if got >= n || time.Now().After(deadline) {
			return got
		}
		time.Sleep(50 * time.Millisecond) // journalctl has no way to wait for a count
	}
}

// CPU returns the user+system CPU time the running journald has used, from
// /proc/PID/stat (clock ticks of 10 ms), to tell journald's share of a
// benchmark from the sender's.
func (ns *Namespace) CPU() time.Duration {
	ns.t.Helper()
	ns.mu.Lock()
	cmd := ns.cmd
	ns.mu.Unlock()
	if cmd == nil {
		ns.t.Fatal("journaldtest: CPU of a stopped journald")
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", cmd.Process.Pid))
	if err != nil {
		ns.t.Fatal(err)
	}
	// Fields after the parenthesised command name; utime and stime are
	// the 14th and 15th of the whole line.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	var utime, stime int64
	if _, err := fmt.Sscan(f[11], &utime); err != nil {
		ns.t.Fatal(err)
	}
	if _, err := fmt.Sscan(f[12], &stime); err != nil {
		ns.t.Fatal(err)
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

func (ns *Namespace) read(matches []string) []map[string]any {
	ns.t.Helper()
	args := append([]string{"--namespace=" + ns.name, "-o", "json", "-a", "--no-pager", "_TRANSPORT=journal"}, matches...)
	cmd := exec.Command("journalctl", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		// journalctl exits 1 with "No entries" before the first entry.
		if strings.Contains(stderr.String(), "No journal files") || len(out) == 0 && stderr.Len() == 0 {
			return nil
		}
		ns.t.Fatalf("journalctl %v: %v\n%s", args, err, stderr.String())
	}
	var entries []map[string]any
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var raw map[string]json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			ns.t.Fatalf("journalctl output: %v\n%s", err, out)
		}
		e := make(map[string]any, len(raw))
		for k, v := range raw {
			e[k] = decodeValue(ns.t, v)
		}
		entries = append(entries, e)
	}
	return entries
}

// decodeValue turns one journalctl JSON value into a string (text or
// bytes) or a []string (a field that occurs more than once).
func decodeValue(t testing.TB, v json.RawMessage) any {
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	var b []byte
	var nums []int
	if json.Unmarshal(v, &nums) == nil {
		for _, n := range nums {
			b = append(b, byte(n))
		}
		return string(b)
	}
	var many []json.RawMessage
	if err := json.Unmarshal(v, &many); err != nil {
		t.Fatalf("journalctl value %s: %v", v, err)
	}
	out := make([]string, len(many))
	for i, m := range many {
		s, ok := decodeValue(t, m).(string)
		if !ok {
			t.Fatalf("journalctl value %s: nested arrays", v)
		}
		out[i] = s
	}
	return out
}

func (ns *Namespace) log() string {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	return ns.out.String()
}

// syncWriter collects journald's stdout and stderr under the lock.
type syncWriter struct{ ns *Namespace }

func (w *syncWriter) Write(p []byte) (int, error) {
	w.ns.mu.Lock()
	defer w.ns.mu.Unlock()
	return w.ns.out.Write(p)
}
