package config

import (
	"fmt"
	"net/netip"
	"reflect"
	"strings"
	"syslogd/message"
	"time"

	"go.yaml.in/yaml/v3"
)

var (
	durationType   = reflect.TypeFor[time.Duration]()
	prefixType     = reflect.TypeFor[netip.Prefix]()
	stringListType = reflect.TypeFor[StringList]()
)

// walker checks the yaml.Node tree against the Go types by reflection
// over their yaml tags, records every node's position in the index, and
// builds the plain map that viper decodes. Only well-typed values reach
// the map, so the strict decode that follows fails only on values the
// environment supplied.
type walker struct {
	ix *index
	r  *reporter
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
	case t == stringListType && n.Kind == yaml.ScalarNode:
		s, ok := w.scalar(n, path, "a string or a list")
		return []any{s}, ok
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
			w.r.structural(p.k, at, unknownKey(name, names))
			continue
		}
		w.ix.keys[at] = p.k
		if v, ok := w.walk(p.v, f.Type, at); ok {
			out[name] = v
		}
	}
	return out, true
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

// yamlFields maps yaml tag names to fields and lists the names in
// declaration order, for "did you mean" suggestions.
func yamlFields(t reflect.Type) (map[string]reflect.StructField, []string) {
	m := make(map[string]reflect.StructField, t.NumField())
	var names []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		m[name] = f
		names = append(names, name)
	}
	return m, names
}

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
