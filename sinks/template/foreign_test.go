package template

import (
	"slices"
	"testing"
)

func TestForeign(t *testing.T) {
	tests := []struct {
		src  string
		want []string
	}{
		{"/var/log/{hostname}/{app_name}.log", nil},
		{"/var/log/%HOSTNAME%/%PROGRAMNAME%.log", []string{
			"%HOSTNAME% is literal text here, not a placeholder; write {hostname}",
			"%PROGRAMNAME% is literal text here, not a placeholder; write {app_name}"}},
		{"/var/log/$HOST/${PROGRAM}-$YEAR.log", []string{
			"$HOST is literal text here, not a placeholder; write {hostname}",
			"${PROGRAM} is literal text here, not a placeholder; write {app_name}",
			"$YEAR is literal text here, not a placeholder; write {year}"}},
		{"logs.%fromhost-ip%", []string{"%fromhost-ip% is literal text here, not a placeholder; write {source_ip}"}},
		{"/var/log/%WHATEVER%.log", []string{"%WHATEVER% is literal text here, not a placeholder (placeholders: " + Placeholders + ")"}},
		{"/var/log/100%/50% done.log", nil}, // a '/' or space inside: not a property
		{"/var/log/price$ 5%", nil},
	}
	for _, tc := range tests {
		if got := Foreign(tc.src); !slices.Equal(got, tc.want) {
			t.Errorf("Foreign(%q):\n got %q\nwant %q", tc.src, got, tc.want)
		}
	}
}
