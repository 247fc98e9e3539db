package file

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"syslogd/sinks"
	"testing"

	"syslogd/message"
	"syslogd/sinks/format"
)

// TestWriteErrorRetry blocks one host's directory with a regular file: the
// error names the path and the messages that were not written, the healthy
// host is written once, and the Runner's retry of the failed messages
// lands them once the path is fixed.
func TestWriteErrorRetry(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "blocked")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	s := newSink(t, testConfig{Path: pathTemplate(t, dir+"/{hostname}/{app_name}.log")}, nil)
	good1, bad1, good2, bad2 := msg("ok", "a", "1"), msg("blocked", "a", "2"), msg("ok", "a", "3"), msg("blocked", "a", "4")
	wantPath := filepath.Join(blocker, "a.log")
	err := s.Write(context.Background(), []*message.Message{good1, bad1, good2, bad2})
	be, ok := errors.AsType[*sinks.BatchError](err)
	if !ok || !slices.Equal(be.Failed, []int{1, 3}) {
		t.Fatalf("Write: %v, want a BatchError for messages 1 and 3", err)
	}
	if !errors.Is(err, syscall.ENOTDIR) || !strings.Contains(err.Error(), wantPath) {
		t.Fatalf("Write: %v, want ENOTDIR naming %s", err, wantPath)
	}
	if _, ok := s.files[wantPath]; ok {
		t.Fatal("failed path still cached")
	}
	retry := []*message.Message{bad1, bad2}
	if err := s.Write(context.Background(), retry); err == nil {
		t.Fatal("retry to a still blocked path succeeded")
	}
	checkFile(t, filepath.Join(dir, "ok", "a.log"), lines(format.RFC3164, good1, good2))

	if err := os.Remove(blocker); err != nil {
		t.Fatal(err)
	}
	write(t, s, retry...)
	checkFile(t, filepath.Join(dir, "ok", "a.log"), lines(format.RFC3164, good1, good2))
	checkFile(t, wantPath, lines(format.RFC3164, bad1, bad2))
}

// TestShortWriteLeavesNoTornLine fills a small tmpfs: the lines that fit are
// written and counted, the one that did not fit is cut off the file again
// and reported, and once there is room the retry completes the file with
// no torn and no repeated line.
func TestShortWriteLeavesNoTornLine(t *testing.T) {
	dir := smallFS(t, 16<<10)
	s := newSink(t, testConfig{Path: staticPath(dir + "/x.log")}, nil)
	var batch []*message.Message
	for i := range 200 { // ~100 bytes a line: more than 16 KiB
		batch = append(batch, msg("h", "a", fmt.Sprintf("%03d %s", i, strings.Repeat("x", 60))))
	}
	err := s.Write(context.Background(), batch)
	be, ok := errors.AsType[*sinks.BatchError](err)
	if !ok || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Write: %v, want a BatchError with ENOSPC", err)
	}
	written := len(batch) - len(be.Failed)
	if written == 0 || len(be.Failed) == 0 || be.Failed[0] != written {
		t.Fatalf("failed %v of %d: want a tail of the batch", be.Failed, len(batch))
	}
	checkFile(t, dir+"/x.log", lines(format.RFC3164, batch[:written]...))
	// Room again: the retry of the rest completes the file.
	growFS(t, dir, 64<<10)
	var retry []*message.Message
	for _, i := range be.Failed {
		retry = append(retry, batch[i])
	}
	write(t, s, retry...)
	checkFile(t, dir+"/x.log", lines(format.RFC3164, batch...))
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

// smallFS mounts a tmpfs of size bytes for the test (root only; in CI it
// must work).
func smallFS(t *testing.T, size int) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, fmt.Sprintf("size=%d", size)); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("mount tmpfs: %v", err)
		}
		t.Skipf("mount tmpfs: %v (needs root)", err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(dir, 0) })
	return dir
}

// growFS gives the tmpfs at dir more room.
func growFS(t *testing.T, dir string, size int) {
	t.Helper()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", syscall.MS_REMOUNT, fmt.Sprintf("size=%d", size)); err != nil {
		t.Fatalf("remount tmpfs: %v", err)
	}
}
