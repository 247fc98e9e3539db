package config

import (
	"slices"
	"testing"
)

func TestUnknownKeySuggestion(t *testing.T) {
	known := []string{"name", "path", "format", "fsync", "max_open_files"}
	cases := map[string]string{
		"pth":            `unknown key "pth"; did you mean "path"?`,
		"Path":           `unknown key "Path"; did you mean "path"?`,
		"fromat":         `unknown key "fromat"; did you mean "format"?`,
		"max_open_file":  `unknown key "max_open_file"; did you mean "max_open_files"?`,
		"colour":         `unknown key "colour"`,
		"fs":             `unknown key "fs"`,
		"max_open_fils_": `unknown key "max_open_fils_"; did you mean "max_open_files"?`,
	}
	for key, want := range cases {
		if got := unknownKey(key, known); got != want {
			t.Errorf("unknownKey(%q) = %q, want %q", key, got, want)
		}
	}
}

func TestDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		d    int
	}{{"", "", 0}, {"a", "", 1}, {"", "abc", 3}, {"kitten", "sitting", 3}, {"path", "pth", 1}, {"format", "fromat", 2}} {
		if got := distance(c.a, c.b); got != c.d {
			t.Errorf("distance(%q, %q) = %d, want %d", c.a, c.b, got, c.d)
		}
	}
}

func TestParentAndUnder(t *testing.T) {
	var chain []string
	for p := "routes[1].match.facility[2]"; p != ""; p = parent(p) {
		chain = append(chain, p)
	}
	want := []string{"routes[1].match.facility[2]", "routes[1].match.facility", "routes[1].match", "routes[1]", "routes"}
	if !slices.Equal(chain, want) {
		t.Errorf("chain = %q", chain)
	}
	for _, c := range []struct {
		path, p string
		want    bool
	}{
		{"sinks[0].path", "sinks[0]", true},
		{"sinks[0]", "sinks[0]", true},
		{"sinks[0].path", "", true},
		{"sinks[10].path", "sinks[1]", false},
		{"sinks[0].path_x", "sinks[0].path", false},
		{"stats", "sinks", false},
	} {
		if got := under(c.path, c.p); got != c.want {
			t.Errorf("under(%q, %q) = %v", c.path, c.p, got)
		}
	}
}
