package router

import (
	"errors"
	"fmt"
	"slices"

	"syslogd/message"
)

// Match selects messages. Every non-empty key must hold (AND); within a
// list any element may hold (OR). An empty list or string means "any".
type Match struct {
	Facility    []string `yaml:"facility" mapstructure:"facility"`         // names or codes (message.ParseFacility)
	MinSeverity string   `yaml:"min_severity" mapstructure:"min_severity"` // "warning" means warning or more severe (emerg..warning), names or codes
	Severity    []string `yaml:"severity" mapstructure:"severity"`         // exact set; mutually exclusive with MinSeverity
	Hostname    []string `yaml:"hostname" mapstructure:"hostname"`         // globs (path.Match syntax, '*' '?' '[...]'); match is case-insensitive for hostnames
	AppName     []string `yaml:"app_name" mapstructure:"app_name"`         // globs, case-sensitive
	Source      []string `yaml:"source" mapstructure:"source"`             // sender address: CIDRs or plain IPs (v4/v6; v4-mapped v6 senders match v4 CIDRs)
	Listener    []string `yaml:"listener" mapstructure:"listener"`         // listener names (exact)
	Message     string   `yaml:"message" mapstructure:"message"`           // RE2, unanchored, matched against message.Text
	Parsed      *bool    `yaml:"parsed" mapstructure:"parsed"`             // nil = any; false selects unparsed frames
}

// Route is one configured rule, as the config package decodes it.
type Route struct {
	Name     string   `yaml:"name" mapstructure:"name"`
	Match    Match    `yaml:"match" mapstructure:"match"`
	Sinks    []string `yaml:"sinks" mapstructure:"sinks"`
	Final    bool     `yaml:"final" mapstructure:"final"`       // stop evaluating later routes when this one matches
	Fallback bool     `yaml:"fallback" mapstructure:"fallback"` // only messages no other route matched; no match keys, not final
}

// Decision is the outcome of routing one message. The caller owns it and
// reuses it across messages, so after the first few messages Route stops
// allocating.
type Decision struct {
	Routes []int // indexes of routes that matched, in order (reuse: Route resets length to 0)
	Sinks  []int // indexes into sinks, deduplicated, in first-delivery order
}

// Router is a compiled set of routes. It is immutable after New and safe
// for concurrent use.
type Router struct {
	names    []string
	ordered  []compiledRoute // non-fallback routes, in configured order
	fbRoutes []int           // fallback route indexes, in configured order
	fbSinks  []int           // their sinks, deduplicated
}

type compiledRoute struct {
	index int
	m     matcher
	sinks []int // deduplicated
	final bool
}

// New compiles routes. sinks is the list of configured sink names;
// Decision.Sinks holds indexes into it. Every problem is reported at once,
// as an errors.Join of *FieldError.
func New(routes []Route, sinks []string) (*Router, error) {
	sinkIndex := make(map[string]int, len(sinks))
	for i, s := range sinks {
		if _, dup := sinkIndex[s]; !dup {
			sinkIndex[s] = i
		}
	}
	r := &Router{names: make([]string, len(routes))}
	seenName := make(map[string]int, len(routes))
	var errs []error
	for i := range routes {
		rt := &routes[i]
		c := compiler{route: i}
		r.names[i] = rt.Name
		switch prev, dup := seenName[rt.Name]; {
		case rt.Name == "":
			c.fail("name", errors.New("route name is empty"))
		case dup:
			c.fail("name", fmt.Errorf("duplicate route name %q (also routes[%d])", rt.Name, prev))
		default:
			seenName[rt.Name] = i
		}
		cr := compiledRoute{index: i, m: c.match(&rt.Match), final: rt.Final}
		cr.sinks = c.sinks(rt.Sinks, sinkIndex)
		if rt.Fallback {
			c.checkFallback(rt)
			r.fbRoutes = append(r.fbRoutes, i)
			r.fbSinks = appendNew(r.fbSinks, cr.sinks...)
		} else {
			r.ordered = append(r.ordered, cr)
		}
		errs = append(errs, c.errs...)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return r, nil
}

// Route fills d with the routes m matches and the sinks it goes to.
func (r *Router) Route(m *message.Message, d *Decision) {
	d.Routes, d.Sinks = d.Routes[:0], d.Sinks[:0]
	// seen covers the first 256 sinks without touching the heap; a
	// config with more falls back to scanning d.Sinks for the rest.
	var seen [4]uint64
	for i := range r.ordered {
		c := &r.ordered[i]
		if !c.m.match(m) {
			continue
		}
		d.Routes = append(d.Routes, c.index)
		for _, s := range c.sinks {
			if s < 64*len(seen) {
				if seen[s/64]&(1<<(s%64)) != 0 {
					continue
				}
				seen[s/64] |= 1 << (s % 64)
			} else if slices.Contains(d.Sinks, s) {
				continue
			}
			d.Sinks = append(d.Sinks, s)
		}
		if c.final {
			return
		}
	}
	if len(d.Routes) == 0 {
		d.Routes = append(d.Routes, r.fbRoutes...)
		d.Sinks = append(d.Sinks, r.fbSinks...)
	}
}

// RouteNames returns the route names in configured order, so that
// Decision.Routes indexes can be turned into stats labels.
func (r *Router) RouteNames() []string { return slices.Clone(r.names) }

// appendNew appends the elements of vs not already in dst.
func appendNew(dst []int, vs ...int) []int {
	for _, v := range vs {
		if !slices.Contains(dst, v) {
			dst = append(dst, v)
		}
	}
	return dst
}
