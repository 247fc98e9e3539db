package nats

import (
	natsgo "github.com/nats-io/nats.go"
)

// options builds the nats.go options: natsconn's (reconnection,
// authentication, TLS; files are read here, so a missing certificate fails
// the sink's construction rather than every reconnect) and the connection
// handlers.
func (s *Sink) options() ([]natsgo.Option, error) {
	opts, err := s.cfg.NATS("syslogd/" + s.cfg.Name)
	if err != nil {
		return nil, err
	}
	opts = append(opts,
		natsgo.ConnectHandler(s.onConnect),
		natsgo.ReconnectHandler(s.onConnect),
		natsgo.DisconnectErrHandler(s.onDisconnect))
	if s.cfg.Mode == JetStream {
		// Publishing while disconnected fails at once and the message
		// goes to the disk buffer, rather than into a memory buffer that
		// a crash would lose.
		opts = append(opts, natsgo.ReconnectBufSize(-1))
	}
	return opts, nil
}

// onConnect runs on nats.go's callback goroutine after the first
// connection and every reconnection.
func (s *Sink) onConnect(nc *natsgo.Conn) {
	if s.closing.Load() {
		return
	}
	s.gen.Add(1)
	s.c.Connected.Store(true)
	s.log.Info("connected to NATS", "url", nc.ConnectedUrlRedacted())
}

// onDisconnect runs when the connection is lost. nats.go fails every
// unacknowledged JetStream publish at this point; Write reports them not
// connected and the Runner keeps them in the disk buffer. Connected is
// kept here too (the Runner learns of it only at the next Write), so
// /stats shows an outage while no message is flowing.
func (s *Sink) onDisconnect(_ *natsgo.Conn, err error) {
	if s.closing.Load() {
		return
	}
	s.c.Connected.Store(false)
	s.log.Warn("disconnected from NATS; buffering on disk until it is back", "error", err)
}
