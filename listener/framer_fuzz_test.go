package listener

import (
	"bytes"
	"io"
	"slices"
	"testing"
	"testing/iotest"
)

// FuzzFramer checks that delivering a stream in two pieces (as the network
// may: data[:half] then data[half:]) or byte by byte yields the same frames
// as delivering it whole, and that the Framer never panics, never returns a
// frame over the limit and never grows its buffer (collect checks those).
func FuzzFramer(f *testing.F) {
	for _, data := range corpus(f) {
		f.Add(data, uint16(len(data)/2), uint8(0), uint8(32))
	}
	f.Add([]byte("5 hello12345678901 x\n3 abc"), uint16(9), uint8(1), uint8(8))
	f.Add([]byte("aaaaaaaaaaaaaaaaaaaa\r\nb\x00\x00c"), uint16(17), uint8(2), uint8(8))
	f.Fuzz(func(t *testing.T, data []byte, split uint16, mode, maxSel uint8) {
		maxBytes := 1 + int(maxSel)%64
		fm := Framing(mode % 3)
		half := int(split) % (len(data) + 1)

		whole := sizeless(collect(t, NewFramer(bytes.NewReader(data), fm, maxBytes)))
		splitR := io.MultiReader(bytes.NewReader(data[:half]), bytes.NewReader(data[half:]))
		if got := sizeless(collect(t, NewFramer(splitR, fm, maxBytes))); !slices.Equal(got, whole) {
			t.Fatalf("split at %d:\n got %q\nwant %q", half, got, whole)
		}
		oneByte := iotest.OneByteReader(bytes.NewReader(data))
		if got := sizeless(collect(t, NewFramer(oneByte, fm, maxBytes))); !slices.Equal(got, whole) {
			t.Fatalf("byte by byte:\n got %q\nwant %q", got, whole)
		}
		n := 0
		for _, e := range whole {
			n += len(e) - 2
		}
		if n > len(data) {
			t.Fatalf("frames hold %d bytes, input %d", n, len(data))
		}
	})
}
