package message

import "unsafe"

// The struct sizes Size counts (constants: unsafe.Sizeof costs nothing at
// run time).
const (
	messageSize   = int(unsafe.Sizeof(Message{}))
	sdElementSize = int(unsafe.Sizeof(SDElement{}))
	sdParamSize   = int(unsafe.Sizeof(SDParam{}))
)

// Size estimates the bytes m keeps alive: the Message struct itself, the
// bytes of its strings, Raw and ParseError, and its structured data (the
// element and parameter arrays and their strings). A sink's queue is
// bounded by the sum of these (queue_max_bytes), so the estimate must be
// cheap (no allocation, a few additions) and the same every time it is
// asked for one message, which holds since a message is never modified.
//
// Strings may share one backing array (a parser that takes every field as
// a substring of one copy of the frame, and Raw as that copy), and the
// listener name is shared by every message of a listener; each is counted
// in full all the same. The estimate may thus count shared bytes twice:
// an over-estimate, which errs on the side of holding less in memory.
// Line5424 is not counted: it is the frame the fields are substrings of,
// so its bytes are the fields' (less a few separators). What the message
// points to but does not own (its Receipt, shared with
// the other sinks it is routed to) is not counted.
func (m *Message) Size() int {
	n := messageSize +
		len(m.Hostname) + len(m.AppName) + len(m.ProcID) + len(m.MsgID) +
		len(m.Text) + len(m.Raw) + len(m.ParseError) + len(m.Listener)
	// cap, not len: the whole array is kept alive, and it has no one to
	// share it with.
	n += cap(m.StructuredData) * sdElementSize
	for i := range m.StructuredData {
		e := &m.StructuredData[i]
		n += len(e.ID) + cap(e.Params)*sdParamSize
		for j := range e.Params {
			n += len(e.Params[j].Name) + len(e.Params[j].Value)
		}
	}
	return n
}
