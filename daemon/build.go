package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"

	"syslogd/config"
	"syslogd/listener"
	"syslogd/listener/jetstream"
	"syslogd/router"
	"syslogd/sinks"
	"syslogd/sinks/buffer"
)

// runningSink is a runner with the config it was built from, so a reload
// can keep runners whose config did not change.
type runningSink struct {
	cfg    config.Sink
	runner *sinks.Runner
	spill  *sinks.Spill // nil without a disk buffer
	// spooled: the sink is always buffered (NATS), and /stats also shows
	// its buffer as spooled, the name it had before every sink could have
	// one.
	spooled bool
}

// runningListener likewise.
type runningListener struct {
	cfg config.Listener
	l   source
}

// source is a running listener: a socket (*listener.Listener) or a
// JetStream consumer (*jetstream.Listener).
type source interface {
	// Retire stops intake; what was taken in goes on to the sinks.
	Retire(ctx context.Context) error
	Close(ctx context.Context) error
	// Connections is what a retired source still serves: connections, or
	// messages not yet settled.
	Connections() int
}

// settles reports whether s acknowledges what its sinks settled, so that
// it must close only after the sinks stopped.
func settles(s source) bool {
	_, ok := s.(*jetstream.Listener)
	return ok
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
	var spill *sinks.Spill
	if q.Buffer != nil {
		if spill, err = d.openSpill(sc.Name, *q.Buffer, log); err != nil {
			_ = s.Close(context.Background())
			return nil, fmt.Errorf("sink %s: buffer: %w", sc.Name, err)
		}
	}
	r := sinks.NewRunner(sinks.RunnerConfig{Name: sc.Name, Options: q, Spill: spill}, s, d.reg.sink(sc.Name), d.log)
	so, ok := sc.Options.(interface{ spooled() bool })
	spooled := ok && so.spooled()
	return &runningSink{cfg: sc, runner: r, spill: spill, spooled: spooled}, nil
}

// openSpill returns the sink's disk buffer: the one already open when a
// reload replaces the sink's Runner with the same directory (the old Runner
// may still be draining into it), or a newly opened one. Messages an
// earlier run left in it count as enqueued, so that the sink's accounting
// balances.
func (d *Daemon) openSpill(name string, o sinks.BufferOptions, log *slog.Logger) (*sinks.Spill, error) {
	if sp, ok := d.spills[name]; ok && sp.dir == o.Dir {
		if sp.maxBytes != o.MaxBytes {
			log.Warn("buffer max_bytes changes take effect at the next restart", "running", sp.maxBytes)
		}
		return sp.spill, nil
	}
	b, err := buffer.Open(o.Dir, o.MaxBytes, log)
	if err != nil {
		return nil, err
	}
	if n := b.Len(); n > 0 {
		d.reg.sink(name).Enqueued.Add(uint64(n))
		log.Info("disk buffer has messages from an earlier run; replaying them first", "messages", n, "dir", o.Dir)
	}
	sp := &openSpill{dir: o.Dir, maxBytes: o.MaxBytes, b: b, spill: sinks.NewSpill(b)}
	if old, ok := d.spills[name]; ok {
		d.closing = append(d.closing, old) // the retired Runner may still use it
	}
	d.spills[name] = sp
	return sp.spill, nil
}

// openSpill is one sink's open disk buffer.
type openSpill struct {
	dir      string
	maxBytes int64
	b        *buffer.Buffer
	spill    *sinks.Spill
}

// closeSpills closes the buffers no Runner of running uses; the caller
// has stopped the Runners that used the others.
func (d *Daemon) closeSpills(running map[string]*runningSink) {
	inUse := map[*sinks.Spill]bool{}
	for _, rs := range running {
		if rs.spill != nil {
			inUse[rs.spill] = true
		}
	}
	all := d.closing
	for _, sp := range d.spills {
		all = append(all, sp)
	}
	d.spills, d.closing = map[string]*openSpill{}, nil
	for _, sp := range all {
		if inUse[sp.spill] {
			for name, rs := range running {
				if rs.spill == sp.spill {
					d.spills[name] = sp
				}
			}
			continue
		}
		if err := sp.b.Close(); err != nil {
			d.log.Error("closing disk buffer", "dir", sp.dir, "error", err)
		}
	}
}

// startListener binds the listener its protocol's row describes. Errors
// name the listener, once.
func (d *Daemon) startListener(lc config.Listener) (*runningListener, error) {
	t, err := row(listenerTypes, lc.Protocol)
	if err == nil {
		var s source
		if s, err = t.start(d, lc.Name, lc.Options); err == nil {
			return &runningListener{cfg: lc, l: s}, nil
		}
	}
	return nil, fmt.Errorf("listener %s: %w", lc.Name, err)
}

// updateListener applies lc to the running listener rl in place, keeping
// its socket and connections; listener.ErrRebind when lc names another
// socket.
func (d *Daemon) updateListener(rl *runningListener, lc config.Listener) error {
	if rl.cfg.Protocol != lc.Protocol {
		return listener.ErrRebind
	}
	t, err := row(listenerTypes, lc.Protocol)
	if err != nil {
		return fmt.Errorf("listener %s: %w", lc.Name, err)
	}
	if t.update == nil {
		return listener.ErrRebind
	}
	if err = t.update(d, lc.Name, rl.l, lc.Options); err != nil && !errors.Is(err, listener.ErrRebind) {
		return fmt.Errorf("listener %s: %w", lc.Name, err)
	}
	return err
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

func sameSink(a, b config.Sink) bool { return reflect.DeepEqual(a, b) }

// sameListener reports whether a reload may leave a listener untouched. A
// tls listener never is: its certificate, key and CA files may have been
// renewed on disk under the same names, and Update re-reads them (new
// connections get them, open ones go on).
func sameListener(a, b config.Listener) bool {
	return b.Protocol != "tls" && reflect.DeepEqual(a, b)
}
