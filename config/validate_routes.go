package config

import (
	"errors"
	"fmt"

	"syslogd/router"
)

// checkRoutes checks what only the config knows (listener names, the
// name alphabet) and compiles the routes with the router, which reports
// empty or duplicate names, unknown sinks, bad regexes, globs, CIDRs and
// severities as *router.FieldError relative to one route.
func checkRoutes(c *Config, listeners map[string]bool, sinks []string, r *reporter) {
	if len(c.Routes) == 0 {
		r.at("routes", "at least one route is required")
	}
	// A listener that relays (jetstream) hands on messages that keep the
	// listener name they were received on at the edge: names this
	// configuration does not know are not errors then.
	relays := false
	for _, l := range c.Listeners {
		if _, ok := l.Options.(interface{ Relays() }); ok {
			relays = true
		}
	}
	for i, rt := range c.Routes {
		p := elem("routes", i)
		if rt.Name != "" && !validName(rt.Name) {
			r.at(p+".name", fmt.Sprintf("invalid route name %q (use letters, digits, '_', '.', '-')", rt.Name))
		}
		for j, l := range rt.Match.Listener {
			if !listeners[l] && !relays {
				r.at(elem(p+".match.listener", j), fmt.Sprintf("unknown listener %q", l))
			}
		}
	}
	_, err := router.New(c.Routes, sinks)
	for _, e := range joined(err) {
		if fe, ok := errors.AsType[*router.FieldError](e); ok {
			r.at(elem("routes", fe.Route)+"."+fe.Field, fe.Err.Error())
			continue
		}
		r.at("routes", e.Error())
	}
}

// joined splits an errors.Join result into its parts.
func joined(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	if err != nil {
		return []error{err}
	}
	return nil
}
