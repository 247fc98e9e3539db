package listener

import (
	"bytes"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"testing/iotest"
)

// corpus returns the streams in testdata/streams, which also seed FuzzFramer.
func corpus(t testing.TB) map[string][]byte {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "streams", "*"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no corpus streams: %v", err)
	}
	out := make(map[string][]byte, len(paths))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(p)] = b
	}
	return out
}

// chunkReader returns the stream in pieces of random size (1..maxChunk).
type chunkReader struct {
	data     []byte
	rng      *rand.Rand
	maxChunk int
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := min(1+r.rng.IntN(r.maxChunk), len(p), len(r.data))
	copy(p, r.data[:n])
	r.data = r.data[n:]
	return n, nil
}

// TestFramerCorpusChunking checks that how a stream is cut by the network
// never changes the frames: whole, byte by byte and in random chunks.
func TestFramerCorpusChunking(t *testing.T) {
	for name, data := range corpus(t) {
		for _, mode := range []Framing{FramingAuto, FramingOctetCounting, FramingNonTransparent} {
			for _, maxBytes := range []int{8, 64, 65536} {
				whole := sizeless(collect(t, NewFramer(bytes.NewReader(data), mode, maxBytes)))
				if len(whole) == 0 && mode == FramingAuto && maxBytes == 65536 {
					t.Errorf("%s: no frames in auto mode", name)
				}
				readers := map[string]io.Reader{
					"onebyte": iotest.OneByteReader(bytes.NewReader(data)),
				}
				for seed := range uint64(5) {
					readers["chunks"+string(rune('0'+seed))] = &chunkReader{
						data: data, rng: rand.New(rand.NewPCG(seed, uint64(maxBytes))), maxChunk: 1 + int(seed)*7,
					}
				}
				for rname, r := range readers {
					got := sizeless(collect(t, NewFramer(r, mode, maxBytes)))
					if !slices.Equal(got, whole) {
						t.Errorf("%s %v max=%d %s:\n got %q\nwant %q", name, mode, maxBytes, rname, got, whole)
					}
				}
			}
		}
	}
}

// TestFramerCorpusFrames pins what auto mode makes of a few corpus streams.
func TestFramerCorpusFrames(t *testing.T) {
	c := corpus(t)
	tests := []struct {
		file string
		max  int
		want []string
	}{
		{"mixed.bin", 65536, []string{
			"F:" + msg5424, "F:" + msg3164, "F:<13>a", "F:<13>b", "F:<13>c", "F:" + msg3164, "F:<13>unterminated",
		}},
		{"oversize_octet.bin", 64, []string{"O:200", "F:<13>after oversize", "O:999999999"}},
		{"oversize_lf.txt", 64, []string{"O:*", "F:<13>after long line", "O:*", "F:<13>again", "O:*"}},
		{"short_octet_eof.bin", 64, []string{"F:<13>complete", "F:<13>only part of it"}},
		{"crlf.txt", 65536, []string{"F:" + msg3164, "F:" + msg5424, "F:<13>after blank"}},
	}
	for _, tc := range tests {
		got := sizeless(collect(t, NewFramer(bytes.NewReader(c[tc.file]), FramingAuto, tc.max)))
		if !slices.Equal(got, sizeless(tc.want)) {
			t.Errorf("%s:\n got %q\nwant %q", tc.file, got, tc.want)
		}
	}
}

const (
	msg5424 = `<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] An application event log entry...`
	msg3164 = `<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8`
)
