package buffer

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzOpenCorrupt writes fuzzed bytes as the first segment and as the
// position file. Open must not panic; when it succeeds, what it left of the
// segment must end in exactly the frames Read returns, each with a valid
// checksum (so every record it yields passed its checksum and nothing was
// invented or skipped), Recovered must be what it cut, Len and Bytes must
// match, and the buffer must work afterwards.
func FuzzOpenCorrupt(f *testing.F) {
	var valid []byte
	for i := range 4 {
		valid = append(valid, frameOf(rec(i, 10+i*7))...)
	}
	second := int64(len(frameOf(rec(0, 10))))
	pos := append(encodeSlot(position{seq: 1, seg: 1, off: second}), make([]byte, slotSize)...)
	f.Add(valid, []byte(nil))
	f.Add(valid, pos)
	f.Add(valid[:len(valid)-3], pos)
	f.Add(valid, pos[:slotSize-1])
	f.Add(append(bytes.Clone(valid), make([]byte, 64)...), []byte(nil))
	f.Add(frameOf(nil), []byte(nil))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0}, []byte(nil))
	f.Add([]byte(nil), append(encodeSlot(position{seq: 7, seg: maxSegNum, off: 1 << 40}), encodeSlot(position{seq: 3, seg: 1})...))
	f.Add(valid, append(encodeSlot(position{seq: 2, seg: 1, off: 1 << 40}), encodeSlot(position{seq: 1, seg: 1})...))
	f.Add(valid, append(encodeSlot(position{seq: 2, seg: 1, off: 3}), encodeSlot(position{seq: 1, seg: 1})...))

	f.Fuzz(func(t *testing.T, seg, pos []byte) {
		dir := t.TempDir()
		segPath := filepath.Join(dir, segName(1))
		if len(seg) > 0 {
			if err := os.WriteFile(segPath, seg, 0o640); err != nil {
				t.Fatal(err)
			}
		}
		if len(pos) > 0 {
			if err := os.WriteFile(filepath.Join(dir, posName), pos, 0o640); err != nil {
				t.Fatal(err)
			}
		}
		b, err := Open(dir, 1<<20, nil)
		if err != nil {
			return // a clean error is allowed
		}
		defer b.closeNoSync() // Close's fsyncs would make most of the fuzzing time

		var frames []byte
		var n int64
		for {
			recs, err := b.Read(3)
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if recs == nil {
				break
			}
			for _, r := range recs {
				frames = append(frames, frameOf(r)...)
				n++
			}
		}
		left, err := os.ReadFile(segPath)
		p, _, ok := decodePosition(pos)
		switch {
		case len(seg) == 0 || ok && p.seg > 1: // no segment, or the position says it is committed
			if n != 0 || b.Recovered() != 0 {
				t.Fatalf("segment 1 was empty or committed, yet %d records and %d bytes cut", n, b.Recovered())
			}
		case err != nil:
			t.Fatal(err)
		default:
			if !bytes.HasPrefix(seg, left) {
				t.Fatal("Open changed the segment other than by cutting its tail")
			}
			if !bytes.HasSuffix(left, frames) {
				t.Fatalf("records read (%d, %d bytes framed) are not the end of what is left of the segment (%d bytes)", n, len(frames), len(left))
			}
			if b.Recovered() != int64(len(seg)-len(left)) {
				t.Fatalf("Recovered %d, but %d bytes were cut", b.Recovered(), len(seg)-len(left))
			}
		}
		if b.Len() != n || b.Bytes() != int64(len(frames)) {
			t.Fatalf("Len %d Bytes %d, read %d records of %d bytes", b.Len(), b.Bytes(), n, len(frames))
		}
		if err := b.Commit(int(n)); err != nil {
			t.Fatal(err)
		}
		if err := b.Append([]byte("after")); err != nil {
			t.Fatal(err)
		}
		recs, err := b.Read(10)
		if err != nil || len(recs) != 1 || string(recs[0]) != "after" {
			t.Fatalf("after Open: Read = %q, %v", recs, err)
		}
	})
}

// closeNoSync closes b's files without the fsyncs of Close: what a crash
// leaves, as far as the page cache is concerned.
func (b *Buffer) closeNoSync() {
	for _, f := range []*os.File{b.wfile, b.rfile, b.pos, b.lock} {
		if f != nil {
			f.Close()
		}
	}
}
