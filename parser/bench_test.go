package parser

import (
	"fmt"
	"testing"

	syslog "github.com/leodido/go-syslog/v4"
	"github.com/leodido/go-syslog/v4/ciscoios"
	"github.com/leodido/go-syslog/v4/rfc3164"
	"github.com/leodido/go-syslog/v4/rfc5424"

	"syslogd/message"
)

var benchFrames = []struct {
	name  string
	frame string
}{
	{"rfc5424-sd", `<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"] An application event log entry...`},
	{"rfc5424-nosd", `<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su 1234 ID47 - 'su root' failed for lonvick on /dev/pts/8`},
	{"rfc3164", `<34>Oct 11 22:14:15 mymachine su[1234]: 'su root' failed for lonvick on /dev/pts/8`},
	{"rfc3164-normalized", "<34>Oct 11 22:14:15 mymachine su[1234]: \x1b[31m'su root' failed\x1b[0m for lonvick"},
	{"nopri", `Oct 11 22:14:15 mymachine su[1234]: 'su root' failed for lonvick on /dev/pts/8`},
	{"unparsed", `<192>Oct 11 22:14:15 mymachine su[1234]: 'su root' failed for lonvick on /dev/pts/8`},
}

func BenchmarkParse(b *testing.B) {
	for _, bf := range benchFrames {
		b.Run(bf.name, func(b *testing.B) {
			p := newTestParser(b, "")
			p.SetKeepRaw(false) // as the daemon runs unless a sink writes the raw format
			data := []byte(bf.frame)
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			var m *message.Message
			for b.Loop() {
				m = p.Parse(data, goldenSrc, goldenListener, goldenReceived)
			}
			if m.Text == "" {
				b.Fatalf("%s: empty text (%s)", bf.name, m.ParseError)
			}
		})
	}
}

// BenchmarkParseStamps is Parse/rfc3164 with a new timestamp in every
// frame, so the parser's cache of the last year-less stamp never hits
// (BenchmarkParse repeats one frame, as a burst within one second does).
func BenchmarkParseStamps(b *testing.B) {
	frames := make([][]byte, 60)
	for i := range frames {
		frames[i] = fmt.Appendf(nil, "<34>Oct 11 22:14:%02d mymachine su[1234]: 'su root' failed for lonvick on /dev/pts/8", i)
	}
	p := newTestParser(b, "")
	p.SetKeepRaw(false)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		p.Parse(frames[i%len(frames)], goldenSrc, goldenListener, goldenReceived)
		i++
	}
}

// BenchmarkGoSyslog is the baseline: the bare go-syslog machines on the
// same frames, so BenchmarkParse shows what this package adds.
func BenchmarkGoSyslog(b *testing.B) {
	machines := map[string]syslog.Machine{
		"rfc5424-sd":   rfc5424.NewMachine(),
		"rfc5424-nosd": rfc5424.NewMachine(),
		"rfc3164":      rfc3164.NewMachine(rfc3164.WithCiscoIOSComponents(ciscoios.All)),
	}
	for _, bf := range benchFrames {
		mc, ok := machines[bf.name]
		if !ok {
			continue
		}
		b.Run(bf.name, func(b *testing.B) {
			data := []byte(bf.frame)
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := mc.Parse(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
