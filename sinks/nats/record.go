package nats

import (
	"encoding/binary"
	"errors"
	"fmt"

	natsgo "github.com/nats-io/nats.go"
)

// A spool record is one NATS message exactly as it will be published —
// subject, headers (Nats-Msg-Id included) and payload — so that a replay,
// even by the next run of the daemon, sends the same bytes under the same
// message ID and JetStream can drop a copy it already stored. Layout:
//
//	byte     version (recordVersion)
//	byte     failed publish attempts so far (saturating)
//	byte     rejections by the server so far (saturating)
//	uvarint  subject length, subject
//	uvarint  header count; per header: uvarint length, key, uvarint length, value
//	...      payload (the rest)
const recordVersion = 1

// attempt is what the sink remembers about a message between attempts.
type attempt struct {
	fails   uint8 // failed publish attempts (disconnects, timeouts, no stream, rejections)
	rejects uint8 // of which the server rejected the message itself
}

func (a attempt) failed(rejected bool) attempt {
	a.fails = min(a.fails, 254) + 1
	if rejected {
		a.rejects = min(a.rejects, 254) + 1
	}
	return a
}

// appendRecord appends m's record to dst.
func appendRecord(dst []byte, m *natsgo.Msg, a attempt) []byte {
	dst = append(dst, recordVersion, a.fails, a.rejects)
	dst = appendString(dst, m.Subject)
	dst = binary.AppendUvarint(dst, uint64(len(m.Header)))
	for k, v := range m.Header {
		dst = appendString(dst, k)
		if len(v) > 0 {
			dst = appendString(dst, v[0])
		} else {
			dst = appendString(dst, "")
		}
	}
	return append(dst, m.Data...)
}

func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

var errBadRecord = errors.New("corrupt spool record")

// decodeRecord rebuilds the message a record holds. The payload aliases rec.
func decodeRecord(rec []byte) (*natsgo.Msg, attempt, error) {
	if len(rec) < 3 || rec[0] != recordVersion {
		return nil, attempt{}, fmt.Errorf("%w: bad header", errBadRecord)
	}
	a := attempt{fails: rec[1], rejects: rec[2]}
	d := decoder{b: rec[3:]}
	m := &natsgo.Msg{Subject: d.str()}
	n := d.uvarint()
	if d.err == nil && n > uint64(len(d.b)) {
		d.err = errBadRecord
	}
	if d.err == nil && n > 0 {
		m.Header = make(natsgo.Header, n)
		for range n {
			k, v := d.str(), d.str()
			m.Header[k] = []string{v}
		}
	}
	if d.err != nil || m.Subject == "" {
		return nil, attempt{}, fmt.Errorf("%w: truncated", errBadRecord)
	}
	m.Data = d.b
	return m, a, nil
}

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errBadRecord
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) str() string {
	n := d.uvarint()
	if d.err != nil || n > uint64(len(d.b)) {
		d.err = errBadRecord
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}
