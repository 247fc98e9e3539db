package daemon

import (
	"errors"
	"fmt"
	"log/slog"

	"syslogd/config"
	"syslogd/listener"
	"syslogd/parser"
	"syslogd/ratelimit"
	"syslogd/sinks"
	"syslogd/sinks/file"
	"syslogd/sinks/format"
	"syslogd/sinks/forward"
	"syslogd/sinks/journald"
	"syslogd/sinks/nats"
)

// The one table of listener protocols and sink types. A row names the
// options a kind decodes (owned, with their defaults and checks, by the
// kind's package) and how to start it. Adding a kind is its package and
// one row here; config, which decodes and reports, names no kind.

var listenerTypes = []listenerType{
	socketListener("udp"),
	socketListener("tcp"),
	socketListener("tls"),
	socketListener("unix"),
	socketListener("unixgram"),
	jetstreamListener(),
}

var sinkTypes = []sinkType{
	sinkRow("file", file.DefaultOptions, func(_ string, o file.Options, log *slog.Logger, _ *sinks.Counters) (sinks.Sink, error) {
		return file.New(o, log)
	}),
	sinkRow("nats", nats.DefaultOptions, func(name string, o nats.Options, log *slog.Logger, c *sinks.Counters) (sinks.Sink, error) {
		// The NATS sink counts for itself: it acknowledges asynchronously.
		return nats.New(nats.Config{Name: name, Options: o, Counters: c}, log)
	}),
	sinkRow("journald", func() journald.Options { return journald.Options{} }, func(_ string, o journald.Options, log *slog.Logger, _ *sinks.Counters) (sinks.Sink, error) {
		return journald.New(o, log)
	}),
	sinkRow("syslog", forward.DefaultOptions, func(_ string, o forward.Options, log *slog.Logger, c *sinks.Counters) (sinks.Sink, error) {
		// The sink keeps connected up to date between writes too.
		return forward.New(o, c, log)
	}),
}

// Schema is the table as config.Load needs it.
func Schema() config.Schema {
	var s config.Schema
	for _, l := range listenerTypes {
		s.Listeners = append(s.Listeners, config.Kind{Name: l.name, New: l.options})
	}
	for _, t := range sinkTypes {
		s.Sinks = append(s.Sinks, config.Kind{Name: t.name, New: t.options})
	}
	return s
}

// listenerType is one row: a protocol, its options, and what a
// listener.Listener needs of them: its own options and a constructor of
// the handler that parses and routes (for Listen, or for Update on a
// reload that keeps the socket).
type listenerType struct {
	name    string
	options func() config.Options
	start   func(d *Daemon, name string, o config.Options) (source, error)
	// update applies o to a running source in place, or returns
	// listener.ErrRebind; nil when the kind cannot be updated.
	update func(d *Daemon, name string, s source, o config.Options) error
}

// sinkType is one row: a type, its options, and how to build the sink.
// build returns the queue options too, for the sink's Runner.
type sinkType struct {
	name    string
	options func() config.Options
	build   func(name string, o config.Options, log *slog.Logger, c *sinks.Counters) (sinks.Sink, sinks.Options, error)
}

// row finds a kind by name.
func row[T interface{ kindName() string }](rows []T, name string) (T, error) {
	for _, r := range rows {
		if r.kindName() == name {
			return r, nil
		}
	}
	var zero T
	return zero, fmt.Errorf("type %q is not available in this build", name)
}

func (l listenerType) kindName() string { return l.name }
func (t sinkType) kindName() string     { return t.name }

// socketOptions are what a socket listener (udp, tcp, tls, unix,
// unixgram) reads: the
// listener's options and the parser's, side by side in one YAML mapping.
type socketOptions struct {
	Listener listener.Options `yaml:",inline" mapstructure:",squash"`
	Parser   parser.Config    `yaml:",inline" mapstructure:",squash"`
	// RateLimit, when set, holds each sender (or hostname) to a rate.
	RateLimit *ratelimit.Options `yaml:"rate_limit" mapstructure:"rate_limit"`
}

func (o *socketOptions) Check() []error {
	errs := append(o.Listener.Check(), o.Parser.Check()...)
	if o.RateLimit != nil {
		for _, err := range o.RateLimit.Check() {
			fe, _ := errors.AsType[*ratelimit.FieldError](err)
			errs = append(errs, &listener.FieldError{Path: "rate_limit." + fe.Path, Err: fe.Err})
		}
	}
	return errs
}

// Socket lets config refuse two listeners on one socket.
func (o *socketOptions) Socket() (field, key, where string) { return o.Listener.Socket() }

// Warnings passes on the listener's advice (config prints it).
func (o *socketOptions) Warnings() []error { return warnings(&o.Listener) }

// warnings is o's Warnings, if it has any.
func warnings(o any) []error {
	if w, ok := o.(interface{ Warnings() []error }); ok {
		return w.Warnings()
	}
	return nil
}

func socketListener(protocol string) listenerType {
	return listenerType{
		name: protocol,
		options: func() config.Options {
			return &socketOptions{Listener: listener.DefaultOptions(protocol), Parser: parser.DefaultConfig()}
		},
		start: func(d *Daemon, name string, o config.Options) (source, error) {
			lo, newHandler, err := prepareSocket(d, name, o)
			if err != nil {
				return nil, err
			}
			l, err := listener.Listen(name, lo, newHandler, &d.reg.listener(name).sock, d.log, listener.WithActivated(d.activated))
			if err != nil {
				return nil, err // not a nil *Listener in a source
			}
			return l, nil
		},
		update: func(d *Daemon, name string, s source, o config.Options) error {
			lo, newHandler, err := prepareSocket(d, name, o)
			if err != nil {
				return err
			}
			return s.(*listener.Listener).Update(lo, newHandler)
		},
	}
}

// prepareSocket makes what a socket listener needs of its options: its
// own, and a constructor of the handler that parses and routes.
func prepareSocket(d *Daemon, name string, o config.Options) (listener.Options, func() listener.Handler, error) {
	so := o.(*socketOptions)
	popts, err := so.Parser.Options()
	if err != nil {
		return so.Listener, nil, err
	}
	popts.Hostname = d.hostname // for local sockets, whose senders have no address
	if _, err := parser.New(popts); err != nil {
		return so.Listener, nil, err
	}
	c := d.reg.listener(name)
	limit, err := d.reg.limiter(name, so.RateLimit, d.log)
	if err != nil {
		return so.Listener, nil, err
	}
	newHandler := func() listener.Handler {
		p, _ := parser.New(popts) // the same options succeeded above
		return &handler{table: &d.table, totals: &d.totals, c: c, parser: p, name: name, ids: d.ids,
			seer: d.hosts.Seer(), limit: limit}
	}
	return so.Listener, newHandler, nil
}

// sinkOptions are what every sink reads: the Runner's queue options and
// the sink type's own, side by side in one YAML mapping.
type sinkOptions[T any, P interface {
	*T
	config.Options
}] struct {
	Queue sinks.Options `yaml:",inline" mapstructure:",squash"`
	Sink  T             `yaml:",inline" mapstructure:",squash"`
}

// Warnings passes on the sink type's advice (config prints it).
func (o *sinkOptions[T, P]) Warnings() []error { return warnings(P(&o.Sink)) }

func (o *sinkOptions[T, P]) Check() []error {
	errs := append(o.Queue.Check(), P(&o.Sink).Check()...)
	if _, spools := any(&o.Sink).(spooler); spools && o.Queue.Buffer != nil {
		errs = append(errs, &sinks.FieldError{Path: "buffer", Err: errors.New("this sink is always buffered on disk, in spool_dir (bounded by spool_max_bytes)")})
	}
	return errs
}

// spooler is a sink type that is always buffered on disk, where its own
// options say (the NATS sink's spool_dir and spool_max_bytes).
type spooler interface {
	Spool(name string) sinks.BufferOptions
}

// spooled reports whether the sink type is always buffered (a spooler).
func (o *sinkOptions[T, P]) spooled() bool {
	_, ok := any(&o.Sink).(spooler)
	return ok
}

// keepsRaw reports whether the sink writes the raw frame, the only reader
// of a parsed message's Raw.
func (o *sinkOptions[T, P]) keepsRaw() bool {
	f, ok := any(&o.Sink).(interface{ LineFormat() format.Format })
	return ok && f.LineFormat() == format.Raw
}

func sinkRow[T any, P interface {
	*T
	config.Options
}](name string, defaults func() T, build func(name string, o T, log *slog.Logger, c *sinks.Counters) (sinks.Sink, error)) sinkType {
	return sinkType{
		name: name,
		options: func() config.Options {
			return &sinkOptions[T, P]{Queue: sinks.DefaultOptions(), Sink: defaults()}
		},
		build: func(name string, o config.Options, log *slog.Logger, c *sinks.Counters) (sinks.Sink, sinks.Options, error) {
			so := o.(*sinkOptions[T, P])
			s, err := build(name, so.Sink, log, c)
			q := so.Queue
			if sp, ok := any(&so.Sink).(spooler); ok {
				b := sp.Spool(name)
				q.Buffer = &b
			}
			return s, q, err
		},
	}
}
