package config

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// Error is one configuration problem at a position in the file.
type Error struct {
	File      string
	Line, Col int
	Path      string // e.g. "routes[1].match.message"; empty for YAML syntax errors
	Reason    string
}

// Error reads "FILE:LINE:COL: path: reason".
func (e Error) Error() string {
	s := e.File + ":" + strconv.Itoa(e.Line) + ":" + strconv.Itoa(e.Col) + ": "
	if e.Path != "" {
		s += e.Path + ": "
	}
	return s + e.Reason
}

// Errors is every problem found in one configuration, sorted by position,
// so an operator fixes them all in one pass instead of one per run.
type Errors struct {
	List []Error
}

// Error returns one "FILE:LINE:COL: path: reason" per line.
func (e *Errors) Error() string {
	var b strings.Builder
	for i, x := range e.List {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(x.Error())
	}
	return b.String()
}

// sortErrors orders by line then column; problems at the same position
// keep the order in which they were found.
func sortErrors(list []Error) {
	slices.SortStableFunc(list, func(a, b Error) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col))
	})
}
