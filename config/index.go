package config

import (
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// index maps config paths ("routes[1].match.message") to the yaml.Node
// they were read from. It exists because positions are lost once the tree
// becomes a map[string]any for viper; every later stage (decode, defaults,
// validation, router errors) looks positions up here by path.
type index struct {
	root *yaml.Node
	vals map[string]*yaml.Node // value nodes; null values are not recorded
	keys map[string]*yaml.Node // key nodes of mapping entries
}

func newIndex(root *yaml.Node) *index {
	return &index{root: root, vals: map[string]*yaml.Node{}, keys: map[string]*yaml.Node{}}
}

// has reports whether path was given a non-null value in the file.
func (ix *index) has(path string) bool { _, ok := ix.vals[path]; return ok }

// nearest returns the node of path, or of its closest ancestor that is in
// the file, or nil when not even the root is (an empty file).
func (ix *index) nearest(path string) *yaml.Node {
	for {
		if n, ok := ix.vals[path]; ok {
			return n
		}
		if n, ok := ix.keys[path]; ok { // a key whose value is null
			return n
		}
		if path == "" {
			return ix.root
		}
		path = parent(path)
	}
}

// nearestKey returns the key node of the closest proper ancestor of path
// that has one. Values that came from the environment have no node of
// their own; pointing at the section they belong to ("stats:") is the
// most useful position left.
func (ix *index) nearestKey(path string) *yaml.Node {
	for path != "" {
		path = parent(path)
		if n, ok := ix.keys[path]; ok {
			return n
		}
	}
	return nil
}

// parent strips the last element: "a[1].b" → "a[1]" → "a" → "".
func parent(path string) string {
	if strings.HasSuffix(path, "]") {
		if i := strings.LastIndexByte(path, '['); i >= 0 {
			return path[:i]
		}
	}
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[:i]
	}
	return ""
}

// under reports whether path is p itself or lies below it.
func under(path, p string) bool {
	if p == "" || path == p {
		return true
	}
	return strings.HasPrefix(path, p) && (path[len(p)] == '.' || path[len(p)] == '[')
}

func field(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func elem(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }
