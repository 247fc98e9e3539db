package parser

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"syslogd/message"
)

// FuzzDecodeJSON checks DecodeJSON on any bytes: it never panics; it
// accepts only valid JSON; what it accepts, oracleDecode (encoding/json)
// accepts too, field for field; the message does not alias the input;
// and encoding the message and decoding that line is a fixed point.
// Seeds are the json lines of the golden frames and hand-made lines.
func FuzzDecodeJSON(f *testing.F) {
	names, frames, formats := goldenFrames(f)
	for i := range names {
		for _, src := range jsonSources {
			m := newTestParser(f, formats[i]).Parse(frames[i], src, goldenListener, goldenReceived)
			f.Add(jsonLine(f, m))
		}
	}
	for _, s := range []string{
		`{"format":"rfc5424","message":"\ud800\udc00\ud800\u0041\udc00","facility":"user","severity":"err"}`,
		` {"x":[{"y":null},1e-5,true,"\""],"severity_code":0,"facility_code":0,"raw":"r"} `,
		`{"facility_code":1,"severity_code":5,"format":"rfc5424","structured_data":{"a":{},"a":{"b":"c","b":""}}}`,
		`{"facility_code":1,"severity_code":5,"format":"rfc3164","timestamp":"2026-03-15T12:00:01.5+05:30","source_ip":"fe80::1%eth0"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		input := bytes.Clone(data)
		var m message.Message
		err := DecodeJSON(data, &m)
		if !bytes.Equal(data, input) {
			t.Fatal("DecodeJSON modified its input")
		}
		if err != nil {
			if !strings.HasPrefix(err.Error(), "json: offset ") {
				t.Fatalf("error without an offset: %v", err)
			}
			if want, oerr := oracleDecode(data); oerr == nil && json.Valid(data) && !strings.Contains(err.Error(), "RFC 3339") {
				// time.Parse is more lenient than RFC 3339 (parseStamp);
				// nothing else may fail only here.
				t.Fatalf("DecodeJSON(%q): %v, but the oracle accepts it: %+v", data, err, want)
			}
			return
		}
		if !json.Valid(data) {
			t.Fatalf("DecodeJSON accepted invalid JSON %q", data)
		}
		want, oerr := oracleDecode(data)
		if oerr != nil {
			t.Fatalf("DecodeJSON accepted %q, the oracle did not: %v", data, oerr)
		}
		compareMessages(t, &m, want)

		line := jsonLine(t, &m)
		for i := range data {
			data[i] ^= 0xff
		}
		if again := jsonLine(t, &m); !bytes.Equal(line, again) {
			t.Fatalf("message aliases its input:\n%s\n%s", line, again)
		}
		if y := m.Received.Year(); y < 0 || y > 9999 {
			return // the encoder writes no RFC 3339 year for it
		}
		var m2 message.Message
		if err := DecodeJSON(line, &m2); err != nil {
			t.Fatalf("re-encoded line %s: %v", line, err)
		}
		if line2 := jsonLine(t, &m2); !bytes.Equal(line, line2) {
			t.Fatalf("not a fixed point:\n%s\n%s", line, line2)
		}
	})
}
