package file

import (
	"slices"

	"syslogd/message"
)

// retryState remembers, after a Write that failed, which messages of that
// batch reached their files. The Runner retries the same batch; skipping
// those messages keeps one broken path (a full disk, a directory where a
// host's file should be) from duplicating every healthy file's lines on
// each retry.
type retryState struct {
	active bool
	batch  []*message.Message // the failed batch, compared element by element
	done   []bool
}

// skip returns which messages of batch are already written, or nil when
// batch is not the one that failed.
func (r *retryState) skip(batch []*message.Message) []bool {
	if !r.active {
		return nil
	}
	if !slices.Equal(r.batch, batch) {
		r.reset()
		return nil
	}
	return r.done
}

// record updates the state after a Write: forgotten on success, extended
// with the newly written messages on failure.
func (r *retryState) record(batch []*message.Message, dest []*entry, failed bool) {
	if !failed {
		r.reset()
		return
	}
	if !r.active {
		r.active = true
		r.batch = append(r.batch[:0], batch...)
		r.done = append(r.done[:0], make([]bool, len(batch))...)
	}
	for i, e := range dest {
		if e != nil && e.written {
			r.done[i] = true
		}
	}
}

func (r *retryState) reset() {
	r.active = false
	clear(r.batch) // do not keep the messages alive
	r.batch = r.batch[:0]
	r.done = r.done[:0]
}
