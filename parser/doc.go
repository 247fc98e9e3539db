// Package parser turns one syslog frame into a message.Message. It is the
// only importer of go-syslog; no go-syslog type leaves it.
//
// # Why github.com/leodido/go-syslog/v4
//
// The design names github.com/influxdata/go-syslog/v3, which was archived
// in 2024. v4 is its continuation by the same author (Leonardo Di Donato),
// with the same machine API; Telegraf, Grafana Alloy and the OpenTelemetry
// Collector moved to it. v3.0.0 would not do for a collector: its RFC 3164
// grammar requires a HOSTNAME (glibc's syslog(3) and many devices send
// none), it rejects RFC 5424 MSG bodies that are not UTF-8 (MSG-ANY is any
// octets), and its octet-counting reader caps frames at 8192 bytes.
//
// # What go-syslog does and does not do here
//
// Stream framing (RFC 6587 octet counting and non-transparent framing) is
// owned by listener/, which enforces size limits and resynchronises after
// garbage; v4's non-transparent framer has neither. This package only sees
// complete frames, framing removed.
//
// Per frame, the PRI is checked here (go-syslog's rules, plus distinct
// reasons for the report), then RFC 5424 is told from RFC 3164 by a peek at
// the VERSION ("<PRI>1 " is 5424).
//
// # The fast path, and go-syslog behind it
//
// Common frames are parsed by this package's own scanners (fast.go,
// fast3164.go) over the frame's bytes: one copy of the frame per message,
// every field a substring of it, structured data in wire order without
// maps, messages allocated in blocks. RFC 3164 is read the way rsyslog and
// syslog-ng read it where they agree (TestPeerAgreement, over
// testdata/peers). What the fast path declines goes to a strict go-syslog
// machine, and FuzzFastPath holds the two to the same fields wherever both
// accept a frame, up to the deliberate differences it lists. Around the
// machines this package:
// Whatever still fails becomes an Unparsed message that keeps the whole
// frame, so nothing is lost; a frame without any PRI is handled the way
// RFC 3164 §4.3.3 tells a relay to, which is not an error.
package parser
