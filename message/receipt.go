package message

import "sync/atomic"

// Outcome is what became of a message at one sink. When a message went to
// several, the worst wins: Committed < Shed < Retry < Reject.
type Outcome uint32

const (
	// Committed: written (or safely in the sink's disk buffer).
	Committed Outcome = iota
	// Shed: dropped on purpose, by the sink's when_full: drop_newest.
	Shed
	// Retry: not written, and it might be later: the sink failed, was
	// down, or ran out of time at shutdown.
	Retry
	// Reject: not written, and it never will be: the destination refused
	// it for good, or it could not be parsed and no route takes it.
	Reject
)

var outcomeNames = [...]string{"committed", "shed", "retry", "reject"}

func (o Outcome) String() string {
	if int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return "unknown"
}

// Receipt tells whoever produced a message when every sink it was routed to
// has settled it, and how (the worst Outcome). A source that must not
// acknowledge what its sinks have not committed (a JetStream consumer)
// attaches one; messages from sockets carry none, and the pipeline's only
// cost for them is a nil check.
//
// The router's caller adds one count per sink the message goes to (or
// settles it at once when it goes nowhere); each sink's Runner settles it
// once. Done runs once, on the goroutine of the last settlement, and must
// not block.
type Receipt struct {
	pending atomic.Int64
	worst   atomic.Uint32
	done    func(Outcome)
}

// NewReceipt returns a receipt that calls done once every count added has
// been settled.
func NewReceipt(done func(Outcome)) *Receipt { return &Receipt{done: done} }

// Add expects n more settlements. Call it before handing the message on.
func (r *Receipt) Add(n int) { r.pending.Add(int64(n)) }

// Settle records one sink's outcome.
func (r *Receipt) Settle(o Outcome) {
	for {
		w := r.worst.Load()
		if uint32(o) <= w || r.worst.CompareAndSwap(w, uint32(o)) {
			break
		}
	}
	if r.pending.Add(-1) == 0 {
		r.done(Outcome(r.worst.Load()))
	}
}
