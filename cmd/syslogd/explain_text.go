package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"syslogd/daemon"
)

// writeText writes x for a reader, one fact a line. Values from the
// message are shown as they are when they are plain printable text and
// Go-quoted otherwise, so no frame can write control bytes to a terminal.
func writeText(w io.Writer, n int, x daemon.Explanation) {
	fmt.Fprintf(w, "line %d: %s\n", n, lineText(x.Line))
	field(w, "listener", listenerText(x.Listener))
	if by := x.Listener.RateLimitBy; by != "" {
		field(w, "rate_limit", "by "+by+": a sender over its rate has its messages dropped as rate_limited (not foreseen here)")
	}
	field(w, "source", sourceText(x))
	if x.Parse != nil {
		writeParse(w, x.Parse)
	}
	if len(x.Routes) > 0 {
		writeRoutes(w, x.Routes)
	}
	if len(x.Sinks) > 0 {
		writeSinks(w, x.Sinks)
	}
	field(w, "outcome", outcomeText(x))
	fmt.Fprintln(w)
}

// maxLineText is how much of a long line the text output echoes.
const maxLineText = 256

// lineText echoes the line, cut at about maxLineText bytes (the json
// format has all of it).
func lineText(line string) string {
	if len(line) <= maxLineText {
		return daemon.Printable(line)
	}
	cut := maxLineText
	for cut > 0 && !utf8.RuneStart(line[cut]) {
		cut--
	}
	return daemon.Printable(line[:cut]) + "… (" + strconv.Itoa(len(line)) + " bytes)"
}

// field writes one labelled line.
func field(w io.Writer, label, value string) {
	fmt.Fprintf(w, "  %-11s %s\n", label+":", value)
}

func listenerText(l daemon.ListenerInfo) string {
	s := l.Name + " (" + l.Protocol + " " + l.Address
	if l.Default {
		s += "; the first socket listener"
	}
	return s + ")"
}

func sourceText(x daemon.Explanation) string {
	if x.Listener.Local {
		return "none (a local socket's senders have no address)"
	}
	return x.Source
}

// writeParse writes how the frame parsed.
func writeParse(w io.Writer, p *daemon.Parse) {
	format, pri := p.Format, p.Facility+"."+p.Severity
	switch {
	case p.Error != "":
		format += ": " + daemon.Printable(p.Error)
		pri += " (unparsed: facility and severity keys never match it)"
	case p.NoPRI:
		pri += " (no PRI: the default, counted no_pri)"
	}
	field(w, "format", format)
	field(w, "pri", pri)
	field(w, "timestamp", orDash(p.Timestamp))
	field(w, "hostname", orDash(p.Hostname))
	field(w, "app_name", orDash(p.AppName))
	field(w, "proc_id", orDash(p.ProcID))
	field(w, "msg_id", orDash(p.MsgID))
	field(w, "sd", sdText(p.StructuredData))
	field(w, "message", strconv.Quote(p.Message))
}

// orDash shows an empty value as "-", others as Printable does.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return daemon.Printable(s)
}

// sdText writes structured data as RFC 5424 does, values quoted.
func sdText(sd []daemon.SDElement) string {
	if len(sd) == 0 {
		return "-"
	}
	var b strings.Builder
	for _, e := range sd {
		b.WriteString("[" + daemon.Printable(e.ID))
		for _, p := range e.Params {
			b.WriteString(" " + daemon.Printable(p.Name) + "=" + strconv.Quote(p.Value))
		}
		b.WriteString("]")
	}
	return b.String()
}

// writeRoutes writes each route's decision, in configured order.
func writeRoutes(w io.Writer, routes []daemon.RouteResult) {
	fmt.Fprintln(w, "  routes:")
	width, first := 0, ""
	for _, r := range routes {
		width = max(width, len(r.Name))
		if r.Result == daemon.RouteMatched && first == "" {
			first = r.Name
		}
	}
	for _, r := range routes {
		fmt.Fprintf(w, "    %-*s  %s\n", width, r.Name, routeText(r, first))
	}
}

// routeText is one route's decision; first is the first route that
// matched, which keeps a fallback route from applying.
func routeText(r daemon.RouteResult, first string) string {
	switch r.Result {
	case daemon.RouteMatched:
		if r.Final {
			return "matched (final: later routes are not evaluated)"
		}
		return "matched"
	case daemon.RouteNotMatched:
		return "not matched: " + r.FailedKey
	case daemon.RouteNotEvaluated:
		return "not evaluated (final route " + r.StoppedBy + " matched)"
	case daemon.RouteFallbackApplied:
		return "fallback: applied (no other route matched)"
	case daemon.RouteFallbackNotApplied:
		return "fallback: not applied (route " + first + " matched)"
	}
	return r.Result
}

// writeSinks writes each chosen sink's destination, in delivery order.
func writeSinks(w io.Writer, sinks []daemon.SinkResult) {
	fmt.Fprintln(w, "  sinks:")
	width := 0
	for _, s := range sinks {
		width = max(width, len(s.Name))
	}
	for _, s := range sinks {
		text := s.Type + ": cannot name the destination: " + s.Error
		if s.Destination != nil {
			text = s.Destination.String()
		}
		indent := "\n    " + strings.Repeat(" ", width+2)
		fmt.Fprintf(w, "    %-*s  %s\n", width, s.Name, strings.ReplaceAll(text, "\n", indent))
	}
}

// outcomeText says what the daemon counts the frame as.
func outcomeText(x daemon.Explanation) string {
	switch {
	case x.Outcome == daemon.OutcomeRouted && len(x.Sinks) == 1:
		return "routed to 1 sink"
	case x.Outcome == daemon.OutcomeRouted:
		return "routed to " + strconv.Itoa(len(x.Sinks)) + " sinks"
	case x.Outcome == daemon.OutcomeUnmatched:
		return "unmatched: no route takes it (counted unmatched)"
	case x.Reason == "parse_error":
		return "dropped as parse_error: unparsed, and no route takes it"
	case x.Reason == "too_large":
		return fmt.Sprintf("dropped as too_large: %d bytes, over the listener's max_message_bytes (%d)", len(x.Line), x.Listener.MaxMessageBytes)
	case x.Outcome == daemon.OutcomeSkipped:
		return "skipped: an empty frame, which listeners skip without counting it"
	}
	return x.Outcome + " " + x.Reason
}
