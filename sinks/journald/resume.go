package journald

import (
	"slices"

	"syslogd/message"
)

// resumeState remembers, after a Write that failed part-way, how many
// messages of that batch journald already has. The Runner retries the same
// batch after reconnecting; starting from there keeps a journald restart
// from duplicating the entries sent before it went away.
type resumeState struct {
	batch []*message.Message // the failed batch, compared element by element
	sent  int
}

// start returns the index to send batch from: 0 unless batch is the one
// that failed.
func (r *resumeState) start(batch []*message.Message) int {
	if r.sent == 0 {
		return 0
	}
	if !slices.Equal(r.batch, batch) {
		r.reset()
		return 0
	}
	return r.sent
}

// failed records that batch[:sent] was delivered.
func (r *resumeState) failed(batch []*message.Message, sent int) {
	if sent == 0 {
		r.reset()
		return
	}
	r.batch = append(r.batch[:0], batch...)
	r.sent = sent
}

func (r *resumeState) reset() {
	if r.sent == 0 {
		return
	}
	clear(r.batch) // do not keep the messages alive
	r.batch = r.batch[:0]
	r.sent = 0
}
