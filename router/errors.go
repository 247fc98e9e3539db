package router

import "strconv"

// FieldError is one problem in one route, located by the route's index and
// the path of the offending key below it (e.g. "match.facility[1]"), so the
// config package can map it back to a file position.
type FieldError struct {
	Route int    // index into the routes given to New
	Field string // path below the route, e.g. "match.message", "sinks[0]"
	Err   error
}

// Error reads "routes[<i>].<field>: <reason>".
func (e *FieldError) Error() string {
	return "routes[" + strconv.Itoa(e.Route) + "]." + e.Field + ": " + e.Err.Error()
}

// Unwrap exposes the reason, e.g. path.ErrBadPattern or a *syntax.Error.
func (e *FieldError) Unwrap() error { return e.Err }

var _ error = (*FieldError)(nil)
