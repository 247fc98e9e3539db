package format

import "testing"

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
