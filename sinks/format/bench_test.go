package format

import (
	"strings"
	"testing"
)

// BenchmarkAppend formats the golden RFC 5424 (with SD) and RFC 3164
// messages into a reused buffer, as a sink does.
func BenchmarkAppend(b *testing.B) {
	for _, name := range []string{"rfc5424-sd", "rfc3164"} {
		m := &cases[0].msg
		for i := range cases {
			if cases[i].name == name {
				m = &cases[i].msg
			}
		}
		for _, f := range allFormats {
			b.Run(name+"/"+f.String(), func(b *testing.B) {
				b.ReportAllocs()
				buf := make([]byte, 0, 4096)
				for b.Loop() {
					buf = Append(buf[:0], f, m)
				}
				b.SetBytes(int64(len(buf)))
			})
		}
	}
}

// BenchmarkAppendSpan is rfc5424 output of a message that carries its
// line (Line5424, as the parser sets it for a frame already in that form),
// against BenchmarkAppend's rfc5424-sd/rfc5424, which re-encodes it.
func BenchmarkAppendSpan(b *testing.B) {
	m := cases[0].msg
	for i := range cases {
		if cases[i].name == "rfc5424-sd" {
			m = cases[i].msg
		}
	}
	m.Line5424 = strings.TrimSuffix(string(Append(nil, RFC5424, &m)), "\n")
	b.ReportAllocs()
	buf := make([]byte, 0, 4096)
	for b.Loop() {
		buf = Append(buf[:0], RFC5424, &m)
	}
	b.SetBytes(int64(len(buf)))
}
