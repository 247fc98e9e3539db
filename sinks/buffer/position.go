package buffer

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
)

// The position file holds the committed position in two slots of slotSize
// bytes, written in turn, each
//
//	[4]byte  posMagic
//	uint64   sequence number (the newer slot has the larger one)
//	uint64   segment number
//	uint64   offset in that segment
//	uint32   CRC-32C of the 28 bytes before it
//
// Why two slots written in place, and not one slot, or a temporary file
// renamed over the old one:
//
//   - One slot written in place is not safe: a write torn by a crash (a
//     SIGKILL can stop a write between pages; a power loss can keep part of
//     it) is detected by its checksum, but the previous value was in the
//     same bytes and is gone.
//   - Write-and-rename is atomic against a crash of the process, but costs a
//     create, a write, a close and a rename (a directory update) per Commit,
//     and against a power loss it is only safe with an fsync of the new file
//     before the rename and of the directory after it; without those, a
//     file system may leave an empty or partly written file, i.e. no
//     position at all.
//   - Two slots: Commit writes only the slot that does not hold the newest
//     position, with one pwrite. If that write is torn, its checksum fails
//     and Open uses the other slot, the previous commit, which costs at most
//     the records of one Commit read twice: at-least-once holds. The file
//     never changes size after its first two writes, so a write needs no
//     new blocks and no metadata, and Sync fsyncs it.
//
// If neither slot is valid (the file is new, or both are damaged), Open reads
// from the start of the oldest segment: again duplicates, never a loss.
const (
	slotSize = 32
	posMagic = "SBP1"
)

type position struct {
	seq uint64
	seg uint64
	off int64
}

func encodeSlot(p position) []byte {
	buf := make([]byte, slotSize)
	copy(buf, posMagic)
	binary.LittleEndian.PutUint64(buf[4:], p.seq)
	binary.LittleEndian.PutUint64(buf[12:], p.seg)
	binary.LittleEndian.PutUint64(buf[20:], uint64(p.off))
	binary.LittleEndian.PutUint32(buf[28:], crc32.Checksum(buf[:28], castagnoli))
	return buf
}

func decodeSlot(buf []byte) (position, bool) {
	if len(buf) < slotSize || string(buf[:4]) != posMagic ||
		crc32.Checksum(buf[:28], castagnoli) != binary.LittleEndian.Uint32(buf[28:]) {
		return position{}, false
	}
	p := position{
		seq: binary.LittleEndian.Uint64(buf[4:]),
		seg: binary.LittleEndian.Uint64(buf[12:]),
		off: int64(binary.LittleEndian.Uint64(buf[20:])),
	}
	return p, p.off >= 0 && p.seg <= maxSegNum
}

// decodePosition returns the newest valid slot of the file's contents and
// its index.
func decodePosition(raw []byte) (p position, slot int64, ok bool) {
	for i := int64(0); i < 2; i++ {
		if int64(len(raw)) < (i+1)*slotSize {
			break
		}
		if q, valid := decodeSlot(raw[i*slotSize:]); valid && (!ok || q.seq > p.seq) {
			p, slot, ok = q, i, true
		}
	}
	return p, slot, ok
}

// writePosition persists the committed position in the older slot. Only
// Commit calls it, holding rmu.
func (b *Buffer) writePosition(seg uint64, off int64) error {
	p := position{seq: b.posSeq + 1, seg: seg, off: off}
	if _, err := b.pos.WriteAt(encodeSlot(p), b.posSlot*slotSize); err != nil {
		return fmt.Errorf("buffer: write position: %w", err)
	}
	b.posSeq, b.posSlot = p.seq, 1-b.posSlot
	return nil
}
