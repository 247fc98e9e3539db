package listener

import (
	"sync/atomic"
	"time"
)

// logEvery is how often one kind of per-event problem may reach the log.
const logEvery = time.Minute

// rareLog lets one kind of event reach the log at most once per interval,
// counting what it held back, so a sender that misbehaves a thousand times
// a second costs us one log line a minute. Safe for concurrent use.
type rareLog struct {
	next       atomic.Int64 // unix nanoseconds before which events are held back
	suppressed atomic.Uint64
}

// allow reports whether this event may be logged, and how many were held
// back since the last one that was.
func (r *rareLog) allow(now time.Time) (ok bool, suppressed uint64) {
	n := r.next.Load()
	if now.UnixNano() < n || !r.next.CompareAndSwap(n, now.Add(logEvery).UnixNano()) {
		r.suppressed.Add(1)
		return false, 0
	}
	return true, r.suppressed.Swap(0)
}
