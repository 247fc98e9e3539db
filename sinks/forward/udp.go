package forward

import (
	"context"
	"errors"
	"syscall"
	"time"

	"syslogd/message"
)

// writeDatagrams sends each message of batch as one datagram. A send
// error (ICMP port unreachable reported by the kernel, no route) means the
// server cannot be reached: that message and the rest are failed, not
// connected. EMSGSIZE drops the one message.
func (s *Sink) writeDatagrams(ctx context.Context, batch []*message.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, err := s.usable()
	if err != nil {
		return err
	}
	s.failed, s.dropped = s.failed[:0], s.dropped[:0]
	setDeadline(ctx, l.conn, s.o.WriteTimeout)
	stop := context.AfterFunc(ctx, func() { _ = l.conn.SetWriteDeadline(time.Unix(1, 0)) })
	defer func() {
		if !stop() {
			s.retire(l)
		}
	}()
	for i, m := range batch {
		s.line = appendMessage(s.line[:0], &s.enc, m)
		if len(s.line) > s.o.MaxMessageBytes {
			s.dropped = append(s.dropped, i)
			continue
		}
		_, err := l.conn.Write(s.line)
		if errors.Is(err, syscall.EMSGSIZE) {
			s.dropped = append(s.dropped, i)
			continue
		}
		if err != nil {
			err = s.fail(ctx, l, time.Now(), err)
			for k := i; k < len(batch); k++ {
				s.failed = append(s.failed, k)
			}
			return s.result(len(batch), err)
		}
	}
	if cap(s.line) > maxIdleBuffer {
		s.line = nil
	}
	return s.result(len(batch), nil)
}
