package config

import (
	"slices"

	"go.yaml.in/yaml/v3"
)

// reporter collects problems with their positions. Structural problems
// (unknown key, wrong type, duplicate) mark their path as bad, and later
// problems at or below a bad path are dropped: a list given as a string
// should produce one error, not a second "required" from validation.
type reporter struct {
	file  string
	ix    *index
	env   map[string]string // path → environment variable that set it
	bad   []string
	list  []Error
	warns []Error // advice: placed like errors, never fatal
}

func (r *reporter) add(n *yaml.Node, path, reason string) {
	e := Error{File: r.file, Line: 1, Col: 1, Path: path, Reason: reason}
	if n != nil && n.Line > 0 {
		e.Line, e.Col = n.Line, n.Column
	}
	r.list = append(r.list, e)
}

// structural reports a problem found while walking the tree, at node n.
func (r *reporter) structural(n *yaml.Node, path, reason string) {
	r.add(n, path, reason)
	r.bad = append(r.bad, path)
}

func (r *reporter) suppressed(path string) bool {
	return slices.ContainsFunc(r.bad, func(b string) bool { return under(path, b) })
}

// at reports a problem with the value at path. A value the environment
// set is reported at its section and names the variable; a value absent
// from the file (a required key) is reported at its closest ancestor.
func (r *reporter) at(path, reason string) {
	if r.suppressed(path) {
		return
	}
	if v, ok := r.env[path]; ok {
		r.add(r.ix.nearestKey(path), path, reason+" (from "+v+")")
		return
	}
	r.add(r.ix.nearest(path), path, reason)
}

// atKey reports a problem with the key itself, e.g. a key that does not
// belong to a sink's type.
func (r *reporter) atKey(path, reason string) {
	if r.suppressed(path) {
		return
	}
	n, ok := r.ix.keys[path]
	if !ok {
		n = r.ix.nearest(path)
	}
	r.add(n, path, reason)
}
