package listener

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Local sockets: "unixgram" is a datagram socket like /dev/log (glibc's
// syslog(3), logger, journald's forwarding socket write there), "unix" a
// stream socket framed as TCP is. Either may instead be a socket systemd
// passed (socket activation, address "systemd:NAME"), as may any protocol.

// systemdPrefix marks an address that names a socket systemd passed.
const systemdPrefix = "systemd:"

// DefaultMode is the permission of a unix socket file the listener
// creates: anyone may write, as to /dev/log.
const DefaultMode = "0666"

// isUnix reports the local-socket protocols.
func isUnix(protocol string) bool { return protocol == "unix" || protocol == "unixgram" }

// isPacket reports the datagram protocols.
func isPacket(protocol string) bool { return protocol == "udp" || protocol == "unixgram" }

// Activated holds the sockets systemd passed the process (LISTEN_FDS,
// LISTEN_FDNAMES), for listeners with a "systemd:NAME" or "systemd:N"
// address. It keeps the files open for the life of the process, so that a
// listener rebuilt on reload takes the same socket again; sockets no
// listener names are left alone.
type Activated struct {
	files []*os.File
}

// NewActivated wraps the passed sockets, in systemd's order; each file's
// Name is its FileDescriptorName.
func NewActivated(files []*os.File) *Activated { return &Activated{files: files} }

// find returns the passed socket spec names: a FileDescriptorName, or N,
// the Nth passed socket counting from 0.
func (a *Activated) find(spec string) (*os.File, error) {
	if a == nil || len(a.files) == 0 {
		return nil, fmt.Errorf("%s%s: systemd passed no sockets (no LISTEN_FDS for this process)", systemdPrefix, spec)
	}
	for _, f := range a.files {
		if f.Name() == spec {
			return f, nil
		}
	}
	if n, err := strconv.Atoi(spec); err == nil && n >= 0 && n < len(a.files) {
		return a.files[n], nil
	}
	names := make([]string, len(a.files))
	for i, f := range a.files {
		names[i] = f.Name()
	}
	return nil, fmt.Errorf("%s%s: no socket of that name among those systemd passed (%s)", systemdPrefix, spec, strings.Join(names, ", "))
}

// inheritedStream makes a stream listener of the passed socket f.
func inheritedStream(f *os.File) (net.Listener, error) {
	ln, err := net.FileListener(f)
	if err != nil {
		return nil, fmt.Errorf("passed socket %q is no stream socket: %w", f.Name(), err)
	}
	return ln, nil
}

// inheritedPacket makes a packet conn of the passed socket f.
func inheritedPacket(f *os.File) (net.PacketConn, error) {
	pc, err := net.FilePacketConn(f)
	if err != nil {
		return nil, fmt.Errorf("passed socket %q is no datagram socket: %w", f.Name(), err)
	}
	return pc, nil
}

// parseMode reads an octal permission such as "0666".
func parseMode(s string) (fs.FileMode, error) {
	m, err := strconv.ParseUint(s, 8, 32)
	if err != nil || m > 0o777 {
		return 0, fmt.Errorf("invalid mode %q (want octal permissions such as 0666)", s)
	}
	return fs.FileMode(m), nil
}

// removeStale makes way for a socket at path: nothing there is fine; a
// socket nobody listens on (left by a killed instance) is removed; a
// socket someone answers on, or a file that is no socket, is an error.
func removeStale(network, path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.Mode().Type() != fs.ModeSocket {
		return fmt.Errorf("%s exists and is not a socket", path)
	}
	c, err := net.DialTimeout(network, path, time.Second)
	if err == nil {
		_ = c.Close()
		return fmt.Errorf("%s is in use: another process listens on it", path)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) && !errors.Is(err, syscall.ENOENT) {
		return fmt.Errorf("%s: cannot tell whether it is in use: %w", path, err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("removing stale socket: %w", err)
	}
	return nil
}

// bindUnix binds a unix socket at path with mode, replacing a stale one.
// The socket file is removed when the returned closer runs.
func bindUnix(network, path, mode string) (net.Listener, net.PacketConn, error) {
	perm, err := parseMode(mode)
	if err != nil {
		return nil, nil, err
	}
	if err := removeStale(network, path); err != nil {
		return nil, nil, err
	}
	addr := &net.UnixAddr{Name: path, Net: network}
	var (
		ln net.Listener
		pc net.PacketConn
	)
	if network == "unixgram" {
		c, err := net.ListenUnixgram(network, addr)
		if err != nil {
			return nil, nil, err
		}
		pc = c
	} else {
		l, err := net.ListenUnix(network, addr)
		if err != nil {
			return nil, nil, err
		}
		l.SetUnlinkOnClose(true)
		ln = l
	}
	// The socket's permission decides who may write: the umask applied at
	// bind(2) must not narrow it.
	if err := os.Chmod(path, perm); err != nil {
		if ln != nil {
			_ = ln.Close()
		} else {
			_ = pc.Close()
			_ = os.Remove(path)
		}
		return nil, nil, fmt.Errorf("chmod %s: %w", path, err)
	}
	return ln, pc, nil
}

// listenUnixgram serves pc, a bound unixgram socket: one datagram per
// message, as on UDP.
func (l *Listener) listenUnixgram(pc net.PacketConn) error {
	uc, ok := pc.(*net.UnixConn)
	if !ok || uc.LocalAddr().Network() != "unixgram" {
		_ = pc.Close()
		return fmt.Errorf("socket is %s, not unixgram", pc.LocalAddr().Network())
	}
	_ = uc.SetReadBuffer(udpReadBuffer) // best effort, as for udp
	if err := passCredentials(uc); err != nil {
		l.log.Warn("sender credentials unavailable", "error", err)
	}
	l.unixgram = uc
	l.wg.Add(1)
	go l.readUnixgram()
	return nil
}

// readUnixgram reads datagrams one at a time until Close: local senders
// write a few messages a second, not the floods UDP batches are for.
func (l *Listener) readUnixgram() {
	defer l.wg.Done()
	var (
		set   *settings
		h     Handler
		buf   []byte
		oob   = make([]byte, credSpace)
		frame Frame
		delay time.Duration
	)
	for {
		if cur := l.set.Load(); cur != set {
			if set == nil || cur.o.MaxMessageBytes != set.o.MaxMessageBytes {
				buf = make([]byte, cur.o.MaxMessageBytes+1) // one more byte shows truncation
			}
			set, h = cur, cur.newHandler()
		}
		n, oobn, flags, _, err := l.unixgram.ReadMsgUnix(buf, oob)
		if err != nil {
			if l.readFailed(err, "unixgram", &delay) {
				return
			}
			continue
		}
		delay = 0
		if n > set.o.MaxMessageBytes || flags&syscall.MSG_TRUNC != 0 {
			l.oversize(h, frame.Source, max(n, set.o.MaxMessageBytes+1), set.o.MaxMessageBytes)
			continue
		}
		data := trimDatagram(buf[:n])
		if len(data) == 0 {
			continue
		}
		frame.Data, frame.Received, frame.Peer = data, time.Now().UTC(), credentials(oob[:oobn])
		h.HandleFrame(&frame)
	}
}
