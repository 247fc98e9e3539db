package router

import (
	"errors"
	"path"
	"regexp/syntax"
	"strings"
	"testing"
)

type wantErr struct {
	route  int
	field  string
	reason string // substring of the reason
}

func TestNewErrors(t *testing.T) {
	ok := func(name string) Route { return only(name, Match{}, "a") }
	tests := []struct {
		name   string
		routes []Route
		want   []wantErr
	}{
		{"unknown facility", []Route{only("r", Match{Facility: []string{"auth", "local9"}}, "a")},
			[]wantErr{{0, "match.facility[1]", `unknown facility "local9"`}}},
		{"facility code out of range", []Route{only("r", Match{Facility: []string{"24"}}, "a")},
			[]wantErr{{0, "match.facility[0]", `unknown facility "24"`}}},
		{"unknown severity", []Route{only("r", Match{Severity: []string{"err", "loud"}}, "a")},
			[]wantErr{{0, "match.severity[1]", `unknown severity "loud"`}}},
		{"unknown min_severity", []Route{only("r", Match{MinSeverity: "8"}, "a")},
			[]wantErr{{0, "match.min_severity", `unknown severity "8"`}}},
		{"min_severity with severity", []Route{only("r", Match{MinSeverity: "err", Severity: []string{"crit"}}, "a")},
			[]wantErr{{0, "match.min_severity", "mutually exclusive"}}},
		{"bad hostname glob", []Route{only("r", Match{Hostname: []string{"web-*", "web[1-"}}, "a")},
			[]wantErr{{0, "match.hostname[1]", `bad glob "web[1-": syntax error in pattern`}}},
		{"bad app_name glob", []Route{only("r", Match{AppName: []string{`trailing\`}}, "a")},
			[]wantErr{{0, "match.app_name[0]", "bad glob"}}},
		{"bad CIDR", []Route{only("r", Match{Source: []string{"10.0.0.0/33"}}, "a")},
			[]wantErr{{0, "match.source[0]", "bad CIDR"}}},
		{"bad IP", []Route{only("r", Match{Source: []string{"10.0.0.1", "not-an-ip"}}, "a")},
			[]wantErr{{0, "match.source[1]", `"not-an-ip"`}}},
		{"IP with zone", []Route{only("r", Match{Source: []string{"fe80::1%eth0"}}, "a")},
			[]wantErr{{0, "match.source[0]", "zones are not supported"}}},
		{"bad regex", []Route{only("r", Match{Message: "failed (password"}, "a")},
			[]wantErr{{0, "match.message", "bad regex: error parsing regexp: missing closing )"}}},
		{"unknown sink", []Route{only("r", Match{}, "a", "x")},
			[]wantErr{{0, "sinks[1]", `unknown sink "x"`}}},
		{"no sinks", []Route{only("r", Match{})},
			[]wantErr{{0, "sinks", "route has no sinks"}}},
		{"fallback with match keys", []Route{{Name: "fb", Fallback: true, Sinks: []string{"a"},
			Match: Match{Facility: []string{"auth"}, Parsed: ptr(false)}}},
			[]wantErr{{0, "fallback", "cannot have match keys (has facility, parsed)"}}},
		{"fallback final", []Route{{Name: "fb", Fallback: true, Final: true, Sinks: []string{"a"}}},
			[]wantErr{{0, "fallback", "cannot be final"}}},
		{"empty name", []Route{ok("r"), ok("")},
			[]wantErr{{1, "name", "route name is empty"}}},
		{"duplicate name", []Route{ok("r"), ok("s"), ok("r")},
			[]wantErr{{2, "name", `duplicate route name "r" (also routes[0])`}}},
		{"several problems at once", []Route{
			ok("good"),
			only("bad", Match{Facility: []string{"nope"}, Hostname: []string{"["}, Message: "("}, "x", "a"),
			{Name: "good", Fallback: true, Final: true},
		}, []wantErr{
			{1, "match.facility[0]", "unknown facility"},
			{1, "match.hostname[0]", "bad glob"},
			{1, "match.message", "bad regex"},
			{1, "sinks[0]", `unknown sink "x"`},
			{2, "name", "duplicate route name"},
			{2, "sinks", "no sinks"},
			{2, "fallback", "cannot be final"},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := New(tc.routes, testSinks)
			if err == nil {
				t.Fatalf("New accepted the routes")
			}
			if r != nil {
				t.Errorf("New returned a Router with an error")
			}
			got := fieldErrors(t, err)
			if len(got) != len(tc.want) {
				t.Fatalf("got %d errors, want %d:\n%v", len(got), len(tc.want), err)
			}
			for i, w := range tc.want {
				g := got[i]
				if g.Route != w.route || g.Field != w.field || !strings.Contains(g.Err.Error(), w.reason) {
					t.Errorf("error %d = routes[%d] %q %q, want routes[%d] %q containing %q",
						i, g.Route, g.Field, g.Err, w.route, w.field, w.reason)
				}
			}
		})
	}
}

// fieldErrors unpacks errors.Join and insists every element is a *FieldError.
func fieldErrors(t *testing.T, err error) []*FieldError {
	t.Helper()
	joined, ok := err.(interface{ Unwrap() []error })
	if !ok {
		t.Fatalf("error is not an errors.Join: %T %v", err, err)
	}
	var out []*FieldError
	for _, e := range joined.Unwrap() {
		var fe *FieldError
		if !errors.As(e, &fe) {
			t.Fatalf("joined error %T %v is not a *FieldError", e, e)
		}
		out = append(out, fe)
	}
	return out
}

func TestFieldErrorFormatAndUnwrap(t *testing.T) {
	_, err := New([]Route{
		only("r0", Match{}, "a"),
		only("r1", Match{Hostname: []string{"ok", "[z-a"}, Message: "a**"}, "a"),
	}, testSinks)
	errs := fieldErrors(t, err)
	if len(errs) != 2 {
		t.Fatalf("got %d errors: %v", len(errs), err)
	}
	if got, want := errs[0].Error(), `routes[1].match.hostname[1]: bad glob "[z-a": `; !strings.HasPrefix(got, want) {
		t.Errorf("Error() = %q, want prefix %q", got, want)
	}
	if !errors.Is(err, path.ErrBadPattern) {
		t.Errorf("errors.Is(err, path.ErrBadPattern) = false")
	}
	var se *syntax.Error
	if !errors.As(err, &se) || se.Code != syntax.ErrInvalidRepeatOp {
		t.Errorf("errors.As(*syntax.Error) = %v, want code %q", se, syntax.ErrInvalidRepeatOp)
	}
}

func TestNewAcceptsValidForms(t *testing.T) {
	routes := []Route{
		only("codes", Match{Facility: []string{"0", "23", "audit"}, Severity: []string{"0", "7", "panic"}}, "a"),
		only("min", Match{MinSeverity: "error"}, "b"),
		only("ips", Match{Source: []string{"10.0.0.1", "10.0.0.0/8", "2001:db8::1", "::ffff:10.0.0.1", "10.1.2.3/8"}}, "c"),
		only("globs", Match{Hostname: []string{"*", "", `a\*b`, "[^a-c]?"}, AppName: []string{"**"}}, "d"),
		{Name: "fb", Fallback: true, Sinks: []string{"a", "a"}},
	}
	if _, err := New(routes, testSinks); err != nil {
		t.Fatal(err)
	}
	if _, err := New(nil, nil); err != nil {
		t.Fatalf("New(nil, nil) = %v", err)
	}
}
