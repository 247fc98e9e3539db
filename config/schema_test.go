package config_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"syslogd/config"
	"syslogd/daemon"
	"syslogd/listener"
	"syslogd/parser"
	"syslogd/router"
	"syslogd/sinks"
	"syslogd/sinks/journald"
	"syslogd/sinks/nats"
)

// The walk reads yaml tags and the decode reads mapstructure tags; a field
// whose tags disagree would pass validation and then vanish. Every type
// reachable from Config and from every listener and sink kind is checked.
func TestTagsAgree(t *testing.T) {
	seen := map[reflect.Type]bool{}
	var check func(reflect.Type)
	check = func(typ reflect.Type) {
		if seen[typ] || typ.PkgPath() == "net/netip" || typ.PkgPath() == "time" {
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
			y, flags, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			m := f.Tag.Get("mapstructure")
			switch {
			case y == "" && strings.Contains(flags, "inline"):
				if m != ",squash" {
					t.Errorf("%s.%s: yaml inline, mapstructure %q (want ,squash)", typ.Name(), f.Name, m)
				}
			case typ == reflect.TypeFor[config.Config]() && (y == "listeners" || y == "sinks"):
				if m != "-" {
					t.Errorf("Config.%s: decoded per kind, want mapstructure \"-\", got %q", f.Name, m)
				}
			case y == "" || y != m:
				t.Errorf("%s.%s: yaml %q, mapstructure %q", typ.Name(), f.Name, y, m)
			}
			if y == "-" && m == "-" && f.Name == "Warnings" {
				continue // the loader's own output, not a key
			}
			check(f.Type)
		}
	}
	check(reflect.TypeFor[config.Config]())
	s := daemon.Schema()
	for _, k := range append(s.Listeners, s.Sinks...) {
		check(reflect.TypeOf(k.New()))
	}
	if len(seen) < 12 {
		t.Errorf("walked only %d types", len(seen))
	}
}

func TestRoutesDecoded(t *testing.T) {
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
	if !reflect.DeepEqual(c.Routes, want) {
		t.Errorf("routes:\n got %+v\nwant %+v", c.Routes, want)
	}
	if _, err := router.New(c.Routes, []string{"f"}); err != nil {
		t.Errorf("router.New: %v", err)
	}
}

// The options of a loaded listener or sink are the daemon's row types;
// these read the stage structs out of them.
func listenerOptions(t *testing.T, l config.Listener) (listener.Options, parser.Config) {
	t.Helper()
	v := reflect.ValueOf(l.Options).Elem()
	return v.FieldByName("Listener").Interface().(listener.Options), v.FieldByName("Parser").Interface().(parser.Config)
}

func sinkOptions[T any](t *testing.T, s config.Sink) (sinks.Options, T) {
	t.Helper()
	v := reflect.ValueOf(s.Options).Elem()
	o, ok := v.FieldByName("Sink").Interface().(T)
	if !ok {
		t.Fatalf("sink %s has %s options", s.Name, v.FieldByName("Sink").Type())
	}
	return v.FieldByName("Queue").Interface().(sinks.Options), o
}

// TestJournalFieldsDecoded: static fields keep their order and the case of
// their names (viper would lowercase map keys, hence the list), and a YAML
// number is taken as its text.
func TestJournalFieldsDecoded(t *testing.T) {
	c := mustLoad(t, `
listeners: [{name: u, protocol: udp, address: ":0"}]
sinks:
  - name: j
    type: journald
    namespace: audit
    fields:
      - {name: SYSLOGD_SITE, value: fra1}
      - {name: RACK, value: 5}
      - {name: NOTE, value: "two\nlines"}
routes: [{name: r, sinks: [j]}]
`)
	want := []journald.Field{{Name: "SYSLOGD_SITE", Value: "fra1"}, {Name: "RACK", Value: "5"}, {Name: "NOTE", Value: "two\nlines"}}
	if _, o := sinkOptions[journald.Options](t, c.Sinks[0]); o.Namespace != "audit" || !slices.Equal(o.Fields, want) {
		t.Errorf("sink %+v, want namespace audit and fields %v", o, want)
	}
}

// TestNATSDecoded: url as one string or a list, and the stream block's
// defaults.
func TestNATSDecoded(t *testing.T) {
	c := mustLoad(t, `
listeners: [{name: u, protocol: udp, address: ":0"}]
sinks:
  - {name: one, type: nats, url: nats://a:4222, subject: s.x}
  - name: two
    type: nats
    url: [nats://a:4222, tls://b:4222]
    subject: syslog.{hostname}
    mode: core
    spool_dir: /var/lib/syslogd/spool
    spool_max_bytes: 1048576
    max_pending: 10
  - {name: three, type: nats, url: nats://a, subject: s.x, stream: {name: SYSLOG, max_age: 24h}}
routes: [{name: r, sinks: [one, two, three]}]
`)
	if _, one := sinkOptions[nats.Options](t, c.Sinks[0]); !slices.Equal(one.URL, []string{"nats://a:4222"}) || one.Stream != nil {
		t.Errorf("url as a string: %q, stream %v", one.URL, one.Stream)
	}
	_, two := sinkOptions[nats.Options](t, c.Sinks[1])
	if !slices.Equal(two.URL, []string{"nats://a:4222", "tls://b:4222"}) || two.Mode != nats.Core ||
		two.SpoolDir != "/var/lib/syslogd/spool" || two.SpoolMaxBytes != 1<<20 || two.MaxPending != 10 {
		t.Errorf("sink two: %+v", two)
	}
	want := &nats.Stream{Name: "SYSLOG", Storage: nats.StorageFile, Replicas: 1, MaxAge: 24 * time.Hour}
	if _, three := sinkOptions[nats.Options](t, c.Sinks[2]); !reflect.DeepEqual(three.Stream, want) {
		t.Errorf("stream: got %+v, want %+v", three.Stream, want)
	}
}

// TestShippedConfigsValidate: the example configuration operators start
// from must load.
func TestShippedConfigsValidate(t *testing.T) {
	if _, err := config.Load("../configs/syslogd.yaml", daemon.Schema()); err != nil {
		t.Fatalf("configs/syslogd.yaml: %v", err)
	}
}
