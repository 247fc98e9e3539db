package format

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"testing"
	"time"

	"syslogd/message"
)

// keyOrder is the contract's key order.
var keyOrder = []string{
	"received", "timestamp", "facility", "severity", "facility_code", "severity_code",
	"hostname", "app_name", "proc_id", "msg_id", "structured_data", "message",
	"source_ip", "listener", "format", "raw", "parse_error",
}

// jsonLine is what a consumer decodes; every field is checked.
type jsonLine struct {
	Received       string                       `json:"received"`
	Timestamp      string                       `json:"timestamp"`
	Facility       string                       `json:"facility"`
	Severity       string                       `json:"severity"`
	FacilityCode   int                          `json:"facility_code"`
	SeverityCode   int                          `json:"severity_code"`
	Hostname       string                       `json:"hostname"`
	AppName        string                       `json:"app_name"`
	ProcID         string                       `json:"proc_id"`
	MsgID          string                       `json:"msg_id"`
	StructuredData map[string]map[string]string `json:"structured_data"`
	Message        string                       `json:"message"`
	SourceIP       string                       `json:"source_ip"`
	Listener       string                       `json:"listener"`
	Format         string                       `json:"format"`
	Raw            string                       `json:"raw"`
	ParseError     string                       `json:"parse_error"`
}

func TestJSON(t *testing.T) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkJSON(t, &tc.msg, Append(nil, JSON, &tc.msg))
		})
	}
}

// checkJSON decodes line with encoding/json and compares every key and
// value with m.
func checkJSON(t *testing.T, m *message.Message, line []byte) {
	t.Helper()
	if !json.Valid(line) {
		t.Fatalf("invalid JSON: %q", line)
	}
	keys := topLevelKeys(t, line)
	if want := expectedKeys(m); !slices.Equal(keys, want) {
		t.Errorf("keys %v, want %v", keys, want)
	}
	var got jsonLine
	if err := json.Unmarshal(line, &got); err != nil {
		t.Fatalf("decode %q: %v", line, err)
	}
	if got.Received != m.Received.UTC().Format(time.RFC3339Nano) {
		t.Errorf("received %q, want %v", got.Received, m.Received)
	}
	if !m.Timestamp.IsZero() {
		ts, err := time.Parse(time.RFC3339Nano, got.Timestamp)
		_, off := ts.Zone()
		_, wantOff := m.Timestamp.Zone()
		if err != nil || !ts.Equal(m.Timestamp) || off != wantOff {
			t.Errorf("timestamp %q (%v), want %v", got.Timestamp, err, m.Timestamp)
		}
	}
	source := ""
	if m.Source.IsValid() {
		source = m.Source.Addr().String()
	}
	raw, parseErr := "", ""
	if !m.Parsed() {
		raw, parseErr = string(m.Raw), m.ParseError
	}
	strs := []struct{ key, got, want string }{
		{"facility", got.Facility, m.Facility.String()},
		{"severity", got.Severity, m.Severity.String()},
		{"facility_code", strconv.Itoa(got.FacilityCode), strconv.Itoa(int(m.Facility))},
		{"severity_code", strconv.Itoa(got.SeverityCode), strconv.Itoa(int(m.Severity))},
		{"hostname", got.Hostname, viaJSON(t, m.Hostname)},
		{"app_name", got.AppName, viaJSON(t, m.AppName)},
		{"proc_id", got.ProcID, viaJSON(t, m.ProcID)},
		{"msg_id", got.MsgID, viaJSON(t, m.MsgID)},
		{"message", got.Message, viaJSON(t, m.Text)},
		{"source_ip", got.SourceIP, source},
		{"listener", got.Listener, viaJSON(t, m.Listener)},
		{"format", got.Format, m.Format.String()},
		{"raw", got.Raw, viaJSON(t, raw)},
		{"parse_error", got.ParseError, viaJSON(t, parseErr)},
	}
	for _, s := range strs {
		if s.got != s.want {
			t.Errorf("%s = %q, want %q", s.key, s.got, s.want)
		}
	}
	var wantSD map[string]map[string]string
	for _, el := range m.StructuredData { // later elements and params win
		if wantSD == nil {
			wantSD = map[string]map[string]string{}
		}
		params := map[string]string{}
		for _, p := range el.Params {
			params[viaJSON(t, p.Name)] = viaJSON(t, p.Value)
		}
		wantSD[viaJSON(t, el.ID)] = params
	}
	if !equalSD(got.StructuredData, wantSD) {
		t.Errorf("structured_data = %v, want %v", got.StructuredData, wantSD)
	}
}

func equalSD(a, b map[string]map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for id, pa := range a {
		pb, ok := b[id]
		if !ok || len(pa) != len(pb) {
			return false
		}
		for k, v := range pa {
			if w, ok := pb[k]; !ok || w != v {
				return false
			}
		}
	}
	return true
}

// viaJSON is what s becomes after encoding/json encodes and decodes it
// (invalid UTF-8 turns into U+FFFD).
func viaJSON(t *testing.T, s string) string {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var out string
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func expectedKeys(m *message.Message) []string {
	present := map[string]bool{
		"received": true, "timestamp": !m.Timestamp.IsZero(),
		"facility": true, "severity": true, "facility_code": true, "severity_code": true,
		"hostname": m.Hostname != "", "app_name": m.AppName != "", "proc_id": m.ProcID != "",
		"msg_id": m.MsgID != "", "structured_data": len(m.StructuredData) > 0,
		"message": m.Text != "", "source_ip": m.Source.IsValid(), "listener": m.Listener != "",
		"format": true, "raw": !m.Parsed() && len(m.Raw) > 0, "parse_error": !m.Parsed() && m.ParseError != "",
	}
	var keys []string
	for _, k := range keyOrder {
		if present[k] {
			keys = append(keys, k)
		}
	}
	return keys
}

// topLevelKeys lists the object's keys in the order they appear, with
// duplicates, which map decoding would hide.
func topLevelKeys(t *testing.T, line []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(line))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("want an object, got %v %v", tok, err)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, tok.(string))
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

func TestJSONSDHasNoDuplicateKeys(t *testing.T) {
	m := &cases[len(cases)-1].msg // sd-duplicates
	got := string(Append(nil, JSON, m))
	want := `"structured_data":{"b":{"z":"first"},"a":{"x":"last"}}`
	if !bytes.Contains([]byte(got), []byte(want)) {
		t.Errorf("got %s, want it to contain %s", got, want)
	}
}

var jsonStrings = []string{
	"", "plain", `quote " and \ backslash`, "\x00\x01\b\f\n\r\t\x1f\x7f",
	"<html>&amp;", "caf\xc3\xa9", "\xff\xfe", "\xc3", "\xed\xa0\x80 surrogate",
	"\u2028 and \u2029", "emoji \U0001F600", "\xf4\x90\x80\x80 beyond U+10FFFF",
}

func TestJSONStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range jsonStrings {
		compareJSONString(t, s)
	}
}

func FuzzJSONString(f *testing.F) {
	for _, s := range jsonStrings {
		f.Add(s)
	}
	f.Fuzz(compareJSONString)
}

func compareJSONString(t *testing.T, s string) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		t.Fatal(err)
	}
	want := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	if got := appendJSONString(nil, s); !bytes.Equal(got, want) {
		t.Errorf("string %q: got %s, encoding/json %s", s, got, want)
	}
	if got := appendJSONString(nil, []byte(s)); !bytes.Equal(got, want) {
		t.Errorf("[]byte %q: got %s, encoding/json %s", s, got, want)
	}
}
