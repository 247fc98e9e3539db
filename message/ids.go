package message

import (
	"crypto/rand"
	"encoding/binary"
	"sync/atomic"
)

// IDs hands out message IDs (Message.ID) in blocks, so that the goroutines
// that receive messages share one counter without contending on it for
// every message. It starts at a random point of the 64-bit space: two runs,
// or two instances publishing to one stream, overlap only if their ranges
// (a few billion a day at most) meet, which is about as likely as a
// collision of random 64-bit IDs. Safe for concurrent use.
type IDs struct{ next atomic.Uint64 }

// IDBlock is how many IDs a Block call takes.
const IDBlock = 1 << 12

// NewIDs returns a source starting at a random ID.
func NewIDs() *IDs {
	var b [8]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand's contract)
	s := new(IDs)
	s.next.Store(binary.LittleEndian.Uint64(b[:]))
	return s
}

// Block returns the first of IDBlock consecutive IDs reserved for the
// caller. The range never contains 0 (no ID): a block that would wrap
// through it is skipped.
func (s *IDs) Block() uint64 {
	for {
		end := s.next.Add(IDBlock)
		// end == 0: the block is the top of the range, up to 2^64-1.
		if first := end - IDBlock; first != 0 && (first < end || end == 0) {
			return first
		}
	}
}

// IDRange is one goroutine's share of IDs: it takes a new Block when it has
// used its own. Not safe for concurrent use; the zero value is empty.
type IDRange struct{ next, end uint64 }

// Next returns the next ID, taking a block from s when the range is used up.
func (r *IDRange) Next(s *IDs) uint64 {
	if r.next == r.end {
		r.next = s.Block()
		r.end = r.next + IDBlock
	}
	id := r.next
	r.next++
	return id
}
