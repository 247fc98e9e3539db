package parser

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"syslogd/message"
)

// The golden cases whose json line does not survive a decode byte for
// byte, and why. Every other case must.
var roundTripExceptions = map[string]string{
	// Invalid UTF-8 is written as \ufffd; decoded, it is a real U+FFFD,
	// which the encoder writes as it is (EF BF BD). The line is the same
	// once those escapes are read, and a second round trip changes nothing.
	"rfc3164-invalid-utf8": "invalid UTF-8",
	"rfc5424-invalid-utf8": "invalid UTF-8",
}

// goldenFrames returns the golden inputs, by case name, with the format
// each is parsed with (see TestGolden).
func goldenFrames(t testing.TB) (names []string, frames [][]byte, formats []string) {
	t.Helper()
	ins, err := filepath.Glob(filepath.Join("testdata", "*", "input"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ins) < 35 {
		t.Fatalf("found %d golden cases, want at least 35", len(ins))
	}
	for _, in := range ins {
		dir := filepath.Dir(in)
		data, err := os.ReadFile(in)
		if err != nil {
			t.Fatal(err)
		}
		format := ""
		if b, err := os.ReadFile(filepath.Join(dir, "format")); err == nil {
			format = strings.TrimSpace(string(b))
		}
		names, frames, formats = append(names, filepath.Base(dir)), append(frames, data), append(formats, format)
	}
	return names, frames, formats
}

// The senders a golden message is encoded with: the golden IPv4 one, and
// an IPv6 one with a zone that needs escaping.
var jsonSources = []netip.AddrPort{goldenSrc, netip.MustParseAddrPort(`[fe80::1%eth"0]:6514`)}

// TestDecodeJSONRoundTrip parses every golden frame, encodes the message
// with sinks/format's json format, decodes the line and encodes again:
// the two lines must be the same (see roundTripExceptions), and the
// decoded message must be the parsed one less what the format does not
// carry (see restorable).
func TestDecodeJSONRoundTrip(t *testing.T) {
	names, frames, formats := goldenFrames(t)
	seen := map[string]bool{}
	for i, name := range names {
		for _, src := range jsonSources {
			t.Run(name+"/"+src.Addr().String(), func(t *testing.T) {
				m := newTestParser(t, formats[i]).Parse(frames[i], src, goldenListener, goldenReceived)
				m.Received = goldenReceived
				m.Source = src
				m.Listener = goldenListener
				line := jsonLine(t, m)
				got := message.Message{ID: 7, Receipt: message.NewReceipt(nil)}
				receipt := got.Receipt
				if err := DecodeJSON(line, &got); err != nil {
					t.Fatalf("DecodeJSON(%s): %v", line, err)
				}
				if got.ID != 7 || got.Receipt != receipt {
					t.Errorf("ID, Receipt = %d, %p; want them kept: 7, %p", got.ID, got.Receipt, receipt)
				}
				again := jsonLine(t, &got)
				want := line
				if reason, ok := roundTripExceptions[name]; ok {
					seen[name] = true
					want = replacementEscapes(line)
					if bytes.Equal(want, line) {
						t.Errorf("listed as an exception (%s), but the line has no \\ufffd", reason)
					}
				}
				if !bytes.Equal(again, want) {
					t.Errorf("re-encoded line differs\n got: %s\nwant: %s", again, want)
				}
				var third message.Message
				if err := DecodeJSON(again, &third); err != nil {
					t.Fatalf("DecodeJSON(second line): %v", err)
				}
				if l := jsonLine(t, &third); !bytes.Equal(l, again) {
					t.Errorf("second round trip differs\n got: %s\nwant: %s", l, again)
				}
				r := restorable(m)
				r.ID, r.Receipt = got.ID, got.Receipt
				compareMessages(t, &got, r)
				checkOracle(t, line, &got)
			})
		}
	}
	for name := range roundTripExceptions {
		if !seen[name] {
			t.Errorf("exception %s is not a golden case", name)
		}
	}
}

// replacementEscapes replaces each \ufffd escape in a JSON text with the
// character itself, which is what a decoded U+FFFD encodes as.
func replacementEscapes(line []byte) []byte {
	var out []byte
	for i := 0; i < len(line); i++ {
		if line[i] == '\\' && i+1 < len(line) {
			if bytes.HasPrefix(line[i+1:], []byte("ufffd")) {
				out = append(out, "\uFFFD"...)
				i += 5
				continue
			}
			out = append(out, line[i], line[i+1])
			i++
			continue
		}
		out = append(out, line[i])
	}
	return out
}

// restorable is what DecodeJSON can give back of m: no NoPRI, no port,
// Raw only for unparsed messages, U+FFFD for each byte of invalid UTF-8,
// the last of repeated SD-IDs and PARAM-NAMEs in the encoder's place, nil
// for empty Params, and the zone reduced to its offset.
func restorable(m *message.Message) *message.Message {
	r := *m
	r.NoPRI = false
	r.Received = m.Received.UTC()
	r.Timestamp = zoneOnly(m.Timestamp)
	if m.Source.IsValid() {
		r.Source = netip.AddrPortFrom(m.Source.Addr(), 0)
	}
	r.Hostname, r.AppName, r.ProcID, r.MsgID = fffd(m.Hostname), fffd(m.AppName), fffd(m.ProcID), fffd(m.MsgID)
	r.Text, r.Listener = fffd(m.Text), fffd(m.Listener)
	r.Raw, r.ParseError = nil, ""
	if !m.Parsed() {
		r.ParseError = fffd(m.ParseError)
		if len(m.Raw) > 0 {
			r.Raw = []byte(fffd(string(m.Raw)))
		}
	}
	r.StructuredData = nil
	for i, el := range m.StructuredData {
		if slices.ContainsFunc(m.StructuredData[i+1:], func(e message.SDElement) bool { return e.ID == el.ID }) {
			continue
		}
		out := message.SDElement{ID: fffd(el.ID)}
		for j, p := range el.Params {
			if slices.ContainsFunc(el.Params[j+1:], func(q message.SDParam) bool { return q.Name == p.Name }) {
				continue
			}
			out.Params = append(out.Params, message.SDParam{Name: fffd(p.Name), Value: fffd(p.Value)})
		}
		r.StructuredData = append(r.StructuredData, out)
	}
	return &r
}

// fffd replaces each byte of invalid UTF-8 with U+FFFD, as the encoder's
// \ufffd escapes do (strings.ToValidUTF8 would replace runs).
func fffd(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		b.WriteRune(r)
	}
	return b.String()
}

func zoneOnly(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	if _, off := t.Zone(); off != 0 {
		return t.In(time.FixedZone("", off))
	}
	return t.UTC()
}

// compareMessages compares every field; times must be the same instant
// with the same offset, and UTC exactly when the offset is 0.
func compareMessages(t *testing.T, got, want *message.Message) {
	t.Helper()
	for _, tt := range []struct {
		name      string
		got, want time.Time
	}{{"Received", got.Received, want.Received}, {"Timestamp", got.Timestamp, want.Timestamp}} {
		_, goff := tt.got.Zone()
		_, woff := tt.want.Zone()
		if !tt.got.Equal(tt.want) || goff != woff || (tt.got.Location() == time.UTC) != (tt.want.Location() == time.UTC) ||
			tt.got.IsZero() != tt.want.IsZero() {
			t.Errorf("%s = %v (%v), want %v (%v)", tt.name, tt.got, tt.got.Location(), tt.want, tt.want.Location())
		}
	}
	g, w := *got, *want
	g.Received, g.Timestamp, w.Received, w.Timestamp = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	w.Line5424 = "" // derived by the parser from the frame; the json line has no frame
	if !reflect.DeepEqual(g, w) {
		t.Errorf("decoded message differs\n got: %+v\nwant: %+v", g, w)
	}
}

// TestDecodeJSONCases is the differential test on hand-written lines:
// DecodeJSON must agree with oracleDecode, built on encoding/json, on
// success and on every field. want names the outcome, so that a case
// cannot pass by both failing.
func TestDecodeJSONCases(t *testing.T) {
	const (
		codes = `"facility_code":1,"severity_code":5`
		head  = `{` + codes + `,"format":"rfc3164",`
	)
	cases := []struct {
		name, line string
		ok         bool
	}{
		{"minimal", `{` + codes + `,"format":"rfc5424"}`, true},
		{"escapes", head + `"message":"q\"b\\s\/ \b\f\n\r\t \u0041\u00e9\u20AC \u0000 \u001b[0m"}`, true},
		{"surrogate pair", head + `"message":"\ud83d\ude00 \uD834\uDD1E"}`, true},
		{"lone high surrogate", head + `"message":"a\ud800b"}`, true},
		{"lone high surrogate at end", head + `"message":"a\ud800"}`, true},
		{"lone low surrogate", head + `"message":"a\udc00b"}`, true},
		{"high then non-low escape", head + `"message":"\ud800\u0041"}`, true},
		{"low then high", head + `"message":"\udc00\ud800"}`, true},
		{"high high low", head + `"message":"\ud800\ud800\udc00"}`, true},
		{"high then short escape", head + `"message":"\ud800\n"}`, true},
		{"unicode as is", head + `"message":"café ☃ 😀 \u2028 ` + "\u2029" + `","hostname":"ホスト"}`, true},
		{"invalid utf-8 bytes", head + "\"message\":\"a\xffb\xe2\x82c\xed\xa0\x80\",\"hostname\":\"\xc0\xaf\"}", true},
		{"keys out of order", `{"format":"rfc5424","message":"m","severity_code":3,"listener":"l","facility_code":4,"received":"2024-01-02T03:04:05Z","hostname":"h"}`, true},
		{"unknown keys", `{"x":{"a":[1,2.5e-3,{"b":null,"c":[]},"}"],"d":{}},` + codes + `,"y":[[[]]],"z":-0.5E+10,"w":true,"v":false,"u":null,"t":"\"}","format":"rfc3164"}`, true},
		{"whitespace", " \t\r\n{ \"facility_code\" :\t1 ,\n\"severity_code\"\r: 5 , \"format\" : \"rfc5424\" , \"structured_data\" : { \"a\" : { \"b\" : \"c\" } , \"d\" : { } } } \n\t", true},
		{"empty object", `{}`, false},
		{"sd", head + `"structured_data":{"exampleSDID@32473":{"iut":"3","eventSource":"Application"},"examplePriority@32473":{"class":"high"}}}`, true},
		{"sd empty element", head + `"structured_data":{"a":{},"b":{"x":"1"},"c":{}}}`, true},
		{"sd empty object", head + `"structured_data":{}}`, true},
		{"sd repeated ids and names kept", head + `"structured_data":{"a":{"x":"1","x":"2"},"b":{},"a":{"y":""}}}`, true},
		{"sd escapes", head + `"structured_data":{"a\"]":{"n\u00e9":"v\\\"]\ud800"}}}`, true},
		{"sd null", head + `"structured_data":{"a":{}},"structured_data":null}`, true},
		{"sd replaced", head + `"structured_data":{"a":{}},"structured_data":{"b":{}}}`, true},
		{"sd removed by an empty one", head + `"structured_data":{"a":{}},"structured_data":{}}`, true},
		{"codes", `{"facility_code":23,"severity_code":7,"format":"rfc5424"}`, true},
		{"code zero", `{"facility_code":0,"severity_code":0,"format":"rfc5424"}`, true},
		{"names only", `{"facility":"local3","severity":"warning","format":"rfc5424"}`, true},
		{"names aliases", `{"facility":"audit","severity":"warn","format":"rfc5424"}`, true},
		{"code beats name", `{"facility":"kern","severity":"emerg",` + codes + `,"format":"rfc5424"}`, true},
		{"code beats bad name", `{"facility":"nope","severity":"nope",` + codes + `,"format":"rfc5424"}`, true},
		{"bad name without code", `{"facility":"nope","severity_code":1,"format":"rfc5424"}`, false},
		{"empty name without code", `{"facility":"","severity_code":1,"format":"rfc5424"}`, false},
		{"no facility", `{"severity_code":1,"format":"rfc5424"}`, false},
		{"no severity", `{"facility_code":1,"format":"rfc5424"}`, false},
		{"facility_code 24", `{"facility_code":24,"severity_code":1,"format":"rfc5424"}`, false},
		{"severity_code 8", `{"facility_code":1,"severity_code":8,"format":"rfc5424"}`, false},
		{"code negative", `{"facility_code":-1,"severity_code":1,"format":"rfc5424"}`, false},
		{"code minus zero", `{"facility_code":-0,"severity_code":1,"format":"rfc5424"}`, false},
		{"code fraction", `{"facility_code":1.0,"severity_code":1,"format":"rfc5424"}`, false},
		{"code exponent", `{"facility_code":1e1,"severity_code":1,"format":"rfc5424"}`, false},
		{"code huge", `{"facility_code":123456789012345678901234567890,"severity_code":1,"format":"rfc5424"}`, false},
		{"code as string", `{"facility_code":"1","severity_code":1,"format":"rfc5424"}`, false},
		{"code null", `{"facility_code":null,"facility":"mail","severity_code":1,"format":"rfc5424"}`, true},
		{"times", head + `"received":"2026-03-15T12:00:01.0000005Z","timestamp":"2003-10-11T22:14:15.003-07:00"}`, true},
		{"received with offset", head + `"received":"2026-03-15T12:00:01+02:00"}`, true},
		{"timestamp half hour", head + `"timestamp":"2026-03-15T12:00:01.5+05:30"}`, true},
		{"timestamp odd offset", head + `"timestamp":"2026-03-15T12:00:01-03:17"}`, true},
		{"timestamp +00:00", head + `"timestamp":"2026-03-15T12:00:01+00:00"}`, true},
		{"timestamp -00:00", head + `"timestamp":"2026-03-15T12:00:01-00:00"}`, true},
		{"timestamp 9 digits", head + `"timestamp":"2026-03-15T12:00:01.123456789Z"}`, true},
		{"timestamp 12 digits", head + `"timestamp":"2026-03-15T12:00:01.123456789999Z"}`, true},
		{"timestamp year 0", head + `"timestamp":"0000-02-29T23:59:59+23:59"}`, true},
		{"timestamp year 9999", head + `"timestamp":"9999-12-31T23:59:59-23:59"}`, true},
		{"timestamp leap day", head + `"timestamp":"2024-02-29T00:00:00Z"}`, true},
		{"timestamp escaped", head + `"timestamp":"2024\u002d02-29T00:00:00Z"}`, true},
		{"timestamp empty", head + `"timestamp":""}`, true},
		{"timestamp not leap", head + `"timestamp":"2023-02-29T00:00:00Z"}`, false},
		{"timestamp hour 24", head + `"timestamp":"2023-02-28T24:00:00Z"}`, false},
		{"timestamp second 60", head + `"timestamp":"2023-02-28T23:59:60Z"}`, false},
		{"timestamp no zone", head + `"timestamp":"2023-02-28T23:59:59"}`, false},
		{"timestamp number", head + `"timestamp":1700000000}`, false},
		{"source ipv4", head + `"source_ip":"192.0.2.1"}`, true},
		{"source ipv6 zone", head + `"source_ip":"fe80::1%eth0"}`, true},
		{"source mapped", head + `"source_ip":"::ffff:10.0.0.1"}`, true},
		{"source escaped", head + `"source_ip":"10.0.0.\u0031"}`, true},
		{"source empty", head + `"source_ip":""}`, true},
		{"source leading zero", head + `"source_ip":"10.0.0.01"}`, false},
		{"source with port", head + `"source_ip":"10.0.0.1:514"}`, false},
		{"source not an ip", head + `"source_ip":"host"}`, false},
		{"unparsed", `{` + codes + `,"message":"<999>x \"y\"","format":"unparsed","raw":"<999>x \"y\"","parse_error":"invalid pri"}`, true},
		{"unparsed raw differs", `{` + codes + `,"message":"m","format":"unparsed","raw":"r\u0000\ufffd","parse_error":"e"}`, true},
		{"unparsed raw same spelt differently", `{` + codes + `,"message":"a\u0062","format":"unparsed","raw":"ab","parse_error":"e"}`, true},
		{"unparsed raw before message", `{` + codes + `,"raw":"ab","message":"ab","format":"unparsed"}`, true},
		{"format missing with raw", `{` + codes + `,"raw":"x"}`, true},
		{"format missing with parse_error", `{` + codes + `,"parse_error":"x"}`, true},
		{"format missing", `{` + codes + `,"message":"x"}`, false},
		{"format empty", `{` + codes + `,"format":""}`, false},
		{"format unknown", `{` + codes + `,"format":"json"}`, false},
		{"format escaped", `{` + codes + `,"format":"rfc\u0035424"}`, true},
		{"parsed with raw", `{` + codes + `,"format":"rfc5424","raw":"frame"}`, true},
		{"escaped keys", `{"\u0066acility_code":2,"severity\u005fcode":3,"\u0066ormat":"rfc5424","h\u006fstname":"h"}`, true},
		{"key case matters", `{` + codes + `,"format":"rfc5424","Hostname":"h"}`, true},
		{"repeated key, last wins", head + `"hostname":"a","hostname":"b","facility_code":2}`, true},
		{"null ignored", head + `"hostname":"a","hostname":null,"message":null,"format":null}`, true},
		{"empty string clears", head + `"hostname":"a","hostname":""}`, true},
		{"string of wrong type", head + `"hostname":1}`, false},
		{"string as object", head + `"message":{}}`, false},
		{"sd not an object", head + `"structured_data":[]}`, false},
		{"sd element not an object", head + `"structured_data":{"a":"b"}}`, false},
		{"sd element null", head + `"structured_data":{"a":null}}`, false},
		{"sd value not a string", head + `"structured_data":{"a":{"b":1}}}`, false},
		{"sd value null", head + `"structured_data":{"a":{"b":null}}}`, false},
		{"trailing garbage", `{` + codes + `,"format":"rfc5424"}x`, false},
		{"two objects", `{` + codes + `,"format":"rfc5424"}{}`, false},
		{"not an object", `["facility_code",1]`, false},
		{"truncated", `{` + codes + `,"format":"rfc5424"`, false},
		{"bad escape", head + `"message":"\x"}`, false},
		{"bad unicode escape", head + `"message":"\u12g4"}`, false},
		{"control byte", head + "\"message\":\"a\tb\"}", false},
		{"bad unknown value", head + `"x":[1,}`, false},
		{"leading zero number", head + `"x":01}`, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			data := []byte(tc.line)
			want, werr := oracleDecode(data)
			var got message.Message
			err := DecodeJSON(data, &got)
			if (err == nil) != tc.ok {
				t.Fatalf("DecodeJSON(%s): error %v, want ok=%v", tc.line, err, tc.ok)
			}
			if (werr == nil) != tc.ok {
				t.Fatalf("oracle(%s): error %v, want ok=%v", tc.line, werr, tc.ok)
			}
			if err == nil {
				compareMessages(t, &got, want)
			}
		})
	}
}

// checkOracle compares DecodeJSON's result for line with the oracle's.
func checkOracle(t *testing.T, line []byte, got *message.Message) {
	t.Helper()
	want, err := oracleDecode(line)
	if err != nil {
		t.Fatalf("oracle(%s): %v", line, err)
	}
	want.ID, want.Receipt = got.ID, got.Receipt
	compareMessages(t, got, want)
}

// jsonObject is a JSON object from encoding/json's tokenizer, in order.
// Values are string, json.Number, bool, nil, jsonObject or []any.
type jsonObject []jsonMember

type jsonMember struct {
	key string
	val any
}

// oracleDecode is DecodeJSON written plainly on top of encoding/json's
// tokenizer (which keeps the order maps lose), time.Parse,
// netip.ParseAddr and strconv, following DecodeJSON's documentation.
func oracleDecode(data []byte) (*message.Message, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := oracleValue(dec)
	if err != nil {
		return nil, err
	}
	obj, ok := v.(jsonObject)
	if !ok {
		return nil, errors.New("not an object")
	}
	if tok, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("after the object: %v %v", tok, err)
	}
	m := &message.Message{}
	facCode, sevCode, format := -1, -1, -1
	facName, sevName, raw := "", "", ""
	for _, mem := range obj {
		if mem.val == nil {
			continue
		}
		switch mem.key {
		case "facility_code", "severity_code":
			n, ok := mem.val.(json.Number)
			if !ok {
				return nil, errors.New(mem.key + " not a number")
			}
			c, err := strconv.ParseUint(string(n), 10, 64)
			if err != nil || (mem.key == "facility_code" && c >= message.NumFacilities) || c >= message.NumSeverities && mem.key == "severity_code" {
				return nil, fmt.Errorf("%s %s", mem.key, n)
			}
			if mem.key == "facility_code" {
				facCode = int(c)
			} else {
				sevCode = int(c)
			}
			continue
		case "structured_data":
			sdObj, ok := mem.val.(jsonObject)
			if !ok {
				return nil, errors.New("structured_data not an object")
			}
			m.StructuredData = nil
			for _, el := range sdObj {
				ps, ok := el.val.(jsonObject)
				if !ok {
					return nil, errors.New("SD element not an object")
				}
				e := message.SDElement{ID: el.key}
				for _, p := range ps {
					s, ok := p.val.(string)
					if !ok {
						return nil, errors.New("SD value not a string")
					}
					e.Params = append(e.Params, message.SDParam{Name: p.key, Value: s})
				}
				m.StructuredData = append(m.StructuredData, e)
			}
			continue
		case "received", "timestamp", "facility", "severity", "hostname", "app_name", "proc_id",
			"msg_id", "message", "source_ip", "listener", "format", "parse_error", "raw":
		default:
			continue
		}
		s, ok := mem.val.(string)
		if !ok {
			return nil, errors.New(mem.key + " not a string")
		}
		switch mem.key {
		case "received", "timestamp":
			var ts time.Time
			if s != "" {
				if ts, err = time.Parse(time.RFC3339Nano, s); err != nil {
					return nil, err
				}
				if mem.key == "received" {
					ts = ts.UTC()
				} else {
					ts = zoneOnly(ts)
				}
			}
			if mem.key == "received" {
				m.Received = ts
			} else {
				m.Timestamp = ts
			}
		case "facility":
			facName = s
		case "severity":
			sevName = s
		case "hostname":
			m.Hostname = s
		case "app_name":
			m.AppName = s
		case "proc_id":
			m.ProcID = s
		case "msg_id":
			m.MsgID = s
		case "message":
			m.Text = s
		case "listener":
			m.Listener = s
		case "parse_error":
			m.ParseError = s
		case "raw":
			raw = s
		case "source_ip":
			m.Source = netip.AddrPort{}
			if s != "" {
				ip, err := netip.ParseAddr(s)
				if err != nil {
					return nil, err
				}
				m.Source = netip.AddrPortFrom(ip, 0)
			}
		case "format":
			switch s {
			case "":
				format = -1
			case "rfc5424":
				format = int(message.RFC5424)
			case "rfc3164":
				format = int(message.RFC3164)
			case "unparsed":
				format = int(message.Unparsed)
			default:
				return nil, errors.New("bad format")
			}
		}
	}
	switch {
	case facCode >= 0:
		m.Facility = message.Facility(facCode)
	case facName != "":
		if m.Facility, err = message.ParseFacility(facName); err != nil {
			return nil, err
		}
	default:
		return nil, errors.New("no facility")
	}
	switch {
	case sevCode >= 0:
		m.Severity = message.Severity(sevCode)
	case sevName != "":
		if m.Severity, err = message.ParseSeverity(sevName); err != nil {
			return nil, err
		}
	default:
		return nil, errors.New("no severity")
	}
	if raw != "" {
		m.Raw = []byte(raw)
	}
	switch {
	case format >= 0:
		m.Format = message.Format(format)
	case raw != "" || m.ParseError != "":
		m.Format = message.Unparsed
	default:
		return nil, errors.New("no format")
	}
	return m, nil
}

func oracleValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('{'):
		obj := jsonObject{}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return nil, err
			}
			v, err := oracleValue(dec)
			if err != nil {
				return nil, err
			}
			obj = append(obj, jsonMember{k.(string), v})
		}
		_, err := dec.Token()
		return obj, err
	case json.Delim('['):
		arr := []any{}
		for dec.More() {
			v, err := oracleValue(dec)
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
		}
		_, err := dec.Token()
		return arr, err
	}
	return tok, nil
}

// TestDecodeJSONErrors checks what the errors say and where they point.
func TestDecodeJSONErrors(t *testing.T) {
	const ok = `{"facility_code":1,"severity_code":5,"format":"rfc5424"`
	cases := []struct {
		name, line string
		offset     int
		reason     string
	}{
		{"empty", ``, 0, "unexpected end of input, want an object"},
		{"whitespace only", " \n", 2, "unexpected end of input"},
		{"not an object", `[1]`, 0, "want an object, found '['"},
		{"string", `"x"`, 0, "want an object"},
		{"truncated after brace", `{`, 1, "unexpected end of input, want a key"},
		{"truncated in key", `{"facility_co`, 1, "unterminated string"},
		{"truncated after key", `{"facility_code"`, 16, "unexpected end of input, want ':'"},
		{"truncated after colon", `{"facility_code":`, 17, "unexpected end of input, want a value"},
		{"truncated in number", `{"facility_code":-`, 18, "unexpected end of input in a number"},
		{"truncated after value", ok, len(ok), "unexpected end of input, want ',' or '}'"},
		{"truncated in string", ok + `,"message":"abc`, len(ok) + 11, "unterminated string"},
		{"truncated in escape", ok + `,"message":"abc\`, len(ok) + 11, "unterminated string"},
		{"truncated in sd", ok + `,"structured_data":{"a":{"b":"c"`, len(ok) + 32, "unexpected end of input, want ',' or '}' after an SD param"},
		{"truncated in unknown", ok + `,"x":[{"a":[1`, len(ok) + 13, "unexpected end of input, want ',' or ']'"},
		{"missing colon", `{"facility_code" 1}`, 17, "want ':' after a key, found '1'"},
		{"missing comma", `{"facility_code":1 "severity_code":5}`, 19, "want ',' or '}' after a value"},
		{"key not a string", `{facility_code:1}`, 1, "want a key string, found 'f'"},
		{"trailing comma", `{"facility_code":1,}`, 19, "want a key string, found '}'"},
		{"bad escape", ok + `,"message":"a\x"}`, len(ok) + 13, `invalid escape "\\x" in string`},
		{"bad unicode escape", ok + `,"message":"\u12G4"}`, len(ok) + 12, `invalid \u escape`},
		{"short unicode escape", ok + `,"message":"\u12"}`, len(ok) + 12, `invalid \u escape`},
		{"control byte", ok + ",\"message\":\"a\nb\"}", len(ok) + 13, `control character '\n' in string`},
		{"bad time", ok + `,"received":"2026-13-01T00:00:00Z"}`, len(ok) + 12, "received: not an RFC 3339 time"},
		{"time not a string", ok + `,"timestamp":0}`, len(ok) + 13, "timestamp: want a string, found '0'"},
		{"facility_code 24", `{"facility_code":24}`, 17, "facility_code: out of range 0-23"},
		{"severity_code 8", `{"severity_code":8}`, 17, "severity_code: out of range 0-7"},
		{"code negative", `{"severity_code":-1}`, 17, "severity_code: not an integer code"},
		{"code fraction", `{"severity_code":1.5}`, 17, "severity_code: not an integer code"},
		{"code string", `{"severity_code":"1"}`, 17, `severity_code: want a number, found '"'`},
		{"code bad number", `{"severity_code":1.}`, 17, "severity_code: invalid number: no digits after '.'"},
		{"bad facility name", `{"facility":"x","severity_code":1}`, 12, `facility: unknown facility "x"`},
		{"no facility", `{"severity_code":1}`, 19, "missing facility_code and facility"},
		{"no severity", `{"facility_code":1}`, 19, "missing severity_code and severity"},
		{"no format", `{"facility_code":1,"severity_code":1}`, 37, "missing format"},
		{"bad format", `{"format":"json"}`, 10, `format: want "rfc5424", "rfc3164" or "unparsed"`},
		{"bad source", ok + `,"source_ip":"1.2.3"}`, len(ok) + 13, "source_ip: not an IP address"},
		{"sd not an object", ok + `,"structured_data":"a"}`, len(ok) + 19, "structured_data: want an object, found '\"'"},
		{"sd element not an object", ok + `,"structured_data":{"a":[]}}`, len(ok) + 24, "want an object of SD params, found '['"},
		{"sd value not a string", ok + `,"structured_data":{"a":{"b":true}}}`, len(ok) + 29, "want a PARAM-VALUE string, found 't'"},
		{"sd id not a string", ok + `,"structured_data":{1:{}}}`, len(ok) + 20, "want an SD-ID, found '1'"},
		{"trailing garbage", ok + `} x`, len(ok) + 2, "data after the object: 'x'"},
		{"second object", ok + `}{}`, len(ok) + 1, "data after the object: '{'"},
		{"bad literal", ok + `,"x":nul}`, len(ok) + 5, "invalid literal, want null"},
		{"bad literal known key", ok + `,"hostname":nil}`, len(ok) + 12, "invalid literal, want null"},
		{"bad number", ok + `,"x":-a}`, len(ok) + 5, "invalid number"},
		{"bad exponent", ok + `,"x":1e+}`, len(ok) + 5, "invalid number: no digits in the exponent"},
		{"leading zero", ok + `,"x":012}`, len(ok) + 6, "want ',' or '}' after a value, found '1'"},
		{"bad value", ok + `,"x":+1}`, len(ok) + 5, "want a number, found '+'"},
		{"unclosed array", ok + `,"x":[1 2]}`, len(ok) + 8, "want ',' or ']', found '2'"},
		{"mismatched bracket", ok + `,"x":[1}`, len(ok) + 7, "want ',' or ']', found '}'"},
		{"nested key not a string", ok + `,"x":{1:2}}`, len(ok) + 6, "want a key string, found '1'"},
		{"invalid utf-8 outside strings", ok + ",\xff}", len(ok) + 1, "want a key string, found byte 0xff"},
		{"too deep", ok + `,"x":` + strings.Repeat("[", maxJSONDepth) + strings.Repeat("]", maxJSONDepth) + `}`, len(ok) + 5 + maxJSONDepth - 1, "exceeded the nesting depth limit of 10000"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := message.Message{Hostname: "kept", ID: 3}
			err := DecodeJSON([]byte(tc.line), &m)
			if err == nil {
				t.Fatalf("DecodeJSON(%q) succeeded", tc.line)
			}
			want := "json: offset " + strconv.Itoa(tc.offset) + ": "
			if !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), tc.reason) {
				t.Errorf("DecodeJSON(%.80q):\n got %q\nwant %q + ...%q...", tc.line, err, want, tc.reason)
			}
			if m.Hostname != "kept" || m.ID != 3 {
				t.Errorf("message changed on error: %+v", m)
			}
			if json.Valid([]byte(tc.line)) && !strings.Contains(tc.name, "code") && !strings.Contains(tc.name, "time") {
				// Only semantic errors may come from valid JSON.
				if _, oerr := oracleDecode([]byte(tc.line)); oerr == nil {
					t.Errorf("the oracle accepts %q", tc.line)
				}
			}
		})
	}
}

// TestDecodeJSONNestingLimit holds the depth limit to encoding/json's.
func TestDecodeJSONNestingLimit(t *testing.T) {
	const head = `{"facility_code":1,"severity_code":5,"format":"rfc5424","x":`
	for _, depth := range []int{maxJSONDepth - 2, maxJSONDepth - 1, maxJSONDepth} {
		for _, open := range []string{"[", `{"a":`} {
			close := "]"
			if open != "[" {
				close = "}"
			}
			line := []byte(head + strings.Repeat(open, depth) + strings.Repeat(close, depth) + "}")
			var m message.Message
			err := DecodeJSON(line, &m)
			if valid := json.Valid(line); (err == nil) != valid {
				t.Errorf("depth %d of %q: DecodeJSON error %v, json.Valid %v", depth+1, open, err, valid)
			}
		}
	}
}

// TestDecodeJSONOverwrites decodes into a message with every field set:
// all but ID and Receipt must be replaced.
func TestDecodeJSONOverwrites(t *testing.T) {
	r := message.NewReceipt(nil)
	dirty := message.Message{
		Received: time.Now(), Timestamp: time.Now(), Facility: 3, Severity: 2, NoPRI: true,
		Hostname: "h", AppName: "a", ProcID: "p", MsgID: "m",
		StructuredData: []message.SDElement{{ID: "x"}}, Text: "t", Raw: []byte("r"),
		Format: message.RFC5424, ParseError: "e", Source: goldenSrc, Listener: "l", ID: 9, Receipt: r,
	}
	line := []byte(`{"facility_code":1,"severity_code":5,"format":"unparsed"}`)
	if err := DecodeJSON(line, &dirty); err != nil {
		t.Fatal(err)
	}
	want := message.Message{Facility: 1, Severity: 5, Format: message.Unparsed, ID: 9, Receipt: r}
	if !reflect.DeepEqual(dirty, want) {
		t.Errorf("got %+v\nwant %+v", dirty, want)
	}
}

// TestDecodeJSONNoAlias overwrites the input after decoding: the message
// must not change.
func TestDecodeJSONNoAlias(t *testing.T) {
	names, frames, formats := goldenFrames(t)
	for i := range names {
		m := newTestParser(t, formats[i]).Parse(frames[i], goldenSrc, goldenListener, goldenReceived)
		line := jsonLine(t, m)
		var got message.Message
		if err := DecodeJSON(line, &got); err != nil {
			t.Fatal(err)
		}
		before := jsonLine(t, &got)
		for j := range line {
			line[j] = 'X'
		}
		if after := jsonLine(t, &got); !bytes.Equal(before, after) {
			t.Errorf("%s: message changed with its input:\n%s\n%s", names[i], before, after)
		}
	}
}

// TestDecodeJSONAllocs holds the allocation budget: one buffer for the
// strings, two slices for structured data, one copy for raw.
func TestDecodeJSONAllocs(t *testing.T) {
	for _, tc := range []struct {
		frame string
		max   float64
	}{
		{benchFrames[0].frame, 3}, // rfc5424 with SD
		{benchFrames[1].frame, 1},
		{benchFrames[2].frame, 1},
		{benchFrames[3].frame, 1}, // escapes in the text
		{benchFrames[5].frame, 2}, // unparsed: raw
		{`<14>1 2024-01-02T03:04:05+05:30 h a - - - m`, 1},
	} {
		line := jsonLine(t, newTestParser(t, "").Parse([]byte(tc.frame), goldenSrc, goldenListener, goldenReceived))
		// The same with spaces, which the fast path for keys passes by.
		spaced := bytes.ReplaceAll(bytes.ReplaceAll(line, []byte(`":`), []byte(`" : `)), []byte(`,"`), []byte(`, "`))
		for _, l := range [][]byte{line, spaced} {
			var m message.Message
			allocs := testing.AllocsPerRun(100, func() {
				if err := DecodeJSON(l, &m); err != nil {
					t.Fatal(err)
				}
			})
			if allocs > tc.max {
				t.Errorf("%s: %v allocations, want at most %v", l, allocs, tc.max)
			}
		}
	}
}

// TestParseStamp holds parseStamp to time.Parse on random times, offsets
// and fractions, and on malformed ones.
func TestParseStamp(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	min, max := time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC).Unix(), time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC).Unix()
	for range 20000 {
		off := (rng.IntN(2*24*60-1) - (24*60 - 1)) * 60 // -23:59 to +23:59
		ts := time.Unix(min+rng.Int64N(max-min), rng.Int64N(1e9)).In(time.FixedZone("", off))
		if y := ts.Year(); y < 0 || y > 9999 {
			continue
		}
		if rng.IntN(4) == 0 {
			ts = ts.Truncate(time.Duration(rng.IntN(4)+1) * time.Second)
		}
		s := ts.Format(time.RFC3339Nano)
		got, gotOff, ok := parseStamp([]byte(s))
		if !ok || !got.Equal(ts) || gotOff != off {
			t.Fatalf("parseStamp(%s) = %v, %d, %v; want %v, %d", s, got, gotOff, ok, ts, off)
		}
	}
	for _, s := range []string{
		"", "2024-01-02T03:04:05", "2024-01-02T03:04:05.Z", "2024-01-02t03:04:05Z",
		"2024-01-02T03:04:05z", "2024-1-02T03:04:05Z", "2024-01-02T03:04:05+0100",
		"2024-01-02T03:04:05+01:0a", "2024-01-02T03:04:05+24:00", "2024-01-02T03:04:05+01:60",
		"2024-00-02T03:04:05Z", "2024-01-32T03:04:05Z", "2024-04-31T03:04:05Z", "2100-02-29T03:04:05Z",
		"2024-01-02T03:60:05Z", "+024-01-02T03:04:05Z", "2024-01-02T03:04:05ZZ", "2024-01-02 03:04:05Z",
		"2024-01-02T03:04:05.1234567890123+01:00x",
	} {
		if _, _, ok := parseStamp([]byte(s)); ok {
			t.Errorf("parseStamp(%q) succeeded", s)
		} else if _, err := time.Parse(time.RFC3339Nano, s); err == nil && s != "2024-01-02T03:04:05.Z" {
			t.Logf("time.Parse accepts %q, parseStamp does not", s)
		}
	}
	if _, _, ok := parseStamp([]byte("2000-02-29T00:00:00Z")); !ok {
		t.Error("2000-02-29 rejected")
	}
}

// TestDaysSinceEpoch checks every day from year 0 to 9999.
func TestDaysSinceEpoch(t *testing.T) {
	d := time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)
	want := d.Unix() / 86400
	for ; d.Year() <= 9999; d = d.AddDate(0, 0, 1) {
		if got := daysSinceEpoch(d.Year(), int(d.Month()), d.Day()); got != want {
			t.Fatalf("daysSinceEpoch(%v) = %d, want %d", d, got, want)
		}
		want++
	}
}

// TestParseIPv4 holds the fast path to netip.ParseAddr.
func TestParseIPv4(t *testing.T) {
	inputs := []string{
		"0.0.0.0", "255.255.255.255", "192.0.2.10", "1.2.3.4", "01.2.3.4", "1.2.3.04", "256.1.1.1",
		"1.2.3", "1.2.3.4.5", "1..2.3", ".1.2.3", "1.2.3.", "1.2.3.4 ", "::1", "1.2.3.-4", "", "1.2.3.4%eth0",
		"1000.1.1.1", "00.1.1.1", "0.0.0.00",
	}
	rng := rand.New(rand.NewPCG(3, 4))
	const alphabet = "0123456789.:%a"
	for range 20000 {
		b := make([]byte, rng.IntN(16))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet)-3)] // mostly digits and dots
			if rng.IntN(20) == 0 {
				b[i] = alphabet[rng.IntN(len(alphabet))]
			}
		}
		inputs = append(inputs, string(b))
	}
	for _, s := range inputs {
		got, ok := parseIPv4([]byte(s))
		want, err := netip.ParseAddr(s)
		if ok && (err != nil || got != want) {
			t.Fatalf("parseIPv4(%q) = %v, netip.ParseAddr: %v, %v", s, got, want, err)
		}
		if !ok && err == nil && want.Is4() {
			t.Errorf("parseIPv4(%q) rejects the IPv4 address %v", s, want)
		}
	}
}

// TestSpecial checks the word-at-a-time scan against plainJSON for every
// byte value in every position, among plain and special neighbours.
func TestSpecial(t *testing.T) {
	fillers := []byte{'a', '"', 0x80, 0x1f, 0x20, 0x7f, '\\', 0xff}
	for pos := range 8 {
		for c := range 256 {
			for _, f := range fillers {
				var w [8]byte
				for i := range w {
					w[i] = 'a'
					if i > pos {
						w[i] = f
					}
				}
				w[pos] = byte(c)
				sp := special(uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
					uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56)
				first := slices.IndexFunc(w[:], func(b byte) bool { return !plainJSON[b] })
				switch {
				case first < 0 && sp != 0:
					t.Fatalf("%q: special %#x, want 0", w, sp)
				case first >= 0 && (sp == 0 || bits.TrailingZeros64(sp)/8 != first):
					t.Fatalf("%q: special %#x, want the lowest flag in byte %d", w, sp, first)
				}
			}
		}
	}
}

// TestFixedZone checks the zone cache: one zone per offset, right offsets.
func TestFixedZone(t *testing.T) {
	for _, off := range []int{-24 * 3600, -12*3600 - 900, -3600, 900, 5*3600 + 1800, 5*3600 + 2700, 14 * 3600, 24 * 3600, 17, 25 * 3600} {
		a, b := fixedZone(off), fixedZone(off)
		if _, got := time.Unix(0, 0).In(a).Zone(); got != off {
			t.Errorf("fixedZone(%d) has offset %d", off, got)
		}
		if off%900 == 0 && off >= -24*3600 && off <= 24*3600 && a != b {
			t.Errorf("fixedZone(%d) not cached", off)
		}
	}
}
