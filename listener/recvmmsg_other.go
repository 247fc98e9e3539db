//go:build !linux

package listener

import (
	"net"
	"net/netip"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// batchReader reads datagrams with ReadBatch of golang.org/x/net's
// ipv4.PacketConn or ipv6.PacketConn (one datagram per call outside Linux).
// It allocates for each datagram's address; Linux, syslogd's target, has a
// reader that does not (recvmmsg_linux.go).
type batchReader struct {
	pc interface {
		ReadBatch([]ipv4.Message, int) (int, error)
	}
	msgs []ipv4.Message
	got  []slot
}

func newBatchReader(c *net.UDPConn) (*batchReader, error) {
	b := &batchReader{
		pc:   ipv6.NewPacketConn(c),
		msgs: make([]ipv4.Message, udpBatch),
		got:  make([]slot, udpBatch),
	}
	if la, ok := c.LocalAddr().(*net.UDPAddr); ok && la.IP.To4() != nil {
		b.pc = ipv4.NewPacketConn(c)
	}
	oob := make([]byte, udpBatch*oobSize)
	for i := range b.msgs {
		b.msgs[i].OOB = oob[i*oobSize : (i+1)*oobSize : (i+1)*oobSize]
	}
	return b, nil
}

// setSize gives every slot a new buffer of size bytes (size > 0).
func (b *batchReader) setSize(size int) {
	buf := make([]byte, udpBatch*size)
	for i := range b.msgs {
		b.msgs[i].Buffers = [][]byte{buf[i*size : (i+1)*size : (i+1)*size]}
	}
}

// read waits for datagrams and returns those of one ReadBatch call. The
// slots are valid until the next read.
func (b *batchReader) read() ([]slot, error) {
	n, err := b.pc.ReadBatch(b.msgs, recvFlags)
	if err != nil {
		return nil, err
	}
	got := b.got[:n]
	for i := range got {
		m := &b.msgs[i]
		var src netip.AddrPort
		if ua, ok := m.Addr.(*net.UDPAddr); ok {
			src = unmapped(ua.AddrPort())
		}
		got[i] = slot{buf: m.Buffers[0], n: m.N, trunc: m.Flags&msgTrunc != 0, oob: m.OOB[:m.NN], src: src}
	}
	return got, nil
}
