// Package config loads and validates the YAML configuration described in
// README.md ("Configuration reference") and reports every problem at once
// as "FILE:LINE:COL: path: reason", sorted by position.
//
// Config names no listener protocol and no sink type. Each stage owns its
// options (struct, defaults, Check); the daemon's table hands them to Load
// as a Schema, and config decodes each listener and sink over its kind's
// defaults and places the stage's field errors at their keys. See
// ARCHITECTURE.md, "Where each rule lives".
//
// Why positions come from yaml.Node and not from viper: viper flattens
// the file into lowercased maps and keeps no line or column, so an error
// from it can at best name a key, and an unknown key is either dropped or
// reported without a place. The file is therefore first parsed into a
// yaml.Node tree, which keeps every key's and value's position. A walk of
// that tree against the Go types (by reflection over their yaml tags)
// indexes each node by its path ("routes[1].match.message"), and reports
// unknown keys (with a "did you mean" for typos), duplicate keys and wrong
// types where they are written. Only then does viper get the well-typed
// values, layer SYSLOGD_* environment overrides on them and decode
// strictly (mapstructure tags, ErrorUnused) over config's own defaults;
// listeners and sinks, which the environment cannot override, are decoded
// over their kind's defaults. Validation runs on the decoded values and
// reports by path; the index turns each path
// back into a position, falling back to the closest ancestor for keys
// that are missing, and to the enclosing section (or 1:1) for values that
// came from the environment.
//
// Only keys outside lists are overridable from the environment
// (SYSLOGD_STATS_ADDRESS, SYSLOGD_SHUTDOWN_TIMEOUT, SYSLOGD_LOG_LEVEL,
// SYSLOGD_LOG_FORMAT): viper has no syntax for list elements.
//
// Relative file names (sink paths, TLS files) are relative to the working
// directory of the process, not to the configuration file.
package config
