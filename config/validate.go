package config

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"

	"syslogd/listener"
)

// validate checks values and cross-references. Each check reports at the
// path of the offending value, which the reporter turns into a position.
func validate(c *Config, r *reporter, listeners, sinks *section) {
	names := make([]string, len(c.Listeners))
	bound := make(map[string]int) // socket → first listener
	for i, l := range c.Listeners {
		names[i] = l.Name
		checkOptions(r, elem(listeners.key, i), l.Options)
		if b, ok := l.Options.(socketBinder); ok {
			f, key, where := b.Socket()
			if prev, dup := bound[key]; dup {
				r.at(field(elem(listeners.key, i), f), fmt.Sprintf("%s already listens on %s", elem(listeners.key, prev), where))
			} else if key != "" {
				bound[key] = i
			}
		}
	}
	if len(c.Listeners) == 0 {
		r.at(listeners.key, "at least one listener is required")
	}
	known := checkNames(r, listeners.key, listeners.noun, names)
	names = make([]string, len(c.Sinks))
	for i, s := range c.Sinks {
		names[i] = s.Name
		checkOptions(r, elem(sinks.key, i), s.Options)
	}
	if len(c.Sinks) == 0 {
		r.at(sinks.key, "at least one sink is required")
	}
	checkNames(r, sinks.key, sinks.noun, names)
	checkRoutes(c, known, names, r)
	if c.Stats.Enabled() {
		if err := listener.CheckAddress(c.Stats.Address); err != nil {
			r.at("stats.address", err.Error())
		}
	}
	positive(r, "shutdown_timeout", c.ShutdownTimeout)
	enum(r, "log.level", c.Log.Level, "debug", "info", "warn", "error")
	enum(r, "log.format", c.Log.Format, "text", "json")
	notNegative(r, "hosts.max_tracked", c.Hosts.MaxTracked, "0 turns tracking off")
	notNegative(r, "hosts.silent_after", c.Hosts.SilentAfter, "0 turns silence detection off")
}

// fieldError is an error a stage places at a key (see Options).
type fieldError interface {
	error
	FieldPath() string
}

// socketBinder is implemented by listener options that bind a socket (see
// Options).
type socketBinder interface {
	Socket() (field, key, where string)
}

// checkOptions places a stage's Check errors at their keys below path,
// then checks that the files the options name can be read.
func checkOptions(r *reporter, path string, o Options) {
	if o == nil {
		return // the kind was missing or unknown, and is reported
	}
	checkList(r, path, o.Check())
	if w, ok := o.(warner); ok {
		// Warnings go through the same placement into their own list: the
		// reporter's list is swapped for the duration.
		errs := r.list
		r.list = nil
		checkList(r, path, w.Warnings())
		r.warns = append(r.warns, r.list...)
		r.list = errs
	}
	checkFiles(r, path, reflect.ValueOf(o).Elem())
}

// warner is implemented by stage options with advice that is no error:
// the configuration works, but likely not as meant. Warnings() returns
// errors shaped as Check's.
type warner interface{ Warnings() []error }

// checkList places errs, a stage's Check (or Warnings) result, at their
// keys below path.
func checkList(r *reporter, path string, errs []error) {
	for _, err := range errs {
		fp, ok := errors.AsType[fieldError](err)
		if !ok {
			r.at(path, err.Error())
			continue
		}
		at, reason := field(path, fp.FieldPath()), fp.Error()
		if inner := errors.Unwrap(fp); inner != nil {
			reason = inner.Error() // the reason without the path
		}
		if p := parent(at); strings.HasSuffix(at, "]") && !r.ix.has(at) && r.ix.has(p) {
			at = p // an element of a list written as one string (",scalar"): at the string
		}
		if k, ok := fp.(interface{ OnKey() bool }); ok && k.OnKey() {
			r.atKey(at, reason)
			r.bad = append(r.bad, at)
			continue
		}
		r.at(at, reason)
	}
}

// checkFiles opens every file a ",file" field names, so --check-config
// catches a missing certificate before a restart does.
func checkFiles(r *reporter, path string, v reflect.Value) {
	fields, names := yamlFields(v.Type())
	for _, name := range names {
		f := fields[name]
		fv, at := v.FieldByIndex(f.index), field(path, name)
		switch {
		case f.file && fv.Kind() == reflect.String && fv.String() != "":
			checkReadable(r, at, fv.String())
		case fv.Kind() == reflect.Pointer && !fv.IsNil() && fv.Elem().Kind() == reflect.Struct:
			checkFiles(r, at, fv.Elem())
		case fv.Kind() == reflect.Struct && fv.Type() != prefixType:
			checkFiles(r, at, fv)
		}
	}
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

func notNegative[T ~int | ~int64](r *reporter, path string, v T, zero string) {
	if v < 0 {
		r.at(path, "must be >= 0 ("+zero+")")
	}
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
