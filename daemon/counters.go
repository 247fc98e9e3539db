package daemon

import (
	"log/slog"
	"sync"
	"sync/atomic"

	"syslogd/listener"
	"syslogd/listener/jetstream"
	"syslogd/ratelimit"
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
	rateLimited  atomic.Uint64 // over the listener's rate_limit
}

func (c *listenerCounters) dropped() uint64 {
	return c.tooLarge.Load() + c.parseDropped.Load() + c.rateLimited.Load()
}

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
	// limiters are the listeners' rate_limit tables: a reload that keeps
	// a listener's rate_limit keeps its buckets.
	limiters map[string]*ratelimit.Limiter
}

func newRegistry() *registry {
	return &registry{
		listeners: map[string]*listenerCounters{},
		routes:    map[string]*atomic.Uint64{},
		sinks:     map[string]*sinks.Counters{},
		limiters:  map[string]*ratelimit.Limiter{},
	}
}

// limiter returns the rate_limit table of the listener name for o: the one
// it has if o is unchanged, else a new one; nil when o is nil.
func (r *registry) limiter(name string, o *ratelimit.Options, log *slog.Logger) (*ratelimit.Limiter, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if o == nil {
		delete(r.limiters, name)
		return nil, nil
	}
	if l, ok := r.limiters[name]; ok && l.Options() == *o {
		return l, nil
	}
	l, err := ratelimit.New(*o, name, log)
	if err != nil {
		return nil, err
	}
	r.limiters[name] = l
	return l, nil
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
