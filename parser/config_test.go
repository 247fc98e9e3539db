package parser

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

func TestConfigCheck(t *testing.T) {
	tests := []struct {
		c    Config
		want []string
	}{
		{DefaultConfig(), nil},
		{Config{Format: "rfc5424", Timezone: "UTC"}, nil},
		{Config{Format: "rfc3164", Timezone: "Europe/Berlin"}, nil},
		{Config{Format: "rfc9999", Timezone: "Local"}, []string{`format: invalid value "rfc9999" (want auto, rfc5424, rfc3164)`}},
		{Config{Format: "", Timezone: ""}, []string{
			`format: invalid value "" (want auto, rfc5424, rfc3164)`,
			`timezone: unknown time zone "" (want an IANA name such as Europe/Berlin, Local or UTC)`}},
		{Config{Format: "auto", Timezone: "Mars/Olympus"}, []string{
			`timezone: unknown time zone "Mars/Olympus" (want an IANA name such as Europe/Berlin, Local or UTC)`}},
	}
	for _, tc := range tests {
		var got []string
		for _, err := range tc.c.Check() {
			fe := err.(*fieldError)
			got = append(got, fmt.Sprintf("%s: %v", fe.FieldPath(), fe.err))
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%+v:\n got %q\nwant %q", tc.c, got, tc.want)
		}
		o, err := tc.c.Options()
		if (err == nil) != (tc.want == nil) {
			t.Errorf("%+v: Options() error %v", tc.c, err)
		}
		if err == nil {
			if _, err := New(o); err != nil {
				t.Errorf("%+v: New: %v", tc.c, err)
			}
		}
	}
	if o, _ := DefaultConfig().Options(); o.Location != time.Local {
		t.Errorf("Local resolves to %v", o.Location)
	}
}
