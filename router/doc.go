// Package router decides, for each message, which configured routes match
// and which sinks receive it. It does no I/O; naming a destination (paths,
// subjects) is the sinks' business (sinks/template).
//
// Routing follows the configuration contract (README.md, "routes"): routes are
// evaluated in order; all keys of a match must hold (AND) and any element
// of a list may hold (OR); every matching route delivers, each sink at most
// once per message, until a final route matches; fallback routes receive
// only messages that no other route matched.
//
// The package is pure: New compiles the rules once (globs classified,
// facility and severity sets folded into bitmasks, CIDRs parsed, regexes
// compiled), reports every problem at once, and returns a Router that is
// immutable and safe for concurrent use. Route runs on the goroutine that
// read the frame, so it does no I/O and, once the caller's Decision has
// grown to size, no allocation.
//
// Facility and severity keys never match an unparsed frame: its PRI is
// unknown, and the zero value (kern.emerg) would otherwise page whoever
// routes emergencies. Such frames are caught by routes that do not use
// those keys, typically one with parsed: false.
package router
