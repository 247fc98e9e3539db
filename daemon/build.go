package daemon

import (
	"fmt"
	"reflect"

	"syslogd/config"
	"syslogd/listener"
	"syslogd/router"
	"syslogd/sinks"
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

// startSink builds the sink its type's row describes and its Runner.
// Errors name the sink, once.
func (d *Daemon) startSink(sc config.Sink) (*runningSink, error) {
	t, err := row(sinkTypes, sc.Type)
	if err != nil {
		return nil, fmt.Errorf("sink %s: %w", sc.Name, err)
	}
	log := d.log.With("sink", sc.Name)
	s, q, err := t.build(sc.Name, sc.Options, log, d.reg.sink(sc.Name))
	if err != nil {
		return nil, fmt.Errorf("sink %s: %w", sc.Name, err)
	}
	r := sinks.NewRunner(sinks.RunnerConfig{Name: sc.Name, Options: q}, s, d.reg.sink(sc.Name), d.log)
	return &runningSink{cfg: sc, runner: r}, nil
}

// startListener binds the listener its protocol's row describes. Errors
// name the listener, once.
func (d *Daemon) startListener(lc config.Listener) (*runningListener, error) {
	t, err := row(listenerTypes, lc.Protocol)
	if err == nil {
		var l *listener.Listener
		if l, err = t.start(d, lc.Name, lc.Options); err == nil {
			return &runningListener{cfg: lc, l: l}, nil
		}
	}
	return nil, fmt.Errorf("listener %s: %w", lc.Name, err)
}

// buildTable compiles the routes against the current runners.
func (d *Daemon) buildTable(cfg *config.Config, running map[string]*runningSink) (*table, error) {
	names := make([]string, len(cfg.Sinks))
	t := &table{sinks: make([]*sinks.Runner, len(cfg.Sinks))}
	for i, sc := range cfg.Sinks {
		names[i] = sc.Name
		t.sinks[i] = running[sc.Name].runner
		if o, ok := sc.Options.(interface{ keepsRaw() bool }); ok && o.keepsRaw() {
			t.keepRaw = true
		}
	}
	r, err := router.New(cfg.Routes, names)
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
