package listener

import (
	"encoding/binary"
	"fmt"
	"net"

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
