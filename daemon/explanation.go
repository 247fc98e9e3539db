package daemon

import (
	"time"

	"syslogd/message"
	"syslogd/router"
	"syslogd/sinks"
)

// Explanation is what the daemon does with one frame (Explainer.Explain).
// Its json names are the contract of `syslogd explain --format json`:
// every key is always present.
type Explanation struct {
	Line     string       `json:"line"`
	Listener ListenerInfo `json:"listener"`
	// Source is the sender's address; "" for a local socket.
	Source   string    `json:"source"`
	Received time.Time `json:"received"`
	// Parse is nil when the listener drops or skips the frame unread.
	Parse  *Parse        `json:"parse"`
	Routes []RouteResult `json:"routes"`
	// Sinks are the sinks the message goes to, deduplicated, in delivery
	// order.
	Sinks   []SinkResult `json:"sinks"`
	Outcome string       `json:"outcome"` // one of the Outcome constants
	// Reason says why a frame is dropped (parse_error, too_large: the
	// counters' reasons) or skipped (empty).
	Reason string `json:"reason"`
}

// The outcomes of a frame, as the daemon counts them.
const (
	OutcomeRouted    = "routed"    // to at least one route
	OutcomeUnmatched = "unmatched" // parsed, but no route takes it
	OutcomeDropped   = "dropped"   // counted dropped with Reason
	OutcomeSkipped   = "skipped"   // an empty frame, which listeners skip uncounted
)

// ListenerInfo is the listener a frame is explained as received on.
type ListenerInfo struct {
	Name     string `json:"name"`
	Protocol string `json:"protocol"`
	Address  string `json:"address"`
	// Default reports that it was chosen as the first socket listener.
	Default bool `json:"default"`
	// Local reports a unix or unixgram listener, whose senders have no
	// address.
	Local bool `json:"local"`
	// MaxMessageBytes is the listener's limit: a longer frame is dropped
	// as too_large.
	MaxMessageBytes int `json:"max_message_bytes"`
	// RateLimitBy is the key of the listener's rate_limit ("source" or
	// "hostname"), "" without one. Whether a sender is over its rate
	// depends on what it sent before, which an explanation cannot know.
	RateLimitBy string `json:"rate_limit_by"`
}

// Parse is how the listener's parser read the frame.
type Parse struct {
	Format string `json:"format"` // rfc5424, rfc3164 or unparsed
	// Error is why the frame is unparsed; "" when it parsed.
	Error    string `json:"error"`
	Facility string `json:"facility"`
	Severity string `json:"severity"`
	// NoPRI reports a frame without PRI, given user.notice (counted no_pri).
	NoPRI bool `json:"no_pri"`
	// Timestamp is the message's own time (RFC 3339); "" when it has none.
	Timestamp      string      `json:"timestamp"`
	Hostname       string      `json:"hostname"`
	AppName        string      `json:"app_name"`
	ProcID         string      `json:"proc_id"`
	MsgID          string      `json:"msg_id"`
	StructuredData []SDElement `json:"structured_data"`
	Message        string      `json:"message"`
}

// SDElement is one structured-data element, in order.
type SDElement struct {
	ID     string    `json:"id"`
	Params []SDParam `json:"params"`
}

// SDParam is one structured-data parameter.
type SDParam struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// RouteResult is what one route decided.
type RouteResult struct {
	Index int    `json:"index"` // in the configuration, from 0
	Name  string `json:"name"`
	// Result is one of the Route constants.
	Result string `json:"result"`
	// FailedKey is the first match key that did not hold (not_matched).
	FailedKey string `json:"failed_key"`
	// StoppedBy is the final route that matched before (not_evaluated).
	StoppedBy string `json:"stopped_by"`
	Final     bool   `json:"final"`
	Fallback  bool   `json:"fallback"`
}

// What a route decided.
const (
	RouteMatched            = "matched"
	RouteNotMatched         = "not_matched"
	RouteNotEvaluated       = "not_evaluated"        // a final route before it matched
	RouteFallbackApplied    = "fallback_applied"     // no other route matched
	RouteFallbackNotApplied = "fallback_not_applied" // another route matched
)

// SinkResult is where one sink delivers the message.
type SinkResult struct {
	Name string `json:"name"`
	Type string `json:"type"`
	// Destination is the sink type's (file, nats, journald, syslog); nil
	// with Error when it cannot be named.
	Destination sinks.Destination `json:"destination"`
	Error       string            `json:"error"`
}

// parseOf summarises a parsed message.
func parseOf(m *message.Message) *Parse {
	p := &Parse{
		Format: m.Format.String(), Error: m.ParseError,
		Facility: m.Facility.String(), Severity: m.Severity.String(), NoPRI: m.NoPRI,
		Hostname: m.Hostname, AppName: m.AppName, ProcID: m.ProcID, MsgID: m.MsgID,
		StructuredData: []SDElement{}, Message: m.Text,
	}
	if !m.Timestamp.IsZero() {
		p.Timestamp = m.Timestamp.Format(time.RFC3339Nano)
	}
	for _, e := range m.StructuredData {
		el := SDElement{ID: e.ID, Params: []SDParam{}}
		for _, kv := range e.Params {
			el.Params = append(el.Params, SDParam{Name: kv.Name, Value: kv.Value})
		}
		p.StructuredData = append(p.StructuredData, el)
	}
	return p
}

// routeResults turns the router's traces into results.
func routeResults(traces []router.RouteTrace) []RouteResult {
	out := make([]RouteResult, len(traces))
	for i, t := range traces {
		r := RouteResult{Index: t.Index, Name: t.Name, FailedKey: t.Failed, StoppedBy: t.StoppedBy,
			Final: t.Final, Fallback: t.Fallback}
		switch {
		case t.Fallback && t.Matched:
			r.Result = RouteFallbackApplied
		case t.Fallback:
			r.Result = RouteFallbackNotApplied
		case t.StoppedBy != "":
			r.Result = RouteNotEvaluated
		case t.Matched:
			r.Result = RouteMatched
		default:
			r.Result = RouteNotMatched
		}
		out[i] = r
	}
	return out
}

// Printable returns a value taken from a message as it is when it is
// plain printable text, and Go-quoted otherwise (sinks.Printable), for
// showing it on a terminal.
func Printable(s string) string { return sinks.Printable(s) }
