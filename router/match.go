package router

import (
	"net/netip"
	"regexp"

	"syslogd/message"
)

// matcher is one route's compiled Match. A zero field means "any": the
// masks are all-ones, the slices empty, re nil.
type matcher struct {
	facilities uint32 // bit f set: facility f matches
	severities uint8  // bit s set: severity s matches
	usesPRI    bool   // facility or severity keys present
	parsed     int8   // 0 any, 1 parsed only, -1 unparsed only
	listeners  []string
	sources    []netip.Prefix
	hostnames  []glob
	appNames   []glob
	re         *regexp.Regexp
	// facilityKey and severityKey say which keys set the masks (severityKey
	// is "severity", "min_severity" or ""), so that firstFailure can name
	// the key that failed.
	facilityKey bool
	severityKey string
}

const (
	allFacilities = 1<<message.NumFacilities - 1
	allSeverities = 1<<message.NumSeverities - 1
)

// match checks the cheap keys first and the regex last. Every key must
// hold; within a key any element may.
func (c *matcher) match(m *message.Message) bool {
	switch {
	case c.parsed > 0 && !m.Parsed(), c.parsed < 0 && m.Parsed():
		return false
	}
	if c.usesPRI {
		// An unparsed frame's PRI is unknown; its zero value must not
		// pass for kern.emerg.
		if !m.Parsed() || c.facilities&(1<<m.Facility) == 0 || c.severities&(1<<m.Severity) == 0 {
			return false
		}
	}
	if len(c.listeners) > 0 && !containsString(c.listeners, m.Listener) {
		return false
	}
	if len(c.sources) > 0 && !c.sourceMatch(m.Source) {
		return false
	}
	if len(c.hostnames) > 0 && !anyGlob(c.hostnames, m.Hostname) {
		return false
	}
	if len(c.appNames) > 0 && !anyGlob(c.appNames, m.AppName) {
		return false
	}
	return c.re == nil || c.re.MatchString(m.Text)
}

// sourceMatch compares the sender without its zone. Source is already
// unmapped (see message.Message), so it is compared as it is; but a
// link-local IPv6 sender keeps its zone (fe80::1%eth0) and
// netip.Prefix.Contains never matches a zoned address, while configured
// prefixes cannot carry one (message.ParsePrefix), so the zone is dropped.
func (c *matcher) sourceMatch(src netip.AddrPort) bool {
	a := src.Addr().WithZone("")
	if !a.IsValid() {
		return false
	}
	for _, p := range c.sources {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func anyGlob(globs []glob, s string) bool {
	for i := range globs {
		if globs[i].match(s) {
			return true
		}
	}
	return false
}
