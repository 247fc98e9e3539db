package config

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"syslogd/sinks/template"
)

func checkSinks(ss []Sink, r *reporter) []string {
	if len(ss) == 0 {
		r.at("sinks", "at least one sink is required")
	}
	names := make([]string, len(ss))
	for i := range ss {
		s, p := &ss[i], elem("sinks", i)
		names[i] = s.Name
		enum(r, p+".when_full", s.WhenFull, "block", "drop_newest")
		positive(r, p+".queue_size", s.QueueSize)
		positive(r, p+".batch_size", s.BatchSize)
		if !enum(r, p+".type", s.Type, "file", "nats", "journald") {
			continue
		}
		checkSinkKeys(r, s.Type, p)
		switch s.Type {
		case "file":
			checkFileSink(r, s, p)
		case "nats":
			checkNATSSink(r, s, p)
		case "journald":
			if s.Socket != "" && s.Namespace != "" {
				r.at(p+".namespace", "socket and namespace are mutually exclusive")
			}
			checkJournaldSink(r, s, p)
		}
	}
	checkNames(r, "sinks", "sink", names)
	return names
}

// checkSinkKeys reports keys the file sets that belong to another sink
// type (the sink struct tag), at the key, since the value is not wrong.
func checkSinkKeys(r *reporter, typ, p string) {
	t := reflect.TypeFor[Sink]()
	for i := range t.NumField() {
		f := t.Field(i)
		types, ok := f.Tag.Lookup("sink")
		if !ok || slices.Contains(strings.Split(types, ","), typ) {
			continue
		}
		key := field(p, f.Tag.Get("yaml"))
		if _, set := r.ix.keys[key]; set {
			r.atKey(key, fmt.Sprintf("key %q is not valid for a %s sink", f.Tag.Get("yaml"), typ))
		}
	}
}

func checkFileSink(r *reporter, s *Sink, p string) {
	if required(r, p+".path", s.Path) {
		if _, err := template.Parse(s.Path, template.Path); err != nil {
			r.at(p+".path", err.Error())
		}
	}
	enum(r, p+".format", s.Format, "rfc3164", "rfc5424", "json", "raw")
	enum(r, p+".fsync", s.FSync, "never", "batch")
	positive(r, p+".max_open_files", s.MaxOpenFiles)
}

func checkNATSSink(r *reporter, s *Sink, p string) {
	checkNATSURLs(r, s.URL, p)
	checkNATSConnection(r, s, p)
	if required(r, p+".subject", s.Subject) {
		if reason := checkSubject(s.Subject); reason != "" {
			r.at(p+".subject", reason)
		}
	}
	enum(r, p+".format", s.Format, "json", "rfc5424", "raw")
}

// checkSubject validates a NATS subject template. Its first token must be
// literal so that a JetStream stream (and a reader of the config) can
// name the subjects it covers; tokens must be non-empty and free of
// wildcards, which are for subscribing, not publishing.
func checkSubject(subject string) string {
	t, err := template.Parse(subject, template.Subject)
	if err != nil {
		return err.Error()
	}
	for tok := range strings.SplitSeq(subject, ".") {
		switch {
		case tok == "":
			return fmt.Sprintf("subject %q has an empty token", subject)
		case strings.ContainsAny(tok, "*> \t\r\n"):
			return fmt.Sprintf("subject %q has a wildcard or whitespace in token %q", subject, tok)
		}
	}
	if first, _, _ := strings.Cut(subject, "."); !t.Static() && !strings.HasPrefix(t.StaticPrefix(), first+".") {
		return fmt.Sprintf("subject %q must start with a literal token (e.g. syslog.{facility})", subject)
	}
	return ""
}
