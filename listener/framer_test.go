package listener

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// collect drains fr and renders what it produced: "F:<frame>" for a frame,
// "O:<size>" for an oversize frame, "M" for a malformed header. It fails the
// test if the Framer breaks an invariant: a frame empty or over the limit,
// an oversize report not over it, the buffer growing past the limit's size
// or shrinking, no progress, or an end other than io.EOF.
func collect(t testing.TB, fr *Framer) []string {
	t.Helper()
	bufSize := fr.BufferSize()
	var out []string
	for range 1 << 24 {
		frame, err := fr.Next()
		if n := fr.BufferSize(); n < bufSize || n > fr.max+headerRoom {
			t.Fatalf("buffer of %d bytes, was %d, limit %d+%d", n, bufSize, fr.max, headerRoom)
		}
		bufSize = fr.BufferSize()
		var tl *TooLargeError
		switch {
		case err == nil:
			if len(frame) == 0 || len(frame) > fr.max {
				t.Fatalf("frame of %d bytes, limit %d", len(frame), fr.max)
			}
			out = append(out, "F:"+string(frame))
		case errors.As(err, &tl):
			if tl.Size <= fr.max {
				t.Fatalf("oversize report of %d bytes, limit %d", tl.Size, fr.max)
			}
			out = append(out, "O:"+strconv.Itoa(tl.Size))
		case errors.Is(err, ErrMalformedHeader):
			out = append(out, "M")
		case errors.Is(err, io.EOF):
			if frame != nil {
				t.Fatalf("frame %q returned with EOF", frame)
			}
			return out
		default:
			t.Fatalf("unexpected error %v", err)
		}
	}
	t.Fatal("framer made no progress")
	return nil
}

// sizeless replaces oversize sizes with "O:*": a non-transparent frame's
// known size depends on how much was read when the limit was hit.
func sizeless(events []string) []string {
	out := make([]string, len(events))
	for i, e := range events {
		if strings.HasPrefix(e, "O:") {
			e = "O:*"
		}
		out[i] = e
	}
	return out
}

func TestFramerTable(t *testing.T) {
	x := func(n int, c string) string { return strings.Repeat(c, n) }
	tests := []struct {
		name  string
		mode  Framing
		max   int
		input string
		want  []string // "O:*" matches any oversize size
	}{
		{"lf", FramingAuto, 32, "a\nb\n", []string{"F:a", "F:b"}},
		{"nul", FramingAuto, 32, "a\x00b\x00", []string{"F:a", "F:b"}},
		{"crlf", FramingAuto, 32, "a\r\nb\r\n", []string{"F:a", "F:b"}},
		{"cr inside kept", FramingAuto, 32, "a\rb\n", []string{"F:a\rb"}},
		{"nul before lf", FramingAuto, 32, "a\x00b\n", []string{"F:a", "F:b"}},
		{"blank frames skipped", FramingAuto, 32, "\n\n\r\n\x00\x00a\n\r\n", []string{"F:a"}},
		{"mixed per frame", FramingAuto, 32,
			"5 hello<13>x\n3 abc\x00d\r\n10 <13>octet2tail",
			[]string{"F:hello", "F:<13>x", "F:abc", "F:d", "F:<13>octet2", "F:tail"}},
		{"octet frame keeps delimiters", FramingAuto, 32, "7 a\nb\x00c\r\nz\n", []string{"F:a\nb\x00c\r\n", "F:z"}},
		{"trailing unterminated", FramingAuto, 32, "a\nb", []string{"F:a", "F:b"}},
		{"trailing cr stripped", FramingAuto, 32, "a\r", []string{"F:a"}},
		{"short octet at eof", FramingAuto, 32, "10 abc", []string{"F:abc"}},
		{"header only at eof", FramingAuto, 32, "5 ", nil},
		{"digits only at eof", FramingAuto, 32, "123", []string{"F:123"}},
		{"eleven digits", FramingAuto, 32, "12345678901 x\nok\n", []string{"F:12345678901 x", "F:ok"}},
		{"digits then dash", FramingAuto, 32, "2024-01-01 m\n", []string{"F:2024-01-01 m"}},
		{"leading zero", FramingAuto, 32, "05 hello\n", []string{"F:05 hello"}},
		{"ten digit length", FramingAuto, 32, "1234567890 xyz", []string{"O:1234567890"}},
		{"octet exactly max", FramingAuto, 32, "32 " + x(32, "a") + "1 b", []string{"F:" + x(32, "a"), "F:b"}},
		{"octet oversize skipped exactly", FramingAuto, 32, "40 " + x(40, "\n") + "3 abc",
			[]string{"O:40", "F:abc"}},
		{"octet oversize truncated at eof", FramingAuto, 32, "40 abc", []string{"O:40"}},
		{"lf exactly max", FramingAuto, 32, x(32, "a") + "\nb\n", []string{"F:" + x(32, "a"), "F:b"}},
		{"crlf exactly max", FramingAuto, 32, x(32, "a") + "\r\nb\n", []string{"F:" + x(32, "a"), "F:b"}},
		{"lf max plus one", FramingAuto, 32, x(33, "a") + "\nb\n", []string{"O:33", "F:b"}},
		{"unterminated max plus one", FramingAuto, 32, x(33, "a"), []string{"O:33"}},
		{"long line resyncs", FramingAuto, 32, x(100, "a") + "\nok\n", []string{"O:*", "F:ok"}},
		{"long line resyncs at nul", FramingAuto, 32, x(100, "a") + "\x00ok\n", []string{"O:*", "F:ok"}},
		{"long digits resync", FramingAuto, 32, x(100, "7") + "\nok\n", []string{"O:*", "F:ok"}},

		{"strict octet", FramingOctetCounting, 32, "5 hello5 world", []string{"F:hello", "F:world"}},
		{"strict octet trailers", FramingOctetCounting, 32, "\n5 hello\r\n\x005 world\n",
			[]string{"F:hello", "F:world"}},
		{"strict octet malformed resyncs at lf", FramingOctetCounting, 32, "<13>bad\n5 hello",
			[]string{"M", "F:hello"}},
		{"strict octet eleven digits", FramingOctetCounting, 32, "5 hello12345678901 x\n3 abc",
			[]string{"F:hello", "M", "F:abc"}},
		{"strict octet partial header at eof", FramingOctetCounting, 32, "5 hello12", []string{"F:hello", "M"}},
		{"strict octet oversize", FramingOctetCounting, 32, "33 " + x(33, "z") + "2 ok",
			[]string{"O:33", "F:ok"}},

		{"strict lf ignores lengths", FramingNonTransparent, 32, "5 hello\n", []string{"F:5 hello"}},
		{"strict lf oversize", FramingNonTransparent, 32, "40 " + x(40, "a") + "\nok", []string{"O:*", "F:ok"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := collect(t, NewFramer(strings.NewReader(tc.input), tc.mode, tc.max))
			if len(got) != len(tc.want) {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
			for i := range got {
				if tc.want[i] == "O:*" && strings.HasPrefix(got[i], "O:") {
					continue
				}
				if got[i] != tc.want[i] {
					t.Fatalf("got %q, want %q", got, tc.want)
				}
			}
		})
	}
}

// TestFramerReadError checks that a read error other than EOF (the
// deadline Close sets, a reset) still yields the buffered frames, the
// unterminated one included, and is then returned.
func TestFramerReadError(t *testing.T) {
	boom := errors.New("boom")
	r := io.MultiReader(strings.NewReader("a\nb"), iotestErrReader{boom})
	fr := NewFramer(r, FramingAuto, 32)
	for _, want := range []string{"a", "b"} {
		frame, err := fr.Next()
		if err != nil || string(frame) != want {
			t.Fatalf("Next = %q, %v; want %q", frame, err, want)
		}
	}
	for range 2 { // sticky
		if _, err := fr.Next(); !errors.Is(err, boom) {
			t.Fatalf("Next error = %v, want %v", err, boom)
		}
	}
}

type iotestErrReader struct{ err error }

func (r iotestErrReader) Read([]byte) (int, error) { return 0, r.err }

func TestFramerNoProgress(t *testing.T) {
	fr := NewFramer(zeroReader{}, FramingAuto, 32)
	if _, err := fr.Next(); !errors.Is(err, io.ErrNoProgress) {
		t.Fatalf("Next error = %v, want io.ErrNoProgress", err)
	}
}

type zeroReader struct{}

func (zeroReader) Read([]byte) (int, error) { return 0, nil }

func TestFramerReset(t *testing.T) {
	fr := NewFramer(strings.NewReader("40 abc"), FramingAuto, 32)
	if _, err := fr.Next(); err == nil {
		t.Fatal("want oversize")
	}
	fr.Reset(bytes.NewReader([]byte("ok\n")))
	if got := collect(t, fr); len(got) != 1 || got[0] != "F:ok" {
		t.Fatalf("after Reset got %q, want [F:ok]", got)
	}
}

func TestFramingText(t *testing.T) {
	for _, f := range []Framing{FramingAuto, FramingOctetCounting, FramingNonTransparent} {
		var got Framing = 99
		if err := got.UnmarshalText([]byte(f.String())); err != nil || got != f {
			t.Errorf("UnmarshalText(%q) = %v, %v", f.String(), got, err)
		}
	}
	var f Framing
	err := f.UnmarshalText([]byte("lf"))
	if want := `invalid value "lf" (want auto, octet_counting, non_transparent)`; err == nil || err.Error() != want {
		t.Errorf("UnmarshalText(lf) = %v, want %s", err, want)
	}
}

// TestFramerBufferGrowsWithFrames: with a 1 MiB limit a Framer starts with
// a few KiB, grows only as far as a frame needs, delivers the frame whole,
// and a pooled Framer does not keep a large buffer across Reset.
func TestFramerBufferGrowsWithFrames(t *testing.T) {
	big := strings.Repeat("y", 100<<10)
	fr := NewFramer(strings.NewReader("<13>short\n"+"<13>"+big+"\n"+"102404 <13>"+big+"\n"), FramingAuto, 1<<20)
	if n := fr.BufferSize(); n != initialBuffer {
		t.Fatalf("initial buffer %d, want %d", n, initialBuffer)
	}
	want := []string{"F:<13>short", "F:<13>" + big, "F:<13>" + big}
	if got := collect(t, fr); !slices.Equal(got, want) {
		t.Fatalf("frames differ (%d, want %d)", len(got), len(want))
	}
	if n := fr.BufferSize(); n < 100<<10 || n > 256<<10 {
		t.Errorf("buffer %d after a 100 KiB frame, want about 128 KiB", n)
	}
	fr.Reset(strings.NewReader(""))
	if n := fr.BufferSize(); n != initialBuffer {
		t.Errorf("buffer %d after Reset, want %d again", n, initialBuffer)
	}
}
