package sinks

import (
	"fmt"
	"strings"
	"time"
)

// Options are the queue settings every sink has, beside its type's own
// (when_full, queue_size, queue_max_bytes, batch_size). The struct, its
// defaults and its checks live here, once; the configuration decodes the
// file's keys over DefaultOptions, so a key set to 0 stays 0 and Check
// reports it.
type Options struct {
	WhenFull  Policy `yaml:"when_full" mapstructure:"when_full"`
	QueueSize int    `yaml:"queue_size" mapstructure:"queue_size"` // messages
	// QueueMaxBytes bounds the queue by the messages' estimated memory
	// (message.Size) as QueueSize does by their number: whichever is
	// reached first makes the queue full. A message larger than the bound
	// is still taken into an empty queue, so that none waits forever.
	QueueMaxBytes int64 `yaml:"queue_max_bytes" mapstructure:"queue_max_bytes"`
	BatchSize     int   `yaml:"batch_size" mapstructure:"batch_size"` // messages per Write
	// StallTimeout is how long a sink may write nothing while its queue is
	// full before it counts as down (see Runner.Enqueue): the longest a
	// listener waits for a live but stuck sink.
	StallTimeout time.Duration `yaml:"stall_timeout" mapstructure:"stall_timeout"`
	// Buffer, when set, keeps on disk what does not fit the queue or what
	// a down sink cannot take, and replays it in order (see Spill).
	Buffer *BufferOptions `yaml:"buffer" mapstructure:"buffer"`
}

// BufferOptions configure a sink's disk buffer.
type BufferOptions struct {
	// Dir holds the buffer's files; one directory per sink.
	Dir string `yaml:"dir" mapstructure:"dir"`
	// MaxBytes bounds the buffer on disk; beyond it when_full applies.
	MaxBytes int64 `yaml:"max_bytes" mapstructure:"max_bytes"`
}

// DefaultBufferMaxBytes bounds a buffer whose max_bytes is not given.
const DefaultBufferMaxBytes = 1 << 30

// SetDefaults fills a buffer block the configuration names.
func (b *BufferOptions) SetDefaults() { b.MaxBytes = DefaultBufferMaxBytes }

// Queue defaults.
const (
	DefaultQueueSize     = 10000
	DefaultQueueMaxBytes = 8 << 20
	DefaultBatchSize     = 512
	DefaultStallTimeout  = 10 * time.Second
)

// DefaultOptions returns the queue settings a sink gets when the
// configuration names none.
func DefaultOptions() Options {
	return Options{WhenFull: Block, QueueSize: DefaultQueueSize, QueueMaxBytes: DefaultQueueMaxBytes,
		BatchSize: DefaultBatchSize, StallTimeout: DefaultStallTimeout}
}

// Check reports every problem as a *FieldError.
func (o *Options) Check() []error {
	var errs []error
	if o.QueueSize <= 0 {
		errs = append(errs, Errorf("queue_size", "must be > 0"))
	}
	if o.QueueMaxBytes <= 0 {
		errs = append(errs, Errorf("queue_max_bytes", "must be > 0"))
	}
	if o.BatchSize <= 0 {
		errs = append(errs, Errorf("batch_size", "must be > 0"))
	}
	if o.StallTimeout <= 0 {
		errs = append(errs, Errorf("stall_timeout", "must be > 0"))
	}
	if b := o.Buffer; b != nil {
		if b.Dir == "" {
			errs = append(errs, Errorf("buffer.dir", "required"))
		}
		if b.MaxBytes <= 0 {
			errs = append(errs, Errorf("buffer.max_bytes", "must be > 0"))
		}
	}
	return errs
}

// Policy says what Enqueue does when the queue is full.
type Policy uint8

const (
	// Block waits for room, which back-pressures TCP senders.
	Block Policy = iota
	// DropNewest drops the message being enqueued and counts it.
	DropNewest
)

var policyNames = []string{Block: "block", DropNewest: "drop_newest"}

// UnmarshalText accepts "block" and "drop_newest", so the configuration
// decodes a Policy by its name.
func (p *Policy) UnmarshalText(b []byte) error { return UnmarshalName(p, policyNames, b) }

// String returns the configuration's spelling.
func (p Policy) String() string { return NameOf(p, policyNames) }

// UnmarshalName sets *dst to the index of b in names, the spellings of an
// enumerated option, or returns the error every enumerated option words
// the same way (EnumError).
func UnmarshalName[T ~uint8](dst *T, names []string, b []byte) error {
	for i, n := range names {
		if string(b) == n {
			*dst = T(i)
			return nil
		}
	}
	return EnumError(string(b), names...)
}

// NameOf returns the spelling of v, or "Type(v)" for a value without one.
func NameOf[T ~uint8](v T, names []string) string {
	if int(v) < len(names) {
		return names[v]
	}
	return fmt.Sprintf("%T(%d)", v, uint8(v))
}

// FieldError is a problem with one option of a sink, at a path relative
// to the sink ("subject", "fields[2].name", "stream.replicas"). The
// configuration places it at that key's position in the file; anywhere
// else it reads "path: reason".
type FieldError struct {
	Path string
	Err  error
}

// Errorf returns a *FieldError at path with a formatted reason.
func Errorf(path, format string, args ...any) *FieldError {
	return &FieldError{Path: path, Err: fmt.Errorf(format, args...)}
}

func (e *FieldError) Error() string     { return e.Path + ": " + e.Err.Error() }
func (e *FieldError) Unwrap() error     { return e.Err }
func (e *FieldError) FieldPath() string { return e.Path }

// EnumError words a value that is not one of the allowed names, the same
// way for every enumerated option.
func EnumError(v string, allowed ...string) error {
	return fmt.Errorf("invalid value %q (want %s)", v, strings.Join(allowed, ", "))
}
