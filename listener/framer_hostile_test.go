package listener

import (
	"io"
	"runtime"
	"slices"
	"strconv"
	"testing"
)

// genReader produces n copies of one byte and then tail, without holding
// the stream in memory.
type genReader struct {
	n    int64
	b    byte
	tail []byte
}

func (r *genReader) Read(p []byte) (int, error) {
	if r.n > 0 {
		k := int(min(int64(len(p)), r.n))
		for i := range p[:k] {
			p[i] = r.b
		}
		r.n -= int64(k)
		return k, nil
	}
	if len(r.tail) == 0 {
		return 0, io.EOF
	}
	k := copy(p, r.tail)
	r.tail = r.tail[k:]
	return k, nil
}

// TestFramerHostile feeds 64 MiB runs that a naive framer would buffer and
// checks that memory stays flat, the run is reported at most once, and the
// valid frame after it is delivered.
func TestFramerHostile(t *testing.T) {
	const run = 64 << 20
	tests := []struct {
		name   string
		mode   Framing
		b      byte
		prefix string
		tail   string
		want   []string
	}{
		{"digits auto", FramingAuto, '7', "", "\n<13>ok\n", []string{"O:*", "F:<13>ok"}},
		{"digits octet", FramingOctetCounting, '7', "", "\n6 <13>ok", []string{"M", "F:<13>ok"}},
		{"digits non-transparent", FramingNonTransparent, '7', "", "\n<13>ok\n", []string{"O:*", "F:<13>ok"}},
		{"no lf auto", FramingAuto, 'x', "", "\n<13>ok\n", []string{"O:*", "F:<13>ok"}},
		{"no lf non-transparent", FramingNonTransparent, 'x', "", "\r\n<13>ok", []string{"O:*", "F:<13>ok"}},
		{"nuls auto", FramingAuto, 0, "", "<13>ok\n", []string{"F:<13>ok"}},
		{"nuls octet", FramingOctetCounting, 0, "", "6 <13>ok", []string{"F:<13>ok"}},
		{"lfs non-transparent", FramingNonTransparent, '\n', "", "<13>ok", []string{"F:<13>ok"}},
		{"octet 64 MiB frame", FramingAuto, '\n', strconv.Itoa(run) + " ", "6 <13>ok", []string{"O:" + strconv.Itoa(run), "F:<13>ok"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// The prefix (an octet header) comes first, then the run.
			r := io.MultiReader(
				&genReader{tail: []byte(tc.prefix)},
				&genReader{n: run, b: tc.b, tail: []byte(tc.tail)},
			)
			fr := NewFramer(r, tc.mode, 65536)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			got := collect(t, fr)
			runtime.ReadMemStats(&after)
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
				t.Errorf("allocated %d bytes while framing a %d-byte run", grew, run)
			}
			if !slices.Equal(sizeless(got), sizeless(tc.want)) && !slices.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
