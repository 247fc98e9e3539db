package forward

import (
	"net"
	"time"
)

// window keeps the frames written on a stream in the last resend_window,
// at most resend_max_bytes of them, to write them again on the next
// connection when this one dies: TCP does not tell what the peer read
// before it went, and a peer that closes with data unread loses it. The
// Runner has counted those messages written already (a BatchError can only
// name messages of the batch in hand), so the sink sends them again
// itself, before anything else, which keeps the order. The sink's lock
// guards it.
type window struct {
	keep     time.Duration // resend_window; 0 keeps nothing
	maxBytes int
	chunks   []chunk // oldest first, from head
	head     int
	bytes    int
	frames   int
	spare    [][]byte // buffers of evicted chunks, for the next batches
}

// chunk is the whole frames of one batch as written, buf[off:].
type chunk struct {
	at     time.Time
	buf    []byte
	off    int
	frames int
}

// Reuse bounds: at most maxSpare buffers of at most maxIdleBuffer bytes
// are kept for later batches.
const (
	maxSpare      = 8
	maxIdleBuffer = 1 << 20
)

// add keeps the frames of b whose ends are given (ascending; the last is
// where the whole frames end) as written at at, and returns a buffer for
// the next batch: b itself when it keeps nothing of it. A batch larger
// than maxBytes is kept from the first frame that leaves it under.
func (w *window) add(at time.Time, b []byte, ends []int) []byte {
	if w.keep <= 0 || len(ends) == 0 {
		return b
	}
	total, off, frames := ends[len(ends)-1], 0, len(ends)
	if total > w.maxBytes {
		for k, e := range ends {
			if total-e <= w.maxBytes {
				off, frames = e, len(ends)-1-k
				break
			}
		}
		if frames == 0 {
			return b
		}
	}
	w.chunks = append(w.chunks, chunk{at: at, buf: b[:total], off: off, frames: frames})
	w.bytes += total - off
	w.frames += frames
	for w.bytes > w.maxBytes {
		w.evict()
	}
	return w.spareBuffer()
}

// prune forgets the chunks written before cutoff.
func (w *window) prune(cutoff time.Time) {
	for w.head < len(w.chunks) && w.chunks[w.head].at.Before(cutoff) {
		w.evict()
	}
}

// evict forgets the oldest chunk and keeps its buffer for reuse.
func (w *window) evict() {
	c := w.chunks[w.head]
	w.chunks[w.head] = chunk{}
	w.head++
	w.bytes -= len(c.buf) - c.off
	w.frames -= c.frames
	if len(w.spare) < maxSpare && cap(c.buf) <= maxIdleBuffer {
		w.spare = append(w.spare, c.buf[:0])
	}
	if w.head == len(w.chunks) {
		w.chunks, w.head = w.chunks[:0], 0
	} else if w.head > len(w.chunks)/2 && w.head > 64 {
		n := copy(w.chunks, w.chunks[w.head:])
		clear(w.chunks[n:])
		w.chunks, w.head = w.chunks[:n], 0
	}
}

func (w *window) spareBuffer() []byte {
	if n := len(w.spare); n > 0 {
		b := w.spare[n-1]
		w.spare[n-1] = nil
		w.spare = w.spare[:n-1]
		return b
	}
	return nil
}

// buffers returns what is kept, oldest first, as one vectored write.
func (w *window) buffers() net.Buffers {
	bufs := make(net.Buffers, 0, len(w.chunks)-w.head)
	for _, c := range w.chunks[w.head:] {
		bufs = append(bufs, c.buf[c.off:])
	}
	return bufs
}

// touch records that everything kept was written again at at: it now
// belongs to the new connection's last moments.
func (w *window) touch(at time.Time) {
	for i := w.head; i < len(w.chunks); i++ {
		w.chunks[i].at = at
	}
}
