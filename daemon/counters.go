package daemon

import (
	"sync"
	"sync/atomic"

	"syslogd/listener"
	"syslogd/listener/jetstream"
	"syslogd/sinks"
)

// listenerCounters are the per-listener numbers the pipeline keeps; the
// socket-level ones live in listener.Metrics.
type listenerCounters struct {
	sock         listener.Metrics
	js           jetstream.Metrics // jetstream listeners
	received     atomic.Uint64
	bytes        atomic.Uint64
	parseErrors  atomic.Uint64
	noPRI        atomic.Uint64
	tooLarge     atomic.Uint64
	parseDropped atomic.Uint64 // unparsed and no route took it
}

func (c *listenerCounters) dropped() uint64 { return c.tooLarge.Load() + c.parseDropped.Load() }

// totals balance: received = routed + unmatched + dropped.
type totals struct {
	received, routed, unmatched, dropped atomic.Uint64
}

// registry keeps counters by configured name so that a reload which
// replaces a listener, route or sink keeps counting where it left off.
type registry struct {
	mu        sync.Mutex
	listeners map[string]*listenerCounters
	routes    map[string]*atomic.Uint64
	sinks     map[string]*sinks.Counters
}

func newRegistry() *registry {
	return &registry{
		listeners: map[string]*listenerCounters{},
		routes:    map[string]*atomic.Uint64{},
		sinks:     map[string]*sinks.Counters{},
	}
}

func getOrMake[T any](mu *sync.Mutex, m map[string]*T, name string) *T {
	mu.Lock()
	defer mu.Unlock()
	v, ok := m[name]
	if !ok {
		v = new(T)
		m[name] = v
	}
	return v
}

func (r *registry) listener(name string) *listenerCounters {
	return getOrMake(&r.mu, r.listeners, name)
}
func (r *registry) route(name string) *atomic.Uint64 { return getOrMake(&r.mu, r.routes, name) }
func (r *registry) sink(name string) *sinks.Counters { return getOrMake(&r.mu, r.sinks, name) }
