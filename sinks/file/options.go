package file

import (
	"syslogd/sinks"
	"syslogd/sinks/format"
	"syslogd/sinks/template"
)

// Options configure one file sink. The struct, its defaults and its checks
// live here, once: the configuration decodes the file's keys over
// DefaultOptions and reports Check's errors at their keys, and New runs
// the same Check.
type Options struct {
	// Path names each message's file: a template whose placeholder values
	// are sanitised so that they never leave its directory.
	Path string `yaml:"path" mapstructure:"path"`
	// Format is the line format.
	Format format.Format `yaml:"format" mapstructure:"format"`
	// FSync says when written lines are forced to disk.
	FSync FSync `yaml:"fsync" mapstructure:"fsync"`
	// MaxOpenFiles bounds the cache of open files; the least recently used
	// file is closed beyond it. A batch that touches more distinct files
	// keeps them all open until it has been written.
	MaxOpenFiles int `yaml:"max_open_files" mapstructure:"max_open_files"`
}

// DefaultMaxOpenFiles bounds the open files of a sink that names no limit.
const DefaultMaxOpenFiles = 256

// DefaultOptions returns a file sink's settings where the configuration
// names none (path has no default).
func DefaultOptions() Options {
	return Options{Format: format.RFC3164, FSync: FSyncNever, MaxOpenFiles: DefaultMaxOpenFiles}
}

// Check reports every problem as a *sinks.FieldError.
// Warnings advises about %NAME% and $NAME tokens in the path, which other
// syslog daemons expand and this one writes as they are (see
// template.Foreign).
func (o *Options) Warnings() []error {
	var ws []error
	for _, w := range template.Foreign(o.Path) {
		ws = append(ws, sinks.Errorf("path", "%s", w))
	}
	return ws
}

func (o *Options) Check() []error {
	var errs []error
	if o.Path == "" {
		errs = append(errs, sinks.Errorf("path", "required"))
	} else if _, err := template.Parse(o.Path, template.Path); err != nil {
		errs = append(errs, &sinks.FieldError{Path: "path", Err: err})
	}
	if !o.Format.Valid() {
		errs = append(errs, sinks.Errorf("format", "unknown format %d", o.Format))
	}
	if o.FSync > FSyncBatch {
		errs = append(errs, sinks.Errorf("fsync", "unknown fsync %d", o.FSync))
	}
	if o.MaxOpenFiles <= 0 {
		errs = append(errs, sinks.Errorf("max_open_files", "must be > 0"))
	}
	return errs
}

// FSync says when the sink forces written lines to disk.
type FSync uint8

const (
	// FSyncNever leaves write-back to the kernel.
	FSyncNever FSync = iota
	// FSyncBatch fsyncs every touched file after each batch, so a batch
	// the Runner counts as written survives a power loss.
	FSyncBatch
)

var fsyncNames = []string{FSyncNever: "never", FSyncBatch: "batch"}

// UnmarshalText accepts never and batch.
func (f *FSync) UnmarshalText(b []byte) error { return sinks.UnmarshalName(f, fsyncNames, b) }

// String returns the configuration's spelling.
func (f FSync) String() string { return sinks.NameOf(f, fsyncNames) }

// LineFormat returns the format the sink writes.
func (o *Options) LineFormat() format.Format { return o.Format }
