package daemon

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"syslogd/config"
	"syslogd/message"
	"syslogd/parser"
	"syslogd/router"
	"syslogd/sinks"
)

// ErrListener is the error NewExplainer returns, wrapped, when the
// configuration has no socket listener of the name asked for (or none at
// all): a usage error, not a configuration error.
var ErrListener = errors.New("no such socket listener")

// ExplainOptions say how the lines NewExplainer's Explainer explains
// arrive.
type ExplainOptions struct {
	// Listener names the socket listener the lines arrive on; "" is the
	// first configured one.
	Listener string
	// Source is the sender's address for a network listener (matched by
	// match.source, and the hostname of a message that names none); the
	// zero value is 127.0.0.1. Local sockets' senders have no address,
	// so it is not used for unix and unixgram listeners.
	Source netip.Addr
	// Hostname is this host's name, which the daemon gives a local
	// message that names none (os.Hostname).
	Hostname string
}

// Explainer tells what the daemon running cfg would do with a frame:
// how the listener's parser reads it, what each route decides, and where
// each sink it goes to would deliver it. It builds the daemon's parser
// and router from the configuration and no listener or sink, so it opens,
// connects to and writes nothing. One goroutine at a time (it owns a
// parser, as a listener's handler does).
type Explainer struct {
	listener ListenerInfo
	source   netip.AddrPort
	parser   *parser.Parser
	now      time.Time // the parser's clock: the current line's receipt time
	router   *router.Router
	sinks    []config.Sink
	dec      router.Decision
}

// NewExplainer builds the Explainer for cfg, a loaded configuration. An
// unknown listener name wraps ErrListener.
func NewExplainer(cfg *config.Config, o ExplainOptions) (*Explainer, error) {
	lc, so, err := socketListenerOf(cfg, o.Listener)
	if err != nil {
		return nil, err
	}
	e := &Explainer{
		listener: ListenerInfo{Name: lc.Name, Protocol: lc.Protocol, Address: so.Listener.Address, Default: o.Listener == "",
			MaxMessageBytes: so.Listener.MaxMessageBytes},
		sinks: cfg.Sinks,
	}
	if so.RateLimit != nil {
		e.listener.RateLimitBy = so.RateLimit.By
	}
	switch {
	case lc.Protocol == "unix" || lc.Protocol == "unixgram":
		e.listener.Local = true // its frames carry no sender address
	case o.Source.IsValid():
		e.source = netip.AddrPortFrom(o.Source.Unmap(), 0)
	default:
		e.source = netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), 0)
	}
	popts, err := so.Parser.Options()
	if err != nil {
		return nil, fmt.Errorf("listener %s: %w", lc.Name, err)
	}
	popts.Hostname, popts.Now = o.Hostname, func() time.Time { return e.now }
	if e.parser, err = parser.New(popts); err != nil {
		return nil, fmt.Errorf("listener %s: %w", lc.Name, err)
	}
	if e.router, err = compileRoutes(cfg); err != nil {
		return nil, err
	}
	e.parser.SetKeepRaw(keepsRaw(cfg))
	return e, nil
}

// socketListenerOf returns the socket listener called name, or the first
// one when name is "".
func socketListenerOf(cfg *config.Config, name string) (config.Listener, *socketOptions, error) {
	var names []string
	for _, lc := range cfg.Listeners {
		so, ok := lc.Options.(*socketOptions)
		if !ok {
			continue
		}
		if name == "" || lc.Name == name {
			return lc, so, nil
		}
		names = append(names, lc.Name)
	}
	if name == "" {
		return config.Listener{}, nil, fmt.Errorf("%w: the configuration has none", ErrListener)
	}
	if len(names) == 0 {
		return config.Listener{}, nil, fmt.Errorf("%w: %q (the configuration has none)", ErrListener, name)
	}
	return config.Listener{}, nil, fmt.Errorf("%w: %q (socket listeners: %s)", ErrListener, name, strings.Join(names, ", "))
}

// compileRoutes compiles the routes as buildTable does.
func compileRoutes(cfg *config.Config) (*router.Router, error) {
	names := make([]string, len(cfg.Sinks))
	for i, sc := range cfg.Sinks {
		names[i] = sc.Name
	}
	r, err := router.New(cfg.Routes, names)
	if err != nil {
		return nil, fmt.Errorf("routes: %w", err)
	}
	return r, nil
}

// keepsRaw reports whether some sink writes the raw frame, as buildTable
// decides it for the parser.
func keepsRaw(cfg *config.Config) bool {
	for _, sc := range cfg.Sinks {
		if o, ok := sc.Options.(interface{ keepsRaw() bool }); ok && o.keepsRaw() {
			return true
		}
	}
	return false
}

// Explain tells what the daemon does with line, one frame (framing
// removed) received at now. Any bytes are a frame; the empty one is
// skipped, as listeners skip it, and one longer than the listener's
// max_message_bytes is dropped unread, as too_large.
func (e *Explainer) Explain(line []byte, now time.Time) Explanation {
	x := Explanation{Line: string(line), Listener: e.listener, Received: now.UTC(),
		Routes: []RouteResult{}, Sinks: []SinkResult{}}
	if e.source.IsValid() {
		x.Source = e.source.Addr().String()
	}
	switch {
	case len(line) == 0:
		x.Outcome, x.Reason = OutcomeSkipped, "empty"
		return x
	case len(line) > e.listener.MaxMessageBytes:
		x.Outcome, x.Reason = OutcomeDropped, "too_large"
		return x
	}
	e.now = now
	m := e.parser.Parse(line, e.source, e.listener.Name, now.UTC())
	x.Parse = parseOf(m)
	x.Routes = routeResults(e.router.Explain(m))
	e.router.Route(m, &e.dec)
	switch {
	case len(e.dec.Routes) == 0 && !m.Parsed():
		x.Outcome, x.Reason = OutcomeDropped, "parse_error"
	case len(e.dec.Routes) == 0:
		x.Outcome = OutcomeUnmatched
	default:
		x.Outcome = OutcomeRouted
	}
	for _, i := range e.dec.Sinks {
		x.Sinks = append(x.Sinks, sinkResult(e.sinks[i], m))
	}
	return x
}

// sinkResult names where the sink sc delivers m.
func sinkResult(sc config.Sink, m *message.Message) SinkResult {
	r := SinkResult{Name: sc.Name, Type: sc.Type}
	d, err := destinationOf(sc.Options, m)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	r.Destination = d
	return r
}

// destinationOf is the sink options' Destination for m.
func destinationOf(o config.Options, m *message.Message) (sinks.Destination, error) {
	x, ok := o.(interface {
		destination(*message.Message) (sinks.Destination, error)
	})
	if !ok {
		return nil, errors.New("this sink type cannot name its destination")
	}
	return x.destination(m)
}

// destination is the sink type's sinks.Explainer, for explain.
func (o *sinkOptions[T, P]) destination(m *message.Message) (sinks.Destination, error) {
	x, ok := any(P(&o.Sink)).(sinks.Explainer)
	if !ok {
		return nil, errors.New("this sink type cannot name its destination")
	}
	return x.Destination(m)
}
