package parser

import (
	"fmt"
	"strings"
	"time"
)

// Config is the parser's part of a listener's configuration. The struct,
// its defaults and its checks live here, once: the configuration decodes
// the file's keys over DefaultConfig and reports Check's errors at their
// keys.
type Config struct {
	// Format is auto, rfc5424 or rfc3164.
	Format string `yaml:"format" mapstructure:"format"`
	// Timezone is an IANA name, "Local" or "UTC": RFC 3164 timestamps carry
	// no zone, so they are read in this one.
	Timezone string `yaml:"timezone" mapstructure:"timezone"`
}

// DefaultConfig detects the format per frame and reads zone-less
// timestamps in the host's zone.
func DefaultConfig() Config { return Config{Format: "auto", Timezone: "Local"} }

// Check reports every problem as an error with a FieldPath.
func (c *Config) Check() []error {
	var errs []error
	if _, err := parseFormat(c.Format); err != nil {
		errs = append(errs, &fieldError{path: "format", err: err})
	}
	if _, err := c.location(); err != nil {
		errs = append(errs, &fieldError{path: "timezone", err: err})
	}
	return errs
}

// Options returns the Parser options c stands for.
func (c Config) Options() (Options, error) {
	if _, err := parseFormat(c.Format); err != nil {
		return Options{}, fmt.Errorf("format: %w", err)
	}
	loc, err := c.location()
	if err != nil {
		return Options{}, fmt.Errorf("timezone: %w", err)
	}
	return Options{Format: c.Format, Location: loc}, nil
}

func (c Config) location() (*time.Location, error) {
	if c.Timezone == "Local" {
		return time.Local, nil
	}
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil || c.Timezone == "" {
		return nil, fmt.Errorf("unknown time zone %q (want an IANA name such as Europe/Berlin, Local or UTC)", c.Timezone)
	}
	return loc, nil
}

var formatNames = []string{formatAuto: "auto", format5424: "rfc5424", format3164: "rfc3164"}

func parseFormat(s string) (format, error) {
	for i, n := range formatNames {
		if s == n {
			return format(i), nil
		}
	}
	return 0, fmt.Errorf("invalid value %q (want %s)", s, strings.Join(formatNames, ", "))
}

// fieldError is a problem with one key of Config.
type fieldError struct {
	path string
	err  error
}

func (e *fieldError) Error() string     { return e.path + ": " + e.err.Error() }
func (e *fieldError) Unwrap() error     { return e.err }
func (e *fieldError) FieldPath() string { return e.path }
