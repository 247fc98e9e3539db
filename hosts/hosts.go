// Package hosts keeps track of who sends: per hostname (or, for messages
// that name none, per sender address) the first and last time it was seen,
// how many messages it sent and on which listener. The table is bounded:
// beyond its size the least recently seen host is evicted and the eviction
// counted. With a silence threshold, a host quiet that long is marked
// silent, and marked back when it sends again; each change is logged once.
//
// The table is hand-written rather than taken from an LRU library because
// of its hot path: every message touches it, and a library LRU reorders
// its list (under a lock) on every hit. Here a handler's Seer remembers the
// host it saw last and, while the same host keeps sending, only stores the
// time and adds to the count (two atomic operations, no lock); the list is
// brought up to date lazily, when eviction or the silence scan reaches an
// entry that was seen since it was placed.
package hosts

import (
	"cmp"
	"container/list"
	"log/slog"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// MaxKeyBytes bounds a tracked name: a longer hostname (RFC 5424 allows
// 255 bytes; an RFC 3164 sender can put anything in that place) is cut to
// this length, so a flood of spoofed names cannot grow the table's memory
// beyond max_tracked × (entry + 255 bytes).
const MaxKeyBytes = 255

// Defaults.
const (
	DefaultMaxTracked = 10000
)

// Options configure a Tracker.
type Options struct {
	// MaxTracked bounds the table; 0 turns tracking off.
	MaxTracked int
	// SilentAfter is how long a host that sent before must be quiet to be
	// silent; 0 turns silence detection off.
	SilentAfter time.Duration
}

// Host is one tracked sender, as /hosts shows it.
type Host struct {
	Host string `json:"host"`
	// By is "hostname", or "source" for a sender that names no host (Host
	// is then its address).
	By        string    `json:"by"`
	Listener  string    `json:"listener"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	Messages  uint64    `json:"messages"`
	Silent    bool      `json:"silent"`
}

// Counts are the table's totals, as /stats shows them.
type Counts struct {
	Tracked int    `json:"tracked"`
	Silent  int    `json:"silent"`
	Evicted uint64 `json:"evicted"`
}

// entry is one host. key, bySource, src and first never change; listener
// (the one its last message on the locked path came from) and the list
// links change under Tracker.mu; seen and count are written by Seers
// without it.
type entry struct {
	key      string
	bySource bool
	src      netip.Addr // the sender, when bySource
	first    int64      // UnixNano
	listener string

	seen  atomic.Int64 // UnixNano of the last message
	count atomic.Uint64
	// silent is set by the scan and cleared on the locked path; a Seer
	// that finds it set takes that path, so the return is logged.
	silent atomic.Bool
	// gone is set when the entry is evicted: a Seer holding it must not
	// count into it any more.
	gone atomic.Bool

	// listed is seen as it was when the entry was last put at the front
	// of the list; seen > listed means a Seer touched it since.
	listed int64
	elem   *list.Element // in Tracker.order
}

// Tracker is the table. Its methods are safe for concurrent use.
type Tracker struct {
	log *slog.Logger
	// on is MaxTracked > 0, read without the lock so that a daemon with
	// tracking off pays no lock per message.
	on atomic.Bool

	mu    sync.Mutex
	opts  Options
	byKey map[string]*entry
	// order holds the entries sorted by listed, the most recent at the
	// front (see place).
	order   list.List
	silent  int
	evicted uint64

	// wake tells the scan goroutine that SilentAfter changed.
	wake chan struct{}
	stop chan struct{}
	done chan struct{}
}

// New starts a Tracker and its silence scan. Stop ends the scan.
func New(o Options, log *slog.Logger) *Tracker {
	t := &Tracker{
		log: log, opts: o, byKey: map[string]*entry{},
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
	}
	t.on.Store(o.MaxTracked > 0)
	go t.scanLoop()
	return t
}

// Stop ends the silence scan and waits for it.
func (t *Tracker) Stop() {
	close(t.stop)
	<-t.done
}

// Configure applies new options (a reload): a smaller table evicts the
// least recently seen down to its size, and a new silence threshold is
// applied to every host at once, without logging each one.
func (t *Tracker) Configure(o Options) {
	t.mu.Lock()
	defer t.mu.Unlock()
	old := t.opts
	t.opts = o
	t.on.Store(o.MaxTracked > 0)
	if o.MaxTracked <= 0 {
		// Tracking turned off: the table is emptied, which is no eviction.
		for el := t.order.Front(); el != nil; el = el.Next() {
			el.Value.(*entry).gone.Store(true)
		}
		t.order.Init()
		clear(t.byKey)
		t.silent = 0
	}
	for len(t.byKey) > o.MaxTracked {
		t.evictLocked()
	}
	if o.SilentAfter != old.SilentAfter {
		cutoff := time.Now().Add(-o.SilentAfter).UnixNano()
		t.silent = 0
		for _, e := range t.byKey {
			s := o.SilentAfter > 0 && e.seen.Load() < cutoff
			e.silent.Store(s)
			if s {
				t.silent++
			}
		}
		select {
		case t.wake <- struct{}{}:
		default:
		}
	}
}

// Seer records messages for one goroutine (a listener's handler). It is
// not safe for concurrent use; each handler has its own.
type Seer struct {
	t    *Tracker
	last *entry
	// listener is what last was seen on: the fast path holds only for it
	// (the entry's own listener field is the Tracker's, under its lock).
	listener string
}

// Seer returns a recorder for one goroutine.
func (t *Tracker) Seer() *Seer { return &Seer{t: t} }

// Seen records one message from hostname (or, when hostname is empty,
// from src) on listener at now.
func (s *Seer) Seen(hostname string, src netip.Addr, listener string, now time.Time) {
	ns := now.UnixNano()
	if e := s.last; e != nil && !e.gone.Load() && !e.silent.Load() && s.listener == listener && e.is(hostname, src) {
		e.seen.Store(ns)
		e.count.Add(1)
		return
	}
	s.last, s.listener = s.t.seen(hostname, src, listener, ns), listener
}

// is reports whether e is the host a message from hostname or src counts
// for.
func (e *entry) is(hostname string, src netip.Addr) bool {
	if hostname == "" {
		return e.bySource && e.src == src
	}
	return !e.bySource && e.key == truncate(hostname)
}

func truncate(s string) string {
	if len(s) > MaxKeyBytes {
		return s[:MaxKeyBytes]
	}
	return s
}

// seen is the locked path: a new host, one that changed listener, or one
// that was silent. It returns the entry, or nil when tracking is off.
func (t *Tracker) seen(hostname string, src netip.Addr, listener string, ns int64) *entry {
	if !t.on.Load() {
		return nil
	}
	key, bySource := truncate(hostname), false
	if hostname == "" {
		if !src.IsValid() {
			return nil // neither a name nor an address: nothing to track it by
		}
		key, bySource = src.String(), true
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.opts.MaxTracked <= 0 {
		return nil
	}
	// A host whose name is its address, seen both ways, is one entry, kept
	// the way it came first.
	e, ok := t.byKey[key]
	if !ok {
		for len(t.byKey) >= t.opts.MaxTracked {
			t.evictLocked()
		}
		// The key may be a substring of a frame buffer: cloned, so the
		// table does not keep the buffer alive.
		e = &entry{key: strings.Clone(key), bySource: bySource, first: ns, listener: listener}
		if bySource {
			e.src = src
		}
		t.byKey[e.key] = e
	}
	if e.silent.Load() {
		e.silent.Store(false)
		t.silent--
		t.log.Info("host sending again", "host", e.key, "listener", listener,
			"silent_for", time.Duration(ns-e.seen.Load()).Round(time.Second).String())
	}
	e.listener = listener
	e.seen.Store(ns)
	e.count.Add(1)
	e.listed = ns
	t.place(e)
	return e
}

// evictLocked removes the least recently seen entry. Entries at the back
// that a Seer touched since they were placed are moved to their place
// first, so what is evicted is the least recent by its last message.
func (t *Tracker) evictLocked() {
	for el := t.order.Back(); el != nil; el = t.order.Back() {
		e := el.Value.(*entry)
		if s := e.seen.Load(); s > e.listed {
			e.listed = s
			t.place(e)
			continue
		}
		t.order.Remove(el)
		delete(t.byKey, e.key)
		e.gone.Store(true)
		if e.silent.Load() {
			t.silent--
		}
		t.evicted++
		return
	}
}

// place puts e (new, or moved) into the list at the position of e.listed:
// the list is sorted by listed, most recent at the front. A message's time
// is almost always the latest, so the walk from the front is short; an
// entry moved for a Seer's touches goes where its last message puts it,
// which keeps the back of the list the least recently seen.
func (t *Tracker) place(e *entry) {
	// mark is the first entry listed no later than e, which e goes in
	// front of (nil: e goes to the back); e itself is passed over.
	mark := t.order.Front()
	for mark != nil && (mark == e.elem || mark.Value.(*entry).listed > e.listed) {
		mark = mark.Next()
	}
	switch {
	case e.elem == nil && mark == nil:
		e.elem = t.order.PushBack(e)
	case e.elem == nil:
		e.elem = t.order.InsertBefore(e, mark)
	case mark == nil:
		t.order.MoveToBack(e.elem)
	default:
		t.order.MoveBefore(e.elem, mark)
	}
}

// scanInterval is how often the scan looks for newly silent hosts: a
// quarter of the threshold, within [100ms, 1s], so a host is reported at
// most a second late.
func scanInterval(silentAfter time.Duration) time.Duration {
	return min(max(silentAfter/4, 100*time.Millisecond), time.Second)
}

func (t *Tracker) scanLoop() {
	defer close(t.done)
	for {
		t.mu.Lock()
		after := t.opts.SilentAfter
		t.mu.Unlock()
		var tick <-chan time.Time
		var timer *time.Timer
		if after > 0 {
			timer = time.NewTimer(scanInterval(after))
			tick = timer.C
		}
		select {
		case <-t.stop:
			if timer != nil {
				timer.Stop()
			}
			return
		case <-t.wake:
			if timer != nil {
				timer.Stop()
			}
		case now := <-tick:
			t.scan(now)
		}
	}
}

// scan marks the hosts quiet for SilentAfter as silent, walking from the
// back of the list: silent hosts stay there until they send again, so a
// scan reads the silent ones and the newly silent, and stops at the first
// host that is not.
func (t *Tracker) scan(now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.opts.SilentAfter <= 0 {
		return
	}
	cutoff := now.Add(-t.opts.SilentAfter).UnixNano()
	for el := t.order.Back(); el != nil; {
		prev, e := el.Prev(), el.Value.(*entry)
		switch s := e.seen.Load(); {
		case s > e.listed:
			// Touched by a Seer since it was placed: its place is further
			// forward.
			e.listed = s
			t.place(e)
		case s >= cutoff:
			return
		case !e.silent.Load():
			e.silent.Store(true)
			t.silent++
			t.log.Info("host went silent", "host", e.key, "listener", e.listener,
				"last_seen", time.Unix(0, s).UTC().Format(time.RFC3339), "messages", e.count.Load(),
				"silent_after", t.opts.SilentAfter.String())
		}
		el = prev
	}
}

// Counts returns the table's totals.
func (t *Tracker) Counts() Counts {
	t.mu.Lock()
	defer t.mu.Unlock()
	return Counts{Tracked: len(t.byKey), Silent: t.silent, Evicted: t.evicted}
}

// List returns the tracked hosts (only the silent ones with silentOnly),
// sorted by name.
func (t *Tracker) List(silentOnly bool) []Host {
	t.mu.Lock()
	out := make([]Host, 0, len(t.byKey))
	for _, e := range t.byKey {
		silent := e.silent.Load()
		if silentOnly && !silent {
			continue
		}
		h := Host{
			Host: e.key, By: "hostname", Listener: e.listener,
			FirstSeen: time.Unix(0, e.first).UTC(), LastSeen: time.Unix(0, e.seen.Load()).UTC(),
			Messages: e.count.Load(), Silent: silent,
		}
		if e.bySource {
			h.By = "source"
		}
		out = append(out, h)
	}
	t.mu.Unlock()
	slices.SortFunc(out, func(a, b Host) int { return cmp.Compare(a.Host, b.Host) })
	return out
}
