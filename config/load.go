package config

import (
	_ "embed"
	"os"
	"reflect"
)

//go:embed default.yaml
var defaultYAML []byte

// DefaultName is Config.File for the embedded default configuration.
const DefaultName = "embedded:default.yaml"

// DefaultYAML returns a copy of the embedded default configuration, the
// one `syslogd` runs with when no --config is given.
func DefaultYAML() []byte { return append([]byte(nil), defaultYAML...) }

// Default loads the embedded default configuration (environment
// overrides apply to it too).
func Default(s Schema) (*Config, error) { return LoadBytes(DefaultName, defaultYAML, s) }

// Load reads and validates file. A file that cannot be read returns the
// *fs.PathError ("open FILE: ..."); an invalid one returns *Errors.
func Load(file string, s Schema) (*Config, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	return LoadBytes(file, data, s)
}

// LoadBytes parses, decodes and validates data against the schema's
// listener protocols and sink types; name is used in error positions and
// as Config.File. On failure the error is *Errors with
// every problem found, sorted by position.
//
// The stages, each of which records problems instead of stopping:
//  1. parse into a yaml.Node tree (syntax errors stop here: nothing else
//     can be trusted);
//  2. walk the tree against the Go types, indexing every node by path and
//     reporting unknown keys, duplicate keys and wrong types;
//  3. let viper layer SYSLOGD_* environment overrides over the walked
//     values and decode them strictly over config's own defaults, and
//     decode each listener and sink over its kind's defaults (Kind.New);
//  4. validate: each stage's Check, placed at its keys, cross-references,
//     and the routes compiled with the router so its errors map back to
//     routes[i].<field>.
func LoadBytes(name string, data []byte, s Schema) (*Config, error) {
	listeners, sinks := sections(s)
	root, serr := parseYAML(name, data)
	if serr != nil {
		return nil, &Errors{List: []Error{*serr}}
	}
	ix := newIndex(root)
	r := &reporter{file: name, ix: ix, env: envOverrides()}
	tree := map[string]any{}
	if root != nil {
		w := &walker{ix: ix, r: r, listeners: listeners, sinks: sinks}
		if v, ok := w.walk(root, reflect.TypeFor[Config](), ""); ok {
			tree = v.(map[string]any)
		}
	}
	c := decode(tree, r, listeners, sinks)
	c.File = name
	validate(c, r, listeners, sinks)
	if len(r.list) > 0 {
		sortErrors(r.list)
		return nil, &Errors{List: r.list}
	}
	sortErrors(r.warns)
	c.Warnings = r.warns
	return c, nil
}
