package listener

import (
	"encoding/binary"
	"fmt"
	"net"

	"golang.org/x/sys/unix"
)

// credSpace holds one SCM_CREDENTIALS control message.
var credSpace = unix.CmsgSpace(unix.SizeofUcred)

// passCredentials asks the kernel to attach the sender's credentials to
// every datagram (SO_PASSCRED): the pid, uid and gid it saw, which a
// sender cannot forge as it can the header.
func passCredentials(c *net.UnixConn) error {
	rc, err := c.SyscallConn()
	if err != nil {
		return fmt.Errorf("raw conn: %w", err)
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_PASSCRED, 1)
	}); err != nil {
		return fmt.Errorf("raw conn control: %w", err)
	}
	if serr != nil {
		return fmt.Errorf("setsockopt SO_PASSCRED: %w", serr)
	}
	return nil
}

// credentials finds SCM_CREDENTIALS in a datagram's control messages,
// without allocating (unix.ParseUnixCredentials wants a parsed message).
func credentials(oob []byte) Peer {
	for len(oob) > 0 {
		h, data, rest, err := unix.ParseOneSocketControlMessage(oob)
		if err != nil {
			return Peer{}
		}
		if h.Level == unix.SOL_SOCKET && h.Type == unix.SCM_CREDENTIALS && len(data) >= unix.SizeofUcred {
			return Peer{
				PID:   binary.NativeEndian.Uint32(data[0:4]),
				UID:   binary.NativeEndian.Uint32(data[4:8]),
				GID:   binary.NativeEndian.Uint32(data[8:12]),
				Known: true,
			}
		}
		oob = rest
	}
	return Peer{}
}

// peerOf is a unix stream connection's peer (SO_PEERCRED: the process that
// connected); the zero Peer for other connections.
func peerOf(c net.Conn) Peer {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return Peer{}
	}
	rc, err := uc.SyscallConn()
	if err != nil {
		return Peer{}
	}
	var cred *unix.Ucred
	if err := rc.Control(func(fd uintptr) {
		cred, _ = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil || cred == nil {
		return Peer{}
	}
	return Peer{PID: uint32(cred.Pid), UID: cred.Uid, GID: cred.Gid, Known: true}
}
