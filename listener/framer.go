package listener

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
)

// maxLenDigits bounds the octet-counting length: 10 digits covers any
// length a sender could mean; more is garbage, not a header.
const maxLenDigits = 10

// headerRoom is what the buffer holds beyond maxMessageBytes: a full
// "LEN SP" header, or a CR and LF after a maximal non-transparent frame.
const headerRoom = maxLenDigits + 6

// initialBuffer is the read buffer a Framer starts with (less when the
// limit is smaller); keepBuffer is the most a pooled Framer keeps across
// Reset (the default limit's full buffer fits), so one long frame does not
// pin a big buffer for every later connection.
const (
	initialBuffer = 4 << 10
	keepBuffer    = 128 << 10
)

// maxEmptyReads mirrors bufio: a reader that keeps returning (0, nil) is
// broken, and looping on it forever would hang a connection goroutine.
const maxEmptyReads = 100

// ErrMalformedHeader is returned by Next in FramingOctetCounting mode when a
// frame does not start with "LEN SP". It is not fatal: the Framer discards
// the bytes up to the next LF or NUL (the only resynchronisation point a
// stream without valid lengths offers) and the next call carries on.
var ErrMalformedHeader = errors.New("malformed octet-counting header")

// TooLargeError is returned by Next for a frame longer than the limit. It
// is not fatal: the frame was (or is being) discarded without buffering it
// and the next call carries on with the next frame. The Framer reuses it:
// it is valid until the next call.
type TooLargeError struct {
	// Size is what is known of the frame's length: the announced length of
	// an octet-counted frame, the exact length of a non-transparent frame
	// whose delimiter was already buffered, otherwise a lower bound (always
	// more than the limit).
	Size int
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("frame of %d bytes exceeds the limit", e.Size)
}

// Framer splits an RFC 6587 byte stream into frames. It reads into one
// buffer that starts small (initialBuffer) and grows, by doubling, when a
// frame or a busy stream needs it, up to maxMessageBytes+headerRoom and
// never beyond:
// an idle or chatty-but-short connection costs a few KiB whatever the
// limit, neither a long frame nor an endless line costs more than the
// limit, and once grown it allocates nothing per frame.
//
// Resynchronisation rules: an octet-counted frame longer than the limit is
// skipped by discarding exactly its announced length; a non-transparent
// frame longer than the limit is discarded up to its LF or NUL. In auto
// mode a frame starting with a nonzero digit is octet-counted only if at
// most 10 digits are followed by SP; anything else is non-transparent.
// Empty frames (blank lines, runs of NUL) are skipped. In
// FramingOctetCounting mode LF, CR and NUL between frames are skipped (some
// senders end octet-counted frames with a newline anyway) and a frame
// without a valid "LEN SP" header is reported as ErrMalformedHeader and
// discarded up to the next LF or NUL.
//
// At the end of the stream (EOF or any read error, such as the deadline
// Close or the idle timeout sets) Next still returns every buffered frame,
// including an unterminated last one and a short octet-counted one, before
// returning the error.
type Framer struct {
	r    io.Reader
	pr   pendingReader // r, if it wants to know of frames under way
	mode Framing
	max  int
	buf  []byte

	start, end int   // buf[start:end] is read but not yet consumed
	scanned    int   // buf[start:start+scanned] holds no LF or NUL
	skipN      int64 // bytes of an oversize octet-counted frame still to discard
	skipLine   bool  // discarding up to the next LF or NUL
	busy       bool  // the last read filled the buffer: grow it before the next
	err        error // sticky read error, returned once the buffer is drained

	tooLarge TooLargeError // returned by pointer so reporting allocates nothing
}

// NewFramer returns a Framer reading r. maxMessageBytes must be positive.
func NewFramer(r io.Reader, mode Framing, maxMessageBytes int) *Framer {
	pr, _ := r.(pendingReader)
	return &Framer{
		r:    r,
		pr:   pr,
		mode: mode,
		max:  maxMessageBytes,
		buf:  make([]byte, min(initialBuffer, maxMessageBytes+headerRoom)),
	}
}

// Reset makes f read a new stream, keeping its buffer (up to keepBuffer),
// so a pool of Framers serves many short connections without allocating.
func (f *Framer) Reset(r io.Reader) {
	buf := f.buf
	if len(buf) > keepBuffer {
		buf = make([]byte, min(initialBuffer, f.max+headerRoom))
	}
	pr, _ := r.(pendingReader)
	*f = Framer{r: r, pr: pr, mode: f.mode, max: f.max, buf: buf}
}

// pendingReader is a reader that wants to know, before each read, whether
// the Framer holds part of a frame (the listener's, for frame_timeout).
type pendingReader interface {
	pending(partial bool)
}

// BufferSize is the size of the read buffer now.
func (f *Framer) BufferSize() int { return len(f.buf) }

// Next returns the next frame, with its framing removed. The slice aliases
// the Framer's buffer and is valid only until the next call.
//
// A *TooLargeError or ErrMalformedHeader reports a discarded frame; call
// Next again. Any other error ends the stream (io.EOF on a clean end) and is
// returned only after every buffered frame has been.
func (f *Framer) Next() ([]byte, error) {
	for {
		switch {
		case f.skipN > 0:
			if !f.discardN() {
				return nil, f.err
			}
			continue
		case f.skipLine:
			if !f.discardLine() {
				return nil, f.err
			}
			continue
		case f.start == f.end:
			if f.err != nil {
				return nil, f.err
			}
			f.fill()
			continue
		}

		var frame []byte
		var err error
		switch f.mode {
		case FramingNonTransparent:
			frame, err = f.nonTransparent()
		case FramingOctetCounting:
			if c := f.buf[f.start]; c == '\n' || c == '\r' || c == 0 {
				f.start++ // trailers some senders put between frames
				continue
			}
			frame, err = f.octetStrict()
		default:
			frame, err = f.auto()
		}
		if err != nil || frame != nil {
			return frame, err
		}
		// nil, nil: an empty frame was skipped or more data is needed.
	}
}

// auto handles one frame in FramingAuto mode.
func (f *Framer) auto() ([]byte, error) {
	if c := f.buf[f.start]; c < '1' || c > '9' {
		return f.nonTransparent()
	}
	hdr, n, st := f.header()
	switch st {
	case headerMore:
		f.fill()
		return nil, nil
	case headerBad:
		return f.nonTransparent()
	}
	return f.octet(hdr, n)
}

// octetStrict handles one frame in FramingOctetCounting mode.
func (f *Framer) octetStrict() ([]byte, error) {
	hdr, n, st := f.header()
	switch st {
	case headerMore:
		f.fill()
		return nil, nil
	case headerBad:
		f.skipLine = true
		f.scanned = 0
		return nil, ErrMalformedHeader
	}
	return f.octet(hdr, n)
}

type headerStatus uint8

const (
	headerOK headerStatus = iota
	headerMore
	headerBad
)

// header parses "LEN SP" at f.start: a nonzero digit, at most maxLenDigits
// digits, then SP. It asks for more data only while the answer is open and
// the stream has not ended.
func (f *Framer) header() (hdrLen int, n int64, st headerStatus) {
	b := f.buf[f.start:f.end]
	if b[0] < '1' || b[0] > '9' {
		return 0, 0, headerBad
	}
	for i, c := range b {
		if c == ' ' {
			return i + 1, n, headerOK
		}
		if c < '0' || c > '9' || i == maxLenDigits {
			return 0, 0, headerBad
		}
		n = n*10 + int64(c-'0')
	}
	if f.err != nil {
		return 0, 0, headerBad
	}
	return 0, 0, headerMore
}

// octet returns the octet-counted frame whose header of hdrLen bytes
// announced n bytes, skipping it if n exceeds the limit.
func (f *Framer) octet(hdrLen int, n int64) ([]byte, error) {
	if n > int64(f.max) {
		f.start += hdrLen
		f.skipN = n
		f.tooLarge.Size = int(min(n, math.MaxInt))
		return nil, &f.tooLarge
	}
	need := hdrLen + int(n)
	if f.end-f.start >= need {
		frame := f.buf[f.start+hdrLen : f.start+need]
		f.start += need
		return frame, nil
	}
	if f.err != nil { // short frame at the end: deliver what arrived
		frame := f.buf[f.start+hdrLen : f.end]
		f.start = f.end
		if len(frame) == 0 {
			return nil, nil
		}
		return frame, nil
	}
	f.fill()
	return nil, nil
}

// nonTransparent returns the frame up to the next LF or NUL, without the
// delimiter and a CR before it. It returns nil, nil for an empty frame or
// when it needs more data.
func (f *Framer) nonTransparent() ([]byte, error) {
	i := indexDelim(f.buf[f.start+f.scanned : f.end])
	if i < 0 {
		f.scanned = f.end - f.start
		// max+2 bytes without a delimiter exceed the limit even if the last
		// one is the CR of a CRLF: report now rather than buffer more.
		if f.scanned > f.max+1 {
			f.tooLarge.Size = f.scanned
			f.start, f.end, f.scanned = 0, 0, 0
			f.skipLine = true
			return nil, &f.tooLarge
		}
		if f.err == nil {
			f.fill()
			return nil, nil
		}
		i = f.scanned // the stream ended: the rest is the last frame
	} else {
		i += f.scanned
	}
	frame := f.buf[f.start : f.start+i]
	f.start = min(f.start+i+1, f.end)
	f.scanned = 0
	if n := len(frame); n > 0 && frame[n-1] == '\r' {
		frame = frame[:n-1]
	}
	if len(frame) > f.max {
		f.tooLarge.Size = len(frame)
		return nil, &f.tooLarge
	}
	if len(frame) == 0 {
		return nil, nil
	}
	return frame, nil
}

// discardN drops buffered and then freshly read bytes of an oversize
// octet-counted frame. It reports false when the stream ended first.
func (f *Framer) discardN() bool {
	avail := int64(f.end - f.start)
	if avail >= f.skipN {
		f.start += int(f.skipN)
		f.skipN = 0
		return true
	}
	f.skipN -= avail
	f.start, f.end = 0, 0
	if f.err != nil {
		f.skipN = 0
		return false
	}
	f.fill()
	return true
}

// discardLine drops bytes up to and including the next LF or NUL. It
// reports false when the stream ended first.
func (f *Framer) discardLine() bool {
	if i := indexDelim(f.buf[f.start:f.end]); i >= 0 {
		f.start += i + 1
		f.skipLine = false
		return true
	}
	f.start, f.end = 0, 0
	if f.err != nil {
		f.skipLine = false
		return false
	}
	f.fill()
	return true
}

// fill reads more data after f.end, first moving the unconsumed bytes to
// the front when the buffer is full (not on every read, so a reader that
// returns one byte at a time does not make framing quadratic). The buffer
// doubles, up to its full size, when the unconsumed bytes fill it (a long
// frame) or when the last read filled it (a busy stream: fewer reads per
// frame); an idle or slow connection keeps its small one. At its full size
// the buffer always has room: a frame that could fill it is rejected
// before.
func (f *Framer) fill() {
	if f.start == f.end {
		f.start, f.end = 0, 0
	} else if f.end == len(f.buf) {
		f.end = copy(f.buf, f.buf[f.start:f.end])
		f.start = 0
	}
	if full := f.max + headerRoom; len(f.buf) < full && (f.end == len(f.buf) || f.busy) {
		grown := make([]byte, min(2*len(f.buf), full))
		f.end = copy(grown, f.buf[f.start:f.end])
		f.start, f.buf = 0, grown
	}
	if f.pr != nil {
		f.pr.pending(f.end > f.start || f.skipN > 0 || f.skipLine)
	}
	for range maxEmptyReads {
		free := len(f.buf) - f.end
		n, err := f.r.Read(f.buf[f.end:])
		if n < 0 || n > free {
			f.err = fmt.Errorf("framer: reader returned invalid count %d", n)
			return
		}
		f.end += n
		f.busy = n == free
		if err != nil {
			f.err = err
			return
		}
		if n > 0 {
			return
		}
	}
	f.err = io.ErrNoProgress
}

// indexDelim returns the index of the first LF or NUL in b, or -1.
//
// It searches windows that double in size, each for LF and then NUL with
// SIMD (bytes.IndexByte). Searching all of b for LF first would rescan the
// whole buffer for every NUL-terminated frame (a run of NULs would cost
// 64 KiB of scanning per byte); windows keep the cost proportional to the
// distance to the delimiter.
func indexDelim(b []byte) int {
	off, w := 0, 256
	for off < len(b) {
		win := b[off:min(off+w, len(b))]
		if i := bytes.IndexByte(win, '\n'); i >= 0 {
			win = win[:i]
			if j := bytes.IndexByte(win, 0); j >= 0 {
				return off + j
			}
			return off + i
		}
		if j := bytes.IndexByte(win, 0); j >= 0 {
			return off + j
		}
		off += len(win)
		w *= 2
	}
	return -1
}

var _ error = (*TooLargeError)(nil)
