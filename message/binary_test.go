package message

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"net/netip"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // for Europe/Berlin, whatever the machine has
)

func mustTime(t testing.TB, layout, s string) time.Time {
	t.Helper()
	ts, err := time.Parse(layout, s)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

// bench5424 is a typical RFC 5424 message with two SD elements, as the
// parser makes it (Raw kept, the parser's default).
func bench5424(t testing.TB) Message {
	raw := `<165>1 2003-10-11T22:14:15.003000+02:00 mymachine.example.com evntslog 1234 ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"] An application event log entry...`
	return Message{
		Received:  mustTime(t, time.RFC3339Nano, "2003-10-11T20:14:15.123456789Z"),
		Timestamp: mustTime(t, time.RFC3339Nano, "2003-10-11T22:14:15.003+02:00"),
		Facility:  Local4,
		Severity:  Notice,
		Hostname:  "mymachine.example.com",
		AppName:   "evntslog",
		ProcID:    "1234",
		MsgID:     "ID47",
		StructuredData: []SDElement{
			{ID: "exampleSDID@32473", Params: []SDParam{{"iut", "3"}, {"eventSource", "Application"}, {"eventID", "1011"}}},
			{ID: "examplePriority@32473", Params: []SDParam{{"class", "high"}}},
		},
		Text:     "An application event log entry...",
		Raw:      []byte(raw),
		Format:   RFC5424,
		Source:   netip.MustParseAddrPort("192.0.2.10:51514"),
		Listener: "udp514",
	}
}

// bench3164 is a typical RFC 3164 message.
func bench3164(t testing.TB) Message {
	return Message{
		Received:  mustTime(t, time.RFC3339Nano, "2024-03-05T11:22:33.456789012Z"),
		Timestamp: time.Date(2024, time.March, 5, 12, 22, 33, 0, time.FixedZone("CET", 3600)),
		Facility:  Auth,
		Severity:  Crit,
		Hostname:  "mymachine",
		AppName:   "su",
		Text:      "'su root' failed for lonvick on /dev/pts/8",
		Raw:       []byte("<34>Mar  5 12:22:33 mymachine su: 'su root' failed for lonvick on /dev/pts/8"),
		Format:    RFC3164,
		Source:    netip.MustParseAddrPort("10.1.2.3:514"),
		Listener:  "udp514",
	}
}

func binaryCases(t testing.TB) []struct {
	name string
	m    Message
} {
	recv := mustTime(t, time.RFC3339Nano, "2024-06-01T08:09:10.000000001Z")
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("x", 300) // multi-byte length varints
	return []struct {
		name string
		m    Message
	}{
		{"zero", Message{}},
		{"rfc5424 sd +02:00", bench5424(t)},
		{"rfc3164", bench3164(t)},
		{"rfc3164 zero timestamp", Message{
			Received: recv, Facility: User, Severity: Info, Hostname: "host", AppName: "cron", ProcID: "77",
			Text: "job done", Format: RFC3164, Source: netip.MustParseAddrPort("127.0.0.1:40000"), Listener: "local",
		}},
		{"unparsed", Message{
			Received: recv, Facility: User, Severity: Notice,
			Text: "<999>garbage", Raw: []byte("<999>garbage\x00\xff"), Format: Unparsed,
			ParseError: "pri: value out of range", Source: netip.MustParseAddrPort("[2001:db8::1]:514"), Listener: "tcp",
		}},
		{"ipv6 zone", Message{
			Received: recv, Facility: Daemon, Severity: Debug, Hostname: "fe80-host", Text: "link local",
			Format: RFC3164, Source: netip.MustParseAddrPort("[fe80::1%eth0]:514"), Listener: "udp6",
		}},
		{"ipv6 long zone", Message{
			Received: recv, Source: netip.AddrPortFrom(netip.MustParseAddr("fe80::2").WithZone(long), 65535),
		}},
		{"4in6 source", Message{Received: recv, Source: netip.MustParseAddrPort("[::ffff:10.0.0.1]:1")}},
		{"invalid addr with port", Message{Received: recv, Source: netip.AddrPortFrom(netip.Addr{}, 7)}},
		{"nopri", Message{
			Received: recv, Timestamp: recv.Add(-time.Hour), Facility: User, Severity: Notice, NoPRI: true,
			Text: "no pri at all", Format: RFC3164, Listener: "udp514",
		}},
		{"empty strings, empty non-nil slices", Message{
			Received: recv, Raw: []byte{}, StructuredData: []SDElement{{ID: "", Params: []SDParam{}}, {ID: "a"}, {ID: "", Params: []SDParam{{"", ""}}}},
			Format: RFC5424,
		}},
		{"empty non-nil sd", Message{Received: recv, StructuredData: []SDElement{}, Format: RFC5424}},
		{"non-ascii and nul", Message{
			Received:  recv,
			Timestamp: time.Date(2024, 1, 2, 3, 4, 5, 600, time.FixedZone("", 5*3600+45*60)),
			Hostname:  "hôte", AppName: "app\x00name", ProcID: "—", MsgID: "\x00",
			StructuredData: []SDElement{{ID: "ü@1", Params: []SDParam{{"k\x00", "välue \"q\" \\ ]"}, {"k", "\xff\xfe"}}}},
			Text:           "日本語\x00\x01\xff text with NUL", Raw: []byte("\x00"), Format: RFC5424,
		}},
		{"long strings", Message{
			Received: recv, Hostname: long, AppName: long, ProcID: long, MsgID: long, Text: long + long,
			ParseError: long, Listener: long, Raw: []byte(long),
			StructuredData: []SDElement{{ID: long, Params: []SDParam{{long, long}}}},
		}},
		{"odd offsets and extremes", Message{
			Received:  time.Date(1969, 12, 31, 23, 59, 59, 999999999, time.UTC), // before the epoch
			Timestamp: time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.FixedZone("", -(3*3600+30*60))),
			Facility:  200, Severity: 99, Format: 42, // out of range, kept as they are
		}},
		{"extreme times", Message{ // every time.Time has a Unix second in int64
			Received:  time.Unix(math.MinInt64, 0).In(time.FixedZone("", math.MinInt32)),
			Timestamp: time.Unix(math.MaxInt64, 999999999).In(time.FixedZone("", math.MaxInt32)),
		}},
		{"year 0 timestamp", Message{Received: recv, Timestamp: mustTime(t, time.RFC3339, "0000-01-01T00:00:00+01:00")}},
		{"zero timestamp in a zone", Message{Received: recv, Timestamp: time.Time{}.In(time.FixedZone("", 7200))}},
		{"named and local zones", Message{
			Received:  time.Now(), // with a monotonic reading
			Timestamp: time.Date(2024, 7, 1, 12, 0, 0, 0, time.Local),
			Text:      "Local: " + time.Local.String(),
		}},
		{"named zone", Message{
			Received:  time.Date(2024, 7, 1, 10, 0, 0, 0, time.UTC),
			Timestamp: time.Date(2024, 7, 1, 12, 0, 0, 0, berlin), // CEST, +02:00
		}},
		{"lmt offset seconds", Message{Received: recv, Timestamp: time.Date(1800, 1, 1, 0, 0, 0, 0, time.FixedZone("LMT", 1172))}},
		{"id", Message{Received: recv, ID: 1, Text: "with an ID"}},
		{"id two-byte uvarint, zero times", Message{ID: 128}},
		{"peer", Message{ID: 5, Peer: Peer{PID: 4242, UID: 0, GID: 1 << 31, Known: true}, Listener: "devlog"}},
		{"peer without id", Message{Peer: Peer{PID: 1, UID: 1000, GID: 1000, Known: true}}},
		{"id max, full message", func() Message { m := bench5424(t); m.ID = math.MaxUint64; return m }()},
	}
}

// eqTime compares times the way the encoding promises to keep them.
func eqTime(a, b time.Time) bool {
	return a.Equal(b) && a.Format(time.RFC3339Nano) == b.Format(time.RFC3339Nano) &&
		a.IsZero() == b.IsZero() && (a.Location() != time.UTC || b.Location() == time.UTC)
}

// sameMessage reports how got differs from want: times compared with
// eqTime, everything else with reflect.DeepEqual.
func sameMessage(want, got *Message) string {
	if !eqTime(want.Received, got.Received) {
		return "Received: got " + got.Received.String() + ", want " + want.Received.String()
	}
	if !eqTime(want.Timestamp, got.Timestamp) {
		return "Timestamp: got " + got.Timestamp.String() + ", want " + want.Timestamp.String()
	}
	w, g := *want, *got
	w.Received, w.Timestamp, g.Received, g.Timestamp = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if !reflect.DeepEqual(w, g) {
		return fmt.Sprintf("got  %#v\nwant %#v", g, w)
	}
	return ""
}

func TestBinaryRoundTrip(t *testing.T) {
	for _, tc := range binaryCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			b, err := tc.m.AppendBinary(nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(b) > tc.m.sizeBound() {
				t.Errorf("encoding of %d bytes, sizeBound %d", len(b), tc.m.sizeBound())
			}
			if b[0] != 1 {
				t.Fatalf("version byte %d, want 1", b[0])
			}
			var got Message
			if err := got.UnmarshalBinary(b); err != nil {
				t.Fatalf("UnmarshalBinary: %v\n% x", err, b)
			}
			if d := sameMessage(&tc.m, &got); d != "" {
				t.Fatal(d)
			}
			// Decoding again into a used Message replaces every field.
			other := bench5424(t)
			if err := other.UnmarshalBinary(b); err != nil {
				t.Fatal(err)
			}
			if d := sameMessage(&tc.m, &other); d != "" {
				t.Fatal("into a used Message: " + d)
			}
			// A second round is byte for byte the same.
			b2, err := got.AppendBinary(nil)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b, b2) {
				t.Fatalf("re-encoding differs:\n% x\n% x", b, b2)
			}
		})
	}
}

func TestBinaryTimes(t *testing.T) {
	m := bench5424(t)
	m.Timestamp = time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.UTC)
	b, err := m.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	var got Message
	if err := got.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if got.Timestamp.Location() != time.UTC || got.Received.Location() != time.UTC {
		t.Errorf("UTC came back as %v, %v", got.Timestamp.Location(), got.Received.Location())
	}
	if got.Timestamp != m.Timestamp {
		t.Errorf("UTC time %v != %v", got.Timestamp, m.Timestamp)
	}
	var z Message
	if err := z.UnmarshalBinary(must(new(Message).AppendBinary(nil))); err != nil {
		t.Fatal(err)
	}
	if z.Timestamp != (time.Time{}) || z.Received != (time.Time{}) {
		t.Errorf("zero times came back as %v, %v", z.Received, z.Timestamp)
	}
	// An offset +02:00 stays one, in the same instant.
	if _, off := bench5424(t).Timestamp.Zone(); off != 7200 {
		t.Fatalf("fixture offset %d", off)
	}
	want := bench5424(t)
	if err := got.UnmarshalBinary(must(want.AppendBinary(nil))); err != nil {
		t.Fatal(err)
	}
	if _, off := got.Timestamp.Zone(); off != 7200 || !got.Timestamp.Equal(want.Timestamp) {
		t.Errorf("timestamp %v, want %v", got.Timestamp, want.Timestamp)
	}
}

func TestFixedZone(t *testing.T) {
	for _, off := range []int{-12 * 3600, -9*3600 - 30*60, -1, 0, 1, 3600, 5*3600 + 30*60, 5*3600 + 45*60, 14 * 3600, 14*3600 + 15*60, -12*3600 - 15*60, 1172} {
		z := fixedZone(off)
		name, got := time.Unix(0, 0).In(z).Zone()
		if name != "" || got != off {
			t.Errorf("fixedZone(%d): zone %q %d", off, name, got)
		}
		want := time.Unix(1e9, 0).In(time.FixedZone("", off)).Format(time.RFC3339)
		if s := time.Unix(1e9, 0).In(z).Format(time.RFC3339); s != want {
			t.Errorf("fixedZone(%d): %s, want %s", off, s, want)
		}
	}
	if n := testing.AllocsPerRun(10, func() { fixedZone(5*3600 + 30*60) }); n != 0 {
		t.Errorf("fixedZone(+05:30) allocates %v times", n)
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

func TestAppendBinaryAppends(t *testing.T) {
	m := bench3164(t)
	want := must(m.AppendBinary(nil))
	got := must(m.AppendBinary([]byte("prefix")))
	if string(got[:6]) != "prefix" || !bytes.Equal(got[6:], want) {
		t.Fatalf("AppendBinary to a prefix: % x", got)
	}
	if _, err := m.AppendBinary(make([]byte, 0, 1)); err != nil {
		t.Fatal(err)
	}
	var nilMsg *Message
	if _, err := nilMsg.AppendBinary(nil); err == nil {
		t.Error("nil *Message encoded")
	}
	m.Timestamp = time.Date(2024, 1, 1, 0, 0, 0, 0, time.FixedZone("", math.MaxInt32+1))
	if _, err := m.AppendBinary(nil); err == nil {
		t.Error("offset beyond int32 encoded")
	}
}

// TestUnmarshalBinaryCopies checks the message does not alias the input.
func TestUnmarshalBinaryCopies(t *testing.T) {
	want := bench5424(t)
	b := must(want.AppendBinary(nil))
	var got Message
	if err := got.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	for i := range b {
		b[i] = 'Z'
	}
	if d := sameMessage(&want, &got); d != "" {
		t.Fatal("after overwriting the input: " + d)
	}
}

func TestUnmarshalBinaryTruncated(t *testing.T) {
	for _, tc := range binaryCases(t) {
		b := must(tc.m.AppendBinary(nil))
		for i := range len(b) {
			m := bench3164(t)
			if err := m.UnmarshalBinary(b[:i]); err == nil {
				t.Fatalf("%s: %d of %d bytes decoded", tc.name, i, len(b))
			}
			if want := bench3164(t); sameMessage(&want, &m) != "" {
				t.Fatalf("%s: a failed decode changed the message", tc.name)
			}
		}
		if err := new(Message).UnmarshalBinary(append(b, 0)); err == nil {
			t.Errorf("%s: trailing byte accepted", tc.name)
		}
	}
}

func TestUnmarshalBinaryCorrupt(t *testing.T) {
	m5424 := bench5424(t)
	good := must(m5424.AppendBinary(nil))
	hdr := []byte{1, byte(flagReceivedZero | flagTimestampZero), 0, 0, 0}
	zeros := []byte{0, 0, 0, 0, 0, 0, 0} // 7 empty strings
	src := []byte{2, 0, 0}               // invalid AddrPort, port 0
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	minimal := cat(hdr, src, []byte{0}, zeros, []byte{0})
	if err := new(Message).UnmarshalBinary(minimal); err != nil {
		t.Fatalf("minimal encoding: %v", err)
	}
	tsHdr := []byte{1, flagTimestampZero, 0, 0, 0} // Received follows
	withTime := cat(tsHdr, []byte{0, 0}, binary.AppendVarint(nil, math.MaxInt32), src, []byte{0}, zeros, []byte{0})
	if err := new(Message).UnmarshalBinary(withTime); err != nil {
		t.Fatalf("encoding with a time: %v", err)
	}
	tests := []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"version 0", append([]byte{0}, good[1:]...)},
		{"version 2", append([]byte{2}, good[1:]...)},
		{"unknown flag", append([]byte{1, 0x80}, good[2:]...)},
		{"nanoseconds 1e9", cat(tsHdr, binary.AppendUvarint([]byte{0}, 1e9), []byte{0}, src, []byte{0}, zeros, []byte{0})},
		{"offset beyond int32", cat(tsHdr, []byte{0, 0}, binary.AppendVarint(nil, math.MaxInt32+1), src, []byte{0}, zeros, []byte{0})},
		{"offset below int32", cat(tsHdr, []byte{0, 0}, binary.AppendVarint(nil, math.MinInt32-1), src, []byte{0}, zeros, []byte{0})},
		{"varint overflow", cat([]byte{1, flagTimestampZero, 0, 0, 0}, bytes.Repeat([]byte{0xff}, 11), []byte{1})},
		{"source length beyond input", cat(hdr, []byte{50, 0, 0}, []byte{0}, zeros, []byte{0})},
		{"source bad length", cat(hdr, []byte{3, 1, 0, 0}, []byte{0}, zeros, []byte{0})},
		{"source too short", cat(hdr, []byte{1, 0}, []byte{0}, zeros, []byte{0})},
		{"raw beyond input", cat(hdr, src, []byte{0xff, 0xff, 0xff, 0xff, 0x0f}, zeros, []byte{0})},
		{"string beyond input", cat(hdr, src, []byte{0}, []byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}, zeros[1:], []byte{0})},
		{"sd count huge", cat(hdr, src, []byte{0}, zeros, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0})},
		{"sd params total huge", cat(hdr, src, []byte{0}, zeros, []byte{2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0, 0})},
		{"sd more params than announced", cat(hdr, src, []byte{0}, zeros, []byte{2, 0, 0, 2, 0, 0})},
		{"sd fewer params than announced", cat(hdr, src, []byte{0}, zeros, []byte{2, 1, 2, 'a', 'b', 1})},
		{"trailing bytes", append(append([]byte(nil), good...), 1, 2, 3)},
	}
	for _, tc := range tests {
		var m Message
		if err := m.UnmarshalBinary(tc.b); err == nil {
			t.Errorf("%s: decoded: %+v", tc.name, m)
		}
	}
}

// TestUnmarshalBinaryNoHugeAlloc checks that lengths and counts beyond the
// input are refused before anything of their size is allocated.
func TestUnmarshalBinaryNoHugeAlloc(t *testing.T) {
	hdr := []byte{1, byte(flagReceivedZero | flagTimestampZero), 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	huge := []byte{0x80, 0x80, 0x80, 0x80, 0x08} // 2^31
	inputs := [][]byte{
		append(append([]byte{1, byte(flagReceivedZero | flagTimestampZero), 0, 0, 0, 2, 0, 0}, huge...), bytes.Repeat([]byte{0}, 64)...), // Raw
		append(append(append([]byte(nil), hdr...), huge...), 0),                                                                          // SD elements
		append(append(append([]byte(nil), hdr...), 2), huge...),                                                                          // SD params
		append(append(append([]byte(nil), hdr[:9]...), huge...), 0),                                                                      // a string
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range 10 {
		for _, in := range inputs {
			if err := new(Message).UnmarshalBinary(in); err == nil {
				t.Fatalf("decoded % x", in)
			}
		}
	}
	runtime.ReadMemStats(&after)
	if d := after.TotalAlloc - before.TotalAlloc; d > 1<<20 {
		t.Fatalf("refusing %d bad inputs allocated %d bytes", 10*len(inputs), d)
	}
}

func FuzzUnmarshalBinary(f *testing.F) {
	for _, tc := range binaryCases(f) {
		b := must(tc.m.AppendBinary(nil))
		f.Add(b)
		f.Add(b[:len(b)/2])
	}
	f.Add([]byte{})
	f.Add([]byte{1, 6, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		var m Message
		if err := m.UnmarshalBinary(data); err != nil {
			return
		}
		b, err := m.AppendBinary(nil)
		if err != nil {
			t.Fatalf("re-encoding a decoded message: %v", err)
		}
		if len(b) > m.sizeBound() {
			t.Errorf("encoding of %d bytes, sizeBound %d", len(b), m.sizeBound())
		}
		var m2 Message
		if err := m2.UnmarshalBinary(b); err != nil {
			t.Fatalf("re-encoding does not decode: %v\n% x", err, b)
		}
		if d := sameMessage(&m, &m2); d != "" {
			t.Fatal(d)
		}
		// Decoded times are already normalised, so even == holds, and the
		// encoding of a decoded message is canonical.
		if !reflect.DeepEqual(m, m2) {
			t.Fatalf("not DeepEqual:\n%#v\n%#v", m, m2)
		}
		if b2 := must(m2.AppendBinary(nil)); !bytes.Equal(b, b2) {
			t.Fatalf("encoding not stable:\n% x\n% x", b, b2)
		}
	})
}

func BenchmarkAppendBinary(b *testing.B) {
	for _, c := range []struct {
		name string
		m    Message
	}{{"rfc5424", bench5424(b)}, {"rfc3164", bench3164(b)}} {
		b.Run(c.name, func(b *testing.B) {
			buf := must(c.m.AppendBinary(nil))
			b.SetBytes(int64(len(buf)))
			b.ReportAllocs()
			for b.Loop() {
				buf, _ = c.m.AppendBinary(buf[:0])
			}
		})
		b.Run(c.name+"/nil-dst", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = c.m.AppendBinary(nil)
			}
		})
	}
}

func BenchmarkUnmarshalBinary(b *testing.B) {
	for _, c := range []struct {
		name string
		m    Message
	}{{"rfc5424", bench5424(b)}, {"rfc3164", bench3164(b)}} {
		b.Run(c.name, func(b *testing.B) {
			buf := must(c.m.AppendBinary(nil))
			b.SetBytes(int64(len(buf)))
			b.ReportAllocs()
			var m Message
			for b.Loop() {
				if err := m.UnmarshalBinary(buf); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestBinaryID: an ID is kept, right after the fixed bytes and flagged
// with 8; a message without one (ID 0) is encoded as before IDs existed.
func TestBinaryID(t *testing.T) {
	// The zero Message as version 1 encoded it before flagID: flags 6
	// (both times zero), an invalid Source, nil Raw, seven empty strings,
	// nil SD.
	golden := []byte{1, 6, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	if got := must(new(Message).AppendBinary(nil)); !bytes.Equal(got, golden) {
		t.Errorf("zero Message: % x, want % x", got, golden)
	}
	withID := Message{ID: 300}
	if got, want := must(withID.AppendBinary(nil)), []byte{1, 6 | 8, 0, 0, 0, 0xac, 0x02, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}; !bytes.Equal(got, want) {
		t.Errorf("zero Message with ID 300: % x, want % x", got, want)
	}

	for _, id := range []uint64{1, 127, 128, 1 << 32, math.MaxUint64 - 1, math.MaxUint64} {
		for _, tc := range binaryCases(t) {
			m := tc.m
			m.ID = 0
			without := must(m.AppendBinary(nil))
			if without[1]&flagID != 0 || without[1]&8 != 0 {
				t.Fatalf("%s: ID 0 sets the ID flag: flags %#x", tc.name, without[1])
			}
			m.ID = id
			b := must(m.AppendBinary(nil))
			if len(b) > m.sizeBound() {
				t.Errorf("%s, ID %d: encoding of %d bytes, sizeBound %d", tc.name, id, len(b), m.sizeBound())
			}
			// The same bytes, with the flag and the uvarint after the
			// fixed five.
			want := append(append([]byte{without[0], without[1] | 8}, without[2:5]...), binary.AppendUvarint(nil, id)...)
			want = append(want, without[5:]...)
			if !bytes.Equal(b, want) {
				t.Fatalf("%s, ID %d:\n got % x\nwant % x", tc.name, id, b, want)
			}
			var got Message
			if err := got.UnmarshalBinary(b); err != nil {
				t.Fatalf("%s, ID %d: %v", tc.name, id, err)
			}
			if got.ID != id {
				t.Fatalf("%s: ID %d came back as %d", tc.name, id, got.ID)
			}
			if d := sameMessage(&m, &got); d != "" {
				t.Fatalf("%s, ID %d: %s", tc.name, id, d)
			}
			// Decoding one without an ID into a message that has one
			// clears it.
			if err := got.UnmarshalBinary(without); err != nil || got.ID != 0 {
				t.Fatalf("%s: decoding without an ID: ID %d, error %v", tc.name, got.ID, err)
			}
		}
	}
}

// TestBinaryIDCorrupt: an ID flag with no valid nonzero ID after it is an
// error, not a panic, and leaves the message as it was.
func TestBinaryIDCorrupt(t *testing.T) {
	rest := []byte{2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0} // Source, Raw, strings, SD of the zero Message
	hdr := []byte{1, 6 | flagID, 0, 0, 0}
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	if err := new(Message).UnmarshalBinary(cat(hdr, []byte{5}, rest)); err != nil {
		t.Fatalf("valid ID 5: %v", err)
	}
	tests := []struct {
		name string
		b    []byte
	}{
		{"flag, nothing after the fixed bytes", hdr},
		{"ID 0", cat(hdr, []byte{0}, rest)},
		{"ID 0, non-minimal uvarint", cat(hdr, []byte{0x80, 0x00}, rest)},
		{"truncated uvarint", cat(hdr, []byte{0x80})},
		{"truncated long uvarint", cat(hdr, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})},
		{"uvarint overflows 64 bits", cat(hdr, bytes.Repeat([]byte{0xff}, 10), []byte{0x01}, rest)},
		{"uvarint of 11 bytes", cat(hdr, bytes.Repeat([]byte{0x80}, 10), []byte{0x01}, rest)},
		{"flag, ID missing (the rest read as the ID)", cat([]byte{1, 6 | flagID, 0, 0, 0}, rest[:len(rest)-1])},
		{"ID 0 in a full message", func() []byte {
			m := bench5424(t)
			b := must(m.AppendBinary(nil))
			return cat(b[:1], []byte{b[1] | flagID}, b[2:5], []byte{0}, b[5:])
		}()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := bench3164(t)
			m.ID = 42
			err := m.UnmarshalBinary(tc.b)
			if err == nil {
				t.Fatalf("decoded % x: ID %d", tc.b, m.ID)
			}
			want := bench3164(t)
			want.ID = 42
			if d := sameMessage(&want, &m); d != "" {
				t.Errorf("a failed decode changed the message: %s", d)
			}
		})
	}
}
