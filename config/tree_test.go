package config

import (
	"reflect"
	"slices"
	"testing"

	"syslogd/router"
)

// The walk reads yaml tags and viper decodes by mapstructure tags; a
// field whose tags disagree would pass validation and then vanish.
func TestTagsAgree(t *testing.T) {
	seen := map[reflect.Type]bool{}
	var check func(reflect.Type)
	check = func(typ reflect.Type) {
		if seen[typ] || typ == prefixType || typ == durationType {
			return
		}
		seen[typ] = true
		switch typ.Kind() {
		case reflect.Pointer, reflect.Slice:
			check(typ.Elem())
			return
		case reflect.Struct:
		default:
			return
		}
		for i := range typ.NumField() {
			f := typ.Field(i)
			if y, m := f.Tag.Get("yaml"), f.Tag.Get("mapstructure"); y == "" || y != m {
				t.Errorf("%s.%s: yaml %q, mapstructure %q", typ.Name(), f.Name, y, m)
			}
			check(f.Type)
		}
	}
	check(reflect.TypeFor[Config]())
	if len(seen) < 8 {
		t.Errorf("walked only %d types", len(seen))
	}
}

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

func TestRouterRoutes(t *testing.T) {
	c := mustLoad(t, okListeners+okSinks+`routes:
  - name: a
    match: {facility: [auth], min_severity: err, hostname: [h], app_name: [p], source: [10.0.0.1], listener: [u], message: m, parsed: false}
    sinks: [f]
    final: true
  - {name: b, fallback: true, sinks: [f]}
`)
	f := false
	want := []router.Route{
		{Name: "a", Match: router.Match{Facility: []string{"auth"}, MinSeverity: "err", Hostname: []string{"h"}, AppName: []string{"p"},
			Source: []string{"10.0.0.1"}, Listener: []string{"u"}, Message: "m", Parsed: &f}, Sinks: []string{"f"}, Final: true},
		{Name: "b", Sinks: []string{"f"}, Fallback: true},
	}
	if got := c.RouterRoutes(); !reflect.DeepEqual(got, want) {
		t.Errorf("RouterRoutes:\n got %+v\nwant %+v", got, want)
	}
	if _, err := router.New(c.RouterRoutes(), c.SinkNames()); err != nil {
		t.Errorf("router.New: %v", err)
	}
}
