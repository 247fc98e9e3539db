package config

import "syslogd/router"

// RouterRoutes converts the configured routes for router.New. The sink
// names to pass along are those of c.Sinks, in order.
func (c *Config) RouterRoutes() []router.Route {
	out := make([]router.Route, len(c.Routes))
	for i, rt := range c.Routes {
		m := rt.Match
		out[i] = router.Route{
			Name: rt.Name,
			Match: router.Match{
				Facility:    m.Facility,
				MinSeverity: m.MinSeverity,
				Severity:    m.Severity,
				Hostname:    m.Hostname,
				AppName:     m.AppName,
				Source:      m.Source,
				Listener:    m.Listener,
				Message:     m.Message,
				Parsed:      m.Parsed,
			},
			Sinks:    rt.Sinks,
			Final:    rt.Final,
			Fallback: rt.Fallback,
		}
	}
	return out
}

// SinkNames returns the sink names in configured order, the list
// router.New and Decision.Sinks index into.
func (c *Config) SinkNames() []string {
	names := make([]string, len(c.Sinks))
	for i, s := range c.Sinks {
		names[i] = s.Name
	}
	return names
}
