package sinks

import "time"

// Default retry delays, shared by the Runner, the NATS pump and the NATS
// reconnect delay. The first retry comes soon, because most failures
// (a restarted server, a dropped connection) are over within a second;
// later ones double up to a few seconds, so a long outage costs a probe
// every few seconds rather than a busy loop, and recovery is noticed
// within that time.
const (
	DefaultBackoffMin = 100 * time.Millisecond
	DefaultBackoffMax = 5 * time.Second
)

// Backoff is a capped exponential backoff: Min, 2·Min, 4·Min, … up to
// Max. It has no jitter, so the delays are exactly these.
//
// The zero value uses DefaultBackoffMin and DefaultBackoffMax. Min <= 0
// means DefaultBackoffMin; Max below Min (zero included) means
// DefaultBackoffMax, or Min if that is larger, so the delay never shrinks.
//
// Next and Reset change the Backoff and are meant for one goroutine's
// retry loop; Delay only reads Min and Max.
type Backoff struct {
	Min, Max time.Duration

	n int // retries handed out by Next since the last Reset
}

// Next returns the delay before the next retry and advances: Min the first
// time after construction or Reset, then doubling, capped at Max.
func (b *Backoff) Next() time.Duration {
	d := b.Delay(b.n)
	if _, hi := backoffLimits(b.Min, b.Max); d < hi {
		// Once at the cap the count stops, so it can never overflow.
		b.n++
	}
	return d
}

// Reset makes the next Next return Min again; call it once an operation
// has succeeded, so the next failure is retried quickly.
func (b *Backoff) Reset() { b.n = 0 }

// Delay returns the delay before retry n without touching the state of
// Next: Min doubled n times, capped at Max. n <= 0 gives Min. It suits
// callers that count attempts themselves. (nats.go's reconnect delay is
// natsconn's, which as a leaf package does not import this one.)
func (b Backoff) Delay(n int) time.Duration {
	d, hi := backoffLimits(b.Min, b.Max)
	for ; n > 0 && d < hi; n-- {
		if d > hi/2 { // doubling would pass the cap (or overflow)
			return hi
		}
		d *= 2
	}
	return d
}

// backoffLimits applies the defaults described on Backoff. The Runner uses
// it too, so its configuration and its Backoff agree on the same rule.
func backoffLimits(lo, hi time.Duration) (time.Duration, time.Duration) {
	if lo <= 0 {
		lo = DefaultBackoffMin
	}
	if hi < lo {
		hi = max(DefaultBackoffMax, lo)
	}
	return lo, hi
}

// Sleep waits d, or less if done is closed first, and reports whether to
// go on: false means done was closed. Retry loops use it between attempts
// so that stopping never waits for a backoff to run out. A d <= 0 does not
// wait.
func Sleep(done <-chan struct{}, d time.Duration) bool {
	if d <= 0 {
		select {
		case <-done:
			return false
		default:
			return true
		}
	}
	return Wait(done, nil, d)
}

// Wait is Sleep that also ends early when wake delivers, for loops that
// wait for news (a reconnection, an acknowledgement) with a timeout. A nil
// wake never delivers; d <= 0 means no timeout, only wake or done end the
// wait. It reports false only when done was closed.
func Wait(done, wake <-chan struct{}, d time.Duration) bool {
	var timeout <-chan time.Time
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-wake:
	case <-timeout:
	case <-done:
		return false
	}
	return true
}
