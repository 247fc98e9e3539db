package parser

import (
	"strings"
	"testing"
)

func TestParsePRI(t *testing.T) {
	tests := []struct {
		in     string
		pri    int
		end    int
		reason string
	}{
		{"<0>x", 0, 3, ""},
		{"<13>Oct", 13, 4, ""},
		{"<191>1 ", 191, 5, ""},
		{"<9>", 9, 3, ""},
		{"<192>x", 0, 0, errPRIOutOfRange},
		{"<999>x", 0, 0, errPRIOutOfRange},
		{"<-1>x", 0, 0, errPRINotNumber},
		{"<ab>x", 0, 0, errPRINotNumber},
		{"<1a>x", 0, 0, errPRINotNumber},
		{"<00012>x", 0, 0, errPRILeadZero},
		{"<01>x", 0, 0, errPRILeadZero},
		{"<00>x", 0, 0, errPRILeadZero},
		{"<>x", 0, 0, errPRIEmpty},
		{"<1234>x", 0, 0, errPRITooLong},
		{"<12345678>x", 0, 0, errPRITooLong},
		{"<13", 0, 0, errPRINoClose},
		{"<13 Oct 11 22:14:15", 0, 0, errPRINoClose},
		{"<", 0, 0, errPRINoClose},
	}
	for _, tc := range tests {
		pri, end, reason := parsePRI([]byte(tc.in))
		if pri != tc.pri || end != tc.end || reason != tc.reason {
			t.Errorf("parsePRI(%q) = %d, %d, %q; want %d, %d, %q", tc.in, pri, end, reason, tc.pri, tc.end, tc.reason)
		}
	}
}

func TestLooks5424(t *testing.T) {
	tests := []struct {
		afterPRI string
		want     bool
	}{
		{"1 2003-10-11T22:14:15.003Z", true},
		{"1 - - - - - -", true},
		{"999 -", true},
		{"1", false},
		{"0 -", false},       // VERSION has no leading zero
		{"1000 -", false},    // four digits: a year or a Cisco counter
		{"123: *Mar", false}, // Cisco message counter
		{"Oct 11", false},
		{"2024-01-02T03:04:05Z", false},
		{"", false},
	}
	for _, tc := range tests {
		if got := looks5424([]byte(tc.afterPRI)); got != tc.want {
			t.Errorf("looks5424(%q) = %v, want %v", tc.afterPRI, got, tc.want)
		}
	}
}

// TestParseErrorReasons checks that the reason an operator sees names the
// actual problem, including where go-syslog's own error would mislead.
func TestParseErrorReasons(t *testing.T) {
	tests := []struct {
		format, frame, want string
	}{
		{"", "", errEmpty},
		{"", "\r\n", errEmpty},
		{"", "<192>x", errPRIOutOfRange},
		{"", "<13>", ""},                   // PRI only: an empty RFC 3164 message, as rsyslog and syslog-ng read it
		{"rfc3164", "<13>hello world", ""}, // RFC 3164 §4.3.2: kept as MSG, not an error
		{"", "<13>Oct 11 22:14:15", ""},
		{"", "<13>Oct 32 22:14:15 host app: m", "rfc3164: "},
		{"", "<165>1 2003-10-11T22:14:15.003Z mymachine", "rfc5424: expecting an hostname"},
		{"", "<14>1 - - - - - [id a=\"1\"][id b=\"2\"]", ""}, // a repeated SD-ID is kept, not refused
		{"", "<14>1 - - - - - [id a=\"1\"]x", "rfc5424: "},
		{"rfc5424", "no pri", "rfc5424: missing pri"},
		{"rfc5424", "<13>Oct 11 22:14:15 host app: m", "rfc5424: expecting a version value"},
	}
	for _, tc := range tests {
		m := newTestParser(t, tc.format).Parse([]byte(tc.frame), goldenSrc, "test", goldenReceived)
		if !strings.HasPrefix(m.ParseError, tc.want) || (tc.want == "") != (m.ParseError == "") {
			t.Errorf("%s %q: ParseError %q, want prefix %q", tc.format, tc.frame, m.ParseError, tc.want)
		}
	}
}
