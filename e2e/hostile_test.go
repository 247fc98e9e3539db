package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// send writes data on a new TCP connection and closes it.
func send(t *testing.T, addr string, data io.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.Copy(c, data); err != nil {
		t.Fatalf("send: %v", err)
	}
}

// repeat yields n copies of b without holding them in memory.
func repeat(b byte, n int64) io.Reader {
	return io.LimitReader(byteReader(b), n)
}

type byteReader byte

func (r byteReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

func vmHWM(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.Atoi(f[1])
			return kb
		}
	}
	t.Fatal("no VmHWM")
	return 0
}

func TestHostileInputIsCountedAndSurvived(t *testing.T) {
	p := start(t, baseConfig)
	tcp := p.addrs["tcp"]
	valid := func(tag string) string { return "<13>Nov 21 06:13:25 host " + tag + ": ok\n" }

	// 64 MiB of length digits, then a valid frame on the same connection.
	send(t, tcp, io.MultiReader(repeat('9', 64<<20), strings.NewReader("\n"+valid("afterdigits"))))
	// 64 MiB without a line feed, then a valid frame.
	send(t, tcp, io.MultiReader(repeat('x', 64<<20), strings.NewReader("\n"+valid("afterline"))))
	// A TLS ClientHello on the plain TCP port.
	send(t, tcp, bytes.NewReader([]byte{0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03}))
	// NUL bytes, invalid UTF-8 and invalid PRIs, each followed by a valid frame.
	send(t, tcp, strings.NewReader("\x00\x00\x00"+valid("afternul")+
		"<13>Nov 21 06:13:25 host bin: \xff\xfe\xfd\n"+
		"<192>bad\n<-1>bad\n<00012>bad\n"+valid("afterpri")))
	// A hostname that tries to leave the directory.
	send(t, tcp, strings.NewReader("<13>1 2026-11-21T06:13:25Z ../../../etc/passwd evil - - - pwn\n"))

	s := p.waitStats("hostile frames accounted", func(s statsDoc) bool {
		l := s.Listeners["tcp"]
		return s.Sinks["hosts"].Written >= 6 && s.Sinks["unparsed"].Written == 3 && l.ReadErrors >= 1 && l.TooLarge >= 2
	})
	if !balanced(s) {
		t.Errorf("unbalanced: %+v", s.Totals)
	}
	tcpStats := s.Listeners["tcp"]
	if tcpStats.TooLarge < 2 || tcpStats.ParseErrors != 3 || tcpStats.ReadErrors != 1 {
		t.Errorf("tcp listener: too_large %d (want >= 2), parse_errors %d (want 3), read_errors %d (want 1: the TLS hello)",
			tcpStats.TooLarge, tcpStats.ParseErrors, tcpStats.ReadErrors)
	}
	// Counted, and logged once (at most a line a minute per listener).
	if logs := p.logs.String(); strings.Count(logs, `frame over max_message_bytes discarded`) != 1 || !strings.Contains(logs, `"listener":"tcp"`) {
		t.Errorf("want one too_large warning for the tcp listener:\n%s", logs)
	}
	for _, tag := range []string{"afterdigits", "afterline", "afternul", "afterpri", "bin"} {
		findOne(t, filepath.Join(p.dir, "log", "*", tag+".log"))
	}
	unparsed := readFile(t, filepath.Join(p.dir, "log", "unparsed.log"))
	if unparsed != "<192>bad\n<-1>bad\n<00012>bad\n" {
		t.Errorf("unparsed.log = %q", unparsed)
	}
	// Nothing escaped the log directory: the only entries next to it are ours.
	entries, _ := os.ReadDir(p.dir)
	for _, e := range entries {
		if e.Name() != "log" && e.Name() != "syslogd.yaml" {
			t.Errorf("unexpected entry %q outside log/", e.Name())
		}
	}
	evil := findOne(t, filepath.Join(p.dir, "log", "*", "evil.log"))
	if !strings.HasPrefix(evil, filepath.Join(p.dir, "log")+"/") {
		t.Errorf("evil message written to %s", evil)
	}
	// 128 MiB went through; memory stayed bounded by max_message_bytes.
	if kb := vmHWM(t, p.cmd.Process.Pid); kb > 100<<10 {
		t.Errorf("peak RSS %d KiB after 128 MiB of hostile input", kb)
	}
	p.stop()
}

func TestSIGTERMWritesQueuedMessages(t *testing.T) {
	cfg := strings.Replace(baseConfig, "format: rfc3164}", "format: rfc3164, fsync: batch, batch_size: 8}", 1)
	p := start(t, cfg)
	const n = 20000
	c, err := net.Dial("tcp", p.addrs["tcp"])
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(c)
	for i := range n {
		fmt.Fprintf(w, "<13>Nov 21 06:13:25 host drain: message %d\n", i)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	c.Close()
	s := p.waitStats("all frames received", func(s statsDoc) bool { return s.Totals.Received == n })
	t.Logf("at SIGTERM: written %d, queued %d", s.Sinks["hosts"].Written, s.Sinks["hosts"].Queued)
	start := time.Now()
	p.stop()
	t.Logf("drained in %v", time.Since(start))
	got := readFile(t, findOne(t, filepath.Join(p.dir, "log", "host", "drain.log")))
	if lines := strings.Count(got, "\n"); lines != n {
		t.Fatalf("drain.log has %d lines, want %d", lines, n)
	}
}
