// Package daemon is the only place the stages are wired together: it builds
// listeners, parser, router and sinks from a config, starts them in order
// (sinks before listeners), reloads and reopens them, and stops them in
// the reverse order with a drain deadline.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"syslogd/config"
	"syslogd/hosts"
	"syslogd/listener"
	"syslogd/message"
	"syslogd/sinks"
	"syslogd/stats"
)

// Daemon is a running instance. Methods are safe for concurrent use; Reload,
// Reopen and Shutdown are serialised.
type Daemon struct {
	log     *slog.Logger
	started time.Time
	// hostname names the host of local messages that name none;
	// activated holds the sockets systemd passed.
	hostname  string
	activated *listener.Activated
	version   string // the build's, for syslogd_build_info
	reg       *registry
	totals    totals
	table     atomic.Pointer[table]
	hosts     *hosts.Tracker
	ready     atomic.Bool
	stats     *stats.Server

	// opMu serialises the long operations (start, Reload, Reopen,
	// Shutdown), which may take a drain deadline; mu guards the fields below
	// for short reads such as /stats, so stats stay live during a drain.
	// Writers hold both.
	opMu      sync.Mutex
	mu        sync.Mutex
	cfg       *config.Config
	loadedAt  time.Time
	reloads   uint64
	failures  uint64
	lastError string
	sinks     map[string]*runningSink
	listeners map[string]*runningListener
	stopped   bool
	// spills are the sinks' open disk buffers by sink name, and closing
	// those to close once the Runners using them have stopped (opMu).
	spills  map[string]*openSpill
	closing []*openSpill
	// ids numbers received messages (Message.ID).
	ids *message.IDs
	// settling are the sources that acknowledge, once Shutdown began
	// (for Abandon, which must not wait for opMu).
	settling atomic.Pointer[[]source]
	// retired are listeners a reload took out of service whose
	// connections may still be open (opMu).
	retired []source
}

// New starts a daemon: stats server, then sinks, routes, listeners. On
// error everything already started is stopped again.
func New(cfg *config.Config, log *slog.Logger, promReg *prometheus.Registry, opts ...Option) (*Daemon, error) {
	d := &Daemon{
		log: log, started: time.Now(), reg: newRegistry(),
		sinks: map[string]*runningSink{}, listeners: map[string]*runningListener{},
		spills: map[string]*openSpill{}, ids: message.NewIDs(),
	}
	d.hostname, _ = os.Hostname() // "" if unknown: local messages then name no host
	d.version = "dev"
	for _, o := range opts {
		o(d)
	}
	if err := promReg.Register(newCollector(d)); err != nil {
		return nil, fmt.Errorf("register metrics: %w", err)
	}
	d.hosts = hosts.New(hostsOptions(cfg), log)
	if addr := cfg.Stats.Address; cfg.Stats.Enabled() {
		s, err := stats.Listen(addr, stats.Source{Snapshot: d.Snapshot, Gatherer: promReg, Ready: d.isReady,
			Hosts: func(silentOnly bool) any { return d.Hosts(silentOnly) }}, log)
		if err != nil {
			d.hosts.Stop()
			return nil, err
		}
		d.stats = s
		log.Info("stats listening", "address", s.Addr().String())
	}
	d.opMu.Lock()
	err := d.apply(cfg, cfg.ShutdownTimeout)
	d.opMu.Unlock()
	if err != nil {
		ctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
		defer cancel()
		_ = d.Shutdown(ctx)
		return nil, err
	}
	d.ready.Store(true)
	log.Info("syslogd started", "config", cfg.File, "listeners", len(cfg.Listeners), "sinks", len(cfg.Sinks), "routes", len(cfg.Routes))
	return d, nil
}

// Status is a one-line summary for a service manager (sd_notify STATUS=).
func (d *Daemon) Status() string {
	s := d.Snapshot()
	return fmt.Sprintf("%d listeners, %d sinks; received %d, routed %d, dropped %d",
		len(s.Listeners), len(s.Sinks), s.Totals.Received, s.Totals.Routed, s.Totals.Dropped)
}

// Option adds to what New knows beyond the configuration.
type Option func(*Daemon)

// WithVersion names the build (syslogd_build_info).
func WithVersion(v string) Option { return func(d *Daemon) { d.version = v } }

// WithActivated hands the daemon the sockets systemd passed (socket
// activation, in order, each file named by its FileDescriptorName), for
// listeners with a "systemd:NAME" address.
func WithActivated(files []*os.File) Option {
	return func(d *Daemon) { d.activated = listener.NewActivated(files) }
}

// QueueBytes returns the sum of the sinks' queue_max_bytes: what the memory
// queues may hold at most, by message.Size's estimate.
func (d *Daemon) QueueBytes() int64 {
	var n int64
	if t := d.table.Load(); t != nil {
		for _, r := range t.sinks {
			n += r.QueueMaxBytes()
		}
	}
	return n
}

// Reload applies cfg. A config that cannot be applied is rejected, counted
// and logged; the running one stays in place.
func (d *Daemon) Reload(cfg *config.Config) error {
	d.opMu.Lock()
	defer d.opMu.Unlock()
	if d.stopped {
		return errors.New("daemon is shutting down")
	}
	running := d.cfg.Stats.Address
	if err := d.apply(cfg, d.cfg.ShutdownTimeout); err != nil {
		d.RecordReloadFailure(err)
		return err
	}
	if cfg.Stats.Address != running {
		d.log.Warn("stats.address changes need a restart", "running", running)
	}
	d.mu.Lock()
	d.reloads++
	d.lastError = ""
	d.mu.Unlock()
	d.log.Info("configuration reloaded", "config", cfg.File)
	return nil
}

// RecordReloadFailure counts a reload that failed before it reached the
// daemon (for example a config that did not validate).
func (d *Daemon) RecordReloadFailure(err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.failures++
	d.lastError = err.Error()
	d.log.Error("reload rejected, previous configuration keeps running", "error", err)
}

// apply moves the daemon to cfg: new or changed sinks first, then the
// routing table, then listeners; unchanged parts keep running untouched.
// The caller holds opMu.
func (d *Daemon) apply(cfg *config.Config, drain time.Duration) error {
	next := make(map[string]*runningSink, len(cfg.Sinks))
	var started []*runningSink
	rollback := func() {
		ctx, cancel := context.WithTimeout(context.Background(), drain)
		defer cancel()
		for _, s := range started {
			_ = s.runner.Stop(ctx)
		}
		d.closeSpills(d.sinks)
	}
	for _, sc := range cfg.Sinks {
		if old, ok := d.sinks[sc.Name]; ok && sameSink(old.cfg, sc) {
			next[sc.Name] = old
			continue
		}
		s, err := d.startSink(sc)
		if err != nil {
			rollback()
			return err
		}
		next[sc.Name] = s
		started = append(started, s)
	}
	t, err := d.buildTable(cfg, next)
	if err != nil {
		rollback()
		return err
	}
	prev := d.table.Swap(t)
	if err := d.applyListeners(cfg); err != nil {
		if prev != nil {
			d.table.Store(prev)
		}
		rollback()
		return err
	}
	var retired []*runningSink
	for name, s := range d.sinks {
		if next[name] != s {
			retired = append(retired, s)
		}
	}
	d.mu.Lock()
	d.sinks = next
	d.cfg = cfg
	d.loadedAt = time.Now()
	d.mu.Unlock()
	d.hosts.Configure(hostsOptions(cfg))
	// Runners no longer referenced drain while the new table is live;
	// handlers that still hold the old table are waited for by Stop.
	ctx, cancel := context.WithTimeout(context.Background(), drain)
	defer cancel()
	for _, s := range retired {
		if err := s.runner.Stop(ctx); err != nil {
			d.log.Warn("stopping replaced sink", "sink", s.cfg.Name, "error", err)
		}
	}
	d.closeSpills(next)
	return nil
}

// applyListeners makes the running listeners what cfg says. A changed
// listener whose socket (protocol and address) stays is updated in place,
// so its connections go on (see listener.Update). One whose socket changed,
// or that is gone, is retired: it stops accepting and its open connections
// go on until they end or time out; Shutdown closes what is left of them.
// If a bind fails, what was changed is undone: updated listeners get their
// old settings back and retired ones are bound again. The caller holds
// opMu.
func (d *Daemon) applyListeners(cfg *config.Config) error {
	next := make(map[string]*runningListener, len(cfg.Listeners))
	var (
		updated []*runningListener // as they were before
		rebind  []config.Listener
	)
	undoUpdates := func() {
		for _, old := range updated {
			if err := d.updateListener(next[old.cfg.Name], old.cfg); err != nil {
				d.log.Error("could not restore listener settings after failed reload", "listener", old.cfg.Name, "error", err)
			}
		}
	}
	for _, lc := range cfg.Listeners {
		old, ok := d.listeners[lc.Name]
		if !ok {
			rebind = append(rebind, lc)
			continue
		}
		if sameListener(old.cfg, lc) {
			next[lc.Name] = old
			continue
		}
		switch err := d.updateListener(old, lc); {
		case err == nil:
			next[lc.Name] = &runningListener{cfg: lc, l: old.l}
			updated = append(updated, old)
			d.log.Info("listener updated in place; open connections keep their settings", "listener", lc.Name)
		case errors.Is(err, listener.ErrRebind):
			rebind = append(rebind, lc)
		default:
			undoUpdates()
			return err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var retired []*runningListener
	for name, old := range d.listeners {
		if n := next[name]; n == nil || n.l != old.l {
			if err := old.l.Retire(ctx); err != nil {
				d.log.Warn("retiring listener", "listener", name, "error", err)
			}
			retired = append(retired, old)
			d.retired = append(d.retired, old.l)
		}
	}
	var opened []*runningListener
	for _, lc := range rebind {
		l, err := d.startListener(lc)
		if err != nil {
			for _, o := range opened {
				_ = o.l.Close(ctx)
			}
			undoUpdates()
			restored := maps.Clone(d.listeners)
			for _, r := range retired {
				if nl, rerr := d.startListener(r.cfg); rerr == nil {
					restored[r.cfg.Name] = nl
				} else {
					delete(restored, r.cfg.Name)
					d.log.Error("could not restore listener after failed reload", "listener", r.cfg.Name, "error", rerr)
				}
			}
			d.mu.Lock()
			d.listeners = restored
			d.mu.Unlock()
			return err
		}
		next[lc.Name] = l
		opened = append(opened, l)
	}
	d.mu.Lock()
	d.listeners = next
	d.mu.Unlock()
	d.pruneRetired(ctx)
	return nil
}

// pruneRetired closes the retired listeners whose last connection has
// ended. The caller holds opMu.
func (d *Daemon) pruneRetired(ctx context.Context) {
	kept := d.retired[:0]
	for _, l := range d.retired {
		if l.Connections() > 0 {
			kept = append(kept, l)
			continue
		}
		_ = l.Close(ctx)
	}
	clear(d.retired[len(kept):])
	d.retired = kept
}

// Reopen asks every sink that holds files to reopen them (SIGUSR1).
func (d *Daemon) Reopen() {
	d.opMu.Lock()
	defer d.opMu.Unlock()
	for name, s := range d.sinks {
		if r, ok := s.runner.Sink().(sinks.Reopener); ok {
			if err := r.Reopen(); err != nil {
				d.log.Error("reopen failed", "sink", name, "error", err)
			}
		}
	}
	d.log.Info("files reopened")
}

// Shutdown stops listeners (their last frames still go through), then
// drains every sink until ctx is done; what is left is counted as
// shutdown_timeout. Idempotent.
func (d *Daemon) Shutdown(ctx context.Context) error {
	d.ready.Store(false)
	d.opMu.Lock()
	defer d.opMu.Unlock()
	if d.stopped {
		return nil
	}
	d.mu.Lock()
	d.stopped = true
	d.mu.Unlock()
	// Intake stops everywhere; a source that acknowledges (jetstream) only
	// stops fetching, and closes after the sinks, once their settlements
	// have reached it.
	var wg sync.WaitGroup
	var settling []source
	for _, l := range append(d.sourcesLocked(), d.retired...) {
		if settles(l) {
			settling = append(settling, l)
			wg.Go(func() { _ = l.Retire(ctx) })
			continue
		}
		wg.Go(func() { _ = l.Close(ctx) })
	}
	wg.Wait()
	d.retired = nil
	d.settling.Store(&settling)
	var errs []error
	var mu sync.Mutex
	for _, s := range d.sinks {
		wg.Go(func() {
			if err := s.runner.Stop(ctx); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for _, l := range settling {
		wg.Go(func() { _ = l.Close(ctx) })
	}
	wg.Wait()
	d.closeSpills(nil)
	d.hosts.Stop()
	if d.stats != nil {
		sctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = d.stats.Shutdown(sctx)
	}
	d.log.Info("syslogd stopped")
	return errors.Join(errs...)
}

// Abandon is for a shutdown that overran its bound: every source that
// acknowledges (jetstream) naks what it holds, so that other instances
// take it now rather than after the consumer's ack_wait. Safe to call
// while Shutdown is stuck.
func (d *Daemon) Abandon() {
	p := d.settling.Load()
	if p == nil {
		return
	}
	for _, s := range *p {
		if a, ok := s.(interface{ Abandon() }); ok {
			a.Abandon()
		}
	}
}

// ListenerAddr returns the bound address of a listener (tests use port 0).
func (d *Daemon) ListenerAddr(name string) net.Addr {
	d.mu.Lock()
	defer d.mu.Unlock()
	if l, ok := d.listeners[name]; ok {
		if a, ok := l.l.(interface{ Addr() net.Addr }); ok {
			return a.Addr()
		}
	}
	return nil
}

// sourcesLocked returns the running listeners. The caller holds opMu.
func (d *Daemon) sourcesLocked() []source {
	out := make([]source, 0, len(d.listeners))
	for _, l := range d.listeners {
		out = append(out, l.l)
	}
	return out
}

// isReady is /readyz: started, not stopping, and every jetstream listener
// bound to its consumer.
func (d *Daemon) isReady() bool {
	if !d.ready.Load() {
		return false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, l := range d.listeners {
		if r, ok := l.l.(interface{ Ready() bool }); ok && !r.Ready() {
			return false
		}
	}
	return true
}

// hostsOptions are the hosts table's settings in cfg.
func hostsOptions(cfg *config.Config) hosts.Options {
	return hosts.Options{MaxTracked: cfg.Hosts.MaxTracked, SilentAfter: cfg.Hosts.SilentAfter}
}

// HostsDoc is the GET /hosts document: the table's counts and the hosts.
type HostsDoc struct {
	hosts.Counts
	SilentAfter string       `json:"silent_after"` // "0s": silence detection off
	Hosts       []hosts.Host `json:"hosts"`
}

// Hosts returns the senders the daemon has seen (only the silent ones
// with silentOnly), with the table's counts: GET /hosts.
func (d *Daemon) Hosts(silentOnly bool) HostsDoc {
	var after time.Duration
	d.mu.Lock()
	if d.cfg != nil { // nil while the first configuration is applied
		after = d.cfg.Hosts.SilentAfter
	}
	d.mu.Unlock()
	return HostsDoc{Counts: d.hosts.Counts(), SilentAfter: after.String(), Hosts: d.hosts.List(silentOnly)}
}

// StatsAddr returns the stats server's address, or nil when disabled.
func (d *Daemon) StatsAddr() net.Addr {
	if d.stats == nil {
		return nil
	}
	return d.stats.Addr()
}
