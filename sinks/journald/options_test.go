package journald

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"syslogd/sinks"
)

func TestOptionsCheck(t *testing.T) {
	many := make([]Field, maxStaticFields+1)
	for i := range many {
		many[i] = Field{Name: fmt.Sprintf("F%d", i)}
	}
	tests := []struct {
		o    Options
		want []string
	}{
		{Options{}, nil},
		{Options{Namespace: "audit-1.x:y", Fields: []Field{{Name: "SITE", Value: "x"}}}, nil},
		{Options{Socket: "run/j.sock"}, []string{`socket: socket "run/j.sock" must be an absolute path`}},
		{Options{Socket: "/s", Namespace: "n"}, []string{"namespace: socket and namespace are mutually exclusive"}},
		{Options{Namespace: "../../tmp/x"}, []string{`namespace: invalid namespace "../../tmp/x" (use letters, digits, '_', '-', '.', ':', not starting with '.', at most 128)`}},
		{Options{Namespace: strings.Repeat("n", maxNamespace+1)}, []string{"namespace: invalid namespace"}},
		{Options{Fields: many}, []string{"fields: 501 fields, at most 500"}},
		{Options{Fields: []Field{{Name: "OK"}, {Name: "lower"}, {}}}, []string{
			`fields[1].name: invalid field name "lower" (use A-Z, 0-9 and _)`, "fields[2].name: required"}},
	}
	for _, tc := range tests {
		var got []string
		for _, err := range tc.o.Check() {
			fe := err.(*sinks.FieldError)
			got = append(got, fe.FieldPath()+": "+fe.Err.Error())
		}
		if len(got) == 1 && len(tc.want) == 1 && strings.HasPrefix(got[0], tc.want[0]) {
			continue
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%+v:\n got %q\nwant %q", tc.o.Socket+tc.o.Namespace, got, tc.want)
		}
		if _, err := New(tc.o, nil); (err == nil) != (tc.want == nil) {
			t.Errorf("New agrees not with Check: %v", err)
		}
	}
}
