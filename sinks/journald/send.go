package journald

import (
	"errors"
	"fmt"
	"net"

	"golang.org/x/sys/unix"

	"syslogd/sinks"
)

// sendEntry sends one encoded entry as one datagram. An entry larger than
// the socket's send buffer fails with EMSGSIZE (or ENOBUFS when memory is
// short); like sd_journal_sendv, the sink then hands the entry over in a
// sealed memfd instead.
func (s *Sink) sendEntry(c *net.UnixConn, entry []byte) error {
	_, err := c.Write(entry)
	if errors.Is(err, unix.EMSGSIZE) || errors.Is(err, unix.ENOBUFS) {
		if err = sendMemfd(c, entry); err == nil {
			s.memfdSends++
		}
	}
	return err
}

// sendMemfd writes entry to a new memfd, seals it so journald can map it
// without copying (and without trusting us not to change it), and sends it
// as SCM_RIGHTS with an empty payload, the form journald's native protocol
// defines for large entries.
func sendMemfd(c *net.UnixConn, entry []byte) error {
	fd, err := unix.MemfdCreate("syslogd-journal", unix.MFD_ALLOW_SEALING|unix.MFD_CLOEXEC)
	if err != nil {
		return fmt.Errorf("memfd_create: %w", err)
	}
	defer unix.Close(fd)
	for b := entry; len(b) > 0; {
		n, err := unix.Write(fd, b)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return fmt.Errorf("write memfd: %w", err)
		}
		b = b[n:]
	}
	seals := unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE | unix.F_SEAL_SEAL
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, seals); err != nil {
		return fmt.Errorf("seal memfd: %w", err)
	}
	// net refuses WriteMsgUnix on a connected datagram socket, so the
	// sendmsg(2) goes through the raw connection, which still waits in the
	// poller (and honours the write deadline) while journald's queue is full.
	rc, err := c.SyscallConn()
	if err != nil {
		return err
	}
	rights := unix.UnixRights(fd)
	var serr error
	if err := rc.Write(func(sock uintptr) bool {
		serr = unix.Sendmsg(int(sock), nil, rights, nil, 0)
		return !errors.Is(serr, unix.EAGAIN)
	}); err != nil {
		return err
	}
	if serr != nil {
		return fmt.Errorf("send memfd: %w", serr)
	}
	return nil
}

// disconnected reports errors that mean journald is not there: no socket
// file (ENOENT), a socket nobody listens on any more (ECONNREFUSED, also
// what a connected socket gets once journald has exited), or a socket we
// were connected to that has gone (ENOTCONN, EPIPE, ECONNRESET).
func disconnected(err error) bool {
	for _, e := range []error{unix.ENOENT, unix.ECONNREFUSED, unix.ENOTCONN, unix.EPIPE, unix.ECONNRESET} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// notConnected wraps err so that the Runner reconnects before retrying.
func notConnected(err error) error { return fmt.Errorf("%w: %w", sinks.ErrNotConnected, err) }
