package listener

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Frame is one received message with its framing removed.
type Frame struct {
	// Data aliases a read buffer: it is valid only during HandleFrame, so a
	// handler that keeps it must copy it.
	Data     []byte
	Source   netip.AddrPort // IPv4 senders appear as IPv4, even on a dual-stack socket
	Received time.Time      // UTC
	// Peer is the local sender the kernel reports on unix sockets
	// (SO_PASSCRED on unixgram, SO_PEERCRED on unix streams); its Known is
	// false elsewhere.
	Peer Peer
}

// Peer is a local sender's process and user, as the kernel reports them.
type Peer struct {
	PID, UID, GID uint32
	Known         bool
}

// Handler receives frames. Listen asks newHandler for one Handler per
// reader goroutine (one per UDP socket, one per TCP/TLS connection) and then
// calls it from that goroutine only, so a Handler needs no locking for its
// own state. A Handler that blocks back-pressures its sender (TCP) or lets
// the kernel drop datagrams (UDP, counted in KernelDrops).
type Handler interface {
	HandleFrame(f *Frame)
	// HandleOversize reports a frame that exceeded MaxMessageBytes (or a
	// truncated datagram); it was discarded without buffering it. size is
	// what we know of its length (>= max+1).
	HandleOversize(src netip.AddrPort, size int)
}

// Metrics are the listener's counters. The caller creates them, one per
// listener, and reads them for stats; the listener only adds.
type Metrics struct {
	Connections      atomic.Int64  // open now
	ConnectionsTotal atomic.Uint64 // admitted (past the allowlist and max_connections)
	Rejected         atomic.Uint64 // refused: allowed_sources, max_connections or allowed_names (connections or datagrams)
	KernelDrops      atomic.Uint64 // UDP datagrams dropped by the kernel (SO_RXQ_OVFL)
	ReadErrors       atomic.Uint64 // includes TLS handshake failures and malformed octet counts
	FrameTimeouts    atomic.Uint64 // connections closed for taking longer than FrameTimeout for one frame
}

// Listener is one bound socket and the goroutines serving it.
type Listener struct {
	name    string
	network string // the socket: protocol and address, which Update cannot change
	address string
	set     atomic.Pointer[settings]
	m       *Metrics
	log     *slog.Logger

	stream   net.Listener  // tcp, tls, unix
	packet   *net.UDPConn  // udp
	unixgram *net.UnixConn // unixgram
	// unlink is the unixgram socket file to remove at Close (stream
	// listeners unlink their own); activated the sockets systemd passed.
	unlink    string
	activated *Activated

	wg        sync.WaitGroup
	done      chan struct{} // closed by Close: wakes loops waiting out a backoff
	waited    chan struct{} // closed once wg is done, after Close started
	closeOnce sync.Once

	mu      sync.Mutex
	closing bool
	conns   map[net.Conn]*connState // the raw TCP connections being served

	retired atomic.Bool // Retire closed the socket; connections go on

	rare struct{ rejected, limit, evict, tlsHello, handshake, malformed, readErr, slow, tooLarge rareLog }
}

// settings are what an Update may change while the socket stays: every
// option but protocol and address, the TLS configuration and the handler
// constructor. A connection takes the settings current when it is
// admitted and keeps them; the listener-wide checks (allowed_sources,
// max_connections, frame_timeout) always read the current ones.
type settings struct {
	o          Options
	tls        *tls.Config // protocol tls only
	newHandler func() Handler
	framers    sync.Pool // *Framer for these framing options, so short connections reuse buffers
}

// newSettings checks o and loads its TLS files.
func newSettings(o Options, newHandler func() Handler) (*settings, error) {
	if errs := o.Check(); len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if newHandler == nil {
		return nil, errors.New("nil handler constructor")
	}
	o.AllowedSources = slices.Clone(o.AllowedSources)
	for i, p := range o.AllowedSources {
		o.AllowedSources[i] = p.Masked()
	}
	s := &settings{o: o, newHandler: newHandler}
	if o.Protocol == "tls" {
		var err error
		if s.tls, err = TLSConfig(*o.TLS); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Listen binds the socket, so a Listener that is returned is ready, and
// starts its goroutines. o is checked with Check (a configuration that
// loaded has passed it already) and, for tls, its files are loaded here.
// newHandler is called once per reader goroutine or connection. m and log
// may be nil. Errors do not name the listener: the caller does.
func Listen(name string, o Options, newHandler func() Handler, m *Metrics, log *slog.Logger, opts ...ListenOption) (*Listener, error) {
	set, err := newSettings(o, newHandler)
	if err != nil {
		return nil, err
	}
	if m == nil {
		m = new(Metrics)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	l := &Listener{
		name:    name,
		network: o.Protocol,
		address: o.Address,
		m:       m,
		log:     log.With("listener", name),
		done:    make(chan struct{}),
		waited:  make(chan struct{}),
		conns:   make(map[net.Conn]*connState),
	}
	for _, opt := range opts {
		opt(l)
	}
	l.set.Store(set)
	if err := l.bind(o); err != nil {
		return nil, err
	}
	l.log.Info("listening", "protocol", o.Protocol, "address", l.Addr().String())
	return l, nil
}

// ListenOption adds to what Listen knows beyond the options.
type ListenOption func(*Listener)

// WithActivated lets a listener take a socket systemd passed ("systemd:"
// addresses).
func WithActivated(a *Activated) ListenOption { return func(l *Listener) { l.activated = a } }

// bind opens the socket o names and starts serving it: a passed socket, a
// unix socket file, or a network address.
func (l *Listener) bind(o Options) error {
	var (
		ln  net.Listener
		pc  net.PacketConn
		err error
	)
	switch {
	case strings.HasPrefix(o.Address, systemdPrefix):
		f, ferr := l.activated.find(strings.TrimPrefix(o.Address, systemdPrefix))
		if ferr != nil {
			return ferr
		}
		if isPacket(o.Protocol) {
			pc, err = inheritedPacket(f)
		} else {
			ln, err = inheritedStream(f)
		}
	case isUnix(o.Protocol):
		ln, pc, err = bindUnix(o.Protocol, o.Address, o.Mode)
		if pc != nil {
			l.unlink = o.Address
		}
	}
	if err != nil {
		return err
	}
	switch o.Protocol {
	case "udp":
		return l.listenUDP(pc)
	case "unixgram":
		return l.listenUnixgram(pc)
	}
	if ln != nil {
		if want := map[string]string{"tcp": "tcp", "tls": "tcp", "unix": "unix"}[o.Protocol]; ln.Addr().Network() != want {
			_ = ln.Close()
			return fmt.Errorf("passed socket is %s, not %s", ln.Addr().Network(), want)
		}
	}
	return l.listenStream(ln)
}

// oversize hands h a frame over max_message_bytes and logs it, rarely:
// the too_large counter alone is easy to miss.
func (l *Listener) oversize(h Handler, src netip.AddrPort, size, limit int) {
	h.HandleOversize(src, size)
	if ok, n := l.rare.tooLarge.allow(time.Now()); ok {
		l.log.Warn("frame over max_message_bytes discarded (counted too_large)", "source", src, "size", size,
			"max_message_bytes", limit, "suppressed_since_last", n)
	}
}

// ErrRebind is what Update returns for options that name another socket
// (protocol or address): those need a new Listener.
var ErrRebind = errors.New("protocol or address changed: the socket must be bound anew")

// Update applies o and newHandler without closing the socket: new
// connections (UDP: the next datagrams) get them, connections already open
// keep the framing, idle timeout, TLS configuration and handler they were
// admitted with, and allowed_sources, max_connections and frame_timeout
// apply to all at once (a connection already admitted is not closed for a
// source no longer allowed). o is checked and its TLS files loaded first;
// on error nothing changes.
func (l *Listener) Update(o Options, newHandler func() Handler) error {
	if o.Protocol != l.network || o.Address != l.address {
		return ErrRebind
	}
	set, err := newSettings(o, newHandler)
	if err != nil {
		return err
	}
	l.set.Store(set)
	return nil
}

// Retire stops taking new connections — the socket is closed, so another
// listener may bind its address — and lets the open ones go on until they
// end or time out. Close still ends them. A UDP listener, which has no
// connections, is simply closed.
func (l *Listener) Retire(ctx context.Context) error {
	if l.packet != nil || l.unixgram != nil {
		return l.Close(ctx)
	}
	if l.retired.Swap(true) {
		return nil
	}
	if err := l.stream.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("retire: %w", err)
	}
	l.log.Info("stopped accepting; open connections go on until they end", "connections", l.Connections())
	return nil
}

// Connections returns the number of connections being served now.
func (l *Listener) Connections() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.conns)
}

func (l *Listener) Addr() net.Addr {
	switch {
	case l.packet != nil:
		return l.packet.LocalAddr()
	case l.unixgram != nil:
		return l.unixgram.LocalAddr()
	}
	return l.stream.Addr()
}

// Close stops accepting, ends every connection after delivering the frames
// already received (the trailing unterminated one included) and waits for
// all goroutines until ctx is done. When ctx ends first, it closes the
// remaining connections outright and returns the context's error; a
// goroutine stuck in its Handler then exits when the Handler returns.
// Close is idempotent.
func (l *Listener) Close(ctx context.Context) error {
	l.closeOnce.Do(func() {
		// Drain under the lock, before closing the socket: a connection
		// admitted meanwhile sees closing and is dropped, and once the socket
		// refuses connections every connection is known to be draining.
		l.mu.Lock()
		l.closing = true
		for c := range l.conns {
			drain(c)
		}
		l.mu.Unlock()

		close(l.done)
		var err error
		switch {
		case l.stream != nil:
			err = l.stream.Close()
		case l.unixgram != nil:
			err = l.unixgram.Close()
			if l.unlink != "" {
				_ = os.Remove(l.unlink)
			}
		default:
			err = l.packet.Close()
		}
		if err != nil && !errors.Is(err, net.ErrClosed) {
			l.log.Warn("closing socket", "error", err)
		}
		go func() {
			l.wg.Wait()
			close(l.waited)
		}()
	})
	select {
	case <-l.waited:
		return nil
	case <-ctx.Done():
		l.mu.Lock()
		for c := range l.conns {
			_ = c.Close()
		}
		l.mu.Unlock()
		return fmt.Errorf("close: %w", ctx.Err())
	}
}

// drain makes a connection's reader reach the end of its stream without
// losing what the kernel already holds: after shutdown(SHUT_RD) reads return
// the queued bytes and then EOF. (A past read deadline would fail the next
// read at once, and the reader refreshes its idle deadline anyway.) If that
// fails, the connection is closed, which still delivers the frames the
// Framer has buffered.
func drain(c net.Conn) {
	if rc, ok := c.(interface{ CloseRead() error }); ok && rc.CloseRead() == nil {
		return // *net.TCPConn, *net.UnixConn
	}
	_ = c.Close()
}

func (l *Listener) isClosing() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.closing
}

// pause waits d, or less if Close is called; it reports whether to go on.
// Loops use it to back off from errors that would otherwise make them spin.
func (l *Listener) pause(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-l.done:
		return false
	case <-t.C:
		return true
	}
}

// unmapped returns ap with an IPv4-mapped IPv6 address turned into IPv4,
// as a dual-stack socket reports IPv4 senders.
func unmapped(ap netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}
