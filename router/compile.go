package router

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"syslogd/message"
)

// compiler turns one Route into its compiled form, collecting every
// problem as a *FieldError instead of stopping at the first.
type compiler struct {
	route int
	errs  []error
}

func (c *compiler) fail(field string, err error) {
	c.errs = append(c.errs, &FieldError{Route: c.route, Field: field, Err: err})
}

func index(field string, i int) string { return field + "[" + strconv.Itoa(i) + "]" }

func (c *compiler) match(m *Match) matcher {
	cm := matcher{facilities: allFacilities, severities: allSeverities}
	if len(m.Facility) > 0 {
		cm.facilities, cm.usesPRI, cm.facilityKey = 0, true, true
		for i, s := range m.Facility {
			f, err := message.ParseFacility(s)
			if err != nil {
				c.fail(index("match.facility", i), err)
				continue
			}
			cm.facilities |= 1 << f
		}
	}
	if len(m.Severity) > 0 {
		cm.severities, cm.usesPRI, cm.severityKey = 0, true, "severity"
		for i, s := range m.Severity {
			v, err := message.ParseSeverity(s)
			if err != nil {
				c.fail(index("match.severity", i), err)
				continue
			}
			cm.severities |= 1 << v
		}
	}
	if m.MinSeverity != "" {
		cm.usesPRI, cm.severityKey = true, "min_severity"
		if len(m.Severity) > 0 {
			c.fail("match.min_severity", errors.New("min_severity and severity are mutually exclusive"))
		}
		if s, err := message.ParseSeverity(m.MinSeverity); err != nil {
			c.fail("match.min_severity", err)
		} else {
			// Lower codes are more severe: emerg(0)..s.
			cm.severities = 1<<(s+1) - 1
		}
	}
	cm.hostnames = c.globs("match.hostname", m.Hostname, true)
	cm.appNames = c.globs("match.app_name", m.AppName, false)
	for i, s := range m.Source {
		p, err := message.ParsePrefix(s)
		if err != nil {
			c.fail(index("match.source", i), err)
			continue
		}
		cm.sources = append(cm.sources, p)
	}
	cm.listeners = append([]string(nil), m.Listener...)
	if m.Message != "" {
		re, err := regexp.Compile(m.Message)
		if err != nil {
			c.fail("match.message", fmt.Errorf("bad regex: %w", err))
		}
		cm.re = re
	}
	if m.Parsed != nil {
		cm.parsed = -1
		if *m.Parsed {
			cm.parsed = 1
		}
	}
	return cm
}

func (c *compiler) globs(field string, patterns []string, fold bool) []glob {
	var out []glob
	for i, p := range patterns {
		g, err := compileGlob(p, fold)
		if err != nil {
			c.fail(index(field, i), err)
			continue
		}
		out = append(out, g)
	}
	return out
}

// sinks resolves names to indexes, dropping repeats within the route.
func (c *compiler) sinks(names []string, sinkIndex map[string]int) []int {
	if len(names) == 0 {
		c.fail("sinks", errors.New("route has no sinks"))
	}
	var out []int
	for i, n := range names {
		idx, ok := sinkIndex[n]
		if !ok {
			c.fail(index("sinks", i), fmt.Errorf("unknown sink %q", n))
			continue
		}
		out = appendNew(out, idx)
	}
	return out
}

// checkFallback enforces that a fallback route is unconditional: it is
// the catch-all for what nothing else took, so keys or final would make
// its meaning ambiguous.
func (c *compiler) checkFallback(rt *Route) {
	if keys := matchKeys(&rt.Match); len(keys) > 0 {
		c.fail("fallback", fmt.Errorf("a fallback route cannot have match keys (has %s)", strings.Join(keys, ", ")))
	}
	if rt.Final {
		c.fail("fallback", errors.New("a fallback route cannot be final"))
	}
}

func matchKeys(m *Match) []string {
	var keys []string
	add := func(present bool, name string) {
		if present {
			keys = append(keys, name)
		}
	}
	add(len(m.Facility) > 0, "facility")
	add(m.MinSeverity != "", "min_severity")
	add(len(m.Severity) > 0, "severity")
	add(len(m.Hostname) > 0, "hostname")
	add(len(m.AppName) > 0, "app_name")
	add(len(m.Source) > 0, "source")
	add(len(m.Listener) > 0, "listener")
	add(m.Message != "", "message")
	add(m.Parsed != nil, "parsed")
	return keys
}
