package journald

import (
	"slices"
	"strings"
	"testing"
)

// TestDestination: the fields are the sink's own encoding, static fields
// last, and the socket the one the sink dials.
func TestDestination(t *testing.T) {
	o := Options{Namespace: "remote", Fields: []Field{{Name: "SYSLOGD_TIER", Value: "edge"}}}
	d, err := o.Destination(fullMessage("two\nlines"))
	if err != nil {
		t.Fatal(err)
	}
	jd := d.(Destination)
	var got []field
	for _, f := range jd.Fields {
		got = append(got, field{f.Name, f.Value})
	}
	want := append(fullFields("two\nlines"), field{"SYSLOGD_TIER", "edge"})
	if jd.Socket != "/run/systemd/journal.remote/socket" || !slices.Equal(got, want) {
		t.Errorf("Destination = %s %v, want %v", jd.Socket, got, want)
	}
	if s := jd.String(); !strings.Contains(s, "\nMESSAGE=\"two\\nlines\"\n") {
		t.Errorf("String quotes no newline:\n%s", s)
	}
}

// TestDecodeFieldsRefuses what journald would not read as one entry, and
// never panics on a length that does not fit.
func TestDecodeFieldsRefuses(t *testing.T) {
	for _, b := range []string{"MESSAGE=x", "\n", "A\n\x01", "A\n\xff\xff\xff\xff\xff\xff\xff\xffx\n", "A\n\x05\x00\x00\x00\x00\x00\x00\x00ab\n"} {
		if _, err := decodeFields([]byte(b)); err == nil {
			t.Errorf("decodeFields(%q) succeeded", b)
		}
	}
}
