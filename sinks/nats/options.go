package nats

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"syslogd/natsconn"
	"syslogd/sinks"
	"syslogd/sinks/format"
	"syslogd/sinks/template"
)

// Options configure one NATS sink. The struct, its defaults and its checks
// live here, once: the configuration decodes the file's keys over
// DefaultOptions and reports Check's errors at their keys, and New runs
// the same Check. Files tagged ",file" are checked for readability by the
// configuration and loaded by New.
type Options struct {
	// Conn says how to reach NATS: url, authentication, TLS.
	natsconn.Options `yaml:",inline" mapstructure:",squash"`
	Subject          string        `yaml:"subject" mapstructure:"subject"`
	Format           format.Format `yaml:"format" mapstructure:"format"` // json, rfc5424 or raw
	Mode             Mode          `yaml:"mode" mapstructure:"mode"`
	// SpoolDir holds the sink's disk buffer (see Spool); SpoolMaxBytes
	// bounds it.
	SpoolDir      string `yaml:"spool_dir" mapstructure:"spool_dir"`
	SpoolMaxBytes int64  `yaml:"spool_max_bytes" mapstructure:"spool_max_bytes"`
	// MaxPending bounds unacknowledged JetStream publishes.
	MaxPending int `yaml:"max_pending" mapstructure:"max_pending"`
	// Stream, when set, is created if it does not exist (JetStream mode).
	Stream *Stream `yaml:"stream" mapstructure:"stream"`
}

// Stream describes the JetStream stream the sink may create.
type Stream struct {
	Name     string        `yaml:"name" mapstructure:"name"`
	Subjects []string      `yaml:"subjects" mapstructure:"subjects"` // default: the subject's first token + ".>"
	Storage  Storage       `yaml:"storage" mapstructure:"storage"`
	Replicas int           `yaml:"replicas" mapstructure:"replicas"`
	MaxAge   time.Duration `yaml:"max_age" mapstructure:"max_age"` // 0: no limit
}

// Defaults.
const (
	DefaultSpoolDir      = "spool" // relative to the working directory
	DefaultSpoolMaxBytes = 1 << 30
	DefaultMaxPending    = 1024
	DefaultAckTimeout    = 5 * time.Second
	// maxStreamReplicas is JetStream's limit on stream replicas.
	maxStreamReplicas = 5
)

// DefaultOptions returns a NATS sink's settings where the configuration
// names none (url and subject have no default).
func DefaultOptions() Options {
	return Options{
		Format: format.JSON, Mode: JetStream, SpoolDir: DefaultSpoolDir,
		SpoolMaxBytes: DefaultSpoolMaxBytes, MaxPending: DefaultMaxPending,
	}
}

// SetDefaults fills a stream block that the configuration names: file
// storage, one replica. The configuration calls it before decoding the
// block's keys over it.
func (st *Stream) SetDefaults() { st.Storage, st.Replicas = StorageFile, 1 }

// Check reports every problem as a *sinks.FieldError.
// Warnings advises about %NAME% and $NAME tokens in the subject, which other
// syslog daemons expand and this one writes as they are (see
// template.Foreign).
func (o *Options) Warnings() []error {
	var ws []error
	for _, w := range template.Foreign(o.Subject) {
		ws = append(ws, sinks.Errorf("subject", "%s", w))
	}
	return ws
}

func (o *Options) Check() []error {
	var errs []error
	add := func(path, f string, args ...any) { errs = append(errs, sinks.Errorf(path, f, args...)) }
	errs = append(errs, o.Options.Check()...)
	if o.Subject == "" {
		add("subject", "required")
	} else if err := checkSubject(o.Subject); err != nil {
		errs = append(errs, &sinks.FieldError{Path: "subject", Err: err})
	}
	switch o.Format {
	case format.JSON, format.RFC5424, format.Raw:
	default:
		errs = append(errs, &sinks.FieldError{Path: "format", Err: sinks.EnumError(o.Format.String(), "json", "rfc5424", "raw")})
	}
	if o.Mode > Core {
		add("mode", "unknown mode %d", o.Mode)
	}
	if o.SpoolDir == "" {
		add("spool_dir", "required")
	}
	if o.SpoolMaxBytes <= 0 {
		add("spool_max_bytes", "must be > 0")
	}
	if o.MaxPending <= 0 {
		add("max_pending", "must be > 0")
	}
	if o.Stream != nil {
		errs = append(errs, o.checkStream()...)
	}
	return errs
}

// checkSubject validates a subject template. Its first token must be
// literal so that a JetStream stream (and a reader of the config) can name
// the subjects it covers; tokens must be non-empty and free of wildcards,
// which are for subscribing, not publishing.
func checkSubject(subject string) error {
	t, err := template.Parse(subject, template.Subject)
	if err != nil {
		return err
	}
	for tok := range strings.SplitSeq(subject, ".") {
		switch {
		case tok == "":
			return fmt.Errorf("subject %q has an empty token", subject)
		case strings.ContainsAny(tok, "*> \t\r\n"):
			return fmt.Errorf("subject %q has a wildcard or whitespace in token %q", subject, tok)
		}
	}
	if first, _, _ := strings.Cut(subject, "."); !t.Static() && !strings.HasPrefix(t.StaticPrefix(), first+".") {
		return fmt.Errorf("subject %q must start with a literal token (e.g. syslog.{facility})", subject)
	}
	return nil
}

func (o *Options) checkStream() []error {
	var errs []error
	add := func(path, f string, args ...any) { errs = append(errs, sinks.Errorf("stream"+path, f, args...)) }
	st := o.Stream
	if o.Mode == Core {
		add("", "a stream is only used in jetstream mode")
	}
	if st.Name == "" {
		add(".name", "required")
	} else if strings.ContainsAny(st.Name, " \t\r\n.*>/\\") {
		add(".name", "invalid stream name %q (no whitespace, '.', '*', '>', '/' or '\\')", st.Name)
	}
	for i, subj := range st.Subjects {
		if reason := streamSubject(subj); reason != "" {
			add(".subjects["+strconv.Itoa(i)+"]", "%s", reason)
		}
	}
	if st.Storage > StorageMemory {
		add(".storage", "unknown storage %d", st.Storage)
	}
	if st.Replicas < 1 || st.Replicas > maxStreamReplicas {
		add(".replicas", "must be 1 to %d", maxStreamReplicas)
	}
	if st.MaxAge < 0 {
		add(".max_age", "must be >= 0")
	}
	return errs
}

// streamSubject checks a subject filter: non-empty tokens without
// whitespace, '*' and '>' only as whole tokens, '>' only last.
func streamSubject(subj string) string {
	toks := strings.Split(subj, ".")
	for i, tok := range toks {
		switch {
		case tok == "":
			return fmt.Sprintf("subject %q has an empty token", subj)
		case strings.ContainsAny(tok, " \t\r\n"):
			return fmt.Sprintf("subject %q has whitespace", subj)
		case tok == ">" && i != len(toks)-1:
			return fmt.Sprintf("subject %q has '>' before its last token", subj)
		case tok != "*" && tok != ">" && strings.ContainsAny(tok, "*>"):
			return fmt.Sprintf("subject %q has a wildcard inside token %q", subj, tok)
		}
	}
	return ""
}

// Mode selects core NATS or JetStream.
type Mode uint8

const (
	// JetStream publishes with acknowledgements and de-duplication.
	JetStream Mode = iota
	// Core publishes fire-and-forget, confirmed per batch by a flush.
	Core
)

var modeNames = []string{JetStream: "jetstream", Core: "core"}

// UnmarshalText accepts core and jetstream (listed in that order, as the
// configuration always has, though jetstream is the zero value).
func (m *Mode) UnmarshalText(b []byte) error {
	switch string(b) {
	case "jetstream":
		*m = JetStream
	case "core":
		*m = Core
	default:
		return sinks.EnumError(string(b), "core", "jetstream")
	}
	return nil
}

func (m Mode) String() string { return sinks.NameOf(m, modeNames) }

// Storage is a created stream's storage.
type Storage uint8

// Storages.
const (
	StorageFile Storage = iota
	StorageMemory
)

var storageNames = []string{StorageFile: "file", StorageMemory: "memory"}

// UnmarshalText accepts file and memory.
func (s *Storage) UnmarshalText(b []byte) error { return sinks.UnmarshalName(s, storageNames, b) }

func (s Storage) String() string { return sinks.NameOf(s, storageNames) }

// Spool returns the sink's disk buffer: it is always buffered, in the
// directory NAME under spool_dir (so sinks can share a spool_dir), bounded
// by spool_max_bytes. The configuration refuses a buffer block for it.
func (o *Options) Spool(name string) sinks.BufferOptions {
	return sinks.BufferOptions{Dir: filepath.Join(o.SpoolDir, name), MaxBytes: o.SpoolMaxBytes}
}

// LineFormat returns the payload format.
func (o *Options) LineFormat() format.Format { return o.Format }
