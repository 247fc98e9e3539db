package journald

import (
	"path/filepath"
	"strconv"

	"syslogd/sinks"
)

// Options configure one journald sink. The struct and its checks live
// here, once: the configuration reports Check's errors at their keys, and
// New runs the same Check. The zero value writes to the system journal.
type Options struct {
	// Socket is the native protocol socket. Empty means the Namespace's
	// socket, or DefaultSocket when Namespace is empty too.
	Socket string `yaml:"socket" mapstructure:"socket"`
	// Namespace selects a journal namespace (systemd-journald@NAME).
	Namespace string `yaml:"namespace" mapstructure:"namespace"`
	// Fields are added to every entry; see checkFieldName for the rules.
	Fields []Field `yaml:"fields" mapstructure:"fields"`
}

// Field is one static field: a list of {name, value} rather than a map,
// because the configuration would lowercase a map's keys.
type Field struct {
	Name  string `yaml:"name" mapstructure:"name" json:"name"`
	Value string `yaml:"value" mapstructure:"value" json:"value"`
}

// maxStaticFields bounds the static fields, so that an entry keeps room
// for structured data under maxEntryFields.
const maxStaticFields = maxEntryFields / 2

// maxNamespace is a conservative bound on a namespace name, which systemd
// uses in unit instance names and file names.
const maxNamespace = 128

// Check reports every problem as a *sinks.FieldError.
func (o *Options) Check() []error {
	var errs []error
	if o.Socket != "" && !filepath.IsAbs(o.Socket) {
		errs = append(errs, sinks.Errorf("socket", "socket %q must be an absolute path", o.Socket))
	}
	if o.Socket != "" && o.Namespace != "" {
		errs = append(errs, sinks.Errorf("namespace", "socket and namespace are mutually exclusive"))
	}
	if o.Namespace != "" && !validNamespace(o.Namespace) {
		errs = append(errs, sinks.Errorf("namespace", "invalid namespace %q (use letters, digits, '_', '-', '.', ':', not starting with '.', at most %d)", o.Namespace, maxNamespace))
	}
	if len(o.Fields) > maxStaticFields {
		errs = append(errs, sinks.Errorf("fields", "%d fields, at most %d", len(o.Fields), maxStaticFields))
	}
	for i, f := range o.Fields {
		if err := checkFieldName(f.Name); err != nil {
			errs = append(errs, &sinks.FieldError{Path: "fields[" + strconv.Itoa(i) + "].name", Err: err})
		}
	}
	return errs
}

// validNamespace allows what systemd accepts in a unit instance and a
// directory name, and nothing that could leave /run/systemd/journal.NAME.
func validNamespace(s string) bool {
	if len(s) > maxNamespace || s[0] == '.' {
		return false
	}
	for _, c := range []byte(s) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' || c == ':'
		if !ok {
			return false
		}
	}
	return true
}
