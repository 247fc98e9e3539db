package parser

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzParse checks the promises every caller relies on, for any bytes:
// no panic, never nil, Raw equals the input, Unparsed exactly when there
// is a ParseError, no text lost (see checkInvariants), and no state leaking between frames through
// the reused scratch buffers.
func FuzzParse(f *testing.F) {
	inputs, err := filepath.Glob(filepath.Join("testdata", "*", "input"))
	if err != nil {
		f.Fatal(err)
	}
	for _, in := range inputs {
		data, err := os.ReadFile(in)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	other := []byte("Oct 1 22:14:15 other app: \x00 scratch reuse")
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, format := range []string{"auto", "rfc3164", "rfc5424"} {
			p := newTestParser(t, format)
			m := p.Parse(data, goldenSrc, goldenListener, goldenReceived)
			checkInvariants(t, data, m)
			first := render(m)
			p.Parse(other, goldenSrc, goldenListener, goldenReceived)
			again := p.Parse(data, goldenSrc, goldenListener, goldenReceived)
			if !reflect.DeepEqual(render(m), first) {
				t.Fatalf("%s: message changed by a later parse: %+v", format, render(m))
			}
			if !reflect.DeepEqual(render(again), first) || again.ParseError != m.ParseError {
				t.Fatalf("%s: parsing twice differs:\n%+v\n%+v", format, first, render(again))
			}
		}
	})
}
