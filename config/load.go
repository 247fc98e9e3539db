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
func Default() (*Config, error) { return LoadBytes(DefaultName, defaultYAML) }

// Load reads and validates file. A file that cannot be read returns the
// *fs.PathError ("open FILE: ..."); an invalid one returns *Errors.
func Load(file string) (*Config, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	return LoadBytes(file, data)
}

// LoadBytes parses, decodes and validates data; name is used in error
// positions and as Config.File. On failure the error is *Errors with
// every problem found, sorted by position.
//
// The stages, each of which records problems instead of stopping:
//  1. parse into a yaml.Node tree (syntax errors stop here: nothing else
//     can be trusted);
//  2. walk the tree against the Go types, indexing every node by path and
//     reporting unknown keys, duplicate keys and wrong types;
//  3. let viper layer SYSLOGD_* environment overrides over the walked
//     values and decode strictly into Config;
//  4. apply defaults for keys the file does not set;
//  5. validate values and cross-references, compiling routes with the
//     router so its errors map back to routes[i].<field>.
func LoadBytes(name string, data []byte) (*Config, error) {
	root, serr := parseYAML(name, data)
	if serr != nil {
		return nil, &Errors{List: []Error{*serr}}
	}
	ix := newIndex(root)
	r := &reporter{file: name, ix: ix, env: envOverrides()}
	tree := map[string]any{}
	if root != nil {
		w := &walker{ix: ix, r: r}
		if v, ok := w.walk(root, reflect.TypeFor[Config](), ""); ok {
			tree = v.(map[string]any)
		}
	}
	c := decode(tree, r)
	c.File = name
	applyDefaults(c, ix)
	validate(c, r)
	if len(r.list) > 0 {
		sortErrors(r.list)
		return nil, &Errors{List: r.list}
	}
	return c, nil
}
