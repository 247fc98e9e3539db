package forward

import (
	"strconv"

	"syslogd/message"
	"syslogd/sinks/format"
)

// appendMessage appends m as it goes on the wire, without framing: the
// rfc5424 line (which starts with "<PRI>1 "), or "<PRI>" and the rfc3164
// line; either without the line format's trailing LF.
func appendMessage(dst []byte, enc *format.Encoder, m *message.Message) []byte {
	if enc.Format == format.RFC3164 {
		dst = append(dst, '<')
		dst = strconv.AppendInt(dst, int64(m.PRI()), 10)
		dst = append(dst, '>')
	}
	dst = enc.Append(dst, m)
	return dst[:len(dst)-1]
}

// appendFrame appends msg framed for a stream (RFC 6587): "LEN SP MSG"
// with LEN the byte length of msg (§3.4.1), or msg and an LF (§3.4.2).
// Nothing is escaped here: the line formats already escape LF, so msg
// holds none and a non-transparent frame cannot end early.
func appendFrame(dst []byte, f Framing, msg []byte) []byte {
	if f == FramingNonTransparent {
		dst = append(dst, msg...)
		return append(dst, '\n')
	}
	dst = strconv.AppendInt(dst, int64(len(msg)), 10)
	dst = append(dst, ' ')
	return append(dst, msg...)
}

// encode formats batch into s.buf, one frame after another, and sets
// s.ends (the offset in s.buf after each message's frame, -1 for a message
// longer than max_message_bytes, which gets no frame) and s.dropped.
// Runner goroutine only.
func (s *Sink) encode(batch []*message.Message) {
	s.buf, s.ends, s.dropped = s.buf[:0], s.ends[:0], s.dropped[:0]
	for i, m := range batch {
		s.line = appendMessage(s.line[:0], &s.enc, m)
		if len(s.line) > s.o.MaxMessageBytes {
			s.dropped = append(s.dropped, i)
			s.ends = append(s.ends, -1)
			continue
		}
		s.buf = appendFrame(s.buf, s.o.Framing, s.line)
		s.ends = append(s.ends, len(s.buf))
	}
	if cap(s.line) > maxIdleBuffer {
		s.line = nil
	}
}

// settle sorts the messages of an encoded batch by the n bytes of s.buf
// that were written: s.failed gets those whose frame was not written
// whole, s.kept the ends of the frames that were.
func (s *Sink) settle(n int) {
	s.failed, s.kept = s.failed[:0], s.kept[:0]
	for i, e := range s.ends {
		switch {
		case e < 0: // dropped
		case e <= n:
			s.kept = append(s.kept, e)
		default:
			s.failed = append(s.failed, i)
		}
	}
}
