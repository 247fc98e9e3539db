package config

import (
	"bytes"
	"errors"
	"io"
	"strings"

	"go.yaml.in/yaml/v3"
)

// parseYAML parses exactly one YAML document into a node tree. An empty
// input yields a nil root.
func parseYAML(file string, data []byte) (*yaml.Node, *Error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, syntaxError(file, data, err)
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		return nil, &Error{File: file, Line: next.Line, Col: next.Column,
			Reason: "a second YAML document; the configuration is one document"}
	case !errors.Is(err, io.EOF):
		return nil, syntaxError(file, data, err)
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	return doc.Content[0], nil
}

// syntaxError locates a YAML syntax error. yaml.v3 exports no position
// for these: its message carries a line that, for parser errors, is the
// 0-based line where the enclosing construct began. So the line is found
// by parsing: it is the line after the longest prefix of whole lines that
// still parses (for an unclosed quote or bracket, the line where it
// opened). The column is where that line's content starts. Each trial
// parse stops at its own error, so this stays cheap on large files.
func syntaxError(file string, data []byte, err error) *Error {
	reason := err.Error()
	if r, ok := strings.CutPrefix(reason, "yaml: "); ok {
		// Drop the library's own, misleading "line N: ".
		if _, rest, ok := strings.Cut(r, ": "); ok && strings.HasPrefix(r, "line ") {
			r = rest
		}
		reason = "yaml: " + r
	}
	ends := lineEnds(data)
	line := 1
	for l := len(ends) - 1; l >= 0; l-- {
		if parses(data[:ends[l]]) {
			line = l + 2
			break
		}
	}
	line = min(line, len(ends)+1)
	return &Error{File: file, Line: line, Col: firstColumn(data, line), Reason: reason}
}

// lineEnds returns the offset just past each '\n'.
func lineEnds(data []byte) []int {
	var ends []int
	for i, c := range data {
		if c == '\n' {
			ends = append(ends, i+1)
		}
	}
	return ends
}

func parses(data []byte) bool {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var n yaml.Node
		switch err := dec.Decode(&n); {
		case errors.Is(err, io.EOF):
			return true
		case err != nil:
			return false
		}
	}
}

// firstColumn is the 1-based column where the content of line starts,
// past indentation and sequence dashes ("  - name: a: b" → 5).
func firstColumn(data []byte, line int) int {
	for i := 1; i < line; i++ {
		nl := bytes.IndexByte(data, '\n')
		if nl < 0 {
			return 1
		}
		data = data[nl+1:]
	}
	if nl := bytes.IndexByte(data, '\n'); nl >= 0 {
		data = data[:nl]
	}
	col := 0
	for col < len(data) && (data[col] == ' ' || data[col] == '-' && col+1 < len(data) && data[col+1] == ' ') {
		col++
	}
	if col == len(data) {
		return 1
	}
	return col + 1
}
