package buffer

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// open opens a buffer in dir and closes it when the test ends.
func open(t testing.TB, dir string, maxBytes int64) *Buffer {
	t.Helper()
	b, err := Open(dir, maxBytes, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// rec is record i: its number and a body whose length and bytes depend on i.
func rec(i, size int) []byte {
	r := make([]byte, size)
	copy(r, fmt.Sprintf("%08d", i))
	for j := 8; j < size; j++ {
		r[j] = byte(i + j)
	}
	return r
}

func appendN(t testing.TB, b *Buffer, from, to, size int) {
	t.Helper()
	for i := from; i < to; i++ {
		if err := b.Append(rec(i, size)); err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
	}
}

// readWant reads up to max records and checks they are records from..to-1.
func readWant(t testing.TB, b *Buffer, max, from, to, size int) {
	t.Helper()
	recs, err := b.Read(max)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != to-from {
		t.Fatalf("read %d records, want %d (%d..%d)", len(recs), to-from, from, to-1)
	}
	for k, r := range recs {
		if want := rec(from+k, size); !bytes.Equal(r, want) {
			t.Fatalf("record %d: got %.20q, want %.20q", k, r, want)
		}
	}
}

func wantLen(t testing.TB, b *Buffer, n int, size int) {
	t.Helper()
	if b.Len() != int64(n) || b.Bytes() != int64(n*(size+frameHeader)) {
		t.Fatalf("Len %d Bytes %d, want %d and %d", b.Len(), b.Bytes(), n, n*(size+frameHeader))
	}
}

func segFiles(t testing.TB, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*.seg"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range m {
		m[i] = filepath.Base(m[i])
	}
	return m
}

func segName(n int) string { return fmt.Sprintf("%016d.seg", n) }

func TestAppendReadCommit(t *testing.T) {
	b := open(t, t.TempDir(), 1<<20)
	const size = 40
	if recs, err := b.Read(10); recs != nil || err != nil {
		t.Fatalf("empty buffer: Read = %v, %v; want nil, nil", recs, err)
	}
	appendN(t, b, 0, 10, size)
	wantLen(t, b, 10, size)

	readWant(t, b, 4, 0, 4, size)
	readWant(t, b, 3, 4, 7, size) // Read goes on after what it returned, without a Commit
	wantLen(t, b, 10, size)       // reading removes nothing

	if err := b.Commit(8); err == nil {
		t.Fatal("Commit of more records than were read succeeded")
	}
	if err := b.Commit(2); err != nil {
		t.Fatal(err)
	}
	wantLen(t, b, 8, size)
	if err := b.Commit(5); err != nil { // the rest of what was read
		t.Fatal(err)
	}
	wantLen(t, b, 3, size)
	if err := b.Commit(1); err == nil {
		t.Fatal("Commit with nothing read succeeded")
	}
	readWant(t, b, 100, 7, 10, size)
	if recs, err := b.Read(1); recs != nil || err != nil {
		t.Fatalf("all read: Read = %v, %v; want nil, nil", recs, err)
	}
	appendN(t, b, 10, 12, size)
	readWant(t, b, 100, 10, 12, size)
	if err := b.Commit(5); err != nil {
		t.Fatal(err)
	}
	wantLen(t, b, 0, size)
	if recs, err := b.Read(0); recs != nil || err != nil {
		t.Fatalf("Read(0) = %v, %v", recs, err)
	}

	// An empty record is a record.
	if err := b.Append(nil); err != nil {
		t.Fatal(err)
	}
	recs, err := b.Read(5)
	if err != nil || len(recs) != 1 || len(recs[0]) != 0 {
		t.Fatalf("empty record: Read = %q, %v", recs, err)
	}
}

func TestReturnedSlicesDoNotOverlap(t *testing.T) {
	b := open(t, t.TempDir(), 1<<20)
	appendN(t, b, 0, 3, 16)
	recs, err := b.Read(3)
	if err != nil {
		t.Fatal(err)
	}
	recs[0] = append(recs[0], "clobber"...) // capacity is clipped: this must not overwrite recs[1]
	if !bytes.Equal(recs[1], rec(1, 16)) {
		t.Fatalf("appending to one record changed the next: %q", recs[1])
	}
}

func TestFull(t *testing.T) {
	const size, frame = 92, 100
	b := open(t, t.TempDir(), 10*frame+50)
	appendN(t, b, 0, 10, size)
	if err := b.Append(rec(10, size)); !errors.Is(err, ErrFull) {
		t.Fatalf("append past the bound: %v, want ErrFull", err)
	}
	if err := b.Append(make([]byte, 42)); err != nil { // 50 bytes framed: fits exactly
		t.Fatalf("append of the last 50 bytes: %v", err)
	}
	if err := b.Append(nil); !errors.Is(err, ErrFull) {
		t.Fatalf("append to a full buffer: %v, want ErrFull", err)
	}
	if b.Bytes() != 10*frame+50 {
		t.Fatalf("Bytes %d", b.Bytes())
	}
	readWant(t, b, 3, 0, 3, size)
	if err := b.Append(rec(10, size)); !errors.Is(err, ErrFull) {
		t.Fatalf("append after Read without Commit: %v, want ErrFull", err)
	}
	if err := b.Commit(3); err != nil {
		t.Fatal(err)
	}
	appendN(t, b, 10, 13, size) // room again for exactly three
	if err := b.Append(nil); !errors.Is(err, ErrFull) {
		t.Fatalf("append after refilling: %v, want ErrFull", err)
	}

	e := open(t, t.TempDir(), 1000)
	if err := e.Append(make([]byte, 1000-frameHeader+1)); !errors.Is(err, ErrFull) {
		t.Fatalf("record larger than the buffer: %v, want ErrFull", err)
	}
	if err := e.Append(make([]byte, 1000-frameHeader)); err != nil {
		t.Fatalf("record as large as the buffer: %v", err)
	}
}

func TestSegmentsRolledAndDeleted(t *testing.T) {
	dir := t.TempDir()
	// 8 MiB makes 1 MiB segments: ten 100 KiB records each.
	const size = 100 << 10
	b := open(t, dir, 8<<20)
	appendN(t, b, 0, 50, size)
	want := []string{segName(1), segName(2), segName(3), segName(4), segName(5)}
	if got := segFiles(t, dir); !slices.Equal(got, want) {
		t.Fatalf("segments %v, want %v", got, want)
	}
	readWant(t, b, 15, 0, 15, size)
	if err := b.Commit(9); err != nil {
		t.Fatal(err)
	}
	if got := segFiles(t, dir); !slices.Equal(got, want) {
		t.Fatalf("a segment went before all its records were committed: %v", got)
	}
	if err := b.Commit(1); err != nil { // the last record of segment 1
		t.Fatal(err)
	}
	if got := segFiles(t, dir); !slices.Equal(got, want[1:]) {
		t.Fatalf("after committing segment 1: %v, want %v", got, want[1:])
	}
	if err := b.Commit(5); err != nil {
		t.Fatal(err)
	}
	readWant(t, b, 100, 15, 50, size)
	if err := b.Commit(35); err != nil {
		t.Fatal(err)
	}
	// The segment being written stays, even when all of it is committed.
	if got := segFiles(t, dir); !slices.Equal(got, want[4:]) {
		t.Fatalf("after committing everything: %v, want %v", got, want[4:])
	}
	wantLen(t, b, 0, size)
	appendN(t, b, 50, 51, size) // segment 5 is full: this begins segment 6
	readWant(t, b, 10, 50, 51, size)
	if err := b.Commit(1); err != nil {
		t.Fatal(err)
	}
	if got := segFiles(t, dir); !slices.Equal(got, []string{segName(6)}) {
		t.Fatalf("after rolling past a committed segment: %v, want %v", got, segName(6))
	}

	// A record larger than a segment gets a segment of its own.
	appendN(t, b, 51, 52, 2<<20)
	appendN(t, b, 52, 53, size)
	if got := segFiles(t, dir); !slices.Equal(got, []string{segName(6), segName(7), segName(8)}) {
		t.Fatalf("after a large record: %v", got)
	}
	readWant(t, b, 1, 51, 52, 2<<20)
	readWant(t, b, 1, 52, 53, size)
}

func TestReopen(t *testing.T) {
	dir := t.TempDir()
	const size = 300
	b := open(t, dir, 1<<20)
	appendN(t, b, 0, 10, size)
	readWant(t, b, 6, 0, 6, size)
	if err := b.Commit(3); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Append(nil); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("Append after Close: %v", err)
	}
	if _, err := b.Read(1); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("Read after Close: %v", err)
	}

	b = open(t, dir, 1<<20)
	if b.Recovered() != 0 {
		t.Fatalf("Recovered %d after a clean close", b.Recovered())
	}
	wantLen(t, b, 7, size)
	// 3, 4 and 5 were read and not committed: they come again, first.
	readWant(t, b, 2, 3, 5, size)
	appendN(t, b, 10, 12, size)
	readWant(t, b, 100, 5, 12, size)
	if err := b.Commit(4); err != nil { // 3..6
		t.Fatal(err)
	}
	b.Close()

	b = open(t, dir, 1<<20)
	wantLen(t, b, 5, size)
	readWant(t, b, 100, 7, 12, size)

	// A smaller bound than the data already held: everything is kept and
	// read, and Append waits for room.
	b.Close()
	b = open(t, dir, 1000)
	wantLen(t, b, 5, size)
	if err := b.Append(nil); !errors.Is(err, ErrFull) {
		t.Fatalf("append over a shrunk bound: %v", err)
	}
	readWant(t, b, 100, 7, 12, size)
}

func TestReopenAcrossSegments(t *testing.T) {
	dir := t.TempDir()
	const size = 200 << 10 // five per 1 MiB segment
	b := open(t, dir, 8<<20)
	appendN(t, b, 0, 23, size)
	readWant(t, b, 12, 0, 12, size)
	if err := b.Commit(7); err != nil { // into segment 2
		t.Fatal(err)
	}
	b.Close()
	b = open(t, dir, 8<<20)
	wantLen(t, b, 16, size)
	readWant(t, b, 100, 7, 23, size)
	if got := segFiles(t, dir); got[0] != segName(2) {
		t.Fatalf("segments %v, want the first to be 2", got)
	}
}

// frameOf frames a payload as Append does.
func frameOf(payload []byte) []byte {
	f := binary.LittleEndian.AppendUint32(nil, uint32(len(payload)))
	f = binary.LittleEndian.AppendUint32(f, checksum(f[:4], payload))
	return append(f, payload...)
}

func TestTornTail(t *testing.T) {
	const size, frame, n = 50, 58, 5
	partial := frameOf(rec(99, 100))[:18]
	cases := []struct {
		name   string
		damage func(seg []byte) []byte
		keep   int // records left of the n, from the start
	}{
		{"partial payload", func(s []byte) []byte { return append(s, partial...) }, n},
		{"partial header", func(s []byte) []byte { return append(s, partial[:5]...) }, n},
		{"flipped crc", func(s []byte) []byte { s[4*frame+5] ^= 0x40; return s }, n - 1},
		{"flipped length", func(s []byte) []byte { s[4*frame] ^= 0x01; return s }, n - 1},
		{"flipped payload in the middle", func(s []byte) []byte { s[2*frame+20] ^= 0xff; return s }, 2},
		// What a file system may show after a crash for blocks allocated
		// and not written: zeros must not read as empty records.
		{"zeros", func(s []byte) []byte { return append(s, make([]byte, 4096)...) }, n},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			b := open(t, dir, 1<<20)
			appendN(t, b, 0, n, size)
			readWant(t, b, 1, 0, 1, size)
			if err := b.Commit(1); err != nil { // Open scans from a committed position
				t.Fatal(err)
			}
			b.Close()
			path := filepath.Join(dir, segName(1))
			seg, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			damaged := c.damage(slices.Clone(seg))
			if err := os.WriteFile(path, damaged, 0o640); err != nil {
				t.Fatal(err)
			}

			b = open(t, dir, 1<<20)
			if want := int64(len(damaged) - c.keep*frame); b.Recovered() != want {
				t.Fatalf("Recovered %d, want %d", b.Recovered(), want)
			}
			if info, err := os.Stat(path); err != nil || info.Size() != int64(c.keep*frame) {
				t.Fatalf("segment not cut to %d bytes: %v, %v", c.keep*frame, info.Size(), err)
			}
			wantLen(t, b, c.keep-1, size)
			readWant(t, b, 100, 1, c.keep, size)
			appendN(t, b, c.keep, c.keep+2, size) // appends go on after the cut
			readWant(t, b, 100, c.keep, c.keep+2, size)
		})
	}
}

func TestPositionSlots(t *testing.T) {
	const size = 30
	setup := func(t *testing.T) string {
		dir := t.TempDir()
		b := open(t, dir, 1<<20)
		appendN(t, b, 0, 6, size)
		readWant(t, b, 6, 0, 6, size)
		if err := b.Commit(2); err != nil { // one slot
			t.Fatal(err)
		}
		if err := b.Commit(2); err != nil { // the other one
			t.Fatal(err)
		}
		b.Close()
		return dir
	}
	damage := func(t *testing.T, dir string, at ...int) {
		path := filepath.Join(dir, posName)
		raw, err := os.ReadFile(path)
		if err != nil || len(raw) != 2*slotSize {
			t.Fatalf("position file: %d bytes, %v", len(raw), err)
		}
		// at counts from the start of the newest slot, then goes on in the other.
		newest := 0
		if p, slot, ok := decodePosition(raw); !ok || p.off != 4*(size+frameHeader) {
			t.Fatalf("position %+v, %v", p, ok)
		} else {
			newest = int(slot) * slotSize
		}
		for _, i := range at {
			raw[(newest+i)%len(raw)] ^= 0x10
		}
		if err := os.WriteFile(path, raw, 0o640); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("intact", func(t *testing.T) {
		b := open(t, setup(t), 1<<20)
		readWant(t, b, 100, 4, 6, size)
	})
	t.Run("newest slot torn", func(t *testing.T) {
		dir := setup(t)
		damage(t, dir, 13)
		b := open(t, dir, 1<<20)
		readWant(t, b, 100, 2, 6, size) // the previous commit: two records again
		if err := b.Commit(1); err != nil {
			t.Fatal(err)
		}
		b.Close()
		b = open(t, dir, 1<<20) // and the next commit is found
		readWant(t, b, 100, 3, 6, size)
	})
	t.Run("both slots torn", func(t *testing.T) {
		dir := setup(t)
		damage(t, dir, 20, slotSize+20)
		b := open(t, dir, 1<<20)
		readWant(t, b, 100, 0, 6, size) // everything again, nothing lost
	})
	t.Run("missing", func(t *testing.T) {
		dir := setup(t)
		os.Remove(filepath.Join(dir, posName))
		b := open(t, dir, 1<<20)
		readWant(t, b, 100, 0, 6, size)
	})
}

// TestStaleSegments: a Commit killed between writing the position and
// deleting the segments before it leaves them; Open deletes them.
func TestStaleSegments(t *testing.T) {
	dir := t.TempDir()
	const size = 100 << 10
	b := open(t, dir, 8<<20)
	appendN(t, b, 0, 25, size)
	stale, err := os.ReadFile(filepath.Join(dir, segName(1)))
	if err != nil {
		t.Fatal(err)
	}
	readWant(t, b, 12, 0, 12, size)
	if err := b.Commit(12); err != nil {
		t.Fatal(err)
	}
	b.Close()
	if err := os.WriteFile(filepath.Join(dir, segName(1)), stale, 0o640); err != nil {
		t.Fatal(err)
	}
	b = open(t, dir, 8<<20)
	if got := segFiles(t, dir); !slices.Equal(got, []string{segName(2), segName(3)}) {
		t.Fatalf("segments %v", got)
	}
	wantLen(t, b, 13, size)
	readWant(t, b, 100, 12, 25, size)
}

func TestLocked(t *testing.T) {
	dir := t.TempDir()
	b := open(t, dir, 1<<20)
	if _, err := Open(dir, 1<<20, nil); !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open: %v, want ErrLocked", err)
	}
	b.Close()
	open(t, dir, 1<<20) // free again
}

func TestOpenArguments(t *testing.T) {
	if _, err := Open("", 1<<20, nil); err == nil {
		t.Error("Open of an empty path succeeded")
	}
	if _, err := Open(t.TempDir(), frameHeader, nil); err == nil {
		t.Error("Open with room for no record succeeded")
	}
	dir := filepath.Join(t.TempDir(), "a", "b")
	old := syscall.Umask(0o022)
	b := open(t, dir, 1<<20)
	syscall.Umask(old)
	appendN(t, b, 0, 1, 10)
	readWant(t, b, 1, 0, 1, 10)
	if err := b.Commit(1); err != nil {
		t.Fatal(err)
	}
	if info, err := os.Stat(dir); err != nil || info.Mode().Perm() != 0o750 {
		t.Errorf("directory mode %v, %v; want 0750", info.Mode().Perm(), err)
	}
	for _, name := range []string{segName(1), posName, lockName} {
		if info, err := os.Stat(filepath.Join(dir, name)); err != nil || info.Mode().Perm() != 0o640 {
			t.Errorf("%s mode %v, %v; want 0640", name, info.Mode().Perm(), err)
		}
	}
	// Files that are not segments are left alone.
	other := filepath.Join(dir, "notes.seg.txt")
	os.WriteFile(other, []byte("x"), 0o640)
	b.Close()
	open(t, dir, 1<<20)
	if _, err := os.Stat(other); err != nil {
		t.Error(err)
	}
}

// TestReadLoadsOnlyWhatItReturns: reading one record of a large buffer
// does not read ahead.
func TestReadLoadsOnlyWhatItReturns(t *testing.T) {
	b := open(t, t.TempDir(), 64<<20)
	const size = 4 << 10
	appendN(t, b, 0, 2000, size)
	readWant(t, b, 1, 0, 1, size)
	if c := cap(b.arena); c > 2*size {
		t.Fatalf("reading one %d-byte record kept %d bytes", size, c)
	}
	readWant(t, b, 3, 1, 4, size)
	if c := cap(b.arena); c > 8*size {
		t.Fatalf("reading three %d-byte records kept %d bytes", size, c)
	}
}

// TestConcurrent: several writers and one reader, with segments rolling and
// the bound reached; every record arrives once, each writer's in order.
func TestConcurrent(t *testing.T) {
	const writers, each, size = 4, 600, 2 << 10
	b := open(t, t.TempDir(), 2<<20)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				r := rec(w*each+i, size)
				for {
					err := b.Append(r)
					if err == nil {
						break
					}
					if !errors.Is(err, ErrFull) {
						t.Error(err)
						return
					}
					runtime.Gosched()
				}
			}
		})
	}
	next := make([]int, writers)
	for got := 0; got < writers*each; {
		if b.Len() < 0 || b.Bytes() < 0 || b.Bytes() > 2<<20 {
			t.Fatalf("Len %d Bytes %d", b.Len(), b.Bytes())
		}
		recs, err := b.Read(1 + got%37)
		if err != nil {
			t.Fatal(err)
		}
		if recs == nil {
			runtime.Gosched()
			continue
		}
		for _, r := range recs {
			var i int
			fmt.Sscanf(string(r[:8]), "%d", &i)
			w := i / each
			if w >= writers || i != w*each+next[w] || !bytes.Equal(r, rec(i, size)) {
				t.Fatalf("record %d out of order or corrupt (writer %d expects %d)", i, w, next[w])
			}
			next[w]++
		}
		got += len(recs)
		if err := b.Commit(len(recs)); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	wantLen(t, b, 0, size)
	if n := len(segFiles(t, b.dir)); n != 1 {
		t.Errorf("%d segments left, want 1", n)
	}
}

func TestSync(t *testing.T) {
	dir := t.TempDir()
	b := open(t, dir, 8<<20)
	appendN(t, b, 0, 30, 100<<10) // rolls, so that a left segment may be in sync
	if err := b.Sync(); err != nil {
		t.Fatal(err)
	}
	b.Close()
	if err := b.Sync(); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("Sync after Close: %v", err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

// TestSegmentNumbersWrap: a position at the last segment number (only a
// damaged file has one) starts the numbers again, and records appended
// then are not taken for committed by the next Open.
func TestSegmentNumbersWrap(t *testing.T) {
	dir := t.TempDir()
	slots := append(encodeSlot(position{seq: 9, seg: maxSegNum, off: 1 << 40}), make([]byte, slotSize)...)
	if err := os.WriteFile(filepath.Join(dir, posName), slots, 0o640); err != nil {
		t.Fatal(err)
	}
	b := open(t, dir, 1<<20)
	appendN(t, b, 0, 3, 20)
	b.Close()
	b = open(t, dir, 1<<20)
	wantLen(t, b, 3, 20)
	readWant(t, b, 10, 0, 3, 20)
}

// TestRewind: records read and not committed are read again after Rewind,
// and a Commit then commits exactly those.
func TestRewind(t *testing.T) {
	b, err := Open(t.TempDir(), 1<<20, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for _, r := range []string{"a", "b", "c", "d"} {
		if err := b.Append([]byte(r)); err != nil {
			t.Fatal(err)
		}
	}
	first, _ := b.Read(1)
	if string(first[0]) != "a" {
		t.Fatalf("read %q", first[0])
	}
	if err := b.Commit(1); err != nil {
		t.Fatal(err)
	}
	got, _ := b.Read(2)
	if string(got[0]) != "b" || string(got[1]) != "c" {
		t.Fatalf("read %q", got)
	}
	b.Rewind()
	again, _ := b.Read(3)
	var s []string
	for _, r := range again {
		s = append(s, string(r))
	}
	if strings.Join(s, "") != "bcd" {
		t.Fatalf("after Rewind read %q, want b c d", s)
	}
	if err := b.Commit(3); err != nil || b.Len() != 0 {
		t.Fatalf("commit: %v, len %d", err, b.Len())
	}
	b.Rewind() // nothing pending: no effect
	if rest, _ := b.Read(1); rest != nil {
		t.Fatalf("read %q from an empty buffer", rest)
	}
}
