package forward

import (
	"bytes"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"syslogd/message"
	"syslogd/sinks/format"
)

func TestAppendFrame(t *testing.T) {
	for _, tc := range []struct {
		f    Framing
		msg  string
		want string
	}{
		{FramingOctetCounting, "<14>1 - - - - - - hi", "20 <14>1 - - - - - - hi"},
		// The count is of bytes, not characters.
		{FramingOctetCounting, "<14>héllo wörld", "17 <14>héllo wörld"},
		{FramingOctetCounting, strings.Repeat("x", 1000), "1000 " + strings.Repeat("x", 1000)},
		{FramingNonTransparent, "<14>héllo", "<14>héllo\n"},
		// LF framing escapes nothing itself: what the message holds goes
		// out as it is (the line formats are what keep LF out of it).
		{FramingNonTransparent, `a\nb "c" \ d`, "a\\nb \"c\" \\ d\n"},
	} {
		got := appendFrame([]byte("prev|"), tc.f, []byte(tc.msg))
		if string(got) != "prev|"+tc.want {
			t.Errorf("%s %q:\n got %q\nwant %q", tc.f, tc.msg, got, "prev|"+tc.want)
		}
	}
}

// A message whose fields hold LF, CR and NUL still makes one
// non-transparent frame: the formats escape them, so the only LF is the
// trailer, and the octet count is the escaped message's byte length.
func TestFramesKeepLFOut(t *testing.T) {
	m := &message.Message{
		Received: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), Facility: 1, Severity: 6,
		Hostname: "h\nx", AppName: "a\rb", Text: "one\ntwo\x00three\n", Format: message.RFC5424,
		StructuredData: []message.SDElement{{ID: "x@1", Params: []message.SDParam{{Name: "k", Value: "v\nw"}}}},
	}
	for _, f := range []format.Format{format.RFC5424, format.RFC3164} {
		enc := format.Encoder{Format: f}
		msg := appendMessage(nil, &enc, m)
		if bytes.ContainsAny(msg, "\n\r\x00") {
			t.Errorf("%s: message holds a control byte: %q", f, msg)
		}
		lf := appendFrame(nil, FramingNonTransparent, msg)
		if bytes.Count(lf, []byte("\n")) != 1 || lf[len(lf)-1] != '\n' {
			t.Errorf("%s: LF frame %q", f, lf)
		}
		if !bytes.Contains(lf, []byte(`one\ntwo\x00three\n`)) {
			t.Errorf("%s: text not escaped as the format does: %q", f, lf)
		}
		oc := appendFrame(nil, FramingOctetCounting, msg)
		if head, rest, _ := bytes.Cut(oc, []byte(" ")); string(head) != strconv.Itoa(len(msg)) || !bytes.Equal(rest, msg) {
			t.Errorf("%s: octet-counted frame %q", f, oc)
		}
	}
}

// encode and settle: the messages whose frames were written whole count
// as written, the rest failed, and a message over max_message_bytes gets
// no frame and is dropped.
func TestEncodeAndSettle(t *testing.T) {
	s, err := New(Options{Address: "h:1", Format: format.RFC5424, MaxMessageBytes: 60, WriteTimeout: time.Second,
		ResendWindow: time.Second, ResendMaxBytes: 1 << 20}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	long := numbered(1)
	long.Text = strings.Repeat("x", 60)
	batch := []*message.Message{numbered(0), long, numbered(2), numbered(3)}
	s.encode(batch)
	if !slices.Equal(s.dropped, []int{1}) || s.ends[1] != -1 {
		t.Fatalf("dropped %v, ends %v", s.dropped, s.ends)
	}
	frameLen := s.ends[0]
	if s.ends[2] != 2*frameLen || s.ends[3] != 3*frameLen || len(s.buf) != 3*frameLen {
		t.Fatalf("ends %v for frames of %d bytes, %d buffered", s.ends, frameLen, len(s.buf))
	}
	for _, tc := range []struct {
		n            int
		failed, kept []int
	}{
		{0, []int{0, 2, 3}, nil},
		{frameLen - 1, []int{0, 2, 3}, nil},
		{frameLen, []int{2, 3}, []int{frameLen}},
		{2*frameLen + 5, []int{3}, []int{frameLen, 2 * frameLen}},
		{3 * frameLen, nil, []int{frameLen, 2 * frameLen, 3 * frameLen}},
	} {
		s.settle(tc.n)
		if !slices.Equal(s.failed, tc.failed) || !slices.Equal(s.kept, tc.kept) {
			t.Errorf("settle(%d): failed %v kept %v, want %v %v", tc.n, s.failed, s.kept, tc.failed, tc.kept)
		}
	}
}

func TestWindow(t *testing.T) {
	t0 := time.Unix(1000, 0)
	w := window{keep: 2 * time.Second, maxBytes: 100}
	chunk := func(frames ...string) ([]byte, []int) {
		var b []byte
		var ends []int
		for _, f := range frames {
			b = append(b, f...)
			ends = append(ends, len(b))
		}
		return b, ends
	}
	kept := func() string {
		var out []byte
		for _, b := range w.buffers() {
			out = append(out, b...)
		}
		return string(out)
	}
	b, ends := chunk("a1", "a2")
	w.add(t0, b, ends)
	b, ends = chunk("b1")
	w.add(t0.Add(time.Second), b, ends)
	if kept() != "a1a2b1" || w.frames != 3 || w.bytes != 6 {
		t.Fatalf("kept %q, %d frames, %d bytes", kept(), w.frames, w.bytes)
	}
	// Only what was written before the cutoff goes.
	w.prune(t0.Add(500 * time.Millisecond))
	if kept() != "b1" || w.frames != 1 {
		t.Fatalf("after prune: %q, %d frames", kept(), w.frames)
	}
	// Re-sent: it all belongs to the new connection's last moments.
	w.touch(t0.Add(10 * time.Second))
	w.prune(t0.Add(9 * time.Second))
	if kept() != "b1" {
		t.Fatalf("touched chunk pruned: %q", kept())
	}
	// The byte bound evicts the oldest, and cuts a batch larger than it
	// at a frame boundary.
	big := strings.Repeat("x", 40)
	b, ends = chunk(big, big, big)
	w.add(t0.Add(11*time.Second), b, ends)
	if kept() != "b1"+big+big || w.frames != 3 || w.bytes != 82 {
		t.Fatalf("byte bound: kept %d bytes (%d frames, %d counted)", len(kept()), w.frames, w.bytes)
	}
	b, ends = chunk(strings.Repeat("y", 30))
	w.add(t0.Add(12*time.Second), b, ends)
	// Eviction is by whole batches, oldest first.
	if kept() != strings.Repeat("y", 30) || w.frames != 1 || w.bytes != 30 {
		t.Fatalf("eviction: kept %q", kept())
	}
	// A frame larger than the bound is not kept at all.
	b, ends = chunk(strings.Repeat("z", 101))
	if got := w.add(t0.Add(13*time.Second), b, ends); &got[0] != &b[0] {
		t.Error("a batch kept nothing of must be handed back for reuse")
	}
	// keep 0 keeps nothing.
	off := window{maxBytes: 100}
	b, ends = chunk("a")
	off.add(t0, b, ends)
	if off.frames != 0 || len(off.buffers()) != 0 {
		t.Error("resend_window 0 kept frames")
	}
}

// BenchmarkEncode formats a batch of 512 messages into frames, what every
// stream Write does before its one write call.
func BenchmarkEncode(b *testing.B) {
	o := DefaultOptions()
	o.Address = "h:1"
	s, err := New(o, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	batch := numberedRange(0, 512)
	b.ReportAllocs()
	for b.Loop() {
		s.encode(batch)
	}
	b.SetBytes(int64(len(s.buf)))
}
