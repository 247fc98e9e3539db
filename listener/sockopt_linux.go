package listener

import (
	"encoding/binary"
	"fmt"
	"net"
	"unsafe"

	"golang.org/x/sys/unix"
)

// recvFlags makes recvmmsg report a truncated datagram's real length.
const recvFlags = unix.MSG_TRUNC

// msgTrunc is the per-message flag the kernel sets on a truncated datagram.
const msgTrunc = unix.MSG_TRUNC

// oobSize holds one SO_RXQ_OVFL control message (a uint32).
var oobSize = unix.CmsgSpace(4)

// enableDropCounter asks the kernel to attach its count of datagrams it
// dropped for this socket (receive buffer full) to received datagrams.
func enableDropCounter(c *net.UDPConn) error {
	rc, err := c.SyscallConn()
	if err != nil {
		return fmt.Errorf("raw conn: %w", err)
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RXQ_OVFL, 1)
	}); err != nil {
		return fmt.Errorf("raw conn control: %w", err)
	}
	if serr != nil {
		return fmt.Errorf("setsockopt SO_RXQ_OVFL: %w", serr)
	}
	return nil
}

// rxqOverflow finds the SO_RXQ_OVFL count in a datagram's control messages.
// The kernel attaches it only once the count is nonzero.
func rxqOverflow(oob []byte) (uint32, bool) {
	for len(oob) > 0 {
		h, data, rest, err := unix.ParseOneSocketControlMessage(oob)
		if err != nil {
			return 0, false
		}
		if h.Level == unix.SOL_SOCKET && h.Type == unix.SO_RXQ_OVFL && len(data) >= 4 {
			return binary.NativeEndian.Uint32(data), true
		}
		oob = rest
	}
	return 0, false
}

// socketDrops reads the kernel's count of datagrams dropped for the socket
// (SO_MEMINFO, SK_MEMINFO_DROPS: the counter SO_RXQ_OVFL reports), so that
// drops show up while no datagram arrives to carry the count.
func socketDrops(c *net.UDPConn) (uint32, bool) {
	rc, err := c.SyscallConn()
	if err != nil {
		return 0, false
	}
	var mem [unix.SK_MEMINFO_VARS]uint32
	var serr error
	// x/sys/unix has no getter for SO_MEMINFO's array of counters.
	err = rc.Control(func(fd uintptr) {
		n := uint32(unsafe.Sizeof(mem))
		_, _, errno := unix.Syscall6(unix.SYS_GETSOCKOPT, fd, unix.SOL_SOCKET, unix.SO_MEMINFO,
			uintptr(unsafe.Pointer(&mem[0])), uintptr(unsafe.Pointer(&n)), 0)
		if errno != 0 {
			serr = errno
		}
	})
	if err != nil || serr != nil {
		return 0, false
	}
	return mem[unix.SK_MEMINFO_DROPS], true
}
