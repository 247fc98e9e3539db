package file

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"syslogd/message"
	"syslogd/sinks/format"
)

// TestWriteErrorRetry blocks one host's directory with a regular file: the
// error names the path, the healthy host is written once however often the
// Runner retries, and the blocked lines arrive once the path is fixed.
func TestWriteErrorRetry(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "blocked")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	s := newSink(t, testConfig{Path: pathTemplate(t, dir+"/{hostname}/{app_name}.log")}, nil)
	good1, bad1, good2, bad2 := msg("ok", "a", "1"), msg("blocked", "a", "2"), msg("ok", "a", "3"), msg("blocked", "a", "4")
	batch := []*message.Message{good1, bad1, good2, bad2}
	wantPath := filepath.Join(blocker, "a.log")
	for range 3 { // the Runner's retries
		err := s.Write(context.Background(), batch)
		if !errors.Is(err, syscall.ENOTDIR) || !strings.Contains(err.Error(), wantPath) {
			t.Fatalf("Write: %v, want ENOTDIR naming %s", err, wantPath)
		}
		if _, ok := s.files[wantPath]; ok {
			t.Fatal("failed path still cached")
		}
	}
	checkFile(t, filepath.Join(dir, "ok", "a.log"), lines(format.RFC3164, good1, good2))

	if err := os.Remove(blocker); err != nil {
		t.Fatal(err)
	}
	write(t, s, batch...)
	checkFile(t, filepath.Join(dir, "ok", "a.log"), lines(format.RFC3164, good1, good2))
	checkFile(t, wantPath, lines(format.RFC3164, bad1, bad2))

	// A new batch after success is written in full, not filtered.
	write(t, s, batch...)
	checkFile(t, wantPath, lines(format.RFC3164, bad1, bad2, bad1, bad2))
}

// TestRetryStateOnlyForSameBatch: after a failure, a different batch (the
// Runner gave up) must not inherit the skipped positions.
func TestRetryStateOnlyForSameBatch(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "blocked"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	s := newSink(t, testConfig{Path: pathTemplate(t, dir+"/{hostname}/{app_name}.log")}, nil)
	first := msg("ok", "a", "1")
	if err := s.Write(context.Background(), []*message.Message{first, msg("blocked", "a", "2")}); err == nil {
		t.Fatal("Write to a blocked path succeeded")
	}
	// Same length, and position 0 was written last time: it must not be skipped.
	next := []*message.Message{msg("ok", "a", "3"), msg("ok", "a", "4")}
	write(t, s, next...)
	checkFile(t, filepath.Join(dir, "ok", "a.log"), lines(format.RFC3164, first, next[0], next[1]))
}

// TestDiskFull writes to /dev/full, which fails every write with ENOSPC.
func TestDiskFull(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full")
	}
	s := newSink(t, testConfig{Path: staticPath("/dev/full")}, nil)
	err := s.Write(context.Background(), []*message.Message{msg("h", "a", "x")})
	if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), "/dev/full") {
		t.Fatalf("Write: %v, want ENOSPC naming /dev/full", err)
	}
	if s.lru.len != 0 || len(s.files) != 0 {
		t.Errorf("failed file still cached: %d open, %d entries", s.lru.len, len(s.files))
	}
}
