// Package buffer is a durable, bounded, on-disk FIFO of opaque records with
// explicit commit: the storage under the buffer a sinks.Runner keeps for a
// sink whose destination is not taking messages.
//
// A record is read, handed to the destination, and only removed by Commit
// once the destination has acknowledged it; until then it survives a SIGKILL
// of the daemon and is read again by the next Open (at-least-once).
//
// # Why this is written by hand
//
// nsqio/go-diskqueue, which the NATS sink's spool used, advances its read
// position as soon as a record is delivered on its channel, so a record that
// was read and not yet delivered is lost when the process is killed. The
// other Go disk queues either have the same read-is-remove semantics
// (beeker1121/goque, joncrlsn/dque, the bigqueue ports: Dequeue removes, at
// most the head can be peeked) or keep records until an ack but are
// unmaintained (reddec/pqueue, on bbolt, untouched since 2021) or too young to
// put under every sink (JohanLindvall/diskqueue, v0.0.x from 2026 with no
// importers). What is needed here is small: a few hundred lines, no
// dependency.
//
// # Layout
//
// A directory holds segment files NNNNNNNNNNNNNNNN.seg (decimal, zero-padded,
// so that names sort in order), a position file and a lock file. A segment is
// a sequence of frames
//
//	uint32 length (little endian)
//	uint32 CRC-32C of the 4 length bytes followed by the payload
//	payload
//
// The checksum covers the length so that a run of zeros (what a file system
// may show for blocks allocated but never written) is not a valid empty
// record: CRC-32C of an empty input is 0. A new segment is begun when the
// current one would pass min(maxBytes/8, 64 MiB), at least 1 MiB; a record
// larger than that gets a segment to itself. The position file holds the
// committed position (segment number, offset). Disk use is maxBytes of
// uncommitted records plus at most about a segment of committed ones, in the
// oldest segment and in a fully committed one not yet deleted.
package buffer

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"syslogd/sinks"
)

const (
	frameHeader = 8
	segSuffix   = ".seg"
	segDigits   = 16
	maxSegNum   = 9999999999999999 // the largest number segDigits digits hold
	posName     = "position"
	lockName    = "lock"
	minSegment  = 1 << 20
	maxSegment  = 64 << 20
	scanBuffer  = 64 << 10 // Open's read buffer, whatever the record size
	keepBuffer  = 64 << 10 // larger frame buffers are not kept between calls
	keepArena   = 1 << 20  // larger read arenas are not kept between calls
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

var (
	// ErrFull is returned by Append when the record does not fit in
	// maxBytes. It is the Runner's sinks.ErrBufferFull, which it expects
	// under load and does not log.
	ErrFull = sinks.ErrBufferFull
	// ErrLocked is returned by Open while another Buffer, in this process or
	// another, has the directory open: two writers would corrupt it.
	ErrLocked = errors.New("buffer is in use by another instance")

	errClosed  = fmt.Errorf("buffer: %w", os.ErrClosed)
	errCorrupt = errors.New("corrupt record")
)

// A Buffer is an open buffer directory. See the package documentation.
type Buffer struct {
	dir      string
	maxBytes int64
	segSize  int64
	log      *slog.Logger
	lock     *os.File
	pos      *os.File // the position file, written by Commit

	count     atomic.Int64 // records appended and not committed
	bytes     atomic.Int64 // their size with framing
	recovered int64        // set by Open only

	// The writer's state, and what the reader needs to know of it.
	wmu      sync.Mutex
	closed   bool       // set holding both rmu and wmu
	segs     []segment  // live segments, oldest first; the last one is written
	wfile    *os.File   // the last segment, written with pwrite at its size
	sealing  []*os.File // earlier write segments an Append is fsyncing
	mustRoll bool       // a failed write left a partial frame at the end
	wbuf     []byte     // one frame, so that it takes one write

	// The reader's state; Read and Commit hold rmu.
	rmu     sync.Mutex
	rseg    uint64 // the segment and offset of the next unread record
	roff    int64
	rfile   *os.File // open on rfseg
	rfseg   uint64
	hdr     [frameHeader]byte // the header at roff, when hdrOK
	hdrOK   bool
	pend    []pending // records returned by Read and not committed, oldest first
	arena   []byte    // the payloads the last Read returned
	spans   []span
	out     [][]byte
	posSeq  uint64 // the sequence number of the newest position slot
	posSlot int64  // the slot the next position goes to
}

// segment is a live segment file; size is its length in valid frames (for
// the write segment, the offset of the next record).
type segment struct {
	num  uint64
	size int64
}

// pending is a record Read returned: where it ends, and its framed size.
type pending struct {
	seg  uint64
	end  int64
	size int64
}

type span struct{ start, end int }

// Open opens or creates the buffer in dir (created 0750 if missing), holding
// at most maxBytes of record bytes (framing included). Records an earlier run
// left uncommitted are kept and will be read first. A torn record at the tail
// (a crash in the middle of a write) is cut off; Open reports how many bytes
// it cut in Recovered().
func Open(dir string, maxBytes int64, log *slog.Logger) (*Buffer, error) {
	if dir == "" {
		return nil, errors.New("buffer: empty directory path")
	}
	if maxBytes <= frameHeader {
		return nil, fmt.Errorf("buffer: size %d is too small", maxBytes)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("buffer: %w", err)
	}
	lock, err := os.OpenFile(filepath.Join(dir, lockName), os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("buffer: %w", err)
	}
	// flock belongs to the open file description, so a second Open in this
	// process conflicts too, and the kernel drops it when the process dies.
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lock.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s", ErrLocked, dir)
		}
		return nil, fmt.Errorf("buffer: lock %s: %w", lock.Name(), err)
	}
	b := &Buffer{
		dir:      dir,
		maxBytes: maxBytes,
		segSize:  min(max(maxBytes/8, minSegment), maxSegment),
		log:      log,
		lock:     lock,
	}
	if err := b.load(); err != nil {
		for _, f := range []*os.File{b.wfile, b.pos, b.lock} {
			if f != nil {
				f.Close()
			}
		}
		return nil, err
	}
	return b, nil
}

// load reads the position, drops the segments it says are committed, checks
// every frame after it, cuts what is torn or corrupt, and opens the last
// segment (or a new one) for writing.
func (b *Buffer) load() error {
	nums, err := listSegments(b.dir)
	if err != nil {
		return err
	}
	b.pos, err = os.OpenFile(filepath.Join(b.dir, posName), os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return fmt.Errorf("buffer: %w", err)
	}
	var raw [2 * slotSize]byte
	n, err := b.pos.ReadAt(raw[:], 0)
	if err != nil && err != io.EOF {
		return fmt.Errorf("buffer: read position: %w", err)
	}
	p, slot, ok := decodePosition(raw[:n])
	if ok {
		b.posSeq, b.posSlot = p.seq, 1-slot
	} else if n > 0 {
		b.log.Warn("buffer: position file unreadable, reading again from the oldest segment", "dir", b.dir)
	}
	seg, off := p.seg, p.off // the zero position when !ok: every segment is unread

	// Segments before the committed one are committed: Commit writes the
	// position before it deletes them, and may have died in between.
	for len(nums) > 0 && nums[0] < seg {
		b.remove(nums[0])
		nums = nums[1:]
	}
	if len(nums) > 0 && nums[0] != seg { // the committed segment is gone: read on from the next
		seg, off = nums[0], 0
	}
	for i, num := range nums {
		f, err := os.OpenFile(b.segPath(num), os.O_RDWR, 0)
		if err != nil {
			return fmt.Errorf("buffer: %w", err)
		}
		info, err := f.Stat()
		if err != nil {
			f.Close()
			return fmt.Errorf("buffer: %w", err)
		}
		size, start := info.Size(), int64(0)
		if num == seg {
			if off > size { // only after a power loss: the segment lost its tail
				b.log.Warn("buffer: committed position is past the end of its segment", "segment", f.Name(), "offset", off, "size", size)
				off = size
			}
			start = off
		}
		end, records, err := scanSegment(f, start, size)
		if err != nil {
			f.Close()
			return fmt.Errorf("buffer: scan %s: %w", f.Name(), err)
		}
		if end < size {
			if err := f.Truncate(end); err != nil {
				f.Close()
				return fmt.Errorf("buffer: %w", err)
			}
			b.recovered += size - end
			b.log.Warn("buffer: cut a torn or corrupt tail", "segment", f.Name(), "offset", end, "bytes", size-end)
		}
		b.count.Add(records)
		b.bytes.Add(end - start)
		b.segs = append(b.segs, segment{num: num, size: end})
		if i == len(nums)-1 {
			b.wfile = f
		} else {
			f.Close()
		}
	}
	// A fully committed segment at the head that is not written any more
	// has no reason to stay.
	for len(b.segs) > 1 && b.segs[0].num == seg && b.segs[0].size == off {
		b.remove(seg)
		b.segs = b.segs[1:]
		seg, off = b.segs[0].num, 0
	}
	if len(b.segs) == 0 {
		seg, off = seg+1, 0
		if seg > maxSegNum {
			seg = 1
		}
		if b.wfile, err = b.create(seg); err != nil {
			return err
		}
		b.segs = append(b.segs, segment{num: seg})
		// Record the new segment as the position at once: after the
		// wrap above, the old position would say it is committed.
		if err := b.writePosition(seg, 0); err != nil {
			return err
		}
	}
	b.rseg, b.roff = seg, off
	return nil
}

// Append adds one record at the tail with one write(2): once Append returns,
// the record survives a SIGKILL of the process (not a power loss: no fsync
// per record; Sync does that). Safe for concurrent use, also with Read and
// Commit.
//
// The write is a pwrite(2) at the end of the valid frames, so that what a
// failed write left is overwritten or cut, never built on. Appends
// serialise on one mutex; the one that begins a new segment fsyncs the
// segment it leaves, after releasing the mutex.
func (b *Buffer) Append(rec []byte) error {
	size := frameHeader + int64(len(rec))
	if size > b.maxBytes || int64(len(rec)) > math.MaxUint32 {
		return ErrFull
	}
	b.wmu.Lock()
	sealed, err := b.appendLocked(rec, size)
	b.wmu.Unlock()
	if sealed != nil {
		// The segment this Append left is made durable here, outside the
		// lock, so that other Appends do not wait for the fsync; Sync
		// fsyncs it too if it runs meanwhile.
		if err := sealed.Sync(); err != nil {
			b.log.Warn("buffer: fsync a full segment", "segment", sealed.Name(), "error", err)
		}
		sealed.Close()
		b.wmu.Lock()
		b.sealing = slices.DeleteFunc(b.sealing, func(f *os.File) bool { return f == sealed })
		b.wmu.Unlock()
	}
	return err
}

func (b *Buffer) appendLocked(rec []byte, size int64) (sealed *os.File, err error) {
	if b.closed {
		return nil, errClosed
	}
	if b.bytes.Load()+size > b.maxBytes {
		return nil, ErrFull
	}
	w := &b.segs[len(b.segs)-1]
	if b.mustRoll || (w.size > 0 && w.size+size > b.segSize) {
		if sealed, err = b.roll(); err != nil {
			return nil, err
		}
		w = &b.segs[len(b.segs)-1]
	}
	if cap(b.wbuf) < int(size) {
		b.wbuf = make([]byte, size)
	}
	frame := b.wbuf[:size]
	binary.LittleEndian.PutUint32(frame[0:4], uint32(len(rec)))
	copy(frame[frameHeader:], rec)
	binary.LittleEndian.PutUint32(frame[4:8], checksum(frame[0:4], rec))
	_, err = b.wfile.WriteAt(frame, w.size)
	if cap(b.wbuf) > keepBuffer {
		b.wbuf = nil
	}
	if err != nil {
		// Part of the frame may be on disk past w.size. Writing the next
		// record over a partial frame could leave the rest of its payload
		// after the new end, where Open might take it for frames; so cut it,
		// or if that fails too, leave it whole at the end of this segment
		// (where Open cuts it by its own length) and go on in a new one.
		if terr := b.wfile.Truncate(w.size); terr != nil {
			b.mustRoll = true
		}
		return sealed, fmt.Errorf("buffer: append: %w", err)
	}
	w.size += size
	b.count.Add(1) // before the reader can see the record, so that Len never goes below zero
	b.bytes.Add(size)
	return sealed, nil
}

// roll begins the next segment and returns the one it leaves, for the caller
// to fsync and close.
func (b *Buffer) roll() (*os.File, error) {
	num := b.segs[len(b.segs)-1].num + 1
	if num > maxSegNum {
		return nil, errors.New("buffer: out of segment numbers")
	}
	f, err := b.create(num)
	if err != nil {
		return nil, err
	}
	old := b.wfile
	b.wfile, b.mustRoll = f, false
	b.segs = append(b.segs, segment{num: num})
	b.sealing = append(b.sealing, old)
	return old, nil
}

// Read returns up to max records that follow the last record returned by
// Read (the oldest uncommitted ones first, after Open). They stay in the
// buffer until Commit. The returned slices are only valid until the next
// Read or Commit. nil, nil when there is nothing unread. One reader at a
// time.
//
// Read loads only the records it returns (and the next frame's header). A
// record that fails its checksum here, after Open checked it or Append wrote
// it, means the file changed under the buffer; Read returns an error
// wrapping that and stays before the record, and the next Open cuts it.
func (b *Buffer) Read(max int) ([][]byte, error) {
	b.rmu.Lock()
	defer b.rmu.Unlock()
	if max <= 0 {
		return nil, nil
	}
	b.wmu.Lock()
	if b.closed {
		b.wmu.Unlock()
		return nil, errClosed
	}
	limit, next, hasNext := b.limitLocked(b.rseg)
	b.wmu.Unlock()

	if cap(b.arena) > keepArena {
		b.arena = nil
	}
	arena, spans := b.arena[:0], b.spans[:0]
	var err error
	for len(spans) < max {
		if b.roff >= limit {
			if !hasNext {
				break
			}
			b.rseg, b.roff, b.hdrOK = next, 0, false
			b.wmu.Lock()
			limit, next, hasNext = b.limitLocked(b.rseg)
			b.wmu.Unlock()
			continue
		}
		if err = b.openReader(); err != nil {
			break
		}
		if !b.hdrOK {
			if limit-b.roff < frameHeader {
				err = b.corrupt()
				break
			}
			if _, err = b.rfile.ReadAt(b.hdr[:], b.roff); err != nil {
				break
			}
			b.hdrOK = true
		}
		n := int64(binary.LittleEndian.Uint32(b.hdr[0:4]))
		end := b.roff + frameHeader + n
		if end > limit {
			err = b.corrupt()
			break
		}
		// Read the payload and, when it is there, the next header in the
		// same pread.
		want, ahead := n, end+frameHeader <= limit
		if ahead {
			want += frameHeader
		}
		start := len(arena)
		arena = slices.Grow(arena, int(want))[:start+int(want)]
		if _, err = b.rfile.ReadAt(arena[start:], b.roff+frameHeader); err != nil {
			arena = arena[:start]
			break
		}
		if checksum(b.hdr[0:4], arena[start:start+int(n)]) != binary.LittleEndian.Uint32(b.hdr[4:8]) {
			arena = arena[:start]
			err = b.corrupt()
			break
		}
		if ahead {
			copy(b.hdr[:], arena[start+int(n):])
			arena = arena[:start+int(n)]
		}
		b.hdrOK = ahead
		spans = append(spans, span{start, start + int(n)})
		b.pend = append(b.pend, pending{seg: b.rseg, end: end, size: frameHeader + n})
		b.roff = end
	}
	out := b.out[:0]
	for _, s := range spans { // after the loop: arena may have moved while it grew
		out = append(out, arena[s.start:s.end:s.end])
	}
	b.arena, b.spans, b.out = arena, spans, out
	if len(out) == 0 {
		return nil, err
	}
	return out, nil // an error is met again by the next Read
}

func (b *Buffer) corrupt() error {
	return fmt.Errorf("buffer: %s offset %d: %w", b.segPath(b.rseg), b.roff, errCorrupt)
}

// limitLocked returns how far segment num may be read, and the segment after
// it. A segment no longer listed was committed and deleted: nothing to read.
func (b *Buffer) limitLocked(num uint64) (limit int64, next uint64, hasNext bool) {
	for i, s := range b.segs {
		if s.num < num {
			continue
		}
		if s.num > num {
			return 0, s.num, true
		}
		if i+1 < len(b.segs) {
			return s.size, b.segs[i+1].num, true
		}
		return s.size, 0, false
	}
	return 0, 0, false
}

func (b *Buffer) openReader() error {
	if b.rfile != nil && b.rfseg == b.rseg {
		return nil
	}
	if b.rfile != nil {
		b.rfile.Close()
		b.rfile = nil
	}
	f, err := os.Open(b.segPath(b.rseg))
	if err != nil {
		return fmt.Errorf("buffer: %w", err)
	}
	b.rfile, b.rfseg = f, b.rseg
	return nil
}

// Commit removes the oldest n records returned by Read and not yet
// committed, and persists that (a small position file written with
// write(2); a segment file whose records are all committed is deleted).
// After a SIGKILL, every record appended and not committed is read again by
// the next Open: at-least-once.
//
// Commit fails only when it could not write the position, and then commits
// nothing, so that the caller may try again.
func (b *Buffer) Commit(n int) error {
	b.rmu.Lock()
	defer b.rmu.Unlock()
	if n == 0 {
		return nil
	}
	if n < 0 || n > len(b.pend) {
		return fmt.Errorf("buffer: commit of %d records, %d read and not committed", n, len(b.pend))
	}
	last := b.pend[n-1]
	seg, off := last.seg, last.end
	b.wmu.Lock()
	if b.closed {
		b.wmu.Unlock()
		return errClosed
	}
	limit, next, hasNext := b.limitLocked(seg)
	b.wmu.Unlock()
	if hasNext && off >= limit { // the end of a full segment: it can go now
		seg, off = next, 0
	}
	if err := b.writePosition(seg, off); err != nil {
		return err
	}
	var size int64
	for _, p := range b.pend[:n] {
		size += p.size
	}
	b.pend = b.pend[:copy(b.pend, b.pend[n:])]
	b.count.Add(-int64(n))
	b.bytes.Add(-size)

	b.wmu.Lock()
	k := 0
	for k < len(b.segs)-1 && b.segs[k].num < seg {
		k++
	}
	dead := make([]uint64, k)
	for i := range k {
		dead[i] = b.segs[i].num
	}
	b.segs = slices.Delete(b.segs, 0, k)
	b.wmu.Unlock()
	for _, num := range dead {
		b.remove(num)
	}
	return nil
}

// Rewind forgets what Read returned and was not committed: the next Read
// returns those records again, oldest first. A Runner whose write of a
// batch was cut short calls it, so that the Runner reading next (after a
// reload, the one that replaced it) does not commit records it never saw.
func (b *Buffer) Rewind() {
	b.rmu.Lock()
	defer b.rmu.Unlock()
	if len(b.pend) == 0 {
		return
	}
	first := b.pend[0]
	b.rseg, b.roff, b.hdrOK = first.seg, first.end-first.size, false
	b.pend = b.pend[:0]
}

// Len is the number of records appended and not committed (read or not).
// Safe for concurrent use.
func (b *Buffer) Len() int64 { return b.count.Load() }

// Bytes is the size of those records with framing. Safe for concurrent use.
func (b *Buffer) Bytes() int64 { return b.bytes.Load() }

// Recovered is the number of torn-tail bytes Open cut off.
func (b *Buffer) Recovered() int64 { return b.recovered }

// Sync fsyncs the current segment and the position file (and any segment
// an Append has just left, and the directory, so that new segment files are
// found after a power loss).
func (b *Buffer) Sync() error {
	b.wmu.Lock()
	if b.closed {
		b.wmu.Unlock()
		return errClosed
	}
	files := append([]*os.File{b.wfile}, b.sealing...)
	b.wmu.Unlock()
	return b.syncFiles(append(files, b.pos))
}

// syncFiles fsyncs files and the directory. A file that is closed already
// was a segment left by an Append, which fsynced it before closing it.
func (b *Buffer) syncFiles(files []*os.File) error {
	var errs []error
	for _, f := range files {
		if err := f.Sync(); err != nil && !errors.Is(err, os.ErrClosed) {
			errs = append(errs, fmt.Errorf("buffer: %w", err))
		}
	}
	if d, err := os.Open(b.dir); err != nil {
		errs = append(errs, fmt.Errorf("buffer: %w", err))
	} else {
		if err := d.Sync(); err != nil {
			errs = append(errs, fmt.Errorf("buffer: %w", err))
		}
		d.Close()
	}
	return errors.Join(errs...)
}

// Close syncs and closes; the buffer can be opened again later.
func (b *Buffer) Close() error {
	b.rmu.Lock()
	defer b.rmu.Unlock()
	b.wmu.Lock()
	if b.closed {
		b.wmu.Unlock()
		return nil
	}
	b.closed = true
	files := append([]*os.File{b.wfile}, b.sealing...)
	b.wmu.Unlock()
	err := b.syncFiles(append(files, b.pos))
	for _, f := range []*os.File{b.wfile, b.rfile, b.pos} {
		if f != nil {
			if cerr := f.Close(); cerr != nil && !errors.Is(cerr, os.ErrClosed) {
				err = errors.Join(err, fmt.Errorf("buffer: %w", cerr))
			}
		}
	}
	b.rfile = nil
	return errors.Join(err, b.lock.Close()) // closing the lock file drops the flock
}

func (b *Buffer) segPath(num uint64) string {
	return filepath.Join(b.dir, fmt.Sprintf("%0*d%s", segDigits, num, segSuffix))
}

func (b *Buffer) create(num uint64) (*os.File, error) {
	f, err := os.OpenFile(b.segPath(num), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return nil, fmt.Errorf("buffer: %w", err)
	}
	return f, nil
}

// remove deletes a committed segment. A failure only costs disk space until
// the next Open, which deletes it again, so it is logged, not returned.
func (b *Buffer) remove(num uint64) {
	if err := os.Remove(b.segPath(num)); err != nil && !errors.Is(err, os.ErrNotExist) {
		b.log.Warn("buffer: delete a committed segment", "error", err)
	}
}

// listSegments returns the numbers of the segment files in dir, in order.
func listSegments(dir string) ([]uint64, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("buffer: %w", err)
	}
	var nums []uint64
	for _, e := range entries {
		name := e.Name()
		digits, ok := strings.CutSuffix(name, segSuffix)
		if !ok || len(digits) != segDigits || !e.Type().IsRegular() {
			continue
		}
		num, err := strconv.ParseUint(digits, 10, 64) // no sign, no underscores in base 10
		if err != nil {
			continue
		}
		nums = append(nums, num)
	}
	slices.Sort(nums) // ReadDir sorts by name already; zero padding makes that numeric
	return nums, nil
}

// scanSegment checks the frames of f from start up to size and returns where
// the valid ones end and how many there are. Only an I/O error is an error;
// a frame that is short, too long or fails its checksum ends the scan.
// Memory use is scanBuffer whatever the record sizes.
func scanSegment(f *os.File, start, size int64) (end, records int64, err error) {
	br := bufio.NewReaderSize(io.NewSectionReader(f, start, size-start), scanBuffer)
	end = start
	var hdr [frameHeader]byte
	for size-end >= frameHeader {
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			return end, records, err
		}
		n := int64(binary.LittleEndian.Uint32(hdr[0:4]))
		if n > size-end-frameHeader {
			break
		}
		c := crc32.Update(0, castagnoli, hdr[0:4])
		for rem := n; rem > 0; {
			p, err := br.Peek(int(min(rem, int64(br.Size()))))
			if err != nil {
				return end, records, err
			}
			c = crc32.Update(c, castagnoli, p)
			br.Discard(len(p))
			rem -= int64(len(p))
		}
		if c != binary.LittleEndian.Uint32(hdr[4:8]) {
			break
		}
		end += frameHeader + n
		records++
	}
	return end, records, nil
}

// checksum is the CRC-32C of a frame's length bytes and payload.
func checksum(length, payload []byte) uint32 {
	return crc32.Update(crc32.Update(0, castagnoli, length), castagnoli, payload)
}
