package journald

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"syslogd/message"
	"syslogd/sinks"
)

// Destination is the journal entry a message would become.
type Destination struct {
	Socket string `json:"socket"`
	// Fields are the entry's fields in the order the sink sends them; a
	// name may repeat (a multi-valued field).
	Fields []Field `json:"fields"`
}

// String reads "journald SOCKET" and one NAME=value line per field.
func (d Destination) String() string {
	s := "journald " + sinks.Printable(d.Socket)
	for _, f := range d.Fields {
		s += "\n" + f.Name + "=" + sinks.Printable(f.Value)
	}
	return s
}

// Destination returns the entry the sink configured with o sends for m:
// the sink's own encoding, decoded back into fields, without a socket.
func (o *Options) Destination(m *message.Message) (sinks.Destination, error) {
	entry := appendEntry(nil, m, appendStatic(nil, o.Fields), len(o.Fields))
	fields, err := decodeFields(entry)
	if err != nil {
		return nil, fmt.Errorf("journal entry: %w", err)
	}
	return Destination{Socket: SocketPath(o.Socket, o.Namespace), Fields: fields}, nil
}

// decodeFields parses one entry of the native protocol the way journald's
// manager_process_entry does (text lines split at the first '=',
// otherwise a name line followed by a 64-bit little-endian length, the
// value and '\n'), but strictly: anything journald would skip or stop at
// is an error.
func decodeFields(b []byte) ([]Field, error) {
	var out []Field
	for len(b) > 0 {
		nl := bytes.IndexByte(b, '\n')
		switch {
		case nl < 0:
			return nil, errors.New("trailing bytes without a newline")
		case nl == 0:
			return nil, errors.New("empty line (entry separator) inside an entry")
		}
		line := b[:nl]
		if eq := bytes.IndexByte(line, '='); eq >= 0 {
			out = append(out, Field{Name: string(line[:eq]), Value: string(line[eq+1:])})
			b = b[nl+1:]
			continue
		}
		rest := b[nl+1:]
		if len(rest) < 8 {
			return nil, errors.New("binary field without a length")
		}
		n := binary.LittleEndian.Uint64(rest)
		rest = rest[8:]
		if n >= uint64(len(rest)) || rest[n] != '\n' {
			return nil, fmt.Errorf("binary field %s: length %d does not fit", line, n)
		}
		out = append(out, Field{Name: string(line), Value: string(rest[:n])})
		b = rest[n+1:]
	}
	return out, nil
}

var _ sinks.Explainer = (*Options)(nil)
