package message

import (
	"encoding"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"sync"
	"time"
)

// binaryVersion is the first byte of every encoding AppendBinary writes.
const binaryVersion = 1

// Flag bits, the second byte of an encoding. Unknown bits are corrupt.
const (
	flagNoPRI         = 1 << iota
	flagReceivedZero  // Received IsZero with offset 0: no time follows
	flagTimestampZero // Timestamp IsZero with offset 0: no time follows
	flagID            // an ID follows the fixed bytes
	flagPeer          // the Peer's PID, UID and GID follow the ID
	flagsKnown        = flagNoPRI | flagReceivedZero | flagTimestampZero | flagID | flagPeer
)

var (
	errTruncated = errors.New("message: binary encoding truncated")
	errCorrupt   = errors.New("message: binary encoding corrupt")
)

// AppendBinary appends m's encoding to dst (first byte: a format version, 1).
// UnmarshalBinary reads it back. The encoding, version 1, is, in order:
//
//	version         byte, 1
//	flags           byte: 1 NoPRI, 2 Received is zero, 4 Timestamp is zero,
//	                8 an ID follows, 16 a Peer follows
//	Facility        byte
//	Severity        byte
//	Format          byte
//	ID              uvarint, present when its flag is set (ID not 0)
//	Peer            PID, UID, GID: three uvarints, present when its flag is
//	                set (Peer.Known)
//	Received        time, absent when its flag is set
//	Timestamp       time, absent when its flag is set
//	Source          uvarint n, then the n bytes of netip.AddrPort.MarshalBinary
//	Raw             uvarint len+1 (0: nil), then the bytes
//	Hostname, AppName, ProcID, MsgID, Text, ParseError, Listener:
//	                each a uvarint length, then the bytes
//	StructuredData  uvarint elements+1 (0: nil); when not nil, a uvarint of
//	                the total number of params, then per element its ID
//	                (as a string above), a uvarint params+1 (0: nil) and
//	                per param its Name and Value (strings)
//
// and nothing after. A time is a varint of Unix seconds, a uvarint of
// nanoseconds (below 1e9) and a varint of the zone offset east of UTC in
// seconds. Only the offset of a location is kept: a time in a named zone
// comes back in an unnamed time.FixedZone, one with offset 0 in time.UTC,
// so it is Equal and formats the same with RFC 3339, but not ==. The
// monotonic clock reading is dropped. An offset that does not fit in an
// int32 is an error (the time package never makes one).
func (m *Message) AppendBinary(dst []byte) ([]byte, error) {
	if m == nil {
		return dst, errors.New("message: AppendBinary of a nil *Message")
	}
	b := slices.Grow(dst, m.sizeBound())

	var flags byte
	if m.NoPRI {
		flags |= flagNoPRI
	}
	if isZeroUTC(m.Received) {
		flags |= flagReceivedZero
	}
	if isZeroUTC(m.Timestamp) {
		flags |= flagTimestampZero
	}
	if m.ID != 0 {
		flags |= flagID
	}
	if m.Peer.Known {
		flags |= flagPeer
	}
	b = append(b, binaryVersion, flags, byte(m.Facility), byte(m.Severity), byte(m.Format))
	if m.ID != 0 {
		b = binary.AppendUvarint(b, m.ID)
	}
	if m.Peer.Known {
		b = binary.AppendUvarint(binary.AppendUvarint(binary.AppendUvarint(b, uint64(m.Peer.PID)), uint64(m.Peer.UID)), uint64(m.Peer.GID))
	}
	var err error
	if flags&flagReceivedZero == 0 {
		if b, err = appendTime(b, m.Received); err != nil {
			return dst, fmt.Errorf("message: Received: %w", err)
		}
	}
	if flags&flagTimestampZero == 0 {
		if b, err = appendTime(b, m.Timestamp); err != nil {
			return dst, fmt.Errorf("message: Timestamp: %w", err)
		}
	}

	b = binary.AppendUvarint(b, uint64(addrPortLen(m.Source)))
	start := len(b)
	if b, err = m.Source.AppendBinary(b); err != nil || len(b)-start != addrPortLen(m.Source) {
		return dst, fmt.Errorf("message: Source %v: unexpected binary form", m.Source)
	}

	if m.Raw == nil {
		b = append(b, 0)
	} else {
		b = binary.AppendUvarint(b, uint64(len(m.Raw))+1)
		b = append(b, m.Raw...)
	}

	for _, s := range [...]string{m.Hostname, m.AppName, m.ProcID, m.MsgID, m.Text, m.ParseError, m.Listener} {
		b = appendString(b, s)
	}

	if m.StructuredData == nil {
		b = append(b, 0)
	} else {
		b = binary.AppendUvarint(b, uint64(len(m.StructuredData))+1)
		total := 0
		for _, e := range m.StructuredData {
			total += len(e.Params)
		}
		b = binary.AppendUvarint(b, uint64(total))
		for _, e := range m.StructuredData {
			b = appendString(b, e.ID)
			if e.Params == nil {
				b = append(b, 0)
				continue
			}
			b = binary.AppendUvarint(b, uint64(len(e.Params))+1)
			for _, p := range e.Params {
				b = appendString(appendString(b, p.Name), p.Value)
			}
		}
	}
	return b, nil
}

// UnmarshalBinary decodes what AppendBinary wrote; a truncated, corrupt or
// unknown-version input is an error, never a panic, and never allocates more
// than len(data) suggests (lengths are checked against what is left before
// allocating). On error m is left as it was. The result does not alias
// data. All strings of the message share one allocation, a copy of the
// string section of data; Raw is a copy of its own.
func (m *Message) UnmarshalBinary(data []byte) error {
	if len(data) == 0 {
		return errTruncated
	}
	if data[0] != binaryVersion {
		return fmt.Errorf("message: unknown binary encoding version %d", data[0])
	}
	if len(data) < 5 {
		return errTruncated
	}
	flags := data[1]
	if flags&^flagsKnown != 0 {
		return fmt.Errorf("%w: unknown flags %#x", errCorrupt, flags)
	}
	out := Message{
		NoPRI:    flags&flagNoPRI != 0,
		Facility: Facility(data[2]),
		Severity: Severity(data[3]),
		Format:   Format(data[4]),
	}
	d := data[5:]
	var err error
	if flags&flagID != 0 {
		id, n := binary.Uvarint(d)
		if n <= 0 || id == 0 {
			return fmt.Errorf("%w: ID", errCorrupt)
		}
		out.ID, d = id, d[n:]
	}
	if flags&flagPeer != 0 {
		var ids [3]uint32
		for i := range ids {
			v, n := binary.Uvarint(d)
			if n <= 0 || v > 1<<32-1 {
				return fmt.Errorf("%w: Peer", errCorrupt)
			}
			ids[i], d = uint32(v), d[n:]
		}
		out.Peer = Peer{PID: ids[0], UID: ids[1], GID: ids[2], Known: true}
	}
	if flags&flagReceivedZero == 0 {
		if out.Received, d, err = readTime(d); err != nil {
			return err
		}
	}
	if flags&flagTimestampZero == 0 {
		if out.Timestamp, d, err = readTime(d); err != nil {
			return err
		}
	}

	n, d, err := readLen(d, 0)
	if err != nil {
		return err
	}
	if err := out.Source.UnmarshalBinary(d[:n]); err != nil {
		return fmt.Errorf("%w: Source: %v", errCorrupt, err)
	}
	d = d[n:]

	if n, d, err = readLen(d, 1); err != nil {
		return err
	}
	if n > 0 {
		out.Raw = make([]byte, n-1)
		copy(out.Raw, d)
		d = d[n-1:]
	}

	// The rest is strings and the varints between them: one string of it
	// all, and the fields are substrings, at the same offsets as in d.
	r := stringReader{d: d, s: string(d)}
	for _, f := range [...]*string{&out.Hostname, &out.AppName, &out.ProcID, &out.MsgID, &out.Text, &out.ParseError, &out.Listener} {
		if *f, err = r.string(); err != nil {
			return err
		}
	}

	elems, err := r.uvarint()
	if err != nil {
		return err
	}
	if elems > 0 {
		elems--
		total, err := r.uvarint()
		if err != nil {
			return err
		}
		// An element takes at least 2 bytes (ID length, params count) and a
		// param 2 (two lengths); check both counts before allocating.
		left := uint64(r.left())
		if elems > left/2 || total > left/2-elems {
			return errTruncated
		}
		out.StructuredData = make([]SDElement, elems)
		params := make([]SDParam, total)
		used := 0
		for i := range out.StructuredData {
			e := &out.StructuredData[i]
			if e.ID, err = r.string(); err != nil {
				return err
			}
			c, err := r.uvarint()
			if err != nil {
				return err
			}
			if c == 0 {
				continue // nil Params
			}
			c--
			if c > uint64(len(params)-used) {
				return fmt.Errorf("%w: more params than announced", errCorrupt)
			}
			e.Params = params[used : used+int(c) : used+int(c)]
			used += int(c)
			for j := range e.Params {
				p := &e.Params[j]
				if p.Name, err = r.string(); err != nil {
					return err
				}
				if p.Value, err = r.string(); err != nil {
					return err
				}
			}
		}
		if used != len(params) {
			return fmt.Errorf("%w: fewer params than announced", errCorrupt)
		}
	}
	if r.left() != 0 {
		return fmt.Errorf("%w: %d bytes after the message", errCorrupt, r.left())
	}
	*m = out
	return nil
}

// sizeBound is at least the length of m's encoding, so that AppendBinary
// grows dst at most once: the bytes, 20 for each time, 10 for each count
// and the length of Raw, and for a string's length 1 byte and 1 more per
// 128 bytes of string (a uvarint of x takes at most 1 + x/128 bytes).
func (m *Message) sizeBound() int {
	strs := len(m.Hostname) + len(m.AppName) + len(m.ProcID) + len(m.MsgID) +
		len(m.Text) + len(m.ParseError) + len(m.Listener)
	count := 7
	for _, e := range m.StructuredData {
		strs += len(e.ID)
		count += 1 + 2*len(e.Params)
		for _, p := range e.Params {
			strs += len(p.Name) + len(p.Value)
		}
	}
	src := addrPortLen(m.Source)
	return 5 + binary.MaxVarintLen64 + 3*binary.MaxVarintLen32 + 2*20 + 1 + src + src>>7 + binary.MaxVarintLen64 + len(m.Raw) +
		(1+len(m.StructuredData)+1)*binary.MaxVarintLen64 + count + strs + strs>>7
}

// isZeroUTC reports whether t is the zero time with offset 0, which the
// encoding keeps as a flag alone.
func isZeroUTC(t time.Time) bool {
	if !t.IsZero() {
		return false
	}
	_, off := t.Zone()
	return off == 0
}

func appendTime(b []byte, t time.Time) ([]byte, error) {
	_, off := t.Zone()
	if off < math.MinInt32 || off > math.MaxInt32 {
		return b, fmt.Errorf("zone offset %ds out of range", off)
	}
	b = binary.AppendVarint(b, t.Unix())
	b = binary.AppendUvarint(b, uint64(t.Nanosecond()))
	return binary.AppendVarint(b, int64(off)), nil
}

func readTime(d []byte) (time.Time, []byte, error) {
	sec, n := binary.Varint(d)
	if n <= 0 {
		return time.Time{}, d, varintErr(n)
	}
	d = d[n:]
	nsec, n := binary.Uvarint(d)
	if n <= 0 {
		return time.Time{}, d, varintErr(n)
	}
	d = d[n:]
	if nsec >= 1e9 {
		return time.Time{}, d, fmt.Errorf("%w: %d nanoseconds", errCorrupt, nsec)
	}
	off, n := binary.Varint(d)
	if n <= 0 {
		return time.Time{}, d, varintErr(n)
	}
	d = d[n:]
	if off < math.MinInt32 || off > math.MaxInt32 {
		return time.Time{}, d, fmt.Errorf("%w: zone offset %ds", errCorrupt, off)
	}
	t := time.Unix(sec, int64(nsec))
	if off == 0 {
		return t.UTC(), d, nil
	}
	return t.In(fixedZone(int(off))), d, nil
}

// Offsets by the quarter hour from -12:00 to +14:00 cover every zone in
// use (+05:30, +05:45, -09:30, …); their locations are made once, as
// time.FixedZone does for whole hours only, so that decoding a time in one
// allocates nothing.
const (
	quarterHour      = 15 * 60
	minQuarterOffset = -12 * 3600
	maxQuarterOffset = 14 * 3600
)

var quarterHourZones = sync.OnceValue(func() []*time.Location {
	zones := make([]*time.Location, (maxQuarterOffset-minQuarterOffset)/quarterHour+1)
	for i := range zones {
		zones[i] = time.FixedZone("", minQuarterOffset+i*quarterHour)
	}
	return zones
})

// fixedZone is time.FixedZone("", off).
func fixedZone(off int) *time.Location {
	if off%quarterHour == 0 && off >= minQuarterOffset && off <= maxQuarterOffset {
		return quarterHourZones()[(off-minQuarterOffset)/quarterHour]
	}
	return time.FixedZone("", off)
}

// readLen reads a uvarint length from d, which must leave at least
// length-bias bytes in d (bias 1: the value is length+1, 0 for nil).
func readLen(d []byte, bias uint64) (int, []byte, error) {
	v, n := binary.Uvarint(d)
	if n <= 0 {
		return 0, d, varintErr(n)
	}
	d = d[n:]
	if v > uint64(len(d))+bias {
		return 0, d, errTruncated
	}
	return int(v), d, nil
}

func varintErr(n int) error {
	if n == 0 {
		return errTruncated
	}
	return fmt.Errorf("%w: varint overflows 64 bits", errCorrupt)
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// addrPortLen is the length of p's netip binary form: the address (none,
// 4 bytes, or 16 and the zone) and 2 bytes of port.
func addrPortLen(p netip.AddrPort) int {
	a := p.Addr()
	switch {
	case a.Is4():
		return 4 + 2
	case a.Is6():
		return 16 + len(a.Zone()) + 2
	}
	return 2
}

// stringReader reads the string section: d and s hold the same bytes, d to
// read varints from, s to cut the strings out of.
type stringReader struct {
	d []byte
	s string
	p int
}

func (r *stringReader) left() int { return len(r.d) - r.p }

func (r *stringReader) uvarint() (uint64, error) {
	v, n := binary.Uvarint(r.d[r.p:])
	if n <= 0 {
		return 0, varintErr(n)
	}
	r.p += n
	return v, nil
}

func (r *stringReader) string() (string, error) {
	v, err := r.uvarint()
	if err != nil {
		return "", err
	}
	if v > uint64(r.left()) {
		return "", errTruncated
	}
	s := r.s[r.p : r.p+int(v)]
	r.p += int(v)
	return s, nil
}

var (
	_ encoding.BinaryAppender    = (*Message)(nil)
	_ encoding.BinaryUnmarshaler = (*Message)(nil)
)
