package config

import (
	"encoding"
	"errors"
	"fmt"
	"maps"
	"os"
	"reflect"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/viper"

	"syslogd/message"
)

// EnvPrefix prefixes environment overrides: SYSLOGD_STATS_ADDRESS sets
// stats.address, SYSLOGD_SHUTDOWN_TIMEOUT sets shutdown_timeout.
const EnvPrefix = "SYSLOGD"

// decode layers environment overrides over the walked tree with viper and
// decodes the result strictly into a Config.
//
// Only keys outside lists can be overridden (stats.address,
// shutdown_timeout, log.level, log.format): viper addresses values by
// dotted key and has no syntax for list elements. Empty variables are
// ignored, as viper does by default; use "off" to disable stats.
func decode(tree map[string]any, r *reporter, listeners, sinks *section) *Config {
	// Listeners and sinks are decoded per kind below; viper, which cannot
	// address list elements anyway, gets the rest.
	lists := map[*section]any{listeners: tree[listeners.key], sinks: tree[sinks.key]}
	tree = maps.Clone(tree)
	delete(tree, listeners.key)
	delete(tree, sinks.key)
	v := viper.New()
	v.SetEnvPrefix(EnvPrefix)
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
	v.AutomaticEnv()
	if err := v.MergeConfigMap(tree); err != nil { // never fails in viper 1.21
		r.at("", err.Error())
	}
	// AutomaticEnv only consults keys viper already knows, so a variable
	// for a key absent from the file needs an explicit binding.
	leaves, containers := envKeys(reflect.TypeFor[Config](), "")
	for _, key := range leaves {
		_ = v.BindEnv(key) // fails only when given no key
	}
	// AutomaticEnv would also let SYSLOGD_LISTENERS replace the whole list
	// with a string; say so instead of reporting a confusing type error.
	for _, key := range containers {
		if name := envName(key); os.Getenv(name) != "" {
			r.structural(r.ix.keys[key], key, fmt.Sprintf("%s is set, but %s cannot be set from the environment", name, key))
		}
	}
	c := defaults()
	err := v.UnmarshalExact(&c, viper.DecodeHook(hook))
	for _, e := range leafErrors(err) {
		if de, ok := errors.AsType[*mapstructure.DecodeError](e); ok {
			r.at(de.Name(), de.Unwrap().Error())
			continue
		}
		r.at("", e.Error())
	}
	c.Listeners = decodeListeners(lists[listeners], listeners, r)
	c.Sinks = decodeSinks(lists[sinks], sinks, r)
	return &c
}

// element is one walked listener or sink: its name, its kind's name and
// the options decoded for that kind (nil when the kind is not known).
type element struct {
	name, kind string
	opts       Options
}

// decodeElements decodes each element of a walked list over a fresh
// options value of its kind. An element that could not be walked keeps its
// index, so that listeners[i] in errors is listeners[i] in the file.
func decodeElements(list any, s *section, r *reporter) []element {
	items, _ := list.([]any)
	out := make([]element, len(items))
	for i, item := range items {
		m, _ := item.(map[string]any)
		e := &out[i]
		e.name, _ = m["name"].(string)
		e.kind, _ = m[s.disc].(string)
		k := s.find(e.kind)
		if k == nil {
			continue
		}
		e.opts = k.New()
		rest := maps.Clone(m)
		delete(rest, "name")
		delete(rest, s.disc)
		path := elem(s.key, i)
		for _, err := range leafErrors(decodeInto(rest, e.opts)) {
			if de, ok := errors.AsType[*mapstructure.DecodeError](err); ok {
				r.at(field(path, de.Name()), de.Unwrap().Error())
				continue
			}
			r.at(path, err.Error())
		}
	}
	return out
}

func decodeListeners(list any, s *section, r *reporter) []Listener {
	var out []Listener
	for _, e := range decodeElements(list, s, r) {
		out = append(out, Listener{Name: e.name, Protocol: e.kind, Options: e.opts})
	}
	return out
}

func decodeSinks(list any, s *section, r *reporter) []Sink {
	var out []Sink
	for _, e := range decodeElements(list, s, r) {
		out = append(out, Sink{Name: e.name, Type: e.kind, Options: e.opts})
	}
	return out
}

// decodeInto decodes a walked mapping into opts the way viper decodes the
// rest: strictly, with the same hook, and ",squash" for inline structs.
func decodeInto(m map[string]any, opts Options) error {
	d, err := mapstructure.NewDecoder(&mapstructure.DecoderConfig{
		Result:           opts,
		ErrorUnused:      true,
		WeaklyTypedInput: true,
		TagName:          "mapstructure",
		DecodeHook:       mapstructure.ComposeDecodeHookFunc(blockDefaults, hook),
	})
	if err != nil {
		return err
	}
	return d.Decode(m)
}

// blockDefaults gives a nested block that the file names its defaults
// before its keys are decoded over them (see Options: SetDefaults).
func blockDefaults(from, to reflect.Value) (any, error) {
	if to.Kind() == reflect.Struct && to.CanAddr() && to.IsZero() && from.Kind() == reflect.Map {
		if d, ok := to.Addr().Interface().(interface{ SetDefaults() }); ok {
			d.SetDefaults()
		}
	}
	return from.Interface(), nil
}

// envOverrides maps each overridable path to its variable, for those set.
func envOverrides() map[string]string {
	m := make(map[string]string)
	leaves, _ := envKeys(reflect.TypeFor[Config](), "")
	for _, key := range leaves {
		if os.Getenv(envName(key)) != "" {
			m[key] = envName(key)
		}
	}
	return m
}

// envName is the variable viper consults for key.
func envName(key string) string {
	return EnvPrefix + "_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// envKeys lists the dotted keys outside lists: leaves, which the
// environment may override, and containers (sections and lists), which
// it may not.
func envKeys(t reflect.Type, prefix string) (leaves, containers []string) {
	fields, names := yamlFields(t)
	for _, name := range names {
		ft, key := fields[name].typ, field(prefix, name)
		switch {
		case ft.Kind() == reflect.Slice:
			containers = append(containers, key)
		case ft.Kind() == reflect.Struct && ft != prefixType:
			containers = append(containers, key)
			l, c := envKeys(ft, key)
			leaves, containers = append(leaves, l...), append(containers, c...)
		default:
			leaves = append(leaves, key)
		}
	}
	return leaves, containers
}

// hook converts the strings the walker passed through (and those from
// the environment) into durations, prefixes and enumerations, with the
// walker's wording.
func hook(_, to reflect.Type, data any) (any, error) {
	s, ok := data.(string)
	if !ok {
		return data, nil
	}
	switch to {
	case durationType:
		d, err := time.ParseDuration(s)
		if err != nil {
			return nil, fmt.Errorf("invalid duration %q (want e.g. 30s or 5m)", s)
		}
		return d, nil
	case prefixType:
		return message.ParsePrefix(s)
	}
	if reflect.PointerTo(to).Implements(textUnmarshalerType) {
		v := reflect.New(to)
		if err := v.Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(s)); err != nil {
			return nil, err
		}
		return v.Elem().Interface(), nil
	}
	return data, nil
}

// leafErrors flattens joined and nested mapstructure errors so each
// reports the innermost field name.
func leafErrors(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, leafErrors(e)...)
		}
		return out
	}
	if de, ok := err.(*mapstructure.DecodeError); ok {
		if inner := de.Unwrap(); inner != nil {
			if _, nested := errors.AsType[*mapstructure.DecodeError](inner); nested {
				return leafErrors(inner)
			}
		}
	}
	return []error{err}
}
