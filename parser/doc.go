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
// the VERSION ("<PRI>1 " is 5424), and a strict go-syslog machine parses
// it. Around the machines this package:
//   - gives year-less RFC 3164 timestamps a year, with new-year rollover
//     (see withYear), in the configured location;
//   - restores RFC 5424 structured-data order, which go-syslog's maps lose;
//   - drops RFC 3164 header fields the ambiguous grammar reports from an
//     abandoned path (see checkHeader);
//   - retries RFC 3164 frames the grammar rejects for common reasons after
//     a length-preserving rewrite, taking the text from the original bytes
//     (see normalize). go-syslog's best-effort mode is not used: on failure
//     it returns the header but drops the MSG.
//
// Whatever still fails becomes an Unparsed message that keeps the whole
// frame, so nothing is lost; a frame without any PRI is handled the way
// RFC 3164 §4.3.3 tells a relay to, which is not an error.
package parser
