package parser

import "syslogd/message"

// orderSD returns the structured data of an RFC 5424 frame in wire order.
//
// go-syslog hands structured data over as nested maps, which loses the
// element and parameter order and keeps only the last of repeated
// parameters (RFC 5424 allows repeats, e.g. origin ip=). go-syslog has
// already validated the grammar, so a simple scan of the frame recovers
// the order; the map supplies the strings it already allocated, so in the
// usual case only the two slices are new allocations.
//
// The scanner stays bounds-checked throughout: it must not panic even if
// it and go-syslog ever disagree about a frame.
//
// priEnd is the offset just past the PRI's '>' (from parsePRI).
func orderSD(in []byte, priEnd int, sd map[string]map[string]string) []message.SDElement {
	pos := sdStart(in, priEnd)
	nparams := 0
	for _, ps := range sd {
		nparams += len(ps)
	}
	elems := make([]message.SDElement, 0, len(sd))
	params := make([]message.SDParam, 0, nparams)
	for pos < len(in) && in[pos] == '[' {
		pos++
		start := pos
		for pos < len(in) && in[pos] != ' ' && in[pos] != ']' {
			pos++
		}
		idb := in[start:pos]
		id, inner := keyOf(sd, idb)
		first := len(params)
		for pos < len(in) && in[pos] == ' ' {
			pos++
			start = pos
			for pos < len(in) && in[pos] != '=' {
				pos++
			}
			nameb := in[start:pos]
			pos += 2 // '="'
			start = pos
			escaped := false
			for pos < len(in) && in[pos] != '"' {
				if in[pos] == '\\' {
					escaped = true
					pos++
				}
				pos++
			}
			if pos > len(in) {
				pos = len(in)
			}
			if start > pos {
				start = pos
			}
			raw := in[start:pos]
			pos++ // closing '"'
			name, _ := keyOf(inner, nameb)
			params = append(params, message.SDParam{Name: name, Value: paramValue(inner, nameb, raw, escaped)})
		}
		pos++ // ']'
		elems = append(elems, message.SDElement{ID: id, Params: params[first:len(params):len(params)]})
	}
	return elems
}

// sdStart returns the offset of STRUCTURED-DATA: just past the sixth space
// after PRI (which ends at priEnd), as header fields up to MSGID never
// contain spaces.
func sdStart(in []byte, priEnd int) int {
	pos := priEnd
	for spaces := 0; pos < len(in) && spaces < 6; pos++ {
		if in[pos] == ' ' {
			spaces++
		}
	}
	return pos
}

// keyOf returns the map's own copy of key b and its value, so the caller
// can reuse the string go-syslog allocated. Lookups by string(b) do not
// allocate; the scan is bounded because SD maps are small, and an absent
// or unusually large map falls back to a fresh string.
func keyOf[V any](m map[string]V, b []byte) (string, V) {
	var zero V
	if len(m) <= 16 {
		for k, v := range m {
			if k == string(b) {
				return k, v
			}
		}
	}
	return string(b), zero
}

// paramValue returns the unescaped PARAM-VALUE (RFC 5424 §6.3.3: \" \\ \]).
// It reuses go-syslog's string when that matches, which it does unless the
// parameter name is repeated within the element.
func paramValue(inner map[string]string, name, raw []byte, escaped bool) string {
	v, ok := inner[string(name)]
	if !escaped {
		if ok && v == string(raw) {
			return v
		}
		return string(raw)
	}
	if ok && sameUnescaped(v, raw) {
		return v
	}
	val := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		if isEscape(raw, i) {
			i++
		}
		val = append(val, raw[i])
	}
	return string(val)
}

// sameUnescaped reports whether v equals raw with its escapes removed,
// without building the unescaped copy.
func sameUnescaped(v string, raw []byte) bool {
	j := 0
	for i := 0; i < len(raw); i++ {
		if isEscape(raw, i) {
			i++
		}
		if j >= len(v) || v[j] != raw[i] {
			return false
		}
		j++
	}
	return j == len(v)
}

// isEscape reports whether raw[i] is a backslash escaping the next byte.
// Any other backslash is kept as it is, as RFC 5424 §6.3.3 asks.
func isEscape(raw []byte, i int) bool {
	return raw[i] == '\\' && i+1 < len(raw) && (raw[i+1] == '"' || raw[i+1] == '\\' || raw[i+1] == ']')
}
