package listener

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestUnixgram: a /dev/log-like socket takes datagrams, is created with
// its mode whatever the umask, reports oversize datagrams, and is removed
// at Close.
func TestUnixgram(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	r := newRecorder()
	l := start(t, Options{Protocol: "unixgram", Address: path, MaxMessageBytes: 64}, r, nil)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Type() != os.ModeSocket || fi.Mode().Perm() != 0o666 {
		t.Errorf("socket file mode %v, want a socket with 0666", fi.Mode())
	}
	c, err := net.Dial("unixgram", path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, m := range []string{"<13>Dec  1 10:00:00 app[1]: one", "<13>two\n", strings.Repeat("x", 65), "<13>three"} {
		if _, err := c.Write([]byte(m)); err != nil {
			t.Fatal(err)
		}
	}
	got := r.expect(t, "<13>Dec  1 10:00:00 app[1]: one", "<13>two")
	if want := (Peer{PID: uint32(os.Getpid()), UID: uint32(os.Getuid()), GID: uint32(os.Getgid()), Known: true}); got[0].peer != want {
		t.Errorf("datagram sender %+v, want this process %+v", got[0].peer, want)
	}
	if o := r.nextOversize(t); o.size != 65 {
		t.Errorf("oversize %d, want 65", o.size)
	}
	r.expect(t, "<13>three")
	if err := l.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(path); !os.IsNotExist(err) {
		t.Errorf("socket file left after Close: %v", err)
	}
}

// TestUnixStream: a stream socket is framed as TCP is, and unlinked at
// Close.
func TestUnixStream(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stream.sock")
	r := newRecorder()
	l := start(t, Options{Protocol: "unix", Address: path, Mode: "0600"}, r, nil)
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("socket file: %v %v, want mode 0600", fi, err)
	}
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write([]byte("<13>a\n9 <13>b\nc d<13>e")); err != nil {
		t.Fatal(err)
	}
	_ = c.Close()
	got := r.expect(t, "<13>a", "<13>b\nc d", "<13>e")
	if want := (Peer{PID: uint32(os.Getpid()), UID: uint32(os.Getuid()), GID: uint32(os.Getgid()), Known: true}); got[2].peer != want {
		t.Errorf("stream peer %+v, want this process %+v", got[2].peer, want)
	}
	if err := l.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(path); !os.IsNotExist(err) {
		t.Errorf("socket file left after Close: %v", err)
	}
}

// TestUnixStaleSocket: a socket file left by a killed instance is
// replaced; one another process listens on, or a file that is no socket,
// is refused.
func TestUnixStaleSocket(t *testing.T) {
	dir := t.TempDir()
	stale := filepath.Join(dir, "stale")
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: stale, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	_ = c.Close() // a unixgram socket leaves its file behind, as a SIGKILL would
	if _, err := os.Lstat(stale); err != nil {
		t.Fatalf("no stale socket to test with: %v", err)
	}
	r := newRecorder()
	start(t, Options{Protocol: "unixgram", Address: stale}, r, nil)
	w, err := net.Dial("unixgram", stale)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := w.Write([]byte("<13>after")); err != nil {
		t.Fatal(err)
	}
	r.expect(t, "<13>after")

	// The listener above holds stale now: a second one must not steal it.
	if _, err := Listen("second", withDefaults(Options{Protocol: "unixgram", Address: stale}), r.newHandler, nil, nil); err == nil ||
		!strings.Contains(err.Error(), "in use") {
		t.Errorf("second listener on a live socket: %v, want an in-use error", err)
	}
	plain := filepath.Join(dir, "plain")
	if err := os.WriteFile(plain, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Listen("file", withDefaults(Options{Protocol: "unix", Address: plain}), r.newHandler, nil, nil); err == nil ||
		!strings.Contains(err.Error(), "not a socket") {
		t.Errorf("listener on a regular file: %v, want a not-a-socket error", err)
	}
}

// TestActivated: listeners take sockets systemd passed, by
// FileDescriptorName or index, whatever their protocol; a name that was
// not passed is an error that lists what was.
func TestActivated(t *testing.T) {
	dir := t.TempDir()
	gram, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: filepath.Join(dir, "journal"), Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gf, err := gram.File()
	if err != nil {
		t.Fatal(err)
	}
	tf, err := tcp.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	_, _ = gram.Close(), tcp.Close() // the dups in gf and tf keep the sockets
	passed := NewActivated([]*os.File{os.NewFile(gf.Fd(), "syslog.socket"), os.NewFile(tf.Fd(), "tcp")})

	r := newRecorder()
	for _, o := range []Options{
		{Protocol: "unixgram", Address: "systemd:syslog.socket"},
		{Protocol: "tcp", Address: "systemd:1"},
	} {
		l, err := Listen(o.Address, withDefaults(o), r.newHandler, nil, nil, WithActivated(passed))
		if err != nil {
			t.Fatalf("%s: %v", o.Address, err)
		}
		t.Cleanup(func() { _ = l.Close(context.Background()) })
		c, err := net.Dial(l.Addr().Network(), l.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Write([]byte("<13>via " + o.Address + "\n")); err != nil {
			t.Fatal(err)
		}
		_ = c.Close()
		r.expect(t, "<13>via "+o.Address)
	}
	_, err = Listen("x", withDefaults(Options{Protocol: "tcp", Address: "systemd:nope"}), r.newHandler, nil, nil, WithActivated(passed))
	if err == nil || !strings.Contains(err.Error(), "syslog.socket, tcp") {
		t.Errorf("unknown name: %v, want an error listing the passed names", err)
	}
	_, err = Listen("y", withDefaults(Options{Protocol: "unixgram", Address: "systemd:tcp"}), r.newHandler, nil, nil, WithActivated(passed))
	if err == nil {
		t.Error("a passed tcp socket served as unixgram")
	}
}
