package config

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
)

// validate checks values and cross-references. Each check reports at the
// path of the offending value, which the reporter turns into a position.
func validate(c *Config, r *reporter) {
	listeners := checkListeners(c.Listeners, r)
	sinks := checkSinks(c.Sinks, r)
	checkRoutes(c, listeners, sinks, r)
	if c.Stats.Enabled() {
		checkHostPort(r, "stats.address", c.Stats.Address)
	}
	positive(r, "shutdown_timeout", c.ShutdownTimeout)
	enum(r, "log.level", c.Log.Level, "debug", "info", "warn", "error")
	enum(r, "log.format", c.Log.Format, "text", "json")
}

// checkNames reports empty, malformed and repeated names in one section
// and returns the set of names. Names become stats labels and are
// referenced from routes, hence the conservative alphabet.
func checkNames(r *reporter, section, kind string, names []string) map[string]bool {
	first := make(map[string]int, len(names))
	for i, n := range names {
		p := elem(section, i) + ".name"
		prev, dup := first[n]
		switch {
		case n == "":
			r.at(p, kind+" name is empty")
		case !validName(n):
			r.at(p, fmt.Sprintf("invalid %s name %q (use letters, digits, '_', '.', '-')", kind, n))
		case dup:
			r.at(p, fmt.Sprintf("duplicate %s name %q (also %s)", kind, n, elem(section, prev)))
		default:
			first[n] = i
		}
	}
	set := make(map[string]bool, len(first))
	for n := range first {
		set[n] = true
	}
	return set
}

func validName(s string) bool {
	for _, c := range []byte(s) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-'
		if !ok {
			return false
		}
	}
	return s != ""
}

// required reports an empty value, and says so whether or not the key is
// present; it returns whether the value is set.
func required(r *reporter, path, v string) bool {
	if v == "" {
		r.at(path, "required")
	}
	return v != ""
}

// enum reports v when it is not one of allowed and returns whether it is.
func enum(r *reporter, path, v string, allowed ...string) bool {
	for _, a := range allowed {
		if v == a {
			return true
		}
	}
	want := strings.Join(allowed, ", ")
	if v == "" && !r.ix.has(path) {
		r.at(path, "required (want "+want+")")
	} else {
		r.at(path, fmt.Sprintf("invalid value %q (want %s)", v, want))
	}
	return false
}

func positive[T ~int | ~int64](r *reporter, path string, v T) {
	if v <= 0 {
		r.at(path, "must be > 0")
	}
}

// checkHostPort reports an address that is not host:port with a numeric
// port; the host may be empty (all interfaces).
func checkHostPort(r *reporter, path, addr string) bool {
	if !required(r, path, addr) {
		return false
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		reason := err.Error()
		if ae, ok := errors.AsType[*net.AddrError](err); ok {
			reason = ae.Err
		}
		r.at(path, fmt.Sprintf("invalid address %q: %s (want host:port)", addr, reason))
		return false
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		r.at(path, fmt.Sprintf("invalid port %q (want 0-65535)", port))
		return false
	}
	return true
}

// checkReadable opens a file the daemon will need, so --check-config
// catches a missing certificate before a restart does.
func checkReadable(r *reporter, path, file string) {
	f, err := os.Open(file)
	if err != nil {
		r.at(path, "cannot read file: "+err.Error())
		return
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		r.at(path, fmt.Sprintf("%s is a directory", file))
	}
}
