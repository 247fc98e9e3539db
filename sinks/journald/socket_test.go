package journald

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"syslogd/message"
	"syslogd/sinks"
)

// fakeJournal is a datagram socket standing in for journald, so the wire
// format, the memfd hand-over and the error paths are tested without root.
type fakeJournal struct {
	t    *testing.T
	path string
	conn *net.UnixConn
}

func newFakeJournal(t *testing.T) *fakeJournal {
	t.Helper()
	path := filepath.Join(t.TempDir(), "socket")
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &fakeJournal{t: t, path: path, conn: c}
}

// next receives one datagram and returns the entry it carries: the payload,
// or the content of the memfd passed with it, whose seals are checked.
func (j *fakeJournal) next() (entry []byte, viaMemfd bool) {
	j.t.Helper()
	buf, oob := make([]byte, 1<<20), make([]byte, unix.CmsgSpace(4))
	_ = j.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, oobn, _, _, err := j.conn.ReadMsgUnix(buf, oob)
	if err != nil {
		j.t.Fatal(err)
	}
	if oobn == 0 {
		return buf[:n], false
	}
	if n != 0 {
		j.t.Fatalf("datagram has a payload of %d bytes and a file descriptor", n)
	}
	cmsgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(cmsgs) != 1 {
		j.t.Fatalf("control messages %v, %v", cmsgs, err)
	}
	fds, err := unix.ParseUnixRights(&cmsgs[0])
	if err != nil || len(fds) != 1 {
		j.t.Fatalf("rights %v, %v", fds, err)
	}
	defer unix.Close(fds[0])
	seals, err := unix.FcntlInt(uintptr(fds[0]), unix.F_GET_SEALS, 0)
	want := unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE | unix.F_SEAL_SEAL
	if err != nil || seals&want != want {
		j.t.Fatalf("memfd seals %#x, %v; want %#x", seals, err, want)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fds[0], &st); err != nil {
		j.t.Fatal(err)
	}
	entry = make([]byte, st.Size)
	if _, err := unix.Pread(fds[0], entry, 0); err != nil {
		j.t.Fatal(err)
	}
	return entry, true
}

func connected(t *testing.T, path string) *Sink {
	t.Helper()
	s, err := New(Options{Socket: path}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(context.Background()) })
	return s
}

func TestWireFormat(t *testing.T) {
	j := newFakeJournal(t)
	s := connected(t, j.path)
	big := strings.Repeat("0123456789abcde\n", 1<<16) // 1 MiB, beyond any default send buffer
	batch := []*message.Message{fullMessage("one"), fullMessage(big), fullMessage("three")}
	if err := s.Write(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	for i, m := range batch {
		entry, viaMemfd := j.next()
		if viaMemfd != (i == 1) {
			t.Errorf("entry %d: via memfd = %v", i, viaMemfd)
		}
		got, err := decodeEntry(entry)
		if err != nil {
			t.Fatalf("entry %d: %v", i, err)
		}
		if want := fullFields(m.Text); !slices.Equal(got, want) {
			t.Errorf("entry %d differs from the encoding of its message", i)
		}
	}
	if s.memfdSends != 1 {
		t.Errorf("memfd sends = %d, want 1", s.memfdSends)
	}
}

func TestConnectErrors(t *testing.T) {
	stale := newFakeJournal(t)
	stale.conn.Close() // the file stays, as journald's does when it stops
	for _, tc := range []struct {
		name, path string
		errno      error
	}{
		{"no socket file", filepath.Join(t.TempDir(), "missing"), unix.ENOENT},
		{"nobody listening", stale.path, unix.ECONNREFUSED},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := New(Options{Socket: tc.path}, nil)
			err := s.Connect(context.Background())
			if !errors.Is(err, sinks.ErrNotConnected) || !errors.Is(err, tc.errno) {
				t.Errorf("Connect = %v, want ErrNotConnected and %v", err, tc.errno)
			}
			if err := s.Write(context.Background(), []*message.Message{fullMessage("x")}); !errors.Is(err, sinks.ErrNotConnected) {
				t.Errorf("Write before Connect = %v, want ErrNotConnected", err)
			}
		})
	}
}

// TestPeerGone: when journald has gone away, Write reports ErrNotConnected,
// and a Connect to the journald that replaced it makes Write work again.
func TestPeerGone(t *testing.T) {
	j := newFakeJournal(t)
	s := connected(t, j.path)
	batch := []*message.Message{fullMessage("a"), fullMessage("b")}
	if err := s.Write(context.Background(), batch[:1]); err != nil {
		t.Fatal(err)
	}
	j.next()
	j.conn.Close()
	err := s.Write(context.Background(), batch)
	if !errors.Is(err, sinks.ErrNotConnected) || !errors.Is(err, unix.ECONNREFUSED) {
		t.Fatalf("Write after the peer closed = %v, want ErrNotConnected (ECONNREFUSED)", err)
	}
	if _, partial := errors.AsType[*sinks.BatchError](err); partial {
		t.Errorf("nothing was sent, yet Write reports a partial batch: %v", err)
	}
	j2 := newFakeJournal(t)
	s.path = j2.path
	if err := s.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.Write(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"a", "b"} {
		entry, _ := j2.next()
		if got, _ := decodeEntry(entry); got[0] != (field{"MESSAGE", want}) {
			t.Errorf("got %v, want %s", got[0], want)
		}
	}
}

// TestWriteHonoursCancel: a journald that stops reading makes Write block
// (its socket queue is full); cancelling ctx must end the Write.
func TestWriteHonoursCancel(t *testing.T) {
	j := newFakeJournal(t)
	s := connected(t, j.path)
	batch := make([]*message.Message, 10000) // far beyond net.unix.max_dgram_qlen
	for i := range batch {
		batch[i] = fullMessage("fill")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Write(ctx, batch) }()
	time.AfterFunc(100*time.Millisecond, cancel)
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Write = %v, want context.Canceled", err)
		}
		// The entries journald got are exactly those not reported failed.
		be, ok := errors.AsType[*sinks.BatchError](err)
		if !ok || len(be.Failed) == 0 || be.Failed[len(be.Failed)-1] != len(batch)-1 {
			t.Fatalf("Write = %v, want a BatchError naming the tail of the batch", err)
		}
		sent := 0
		for _ = j.conn.SetReadDeadline(time.Now().Add(200 * time.Millisecond)); ; sent++ {
			if _, _, _, _, err := j.conn.ReadMsgUnix(make([]byte, 1<<16), make([]byte, 64)); err != nil {
				break
			}
		}
		if sent != be.Failed[0] || len(be.Failed) != len(batch)-sent {
			t.Errorf("journald got %d entries, Write reports %d of %d failed from %d", sent, len(be.Failed), len(batch), be.Failed[0])
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Write did not return after cancel")
	}
	if s.conn != nil {
		t.Error("socket with an expired deadline kept open")
	}
}
