package router

import "syslogd/message"

// RouteTrace is what one route made of a message, for `syslogd explain`.
type RouteTrace struct {
	Index    int    // into the routes given to New
	Name     string // the route's name
	Final    bool   // the route is final
	Fallback bool   // the route is a fallback route
	// Matched reports that the route takes the message; for a fallback
	// route, that it applies (no other route matched).
	Matched bool
	// Failed is the first match key that did not hold, in the order match
	// checks them ("parsed", "facility", "severity", "min_severity",
	// "listener", "source", "hostname", "app_name", "message"); "" for a
	// route that matched, was not evaluated, or is a fallback route.
	Failed string
	// StoppedBy names the final route that matched before this one, so
	// that this one was not evaluated; "" when it was.
	StoppedBy string
}

// Explain reports, route by route in configured order, what Route
// decides for m and why: which routes match, the first key that failed
// for those that do not, where a final route stopped the evaluation and
// whether the fallback routes apply. The routes it reports as matched
// are exactly Decision.Routes. It allocates and is not meant for the hot
// path: Route stays the daemon's.
func (r *Router) Explain(m *message.Message) []RouteTrace {
	out := make([]RouteTrace, len(r.names))
	for i, name := range r.names {
		out[i] = RouteTrace{Index: i, Name: name}
	}
	matched, stopped := false, ""
	for i := range r.ordered {
		c := &r.ordered[i]
		t := &out[c.index]
		t.Final = c.final
		if stopped != "" {
			t.StoppedBy = stopped
			continue
		}
		t.Failed = c.m.firstFailure(m)
		t.Matched = t.Failed == ""
		matched = matched || t.Matched
		if t.Matched && c.final {
			stopped = t.Name
		}
	}
	for _, i := range r.fbRoutes {
		out[i].Fallback, out[i].Matched = true, !matched
	}
	return out
}

// firstFailure returns the first key of the match that m fails, in the
// order match checks them, or "" when m matches: firstFailure(m) == ""
// exactly when match(m) (TestFirstFailureAgreesWithMatch).
func (c *matcher) firstFailure(m *message.Message) string {
	switch {
	case c.parsed > 0 && !m.Parsed(), c.parsed < 0 && m.Parsed():
		return "parsed"
	case c.usesPRI && !m.Parsed():
		// An unparsed frame's PRI is unknown: the first PRI key fails.
		if c.facilityKey {
			return "facility"
		}
		return c.severityName()
	case c.usesPRI && c.facilities&(1<<m.Facility) == 0:
		return "facility"
	case c.usesPRI && c.severities&(1<<m.Severity) == 0:
		return c.severityName()
	case len(c.listeners) > 0 && !containsString(c.listeners, m.Listener):
		return "listener"
	case len(c.sources) > 0 && !c.sourceMatch(m.Source):
		return "source"
	case len(c.hostnames) > 0 && !anyGlob(c.hostnames, m.Hostname):
		return "hostname"
	case len(c.appNames) > 0 && !anyGlob(c.appNames, m.AppName):
		return "app_name"
	case c.re != nil && !c.re.MatchString(m.Text):
		return "message"
	}
	return ""
}

// severityName is the severity key of the match; "severity" when it has
// none and a message's severity is out of range (no parser makes one).
func (c *matcher) severityName() string {
	if c.severityKey == "" {
		return "severity"
	}
	return c.severityKey
}
