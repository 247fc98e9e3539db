package listener

import (
	"bytes"
	"io"
	"strconv"
	"testing"
)

func benchFramer(b *testing.B, stream []byte) {
	r := bytes.NewReader(stream)
	fr := NewFramer(r, FramingAuto, 65536)
	b.SetBytes(int64(len(stream)))
	b.ReportAllocs()
	for b.Loop() {
		r.Reset(stream)
		fr.Reset(r)
		for {
			if _, err := fr.Next(); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkFramerOctetCounting(b *testing.B) {
	var s []byte
	for range 1000 {
		s = strconv.AppendInt(s, int64(len(msg5424)), 10)
		s = append(s, ' ')
		s = append(s, msg5424...)
	}
	benchFramer(b, s)
}

func BenchmarkFramerLF(b *testing.B) {
	benchFramer(b, bytes.Repeat([]byte(msg5424+"\n"), 1000))
}

// BenchmarkFramerNUL guards against rescanning the buffer for LF on every
// NUL-terminated frame (quadratic before indexDelim searched in windows).
func BenchmarkFramerNUL(b *testing.B) {
	benchFramer(b, bytes.Repeat([]byte(msg5424+"\x00"), 1000))
}
