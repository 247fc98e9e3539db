package config

import (
	"encoding"
	"fmt"
	"maps"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"syslogd/message"
)

var (
	durationType        = reflect.TypeFor[time.Duration]()
	prefixType          = reflect.TypeFor[netip.Prefix]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
	listenerType        = reflect.TypeFor[Listener]()
	sinkType            = reflect.TypeFor[Sink]()
)

// walker checks the yaml.Node tree against the Go types by reflection
// over their yaml tags, records every node's position in the index, and
// builds the plain map that viper decodes. Only well-typed values reach
// the map, so the strict decode that follows fails only on values the
// environment supplied.
type walker struct {
	ix               *index
	r                *reporter
	listeners, sinks *section
}

// walk returns the value for viper and whether there is one (null and
// ill-typed values have none).
func (w *walker) walk(n *yaml.Node, t reflect.Type, path string) (any, bool) {
	for n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return nil, false
	}
	w.ix.vals[path] = n
	switch {
	case t == durationType:
		s, ok := w.scalar(n, path, "a duration")
		if !ok {
			return nil, false
		}
		if _, err := time.ParseDuration(s); err != nil {
			w.r.structural(n, path, fmt.Sprintf("invalid duration %q (want e.g. 30s or 5m)", s))
			return nil, false
		}
		return s, true
	case t == prefixType:
		s, ok := w.scalar(n, path, "an IP or CIDR")
		if !ok {
			return nil, false
		}
		if _, err := message.ParsePrefix(s); err != nil {
			w.r.structural(n, path, err.Error())
			return nil, false
		}
		return s, true
	case t == listenerType:
		return w.component(n, path, w.listeners)
	case t == sinkType:
		return w.component(n, path, w.sinks)
	case reflect.PointerTo(t).Implements(textUnmarshalerType):
		// An enumeration (framing, format, when_full…): the stage's
		// UnmarshalText says what it accepts and words the error.
		s, ok := w.scalar(n, path, "a string")
		if !ok {
			return nil, false
		}
		if err := reflect.New(t).Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(s)); err != nil {
			w.r.structural(n, path, err.Error())
			return nil, false
		}
		return s, true
	}
	switch t.Kind() {
	case reflect.Pointer:
		return w.walk(n, t.Elem(), path)
	case reflect.Struct:
		return w.mapping(n, t, path)
	case reflect.Slice:
		return w.sequence(n, t, path)
	case reflect.String:
		return w.scalar(n, path, "a string")
	case reflect.Int:
		return w.typed(n, path, "!!int", "an integer", new(int))
	case reflect.Int64:
		return w.typed(n, path, "!!int", "an integer", new(int64))
	case reflect.Bool:
		return w.typed(n, path, "!!bool", "true or false", new(bool))
	}
	panic(fmt.Sprintf("config: no walk for %s at %s", t, path)) // a new field type needs a case
}

func (w *walker) scalar(n *yaml.Node, path, want string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		w.r.structural(n, path, "expected "+want+", got "+describe(n))
		return "", false
	}
	return n.Value, true
}

// typed decodes a scalar that must carry a YAML tag, e.g. an integer
// (so "max_connections: lots" is a type error, not a zero).
func (w *walker) typed(n *yaml.Node, path, tag, want string, dst any) (any, bool) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != tag {
		w.r.structural(n, path, "expected "+want+", got "+describe(n))
		return nil, false
	}
	if err := n.Decode(dst); err != nil {
		w.r.structural(n, path, "expected "+want+", got "+describe(n))
		return nil, false
	}
	return reflect.ValueOf(dst).Elem().Interface(), true
}

// sequence keeps one entry per element, nil where an element is null or
// ill-typed, so that index i in the decoded slice is index i in the file.
func (w *walker) sequence(n *yaml.Node, t reflect.Type, path string) (any, bool) {
	if n.Kind != yaml.SequenceNode {
		reason := "expected a list, got " + describe(n)
		if n.Kind == yaml.ScalarNode {
			reason += fmt.Sprintf("; write [%s]", n.Value)
		}
		w.r.structural(n, path, reason)
		return nil, false
	}
	out := make([]any, len(n.Content))
	for i, e := range n.Content {
		out[i], _ = w.walk(e, t.Elem(), elem(path, i))
	}
	return out, true
}

func (w *walker) mapping(n *yaml.Node, t reflect.Type, path string) (any, bool) {
	if n.Kind != yaml.MappingNode {
		w.r.structural(n, path, "expected a mapping, got "+describe(n))
		return nil, false
	}
	fields, names := yamlFields(t)
	return w.entries(n, path, fields, func(name string) string { return unknownKey(name, names) }), true
}

// entries walks a mapping's entries against fields. unknown words the
// error for a key that is not a field, or returns "" to skip the key
// without one.
func (w *walker) entries(n *yaml.Node, path string, fields map[string]fieldInfo, unknown func(string) string) map[string]any {
	out := make(map[string]any)
	seen := make(map[string]*yaml.Node)
	for _, p := range w.pairs(n, path) {
		if p.k.Kind != yaml.ScalarNode {
			w.r.add(p.k, path, "expected a key, got "+describe(p.k))
			continue
		}
		name, at := p.k.Value, field(path, p.k.Value)
		if first, dup := seen[name]; dup {
			if !p.merged {
				w.r.structural(p.k, at, fmt.Sprintf("duplicate key %q (first at line %d)", name, first.Line))
			}
			continue
		}
		seen[name] = p.k
		f, ok := fields[name]
		if !ok {
			w.ix.keys[at] = p.k
			if reason := unknown(name); reason != "" {
				w.r.structural(p.k, at, reason)
			}
			continue
		}
		w.ix.keys[at] = p.k
		if f.scalar && p.v.Kind == yaml.ScalarNode && p.v.ShortTag() != "!!null" {
			w.ix.vals[at] = p.v
			out[name] = []any{p.v.Value}
			continue
		}
		if v, ok := w.walk(p.v, f.typ, at); ok {
			out[name] = v
		}
	}
	return out
}

// component walks one listener or sink. Its protocol or type picks the
// options struct whose keys may stand beside name and the discriminator;
// a key that belongs to another kind is reported as such, and when the
// kind is missing or unknown only keys that no kind has are reported.
func (w *walker) component(n *yaml.Node, path string, s *section) (any, bool) {
	if n.Kind != yaml.MappingNode {
		w.r.structural(n, path, "expected a mapping, got "+describe(n))
		return nil, false
	}
	common, commonNames := yamlFields(s.common)
	kind, kindName := w.kindOf(n, path, s)
	fields, names := maps.Clone(common), slices.Clone(commonNames)
	if kind != nil {
		f, nn := yamlFields(optionsType(kind))
		maps.Copy(fields, f)
		names = append(names, nn...)
	}
	unknown := func(key string) string {
		var owners []string
		for i := range s.kinds {
			if f, _ := yamlFields(optionsType(&s.kinds[i])); f[key].typ != nil {
				owners = append(owners, s.kinds[i].Name)
			}
		}
		switch {
		case kind != nil && len(owners) > 0:
			w.r.atKey(field(path, key), fmt.Sprintf("key %q is not valid for a %s %s", key, kindName, s.noun))
			return ""
		case kind == nil && len(owners) > 0:
			return "" // the missing or unknown kind is the problem
		case kind == nil:
			var all []string
			for i := range s.kinds {
				_, nn := yamlFields(optionsType(&s.kinds[i]))
				all = append(all, nn...)
			}
			return unknownKey(key, append(slices.Clone(commonNames), all...))
		}
		return unknownKey(key, names)
	}
	return w.entries(n, path, fields, unknown), true
}

// kindOf finds the discriminator's value and its Kind, reporting one that
// is missing or unknown.
func (w *walker) kindOf(n *yaml.Node, path string, s *section) (*Kind, string) {
	at := field(path, s.disc)
	want := strings.Join(s.names(), ", ")
	for _, p := range w.pairs(n, path) {
		if p.k.Kind != yaml.ScalarNode || p.k.Value != s.disc {
			continue
		}
		v := p.v
		for v.Kind == yaml.AliasNode {
			v = v.Alias
		}
		if v.Kind != yaml.ScalarNode || v.ShortTag() == "!!null" {
			return nil, "" // the walk reports the type, or "required" below
		}
		if k := s.find(v.Value); k != nil {
			return k, v.Value
		}
		w.r.add(v, at, fmt.Sprintf("invalid value %q (want %s)", v.Value, want))
		return nil, ""
	}
	w.r.at(at, "required (want "+want+")")
	return nil, ""
}

type pair struct {
	k, v   *yaml.Node
	merged bool // from a "<<: *anchor" merge; explicit keys win
}

// pairs lists a mapping's entries, explicit ones first, then those merged
// in with "<<", so that an explicit key overrides a merged one.
func (w *walker) pairs(n *yaml.Node, path string) []pair {
	var out, merged []pair
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.ShortTag() != "!!merge" {
			out = append(out, pair{k: k, v: v})
			continue
		}
		srcs := []*yaml.Node{v}
		if v.Kind == yaml.SequenceNode {
			srcs = v.Content
		}
		for _, s := range srcs {
			for s.Kind == yaml.AliasNode {
				s = s.Alias
			}
			if s.Kind != yaml.MappingNode {
				w.r.add(s, path, "a merge (<<) needs a mapping or a list of mappings, got "+describe(s))
				continue
			}
			for _, p := range w.pairs(s, path) {
				p.merged = true
				merged = append(merged, p)
			}
		}
	}
	return append(out, merged...)
}

// fieldInfo is what the walk needs of one key: its Go type and the flags
// of its yaml tag.
type fieldInfo struct {
	typ    reflect.Type
	index  []int // for reflect.Value.FieldByIndex
	scalar bool  // ",scalar": one string stands for a list of one
	file   bool  // ",file": names a file the daemon reads
}

// yamlFields maps yaml tag names to fields, flattening ",inline" structs,
// and lists the names in declaration order, for "did you mean"
// suggestions.
func yamlFields(t reflect.Type) (map[string]fieldInfo, []string) {
	m := make(map[string]fieldInfo, t.NumField())
	var names []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, flags, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		if name == "" && hasFlag(flags, "inline") {
			inner, innerNames := yamlFields(f.Type)
			for _, n := range innerNames {
				fi := inner[n]
				fi.index = append([]int{i}, fi.index...)
				m[n] = fi
			}
			names = append(names, innerNames...)
			continue
		}
		if name == "" {
			continue
		}
		m[name] = fieldInfo{typ: f.Type, index: []int{i}, scalar: hasFlag(flags, "scalar"), file: hasFlag(flags, "file")}
		names = append(names, name)
	}
	return m, names
}

func hasFlag(flags, flag string) bool { return slices.Contains(strings.Split(flags, ","), flag) }

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.AliasNode:
		return describe(n.Alias)
	}
	return fmt.Sprintf("%q", n.Value)
}
