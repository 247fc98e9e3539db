package listener

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// batchReader reads up to udpBatch datagrams per recvmmsg call.
//
// It is hand-written, not golang.org/x/net's ipv4/ipv6 PacketConn.ReadBatch
// (which recvmmsg_other.go still uses elsewhere), because ReadBatch allocates
// for every datagram: a *net.UDPAddr and its IP slice for each message's
// Addr. BenchmarkUDPRead measured 2 allocs per datagram with ReadBatch
// (52 B for an IPv4 sender, 64 B for IPv6) and 0 (0 B) with this reader,
// Go 1.26, x/net v0.62.0. Everything it hands the
// kernel is allocated once per reader: the mmsghdr array, one iovec per slot
// pointing at the slot's buffer, one sockaddr per slot for the sender and
// the per-slot control message buffers for SO_RXQ_OVFL; the sender is
// decoded from the sockaddr straight into a netip.AddrPort.
type batchReader struct {
	rc    syscall.RawConn
	recv  func(fd uintptr) bool // b.recvmmsg, bound once: a method value made per read would allocate
	hdrs  []unix.Mmsghdr
	iovs  []unix.Iovec
	names []unix.RawSockaddrAny
	oob   []byte // udpBatch control message buffers of oobSize
	bufs  [][]byte
	got   []slot

	// recvmmsg's outcome, for read: RawConn.Read's function returns only
	// whether it is done.
	n     int
	errno syscall.Errno

	// zones names IPv6 scope ids (see zone).
	zones   map[uint32]string
	zonesAt time.Time
}

func newBatchReader(c *net.UDPConn) (*batchReader, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("raw conn: %w", err)
	}
	b := &batchReader{
		rc:    rc,
		hdrs:  make([]unix.Mmsghdr, udpBatch),
		iovs:  make([]unix.Iovec, udpBatch),
		names: make([]unix.RawSockaddrAny, udpBatch),
		oob:   make([]byte, udpBatch*oobSize),
		bufs:  make([][]byte, udpBatch),
		got:   make([]slot, udpBatch),
	}
	for i := range b.hdrs {
		h := &b.hdrs[i].Hdr
		// msg_name is a void *: unsafe only to give the kernel the
		// address of names[i], which is SizeofSockaddrAny long (Namelen).
		h.Name = (*byte)(unsafe.Pointer(&b.names[i]))
		h.Iov = &b.iovs[i]
		h.SetIovlen(1)
		h.Control = &b.oob[i*oobSize]
	}
	b.recv = b.recvmmsg
	return b, nil
}

// setSize gives every slot a new buffer of size bytes (size > 0).
func (b *batchReader) setSize(size int) {
	buf := make([]byte, udpBatch*size)
	for i := range b.bufs {
		b.bufs[i] = buf[i*size : (i+1)*size : (i+1)*size]
		b.iovs[i].Base = &b.bufs[i][0]
		b.iovs[i].SetLen(size)
	}
}

// read waits for datagrams and returns those of one recvmmsg call. The
// slots are valid until the next read.
func (b *batchReader) read() ([]slot, error) {
	for i := range b.hdrs { // the kernel overwrote them with what it returned
		h := &b.hdrs[i].Hdr
		h.Namelen = unix.SizeofSockaddrAny
		h.SetControllen(oobSize)
		h.Flags = 0
	}
	b.n, b.errno = 0, 0
	if err := b.rc.Read(b.recv); err != nil {
		return nil, err
	}
	if b.errno != 0 {
		return nil, os.NewSyscallError("recvmmsg", b.errno)
	}
	got := b.got[:b.n]
	for i := range got {
		m := &b.hdrs[i]
		got[i] = slot{
			buf:   b.bufs[i],
			n:     int(m.Len),
			trunc: m.Hdr.Flags&msgTrunc != 0,
			oob:   b.oob[i*oobSize : i*oobSize+min(int(m.Hdr.Controllen), oobSize)],
			src:   b.source(&b.names[i], m.Hdr.Namelen),
		}
	}
	return got, nil
}

// recvmmsg is RawConn.Read's function: it reports false, to wait until the
// socket is readable, when nothing is queued. The socket is non-blocking
// (the Go poller's), so no MSG_DONTWAIT: once one datagram is taken, the
// call returns with those already queued.
func (b *batchReader) recvmmsg(fd uintptr) bool {
	for {
		// unsafe: the syscall takes the array's address; the Go pointers
		// in it (names, iovecs, buffers, control buffers) are b's, kept
		// alive by b, and udpBatch bounds what the kernel writes.
		n, _, errno := unix.Syscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&b.hdrs[0])),
			uintptr(len(b.hdrs)), recvFlags, 0, 0)
		switch errno {
		case 0:
			b.n = min(int(n), len(b.hdrs))
			return true
		case unix.EINTR:
			continue // the poller is edge-triggered: waiting could miss what is queued
		case unix.EAGAIN:
			return false
		default:
			b.errno = errno
			return true
		}
	}
}

// source decodes the sender's address that the kernel wrote to sa
// (namelen bytes of it), unmapped. A family other than AF_INET and
// AF_INET6 gives the zero AddrPort, as a non-UDP address did with x/net.
func (b *batchReader) source(sa *unix.RawSockaddrAny, namelen uint32) netip.AddrPort {
	// unsafe: the casts read sa as the sockaddr the kernel wrote, after
	// checking its family and that it wrote all of it; RawSockaddrAny is
	// larger than both, so neither reads past sa.
	switch {
	case sa.Addr.Family == unix.AF_INET && namelen >= unix.SizeofSockaddrInet4:
		in := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		return netip.AddrPortFrom(netip.AddrFrom4(in.Addr), networkPort(in.Port))
	case sa.Addr.Family == unix.AF_INET6 && namelen >= unix.SizeofSockaddrInet6:
		in6 := (*unix.RawSockaddrInet6)(unsafe.Pointer(sa))
		a := netip.AddrFrom16(in6.Addr)
		if in6.Scope_id != 0 {
			a = a.WithZone(b.zone(in6.Scope_id))
		}
		return unmapped(netip.AddrPortFrom(a, networkPort(in6.Port)))
	}
	return netip.AddrPort{}
}

// networkPort is a sockaddr's port, which is in network byte order.
func networkPort(p uint16) uint16 {
	var b [2]byte
	binary.NativeEndian.PutUint16(b[:], p)
	return binary.BigEndian.Uint16(b[:])
}

// zoneTTL is how long a scope id's interface name is kept, as net does.
const zoneTTL = time.Minute

// zone names an IPv6 scope id as net does for a net.UDPAddr's Zone: the
// interface's name, or the number if no interface has it. Only link-local
// senders have one. Names are looked up once and forgotten every zoneTTL,
// so that a renamed interface shows its new name.
func (b *batchReader) zone(id uint32) string {
	if now := time.Now(); now.Sub(b.zonesAt) > zoneTTL {
		clear(b.zones)
		b.zonesAt = now
	}
	if z, ok := b.zones[id]; ok {
		return z
	}
	z := strconv.FormatUint(uint64(id), 10)
	if ifi, err := net.InterfaceByIndex(int(id)); err == nil {
		z = ifi.Name
	}
	if b.zones == nil {
		b.zones = make(map[uint32]string)
	}
	b.zones[id] = z
	return z
}
