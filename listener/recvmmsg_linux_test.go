package listener

import (
	"net"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// sockaddr4 and sockaddr6 build what the kernel writes for a sender, the
// port in network byte order.
func sockaddr4(addr [4]byte, port uint16) unix.RawSockaddrAny {
	var sa unix.RawSockaddrAny
	in := (*unix.RawSockaddrInet4)(unsafe.Pointer(&sa))
	in.Family, in.Addr = unix.AF_INET, addr
	p := (*[2]byte)(unsafe.Pointer(&in.Port))
	p[0], p[1] = byte(port>>8), byte(port)
	return sa
}

func sockaddr6(addr [16]byte, port uint16, scope uint32) unix.RawSockaddrAny {
	var sa unix.RawSockaddrAny
	in6 := (*unix.RawSockaddrInet6)(unsafe.Pointer(&sa))
	in6.Family, in6.Addr, in6.Scope_id = unix.AF_INET6, addr, scope
	p := (*[2]byte)(unsafe.Pointer(&in6.Port))
	p[0], p[1] = byte(port>>8), byte(port)
	return sa
}

func TestBatchReaderSource(t *testing.T) {
	lo, err := net.InterfaceByIndex(1)
	loName := "1"
	if err == nil {
		loName = lo.Name
	}
	unix4 := sockaddr4([4]byte{192, 0, 2, 1}, 514)
	unix4.Addr.Family = unix.AF_UNIX
	a6 := func(s string) [16]byte { return netip.MustParseAddr(s).As16() }
	for _, tc := range []struct {
		name    string
		sa      unix.RawSockaddrAny
		namelen uint32
		want    string // "" for the zero AddrPort
	}{
		{"ipv4", sockaddr4([4]byte{192, 0, 2, 1}, 514), unix.SizeofSockaddrInet4, "192.0.2.1:514"},
		{"ipv4 high port", sockaddr4([4]byte{127, 0, 0, 1}, 65534), unix.SizeofSockaddrInet4, "127.0.0.1:65534"},
		{"ipv6", sockaddr6(a6("2001:db8::1"), 6514, 0), unix.SizeofSockaddrInet6, "[2001:db8::1]:6514"},
		{"ipv4-mapped", sockaddr6(a6("::ffff:192.0.2.7"), 1234, 0), unix.SizeofSockaddrInet6, "192.0.2.7:1234"},
		{"link-local", sockaddr6(a6("fe80::1"), 514, 1), unix.SizeofSockaddrInet6, "[fe80::1%" + loName + "]:514"},
		{"no interface", sockaddr6(a6("fe80::1"), 514, 1<<30), unix.SizeofSockaddrInet6, "[fe80::1%" + strconv.Itoa(1<<30) + "]:514"},
		{"other family", unix4, unix.SizeofSockaddrInet4, ""},
		{"short", sockaddr6(a6("2001:db8::1"), 514, 0), unix.SizeofSockaddrInet6 - 1, ""},
		{"none", unix.RawSockaddrAny{}, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b batchReader
			got := b.source(&tc.sa, tc.namelen)
			var want netip.AddrPort
			if tc.want != "" {
				want = netip.MustParseAddrPort(tc.want)
			}
			if got != want {
				t.Errorf("source = %v, want %v", got, want)
			}
			if allocs := testing.AllocsPerRun(100, func() { got = b.source(&tc.sa, tc.namelen) }); allocs != 0 {
				t.Errorf("source allocates %v times", allocs)
			}
		})
	}
}

// TestBatchReaderRxqOverflow reads an overflowed socket with batchReader
// itself: the datagrams queued after the drops carry the kernel's drop
// count in their control messages, as rxqOverflow reads it, and the last
// one's count is the socket's (SO_MEMINFO).
func TestBatchReaderRxqOverflow(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	uc := pc.(*net.UDPConn)
	defer uc.Close()
	_ = uc.SetReadBuffer(4096) // the kernel's minimum: overflows at once
	if err := enableDropCounter(uc); err != nil {
		t.Fatal(err)
	}
	b, err := newBatchReader(uc)
	if err != nil {
		t.Fatal(err)
	}
	b.setSize(2048)
	c, err := net.Dial("udp", uc.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	payload := []byte(strings.Repeat("x", 1024))
	for range 200 {
		_, _ = c.Write(payload)
	}
	_ = uc.SetReadDeadline(time.Now().Add(waitFor))
	var (
		last     uint32
		counted  bool
		datagram int
		marker   bool
	)
	read := func() {
		t.Helper()
		got, err := b.read()
		if err != nil {
			t.Fatalf("read after %d datagrams: %v", datagram, err)
		}
		for _, s := range got {
			datagram++
			if s.n > len(s.buf) || s.trunc {
				t.Fatalf("datagram %d: %d bytes, truncated %v", datagram, s.n, s.trunc)
			}
			if cur, ok := rxqOverflow(s.oob); ok {
				last, counted = cur, true
			}
			marker = marker || string(s.buf[:s.n]) == "marker"
		}
	}
	read() // room for the marker, which is queued after the drops
	if _, err := c.Write([]byte("marker")); err != nil {
		t.Fatal(err)
	}
	for !marker {
		read()
	}
	if !counted || last == 0 {
		t.Fatalf("no SO_RXQ_OVFL count in %d datagrams read of 201 sent", datagram)
	}
	if drops, ok := socketDrops(uc); !ok || drops != last {
		t.Errorf("SO_RXQ_OVFL count %d, SO_MEMINFO drops %d (%v)", last, drops, ok)
	}
	if uint32(datagram)+last != 201 {
		t.Errorf("read %d + dropped %d, want 201 sent", datagram, last)
	}
}
