// Package listener owns the network edge of syslogd: UDP, TCP and TLS
// sockets, RFC 6587 stream framing, and the limits that keep a hostile or
// broken sender from hurting the daemon (message size, connection count,
// idle timeout, source allowlists). It does not parse syslog: it hands each
// frame's bytes, source and receipt time to a Handler.
//
// # Why we own the framing
//
// go-syslog v4 (the parser we use) ships an RFC 6587 stream reader, but its
// non-transparent framer buffers a frame until it sees the trailer, with no
// size cap, and has no way to resynchronise after a bad frame: a sender that
// never writes LF (or writes an endless run of digits) grows our memory until
// the process dies. The Framer here reads into one fixed buffer of about
// MaxMessageBytes, rejects an oversized frame before buffering it (an
// octet-counted frame is skipped by discarding exactly its announced length;
// a non-transparent one up to the next LF or NUL), reports it once, and
// carries on with the next frame. It also detects octet counting versus
// LF/NUL/CRLF per frame, so one connection may mix them, as some relays do.
//
// # Lifecycle
//
// Listen binds before it returns, so a returned Listener is ready. It owns
// its goroutines (one reader per UDP socket, one per TCP/TLS connection plus
// the accept loop); Close stops them, delivering every frame that was
// already received, and waits for them until its context is done.
//
// Per-event problems (rejected connections, TLS failures, oversize frames)
// go to Metrics and to the Handler; the log gets at most one line per kind
// per minute so a misbehaving sender cannot flood our own log.
package listener
