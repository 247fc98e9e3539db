// Package ratelimit holds a listener's senders to a rate: a token bucket
// (golang.org/x/time/rate) per sender address or per hostname, in a table
// bounded by least-recent eviction (hashicorp/golang-lru's simplelru), so
// a flood of spoofed names costs at most max_keys buckets.
package ratelimit

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"
	"golang.org/x/time/rate"
)

// Defaults.
const (
	DefaultBy      = "source"
	DefaultMaxKeys = 10000
	// warnEvery spaces the log lines about one limited key.
	warnEvery = time.Minute
	// maxKeyBytes bounds a hostname key, as the hosts table does.
	maxKeyBytes = 255
)

// Options are a listener's rate_limit block.
type Options struct {
	// MessagesPerSecond is the rate each key is held to.
	MessagesPerSecond int `yaml:"messages_per_second" mapstructure:"messages_per_second"`
	// Burst is how many messages a key may send at once above the rate;
	// 0 means one second's worth (MessagesPerSecond).
	Burst int `yaml:"burst" mapstructure:"burst"`
	// By is the key: "source" (the sender's address; on a local socket,
	// where senders have none, the sending process) or "hostname" (the
	// message's; a message that names no host is keyed as by source).
	By string `yaml:"by" mapstructure:"by"`
	// MaxKeys bounds the table of buckets; beyond it the key least
	// recently seen is forgotten (and starts again with a full bucket).
	MaxKeys int `yaml:"max_keys" mapstructure:"max_keys"`
}

// SetDefaults fills a rate_limit block the configuration names.
func (o *Options) SetDefaults() { o.By, o.MaxKeys = DefaultBy, DefaultMaxKeys }

// burst is Burst with its default applied.
func (o *Options) burst() int {
	if o.Burst > 0 {
		return o.Burst
	}
	return o.MessagesPerSecond
}

// FieldError is a problem with one key of the block, at a path relative
// to it ("messages_per_second").
type FieldError struct {
	Path string
	Err  error
}

func (e *FieldError) Error() string { return e.Path + ": " + e.Err.Error() }
func (e *FieldError) Unwrap() error { return e.Err }

// Check reports every problem as a *FieldError.
func (o *Options) Check() []error {
	var errs []error
	add := func(path string, err error) { errs = append(errs, &FieldError{Path: path, Err: err}) }
	if o.MessagesPerSecond < 1 {
		add("messages_per_second", errors.New("must be at least 1"))
	}
	if o.Burst < 0 {
		add("burst", errors.New("must be 0 (one second's worth) or more"))
	}
	if o.By != "source" && o.By != "hostname" {
		add("by", fmt.Errorf("unknown key %q (want source or hostname)", o.By))
	}
	if o.MaxKeys < 1 {
		add("max_keys", errors.New("must be at least 1"))
	}
	return errs
}

// bucket is one key's state.
type bucket struct {
	lim *rate.Limiter
	// dropped counts the drops since the last log line about this key,
	// warned is when that line was written.
	dropped uint64
	warned  time.Time
}

// Limiter is one listener's table. Its methods are safe for concurrent use.
type Limiter struct {
	opts     Options
	listener string
	log      *slog.Logger

	mu       sync.Mutex
	bySource *simplelru.LRU[Source, *bucket]
	byName   *simplelru.LRU[string, *bucket] // By hostname only
	evicted  uint64
}

// New makes the table for the listener named listener. o must have passed
// Check.
func New(o Options, listener string, log *slog.Logger) (*Limiter, error) {
	l := &Limiter{opts: o, listener: listener, log: log}
	onEvict := func(Source, *bucket) { l.evicted++ }
	var err error
	if l.bySource, err = simplelru.NewLRU(o.MaxKeys, onEvict); err != nil {
		return nil, fmt.Errorf("rate_limit: %w", err)
	}
	if o.By == "hostname" {
		if l.byName, err = simplelru.NewLRU(o.MaxKeys, func(string, *bucket) { l.evicted++ }); err != nil {
			return nil, fmt.Errorf("rate_limit: %w", err)
		}
	}
	return l, nil
}

// Options returns what the table was made with (a reload that keeps them
// keeps the table).
func (l *Limiter) Options() Options { return l.opts }

// Source is a sender: its address, or on a local socket (no address) the
// process that sent, when the kernel said (PID 0: not known, all local
// senders share one bucket).
type Source struct {
	Addr netip.Addr
	PID  uint32
}

func (s Source) String() string {
	if s.Addr.IsValid() {
		return s.Addr.String()
	}
	if s.PID != 0 {
		return "pid " + strconv.FormatUint(uint64(s.PID), 10)
	}
	return "local"
}

// Allow reports whether a message from hostname and src, received at now,
// is within the limit. A message over it is to be dropped; the first drop
// of a key, and then at most one a minute, is logged with the number
// dropped since.
func (l *Limiter) Allow(hostname string, src Source, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	var b *bucket
	var key string
	if l.byName != nil && hostname != "" {
		if len(hostname) > maxKeyBytes {
			hostname = hostname[:maxKeyBytes]
		}
		b = l.named(hostname)
		key = hostname
	} else {
		b = l.sourced(src)
	}
	if b.lim.AllowN(now, 1) {
		return true
	}
	b.dropped++
	if now.Sub(b.warned) >= warnEvery {
		if key == "" {
			key = src.String()
		}
		l.log.Warn("rate limit exceeded, dropping messages", "listener", l.listener, "by", l.opts.By,
			"key", key, "messages_per_second", l.opts.MessagesPerSecond,
			"burst", l.opts.burst(), "dropped", b.dropped)
		b.warned, b.dropped = now, 0
	}
	return false
}

func (l *Limiter) newBucket() *bucket {
	return &bucket{lim: rate.NewLimiter(rate.Limit(l.opts.MessagesPerSecond), l.opts.burst())}
}

func (l *Limiter) sourced(src Source) *bucket {
	if b, ok := l.bySource.Get(src); ok {
		return b
	}
	b := l.newBucket()
	l.bySource.Add(src, b)
	return b
}

func (l *Limiter) named(name string) *bucket {
	if b, ok := l.byName.Get(name); ok {
		return b
	}
	b := l.newBucket()
	// The name may be a substring of a frame buffer: cloned, so the table
	// does not keep the buffer alive.
	l.byName.Add(strings.Clone(name), b)
	return b
}

// Keys returns how many keys the table holds, and how many it forgot to
// stay within max_keys.
func (l *Limiter) Keys() (held int, evicted uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	held = l.bySource.Len()
	if l.byName != nil {
		held += l.byName.Len()
	}
	return held, l.evicted
}
