package message

import "sync/atomic"

// Receipt tells whoever produced a message when every sink it was routed to
// has settled it: written, kept in a sink's disk buffer, or dropped. A
// source that must not acknowledge what its sinks have not committed (a
// JetStream consumer) attaches one; messages from sockets carry none, and
// the pipeline's only cost for them is a nil check.
//
// The router's caller adds one count per sink the message goes to (or
// settles it at once when it goes nowhere); each sink's Runner settles it
// once. Done runs once, on the goroutine of the last settlement.
type Receipt struct {
	pending atomic.Int64
	lost    atomic.Bool
	done    func(committed bool)
}

// NewReceipt returns a receipt that calls done once every count added has
// been settled; committed is false if any sink dropped the message.
func NewReceipt(done func(committed bool)) *Receipt { return &Receipt{done: done} }

// Add expects n more settlements. Call it before handing the message on.
func (r *Receipt) Add(n int) { r.pending.Add(int64(n)) }

// Settle records one sink's outcome: committed (written or safely buffered
// on disk) or not (dropped).
func (r *Receipt) Settle(committed bool) {
	if !committed {
		r.lost.Store(true)
	}
	if r.pending.Add(-1) == 0 {
		r.done(!r.lost.Load())
	}
}
