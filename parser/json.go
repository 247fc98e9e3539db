package parser

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"syslogd/message"
)

// DecodeJSON decodes one JSON object as sinks/format's json line format
// writes it (the NATS sink's json payload) into m, overwriting every field
// of m except Receipt and ID, which it leaves as they are. On error m is
// not modified.
//
// Keys and the fields they fill:
//
//	received                     Received, in UTC
//	timestamp                    Timestamp, with the written UTC offset
//	facility_code, severity_code Facility, Severity
//	facility, severity           Facility, Severity, only if the code is missing
//	hostname, app_name, proc_id  Hostname, AppName, ProcID
//	msg_id, message, listener    MsgID, Text, Listener
//	structured_data              StructuredData, elements and params in the order written
//	source_ip                    Source, with port 0
//	format                       Format: "rfc5424", "rfc3164" or "unparsed"
//	raw, parse_error             Raw, ParseError
//
// The decoder accepts any JSON that means the same: keys in any order,
// any whitespace, any escape spelling. It skips unknown keys whatever
// their value, and ignores a null value, as encoding/json does. An empty
// string is an empty field, which the encoder would have left out (so
// "format":"" is a missing format). For a repeated key the last one
// counts (as with encoding/json), while a repeated SD-ID or PARAM-NAME
// inside structured_data is kept, in order, as Message allows. Times are
// RFC 3339 (time.RFC3339Nano), without the offsets beyond ±23:59 that
// time.Parse also takes; a missing received leaves Received zero. Codes
// are non-negative JSON integers without fraction or exponent.
// facility_code and severity_code decide Facility and Severity; facility
// and severity are only read when a code is missing, and then they also
// accept what message.ParseFacility and ParseSeverity do. Neither a code
// nor a name, or an out-of-range code, is an error. A missing format is
// Unparsed if raw or parse_error is present, and an error otherwise (the
// encoder always writes one). Format, ParseError and Raw are restored as
// written, whether or not they agree the way the encoder's would.
//
// What the json format does not carry cannot come back:
//   - NoPRI (false after decoding), the Source port (0), and Raw of a
//     parsed message (the encoder writes raw only for unparsed ones);
//   - bytes of invalid UTF-8, in any string and in raw: the encoder wrote
//     each as \ufffd, so they decode as U+FFFD;
//   - all but the last of a repeated SD-ID, or of a repeated PARAM-NAME
//     within an element, which the encoder drops; and whether an element's
//     empty Params was nil or not (it is nil after decoding);
//   - the time zone of Timestamp, of which only the offset is written: it
//     comes back as an unnamed time.FixedZone, or time.UTC for offset 0.
//
// Within those limits, encoding the decoded message gives the line it was
// decoded from, byte for byte, but for those \ufffd escapes: the encoder
// writes a real U+FFFD as the character itself.
//
// An error names the problem and its byte offset in data: malformed or
// truncated JSON, anything after the object but whitespace, a known key
// with a value of the wrong type, or a value out of range. DecodeJSON
// runs in time linear in len(data), never panics and may be called
// concurrently. data is only read
// during the call: the message's strings share one new buffer of
// len(data) bytes (it grows only for invalid UTF-8, whose bytes become
// three-byte U+FFFDs); structured data takes two more allocations, and
// Raw one.
func DecodeJSON(data []byte, m *message.Message) error {
	d := jsonDecoder{data: data}
	var out message.Message
	if err := d.decode(&out); err != nil {
		return err
	}
	out.ID, out.Receipt = m.ID, m.Receipt
	*m = out
	return nil
}

// jsonError is DecodeJSON's error: what was wrong and where.
type jsonError struct {
	offset int
	reason string
}

func (e *jsonError) Error() string {
	return "json: offset " + strconv.Itoa(e.offset) + ": " + e.reason
}

func jsonErr(offset int, reason string) error { return &jsonError{offset, reason} }

// maxJSONDepth is encoding/json's nesting limit; the decoder accepts no
// deeper input than it does.
const maxJSONDepth = 10000

// jsonDecoder holds one DecodeJSON call. Every string of the message is a
// substring of buf: strings.Builder only ever appends, so a substring
// taken early stays valid when later writes grow the buffer.
type jsonDecoder struct {
	data []byte
	buf  strings.Builder
}

// span is a JSON string value in data[start:end], quotes included, kept
// for later, with scanString's plain. start is -1 when the key was absent.
type span struct {
	start, end int
	plain      bool
}

var absent = span{start: -1}

// jsonKey numbers the keys the decoder knows.
type jsonKey uint8

const (
	keyUnknown jsonKey = iota
	keyReceived
	keyTimestamp
	keyFacility
	keySeverity
	keyFacilityCode
	keySeverityCode
	keyHostname
	keyAppName
	keyProcID
	keyMsgID
	keyStructuredData
	keyMessage
	keySourceIP
	keyListener
	keyFormat
	keyParseError
	keyRaw
)

func lookupKey[T string | []byte](k T) jsonKey {
	switch string(k) {
	case "received":
		return keyReceived
	case "timestamp":
		return keyTimestamp
	case "facility":
		return keyFacility
	case "severity":
		return keySeverity
	case "facility_code":
		return keyFacilityCode
	case "severity_code":
		return keySeverityCode
	case "hostname":
		return keyHostname
	case "app_name":
		return keyAppName
	case "proc_id":
		return keyProcID
	case "msg_id":
		return keyMsgID
	case "structured_data":
		return keyStructuredData
	case "message":
		return keyMessage
	case "source_ip":
		return keySourceIP
	case "listener":
		return keyListener
	case "format":
		return keyFormat
	case "parse_error":
		return keyParseError
	case "raw":
		return keyRaw
	}
	return keyUnknown
}

// encoderKeys are the keys in the order the encoder writes them, each
// as it starts a member: quoted, with the colon; head and tail are its
// first and last eight bytes (see encoderKey).
var encoderKeys = func() (keys [17]struct {
	lit        string
	key        jsonKey
	head, tail uint64
}) {
	for i, k := range [...]struct {
		lit string
		key jsonKey
	}{
		{`"received":`, keyReceived}, {`"timestamp":`, keyTimestamp},
		{`"facility":`, keyFacility}, {`"severity":`, keySeverity},
		{`"facility_code":`, keyFacilityCode}, {`"severity_code":`, keySeverityCode},
		{`"hostname":`, keyHostname}, {`"app_name":`, keyAppName},
		{`"proc_id":`, keyProcID}, {`"msg_id":`, keyMsgID},
		{`"structured_data":`, keyStructuredData}, {`"message":`, keyMessage},
		{`"source_ip":`, keySourceIP}, {`"listener":`, keyListener},
		{`"format":`, keyFormat}, {`"raw":`, keyRaw}, {`"parse_error":`, keyParseError},
	} {
		keys[i].lit, keys[i].key = k.lit, k.key
		if len(k.lit) >= 8 {
			keys[i].head = binary.LittleEndian.Uint64([]byte(k.lit))
			keys[i].tail = binary.LittleEndian.Uint64([]byte(k.lit[len(k.lit)-8:]))
		}
	}
	return keys
}()

// encoderKey is the fast path for keys: it tries the keys the encoder
// writes after encoderKeys[next-1] (it leaves empty ones out) as literal
// prefixes of b. On a match it returns the key and the new next; else
// keyUnknown, and decode reads the key in full. The quotes and the colon
// make a prefix match exact. Literals of 8 to 16 bytes compare as two
// overlapping words.
func encoderKey(b []byte, next int) (jsonKey, int) {
	if len(b) < 8 {
		return keyUnknown, next
	}
	head := binary.LittleEndian.Uint64(b)
	for k := next; k < len(encoderKeys); k++ {
		e := &encoderKeys[k]
		n := len(e.lit)
		if len(b) < n {
			continue
		}
		if n < 8 || n > 16 {
			if string(b[:n]) != e.lit {
				continue
			}
		} else if head != e.head || binary.LittleEndian.Uint64(b[n-8:]) != e.tail {
			continue
		}
		return e.key, k + 1
	}
	return keyUnknown, next
}

// jsonState is what decode learns before it can fill the fields that
// depend on more than one key.
type jsonState struct {
	facCode, sevCode int // -1: absent
	facName, sevName span
	format           int // -1: absent, else a message.Format
	message, raw     span
}

func (d *jsonDecoder) decode(m *message.Message) error {
	data := d.data
	// Decoded strings are never longer than their JSON form (but for
	// invalid UTF-8), so one buffer the size of the input holds them all.
	d.buf.Grow(len(data))
	st := jsonState{facCode: -1, sevCode: -1, facName: absent, sevName: absent, format: -1, message: absent, raw: absent}

	next := 0 // in encoderKeys
	i := skipWS(data, 0)
	if i >= len(data) {
		return jsonErr(i, "unexpected end of input, want an object")
	}
	if data[i] != '{' {
		return jsonErr(i, "want an object, found "+quoteByte(data[i]))
	}
	i = skipWS(data, i+1)
	if i < len(data) && data[i] == '}' {
		i++
	} else {
		for {
			if i >= len(data) {
				return jsonErr(i, "unexpected end of input, want a key")
			}
			var key jsonKey
			if key, next = encoderKey(data[i:], next); key != keyUnknown {
				i += len(encoderKeys[next-1].lit)
			} else {
				if data[i] != '"' {
					return jsonErr(i, "want a key string, found "+quoteByte(data[i]))
				}
				end, plain, err := d.scanString(i)
				if err != nil {
					return err
				}
				if plain {
					key = lookupKey(data[i+1 : end-1])
				} else {
					key = lookupKey(d.unescape(i, end))
				}
				if i = skipWS(data, end); i >= len(data) || data[i] != ':' {
					return d.want(i, "':' after a key")
				}
				i++
			}
			i = skipWS(data, i)
			var err error
			if i, err = d.field(key, i, m, &st); err != nil {
				return err
			}
			i = skipWS(data, i)
			if i < len(data) && data[i] == ',' {
				i = skipWS(data, i+1)
				continue
			}
			if i < len(data) && data[i] == '}' {
				i++
				break
			}
			return d.want(i, "',' or '}' after a value")
		}
	}
	if i = skipWS(data, i); i < len(data) {
		return jsonErr(i, "data after the object: "+quoteByte(data[i]))
	}
	return d.finish(m, &st)
}

// field decodes the value of key at data[i] and returns the offset past it.
func (d *jsonDecoder) field(key jsonKey, i int, m *message.Message, st *jsonState) (int, error) {
	data := d.data
	if i >= len(data) {
		return i, jsonErr(i, "unexpected end of input, want a value")
	}
	if key == keyUnknown {
		return d.skipValue(i)
	}
	if data[i] == 'n' { // null: ignored
		return d.literal(i, "null")
	}
	switch key {
	case keyFacilityCode:
		code, end, err := d.code(key, i, message.NumFacilities)
		st.facCode = code
		return end, err
	case keySeverityCode:
		code, end, err := d.code(key, i, message.NumSeverities)
		st.sevCode = code
		return end, err
	case keyStructuredData:
		return d.structuredData(i, m)
	}
	if data[i] != '"' {
		return i, jsonErr(i, keyName(key)+": want a string, found "+quoteByte(data[i]))
	}
	end, plain, err := d.scanString(i)
	if err != nil {
		return end, err
	}
	switch key {
	case keyFacility:
		st.facName = nonEmpty(i, end, plain)
	case keySeverity:
		st.sevName = nonEmpty(i, end, plain)
	case keyMessage:
		st.message = nonEmpty(i, end, plain)
		m.Text = d.decoded(i, end, plain)
	case keyRaw:
		st.raw = nonEmpty(i, end, plain)
	case keyHostname:
		m.Hostname = d.decoded(i, end, plain)
	case keyAppName:
		m.AppName = d.decoded(i, end, plain)
	case keyProcID:
		m.ProcID = d.decoded(i, end, plain)
	case keyMsgID:
		m.MsgID = d.decoded(i, end, plain)
	case keyListener:
		m.Listener = d.decoded(i, end, plain)
	case keyParseError:
		m.ParseError = d.decoded(i, end, plain)
	case keyReceived, keyTimestamp:
		var t time.Time
		if end-i > 2 { // "" leaves it zero
			var offset int
			var ok bool
			if plain {
				t, offset, ok = parseStamp(data[i+1 : end-1])
			} else { // never from the encoder: the copy may allocate
				t, offset, ok = parseStamp([]byte(d.unescape(i, end)))
			}
			switch {
			case !ok:
				return end, jsonErr(i, keyName(key)+": not an RFC 3339 time")
			case key == keyReceived || offset == 0:
				t = t.UTC()
			default:
				t = t.In(fixedZone(offset))
			}
		}
		if key == keyReceived {
			m.Received = t
		} else {
			m.Timestamp = t
		}
	case keySourceIP:
		m.Source = netip.AddrPort{}
		if end-i == 2 {
			break
		}
		ip, ok := netip.Addr{}, false
		if plain {
			ip, ok = parseIPv4(data[i+1 : end-1])
		}
		if !ok {
			var err error
			if ip, err = netip.ParseAddr(d.decoded(i, end, plain)); err != nil {
				return end, jsonErr(i, "source_ip: not an IP address")
			}
		}
		m.Source = netip.AddrPortFrom(ip, 0)
	case keyFormat:
		var f int
		if plain {
			f = formatOf(data[i+1 : end-1])
		} else {
			f = formatOf(d.unescape(i, end))
		}
		if f < 0 && end-i > 2 {
			return end, jsonErr(i, `format: want "rfc5424", "rfc3164" or "unparsed"`)
		}
		st.format = f
	}
	return end, nil
}

// finish fills the fields that depend on several keys.
func (d *jsonDecoder) finish(m *message.Message, st *jsonState) error {
	end := len(d.data)
	switch {
	case st.facCode >= 0:
		m.Facility = message.Facility(st.facCode)
	case st.facName != absent:
		f, err := message.ParseFacility(d.stringAt(st.facName))
		if err != nil {
			return jsonErr(st.facName.start, "facility: "+err.Error())
		}
		m.Facility = f
	default:
		return jsonErr(end, "missing facility_code and facility")
	}
	switch {
	case st.sevCode >= 0:
		m.Severity = message.Severity(st.sevCode)
	case st.sevName != absent:
		s, err := message.ParseSeverity(d.stringAt(st.sevName))
		if err != nil {
			return jsonErr(st.sevName.start, "severity: "+err.Error())
		}
		m.Severity = s
	default:
		return jsonErr(end, "missing severity_code and severity")
	}
	if st.raw != absent {
		// An unparsed message's text is usually its frame: the same JSON
		// string twice, decoded once.
		if st.message != absent && d.sameString(st.message, st.raw) {
			if m.Text != "" {
				m.Raw = []byte(m.Text)
			}
		} else if s := d.stringAt(st.raw); s != "" {
			m.Raw = []byte(s)
		}
	}
	switch {
	case st.format >= 0:
		m.Format = message.Format(st.format)
	case st.raw != absent || m.ParseError != "":
		m.Format = message.Unparsed
	default:
		return jsonErr(end, "missing format")
	}
	return nil
}

// structuredData decodes {"SD-ID":{"name":"value",...},...} at data[i]
// into m.StructuredData, in order. A first pass counts elements and
// params so that each gets one exactly sized allocation.
func (d *jsonDecoder) structuredData(i int, m *message.Message) (int, error) {
	data := d.data
	if data[i] != '{' {
		return i, jsonErr(i, "structured_data: want an object, found "+quoteByte(data[i]))
	}
	nelems, nparams := countSD(data, i)
	var elems []message.SDElement
	var params []message.SDParam
	if nelems > 0 {
		elems = make([]message.SDElement, 0, nelems)
	}
	if nparams > 0 {
		params = make([]message.SDParam, 0, nparams)
	}
	i = skipWS(data, i+1)
	if i < len(data) && data[i] == '}' {
		m.StructuredData = nil
		return i + 1, nil
	}
	for {
		id, end, err := d.str(i, "an SD-ID")
		if err != nil {
			return end, err
		}
		i = skipWS(data, end)
		if i >= len(data) || data[i] != ':' {
			return i, d.want(i, "':' after an SD-ID")
		}
		i = skipWS(data, i+1)
		if i >= len(data) || data[i] != '{' {
			return i, d.want(i, "an object of SD params")
		}
		first := len(params)
		i = skipWS(data, i+1)
		if i < len(data) && data[i] == '}' {
			i++
		} else {
			for {
				var p message.SDParam
				if p.Name, end, err = d.str(i, "a PARAM-NAME"); err != nil {
					return end, err
				}
				i = skipWS(data, end)
				if i >= len(data) || data[i] != ':' {
					return i, d.want(i, "':' after a PARAM-NAME")
				}
				i = skipWS(data, i+1)
				if p.Value, end, err = d.str(i, "a PARAM-VALUE string"); err != nil {
					return end, err
				}
				params = append(params, p)
				i = skipWS(data, end)
				if i < len(data) && data[i] == ',' {
					i = skipWS(data, i+1)
					continue
				}
				if i < len(data) && data[i] == '}' {
					i++
					break
				}
				return i, d.want(i, "',' or '}' after an SD param")
			}
		}
		el := message.SDElement{ID: id}
		if len(params) > first {
			el.Params = params[first:len(params):len(params)]
		}
		elems = append(elems, el)
		i = skipWS(data, i)
		if i < len(data) && data[i] == ',' {
			i = skipWS(data, i+1)
			continue
		}
		if i < len(data) && data[i] == '}' {
			m.StructuredData = elems
			return i + 1, nil
		}
		return i, d.want(i, "',' or '}' after an SD element")
	}
}

// countSD counts the elements and params of the structured-data object at
// data[i] == '{' for sizing: strings at depth 1 are SD-IDs, half of those
// at depth 2 are names. Malformed input only makes the count wrong, which
// structuredData survives (append grows) before it reports the error.
func countSD(data []byte, i int) (elems, params int) {
	depth, strs := 0, 0
	for ; i < len(data); i++ {
		switch data[i] {
		case '{':
			depth++
		case '}':
			if depth--; depth == 0 {
				return elems, (strs + 1) / 2
			}
		case '"':
			for i++; i < len(data) && data[i] != '"'; i++ {
				if data[i] == '\\' {
					i++
				}
			}
			switch depth {
			case 1:
				elems++
			case 2:
				strs++
			}
		}
	}
	return elems, (strs + 1) / 2
}

// str decodes the JSON string at data[i]; what names the expected value.
func (d *jsonDecoder) str(i int, what string) (string, int, error) {
	if i >= len(d.data) || d.data[i] != '"' {
		return "", i, d.want(i, what)
	}
	end, plain, err := d.scanString(i)
	if err != nil {
		return "", end, err
	}
	return d.decoded(i, end, plain), end, nil
}

// stringAt decodes the string at s.
func (d *jsonDecoder) stringAt(s span) string { return d.decoded(s.start, s.end, s.plain) }

// sameString reports whether the JSON strings at a and b are spelt alike.
func (d *jsonDecoder) sameString(a, b span) bool {
	return bytes.Equal(d.data[a.start:a.end], d.data[b.start:b.end])
}

// decoded returns the content of the string data[start:end] (quotes
// included), copied into buf. plain is scanString's answer.
func (d *jsonDecoder) decoded(start, end int, plain bool) string {
	if end-start <= 2 {
		return ""
	}
	if !plain {
		return d.unescape(start, end)
	}
	off := d.buf.Len()
	d.buf.Write(d.data[start+1 : end-1])
	return d.buf.String()[off:]
}

// plainJSON marks the bytes a JSON string holds as they are: printable
// ASCII other than '"' and '\\'. Anything else needs a closer look.
var plainJSON = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// special flags, in bit 7 of each byte of the little-endian word w, the
// bytes plainJSON does not mark: '"', '\\', control bytes and bytes of
// 0x80 and above. It is the "has zero byte" and "has byte less than" tricks
// (x - 0x01… and x - 0x20…, each borrowing to bit 7 where the byte is
// smaller) on w, w^'"' and w^'\\', or-ed with w itself, which flags high
// bytes; the usual &^x is then redundant. A borrow can only flag a byte
// above a flagged one, so the lowest flag is exact.
func special(w uint64) uint64 {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	quote := w ^ (ones * '"')
	backslash := w ^ (ones * '\\')
	return ((w - ones*0x20) | (quote - ones) | (backslash - ones) | w) & highs
}

// scanString checks the JSON string starting at data[i] == '"' and
// returns the offset just past its closing quote. plain reports that its
// content is its value byte for byte: no escapes and valid UTF-8.
func (d *jsonDecoder) scanString(i int) (end int, plain bool, err error) {
	data := d.data
	start := i
	plain = true
	for i++; i < len(data); {
		// Eight bytes at a time while none needs a look (see special).
		if len(data)-i >= 8 {
			if sp := special(binary.LittleEndian.Uint64(data[i:])); sp == 0 {
				i += 8
				continue
			} else {
				i += bits.TrailingZeros64(sp) / 8
			}
		}
		c := data[i]
		if plainJSON[c] {
			i++
			continue
		}
		switch {
		case c == '"':
			return i + 1, plain, nil
		case c == '\\':
			plain = false
			if i+1 >= len(data) {
				return i, false, jsonErr(start, "unterminated string")
			}
			switch data[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if _, ok := hex4(data, i+2); !ok {
					return i, false, jsonErr(i, `invalid \u escape in string`)
				}
				i += 6
			default:
				return i, false, jsonErr(i, "invalid escape "+strconv.Quote(string(data[i:i+2]))+" in string")
			}
		case c < 0x20:
			return i, false, jsonErr(i, "control character "+quoteByte(c)+" in string")
		default:
			r, size := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && size == 1 {
				plain = false
			}
			i += size
		}
	}
	return i, false, jsonErr(start, "unterminated string")
}

// unescape decodes the string data[start:end] (quotes included, checked
// by scanString) into buf as encoding/json does: a lone or unpaired
// surrogate and each byte of invalid UTF-8 become U+FFFD.
func (d *jsonDecoder) unescape(start, end int) string {
	s := d.data[start+1 : end-1]
	off := d.buf.Len()
	w := &d.buf
	lit := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRune(s[i:])
			if r != utf8.RuneError || size != 1 {
				i += size
				continue
			}
			w.Write(s[lit:i])
			w.WriteRune(utf8.RuneError)
			i++
			lit = i
			continue
		}
		if c != '\\' || i+1 >= len(s) {
			i++
			continue
		}
		w.Write(s[lit:i])
		n := 2
		switch e := s[i+1]; e {
		case 'b':
			w.WriteByte('\b')
		case 'f':
			w.WriteByte('\f')
		case 'n':
			w.WriteByte('\n')
		case 'r':
			w.WriteByte('\r')
		case 't':
			w.WriteByte('\t')
		case 'u':
			r, _ := hex4(s, i+2)
			n = 6
			if utf16.IsSurrogate(r) {
				// Only a high surrogate followed by a \u low one is a
				// pair; otherwise the next escape stands on its own.
				pair := utf8.RuneError
				if i+7 < len(s) && s[i+6] == '\\' && s[i+7] == 'u' {
					if r2, ok := hex4(s, i+8); ok {
						pair = utf16.DecodeRune(r, r2)
					}
				}
				if r = pair; pair != utf8.RuneError {
					n = 12
				}
			}
			w.WriteRune(r)
		default: // '"', '\\', '/'
			w.WriteByte(e)
		}
		i += n
		lit = i
	}
	w.Write(s[lit:])
	return w.String()[off:]
}

// hex4 reads the four hex digits of a \u escape at s[i:].
func hex4(s []byte, i int) (rune, bool) {
	if i < 0 || i+4 > len(s) {
		return 0, false
	}
	var r rune
	for _, c := range s[i : i+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// nonEmpty is the span of the string data[start:end], or absent for "".
func nonEmpty(start, end int, plain bool) span {
	if end-start <= 2 {
		return absent
	}
	return span{start, end, plain}
}

// code reads a facility or severity code at data[i]: a JSON integer in
// [0, limit). It returns -1 with the error.
func (d *jsonDecoder) code(key jsonKey, i, limit int) (int, int, error) {
	end, nerr := d.number(i)
	if nerr != nil {
		return -1, end, jsonErr(nerr.offset, keyName(key)+": "+nerr.reason)
	}
	n := 0
	for _, c := range d.data[i:end] {
		if !isDigit(c) {
			return -1, end, jsonErr(i, keyName(key)+": not an integer code")
		}
		if n < limit {
			n = n*10 + int(c-'0')
		}
	}
	if n >= limit {
		return -1, end, jsonErr(i, keyName(key)+": out of range 0-"+strconv.Itoa(limit-1))
	}
	return n, end, nil
}

// number checks the JSON number at data[i] and returns the offset past it.
// Its error is typed so that code can prefix the key.
func (d *jsonDecoder) number(i int) (int, *jsonError) {
	data := d.data
	start := i
	digitRun := func() bool {
		if i >= len(data) || !isDigit(data[i]) {
			return false
		}
		for i < len(data) && isDigit(data[i]) {
			i++
		}
		return true
	}
	if i < len(data) && data[i] == '-' {
		i++
	}
	switch {
	case i < len(data) && data[i] == '0':
		i++
	case !digitRun():
		if i >= len(data) {
			return i, &jsonError{i, "unexpected end of input in a number"}
		}
		if i == start {
			return i, &jsonError{i, "want a number, found " + quoteByte(data[i])}
		}
		return i, &jsonError{start, "invalid number"}
	}
	if i < len(data) && data[i] == '.' {
		i++
		if !digitRun() {
			return i, &jsonError{start, "invalid number: no digits after '.'"}
		}
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		if !digitRun() {
			return i, &jsonError{start, "invalid number: no digits in the exponent"}
		}
	}
	return i, nil
}

// literal checks that data[i:] starts with lit (true, false or null).
func (d *jsonDecoder) literal(i int, lit string) (int, error) {
	if len(d.data)-i >= len(lit) && string(d.data[i:i+len(lit)]) == lit {
		return i + len(lit), nil
	}
	return i, jsonErr(i, "invalid literal, want "+lit)
}

// skipValue checks the JSON value at data[i], of any type, and returns the
// offset past it. It keeps open containers in a bit set rather than
// recursing, so deep nesting costs no stack; the depth limit is
// encoding/json's, counting the enclosing object.
func (d *jsonDecoder) skipValue(i int) (int, error) {
	data := d.data
	var objects [maxJSONDepth/64 + 1]uint64 // bit n: container n is an object
	depth := 0
	var err error
	for {
		if i >= len(data) {
			return i, jsonErr(i, "unexpected end of input, want a value")
		}
		switch c := data[i]; {
		case c == '{' || c == '[':
			if depth+1 >= maxJSONDepth {
				return i, jsonErr(i, "exceeded the nesting depth limit of "+strconv.Itoa(maxJSONDepth))
			}
			if c == '{' {
				objects[depth/64] |= 1 << (depth % 64)
			} else {
				objects[depth/64] &^= 1 << (depth % 64)
			}
			depth++
			i = skipWS(data, i+1)
			if i < len(data) && data[i] == c+2 { // '{'+2 is '}', '['+2 is ']'
				i++
				depth--
				break
			}
			if c == '{' {
				if i, err = d.memberKey(i); err != nil {
					return i, err
				}
			}
			continue
		case c == '"':
			if i, _, err = d.scanString(i); err != nil {
				return i, err
			}
		case c == 't':
			i, err = d.literal(i, "true")
		case c == 'f':
			i, err = d.literal(i, "false")
		case c == 'n':
			i, err = d.literal(i, "null")
		default:
			var nerr *jsonError
			if i, nerr = d.number(i); nerr != nil {
				return i, nerr
			}
		}
		if err != nil {
			return i, err
		}
		// After a value: close containers until one has a next value.
		for {
			if depth == 0 {
				return i, nil
			}
			i = skipWS(data, i)
			object := objects[(depth-1)/64]&(1<<((depth-1)%64)) != 0
			closer := byte(']')
			if object {
				closer = '}'
			}
			if i < len(data) && data[i] == closer {
				i++
				depth--
				continue
			}
			if i >= len(data) || data[i] != ',' {
				return i, d.want(i, "',' or "+quoteByte(closer))
			}
			i = skipWS(data, i+1)
			if object {
				if i, err = d.memberKey(i); err != nil {
					return i, err
				}
			}
			break
		}
	}
}

// memberKey checks `"key" :` at data[i] and returns the offset of the
// value after it.
func (d *jsonDecoder) memberKey(i int) (int, error) {
	data := d.data
	if i >= len(data) || data[i] != '"' {
		return i, d.want(i, "a key string")
	}
	end, _, err := d.scanString(i)
	if err != nil {
		return end, err
	}
	i = skipWS(data, end)
	if i >= len(data) || data[i] != ':' {
		return i, d.want(i, "':' after a key")
	}
	return skipWS(data, i+1), nil
}

func skipWS(data []byte, i int) int {
	for i < len(data) && data[i] <= ' ' {
		switch data[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// want reports that data[i] is not what. The end of the input is a
// truncation rather than a wrong byte.
func (d *jsonDecoder) want(i int, what string) error {
	if i >= len(d.data) {
		return jsonErr(i, "unexpected end of input, want "+what)
	}
	return jsonErr(i, "want "+what+", found "+quoteByte(d.data[i]))
}

func quoteByte(c byte) string {
	if c < utf8.RuneSelf {
		return strconv.QuoteRune(rune(c))
	}
	return "byte 0x" + strconv.FormatUint(uint64(c), 16)
}

var keyNames = [...]string{
	keyUnknown: "unknown key", keyReceived: "received", keyTimestamp: "timestamp",
	keyFacility: "facility", keySeverity: "severity", keyFacilityCode: "facility_code",
	keySeverityCode: "severity_code", keyHostname: "hostname", keyAppName: "app_name",
	keyProcID: "proc_id", keyMsgID: "msg_id", keyStructuredData: "structured_data",
	keyMessage: "message", keySourceIP: "source_ip", keyListener: "listener",
	keyFormat: "format", keyParseError: "parse_error", keyRaw: "raw",
}

func keyName(k jsonKey) string { return keyNames[k] }

// formatOf returns the message.Format named s, or -1.
func formatOf[T string | []byte](s T) int {
	switch string(s) {
	case "rfc5424":
		return int(message.RFC5424)
	case "rfc3164":
		return int(message.RFC3164)
	case "unparsed":
		return int(message.Unparsed)
	}
	return -1
}

// parseStamp parses an RFC 3339 time as time.RFC3339Nano writes it:
// YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM), with the ranges
// time.Parse checks. It returns the instant and the offset in seconds;
// digits of the fraction beyond nanoseconds are dropped, as time.Parse
// drops them. It is faster than time.Parse, which also looks the offset
// up in time.Local.
func parseStamp(s []byte) (t time.Time, offset int, ok bool) {
	const base = len("2006-01-02T15:04:05")
	if len(s) < base+1 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' {
		return time.Time{}, 0, false
	}
	if !(isDigits2(s, 0) && isDigits2(s, 2) && isDigits2(s, 5) && isDigits2(s, 8) &&
		isDigits2(s, 11) && isDigits2(s, 14) && isDigits2(s, 17)) {
		return time.Time{}, 0, false
	}
	year := int(s[0]-'0')*1000 + int(s[1]-'0')*100 + int(s[2]-'0')*10 + int(s[3]-'0')
	month, day := two(s, 5), two(s, 8)
	hour, minute, sec := two(s, 11), two(s, 14), two(s, 17)
	if month < 1 || month > 12 || day < 1 || day > daysIn(month, year) || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, 0, false
	}
	i, nsec := base, 0
	if s[i] == '.' {
		i++
		n := 0
		for ; i < len(s) && isDigit(s[i]); i++ {
			if n < 9 {
				nsec = nsec*10 + int(s[i]-'0')
				n++
			}
		}
		if n == 0 {
			return time.Time{}, 0, false
		}
		for ; n < 9; n++ {
			nsec *= 10
		}
	}
	switch rest := s[i:]; {
	case len(rest) == 1 && rest[0] == 'Z':
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':' &&
		isDigits2(rest, 1) && isDigits2(rest, 4):
		oh, om := two(rest, 1), two(rest, 4)
		if oh > 23 || om > 59 {
			return time.Time{}, 0, false
		}
		if offset = (oh*60 + om) * 60; rest[0] == '-' {
			offset = -offset
		}
	default:
		return time.Time{}, 0, false
	}
	unix := daysSinceEpoch(year, month, day)*86400 + int64(hour*3600+minute*60+sec-offset)
	return time.Unix(unix, int64(nsec)), offset, true
}

func isDigits2(s []byte, i int) bool { return s[i]-'0' <= 9 && s[i+1]-'0' <= 9 }

// two reads the two decimal digits at s[i:], already checked.
func two(s []byte, i int) int { return int(s[i]-'0')*10 + int(s[i+1]-'0') }

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysSinceEpoch counts days from 1970-01-01 to a proleptic Gregorian
// date (year 0-9999), after Howard Hinnant's days_from_civil. Years are
// shifted by one 400-year era so that the arithmetic stays unsigned.
func daysSinceEpoch(year, month, day int) int64 {
	const eraDays = 146097
	y := uint64(year) + 400
	if month <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400
	mp := uint64(month+9) % 12
	doy := (153*mp+2)/5 + uint64(day) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era*eraDays+doe) - 719468 - eraDays
}

// parseIPv4 is a fast path for netip.ParseAddr: it reads a dotted quad
// and reports false for anything else, which ParseAddr then reads. What
// it accepts, ParseAddr accepts alike (no leading zeros, fields to 255).
func parseIPv4(s []byte) (netip.Addr, bool) {
	var ip [4]byte
	field, n, digits := 0, 0, 0
	for _, c := range s {
		switch {
		case c == '.':
			if digits == 0 || field == 3 {
				return netip.Addr{}, false
			}
			ip[field] = byte(n)
			field, n, digits = field+1, 0, 0
		case isDigit(c):
			if digits > 0 && n == 0 { // leading zero
				return netip.Addr{}, false
			}
			if n = n*10 + int(c-'0'); n > 255 {
				return netip.Addr{}, false
			}
			digits++
		default:
			return netip.Addr{}, false
		}
	}
	if field != 3 || digits == 0 {
		return netip.Addr{}, false
	}
	ip[3] = byte(n)
	return netip.AddrFrom4(ip), true
}

// fixedZones are the unnamed zones of offsets in whole quarter hours from
// -24h to +24h, made once: time.FixedZone caches whole hours only from
// -12h to +14h, and every other zone would cost an allocation per message
// (India's +05:30, for one). Never written after initialisation.
var fixedZones = func() (z [2*24*4 + 1]*time.Location) {
	for i := range z {
		z[i] = time.FixedZone("", (i-24*4)*15*60)
	}
	return z
}()

func fixedZone(offset int) *time.Location {
	const quarter = 15 * 60
	if offset%quarter != 0 || offset < -24*3600 || offset > 24*3600 {
		return time.FixedZone("", offset)
	}
	return fixedZones[offset/quarter+24*4]
}
