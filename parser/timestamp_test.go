package parser

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// liftSeeds are RFC 5424 headers around the edges of the timestamp rules.
var liftSeeds = []string{
	"<34>1 2003-10-11T22:14:15.003Z mymachine su - ID47 - msg",
	"<34>1 2003-10-11T22:14:15Z host app 1 - - msg",
	"<34>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time",
	"<34>1 2003-08-24T05:14:15.000000003-07:00 host app - - - seven or more digits",
	"<34>1 2003-10-11T22:14:15.003z host app - - - lower-case z",
	"<34>1 2003-10-11t22:14:15.003Z host app - - - lower-case t",
	"<34>1 2003-02-30T22:14:15Z host app - - - no such day",
	"<34>1 2003-10-11T24:14:15Z host app - - - hour 24",
	"<34>1 2016-12-31T23:59:60Z host app - - - leap second",
	"<34>1 2003-10-11T22:14:15+00:00 host app - - - zero offset",
	"<34>1 2003-10-11T22:14:15+14:00 host app - - - far east",
	"<34>1 2003-10-11T22:14:15.Z host app - - - empty fraction",
	"<34>1 2003-10-11T22:14:15.003Z",
	"<34>1 2003-10-11T22:14:15.003Z host",
	"<34>1 - host app - - - no timestamp",
	`<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application"][x@1 a="]"] BOM`,
	"<34>12 2003-10-11T22:14:15.003Z host app - - - version 12",
}

// checkLiftSame parses data with and without the timestamp lift and fails
// unless both give the same message, timestamp location included.
func checkLiftSame(t *testing.T, data []byte) {
	t.Helper()
	for _, format := range []string{"auto", "rfc5424"} {
		// The lift is part of the go-syslog path, so both sides skip the
		// fast path (FuzzFastPath compares that one).
		fast, slow := newTestParser(t, format), newTestParser(t, format)
		fast.noFast, slow.noFast = true, true
		slow.noLift = true
		a := fast.Parse(data, goldenSrc, goldenListener, goldenReceived)
		b := slow.Parse(data, goldenSrc, goldenListener, goldenReceived)
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("%s %q:\n lifted %+v\n   plain %+v", format, data, a, b)
		}
	}
}

func TestLiftedTimestampSameAsGoSyslog(t *testing.T) {
	for _, s := range liftSeeds {
		checkLiftSame(t, []byte(s))
	}
	inputs, _ := filepath.Glob(filepath.Join("testdata", "*", "input"))
	for _, in := range inputs {
		data, err := os.ReadFile(in)
		if err != nil {
			t.Fatal(err)
		}
		checkLiftSame(t, data)
	}
}

// TestLiftTakesTheFastPath guards the point of liftTimestamp: a common
// RFC 5424 header is lifted, not silently left to go-syslog.
func TestLiftTakesTheFastPath(t *testing.T) {
	p := newTestParser(t, "rfc5424")
	for _, s := range []string{
		"<34>1 2003-10-11T22:14:15.003Z host app - - - m",
		"<34>1 2026-11-21T06:13:25.123456+01:00 host app 1 ID - m",
	} {
		if _, _, ok := p.liftTimestamp([]byte(s), len("<34>")); !ok {
			t.Errorf("not lifted: %q", s)
		}
	}
}

func FuzzLiftedTimestamp(f *testing.F) {
	for _, s := range liftSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkLiftSame(t, data) })
}
