package daemon

import (
	"fmt"
	"log/slog"
	"reflect"
	"syslogd/sinks/template"
	"time"

	"syslogd/config"
	"syslogd/listener"
	"syslogd/parser"
	"syslogd/router"
	"syslogd/sinks"
	"syslogd/sinks/file"
	"syslogd/sinks/format"
	"syslogd/sinks/journald"
)

// runningSink is a runner with the config it was built from, so a reload
// can keep runners whose config did not change.
type runningSink struct {
	cfg    config.Sink
	runner *sinks.Runner
}

// runningListener likewise.
type runningListener struct {
	cfg config.Listener
	l   *listener.Listener
}

// newSink is the one table of concrete sinks: only the daemon imports them.
// c are the sink's counters, for sinks that count for themselves (NATS).
func newSink(sc config.Sink, log *slog.Logger, c *sinks.Counters) (sinks.Sink, error) {
	switch sc.Type {
	case "file":
		tmpl, err := template.Parse(sc.Path, template.Path)
		if err != nil {
			return nil, fmt.Errorf("sink %s: path: %w", sc.Name, err)
		}
		f, err := format.Parse(sc.Format)
		if err != nil {
			return nil, fmt.Errorf("sink %s: %w", sc.Name, err)
		}
		return file.New(file.Config{
			Name: sc.Name, Path: tmpl, Format: f, FSync: sc.FSync, MaxOpenFiles: sc.MaxOpenFiles,
		}, log)
	case "journald":
		fields := make([]journald.Field, len(sc.Fields))
		for i, f := range sc.Fields {
			fields[i] = journald.Field{Name: f.Name, Value: f.Value}
		}
		return journald.New(journald.Config{
			Name: sc.Name, Socket: sc.Socket, Namespace: sc.Namespace, Fields: fields,
		}, log)
	case "nats":
		return newNATSSink(sc, log, c)
	default:
		return nil, fmt.Errorf("sink %s: type %q is not available in this build", sc.Name, sc.Type)
	}
}

func (d *Daemon) startSink(sc config.Sink) (*runningSink, error) {
	log := d.log.With("sink", sc.Name)
	s, err := newSink(sc, log, d.reg.sink(sc.Name))
	if err != nil {
		return nil, err
	}
	policy, err := sinks.ParsePolicy(sc.WhenFull)
	if err != nil {
		return nil, fmt.Errorf("sink %s: %w", sc.Name, err)
	}
	r := sinks.NewRunner(sinks.RunnerConfig{
		Name: sc.Name, QueueSize: sc.QueueSize, BatchSize: sc.BatchSize, WhenFull: policy,
	}, s, d.reg.sink(sc.Name), d.log)
	return &runningSink{cfg: sc, runner: r}, nil
}

func (d *Daemon) startListener(lc config.Listener) (*runningListener, error) {
	framing, err := listener.ParseFraming(lc.Framing)
	if err != nil {
		return nil, fmt.Errorf("listener %s: %w", lc.Name, err)
	}
	loc := time.Local
	if lc.Timezone != "" && lc.Timezone != "Local" {
		if loc, err = time.LoadLocation(lc.Timezone); err != nil {
			return nil, fmt.Errorf("listener %s: timezone: %w", lc.Name, err)
		}
	}
	popts := parser.Options{Format: lc.Format, Location: loc}
	if _, err := parser.New(popts); err != nil {
		return nil, fmt.Errorf("listener %s: %w", lc.Name, err)
	}
	lcfg := listener.Config{
		Name: lc.Name, Protocol: lc.Protocol, Address: lc.Address, Framing: framing,
		MaxMessageBytes: lc.MaxMessageBytes, MaxConnections: lc.MaxConnections,
		IdleTimeout: lc.IdleTimeout, AllowedSources: lc.AllowedSources,
	}
	if lc.Protocol == "tls" {
		if lcfg.TLS, err = listener.TLSConfig(lc.TLS.CertFile, lc.TLS.KeyFile, lc.TLS.ClientCAFile, lc.TLS.ClientAuth); err != nil {
			return nil, fmt.Errorf("listener %s: %w", lc.Name, err)
		}
	}
	c := d.reg.listener(lc.Name)
	newHandler := func() listener.Handler {
		p, _ := parser.New(popts) // options validated above
		return &handler{table: &d.table, totals: &d.totals, c: c, parser: p, name: lc.Name}
	}
	l, err := listener.Listen(lcfg, newHandler, &c.sock, d.log)
	if err != nil {
		return nil, fmt.Errorf("listener %s: %w", lc.Name, err)
	}
	return &runningListener{cfg: lc, l: l}, nil
}

// buildTable compiles the routes against the current runners.
func (d *Daemon) buildTable(cfg *config.Config, running map[string]*runningSink) (*table, error) {
	names := make([]string, len(cfg.Sinks))
	t := &table{sinks: make([]*sinks.Runner, len(cfg.Sinks))}
	for i, sc := range cfg.Sinks {
		names[i] = sc.Name
		t.sinks[i] = running[sc.Name].runner
		t.keepRaw = t.keepRaw || sc.Format == "raw"
	}
	r, err := router.New(cfg.RouterRoutes(), names)
	if err != nil {
		return nil, fmt.Errorf("routes: %w", err)
	}
	t.router = r
	for _, name := range r.RouteNames() {
		t.routes = append(t.routes, d.reg.route(name))
	}
	return t, nil
}

func sameSink(a, b config.Sink) bool         { return reflect.DeepEqual(a, b) }
func sameListener(a, b config.Listener) bool { return reflect.DeepEqual(a, b) }
