package config

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
)

// journalOwnFields are the fields the journald sink sets from each message
// (sinks/journald fixedFields); a static field may not reuse them, nor the
// SD_ prefix that structured data uses. The sink checks the same rules.
var journalOwnFields = []string{
	"MESSAGE", "PRIORITY", "SYSLOG_FACILITY", "SYSLOG_IDENTIFIER", "SYSLOG_PID",
	"SYSLOG_MSGID", "SYSLOG_HOSTNAME", "SYSLOG_TIMESTAMP", "SYSLOG_SOURCE",
	"SYSLOG_LISTENER", "SYSLOG_RAW",
}

// maxJournalFields bounds the static fields (the sink's limit), so that an
// entry stays under journald's 1024 fields.
const maxJournalFields = 500

// maxNamespace is a conservative bound on a journal namespace name, which
// systemd uses in unit instance names and file names.
const maxNamespace = 128

func checkJournaldSink(r *reporter, s *Sink, p string) {
	if s.Socket != "" && !filepath.IsAbs(s.Socket) {
		r.at(p+".socket", fmt.Sprintf("socket %q must be an absolute path", s.Socket))
	}
	if s.Namespace != "" && !validNamespace(s.Namespace) {
		r.at(p+".namespace", fmt.Sprintf("invalid namespace %q (use letters, digits, '_', '-', '.', ':', not starting with '.', at most %d)", s.Namespace, maxNamespace))
	}
	if len(s.Fields) > maxJournalFields {
		r.at(p+".fields", fmt.Sprintf("%d fields, at most %d", len(s.Fields), maxJournalFields))
	}
	for i, f := range s.Fields {
		if reason := journalFieldName(f.Name); reason != "" {
			r.at(elem(p+".fields", i)+".name", reason)
		}
	}
}

// journalFieldName returns why name cannot be a static journal field, or
// "". journald silently drops a field with an invalid name, so a typo
// would otherwise vanish without a trace.
func journalFieldName(name string) string {
	switch {
	case name == "":
		return "required"
	case len(name) > 64:
		return fmt.Sprintf("field name %q is longer than 64 characters", name)
	case name[0] == '_':
		return fmt.Sprintf("field name %q starts with '_' (reserved for journald's trusted fields)", name)
	case name[0] >= '0' && name[0] <= '9':
		return fmt.Sprintf("field name %q starts with a digit", name)
	case slices.Contains(journalOwnFields, name):
		return fmt.Sprintf("field name %q is set by the sink from each message", name)
	case strings.HasPrefix(name, "SD_"):
		return fmt.Sprintf("field name %q uses the SD_ prefix reserved for structured data", name)
	}
	for _, c := range []byte(name) {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return fmt.Sprintf("invalid field name %q (use A-Z, 0-9 and _)", name)
		}
	}
	return ""
}

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
