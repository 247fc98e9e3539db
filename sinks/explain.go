package sinks

import (
	"strconv"
	"unicode/utf8"

	"syslogd/message"
)

// Destination is where a sink would deliver one message, as `syslogd
// explain` shows it: String is the text form (one line, or a first line
// and indented detail lines), the exported fields with their json tags
// the JSON form, whose names are part of the command's contract.
type Destination interface {
	String() string
}

// Explainer is implemented by a sink type's options that can name a
// message's destination from the options alone: it renders the sink's own
// templates and encodings, and opens, connects to and writes nothing.
type Explainer interface {
	Destination(m *message.Message) (Destination, error)
}

// Printable returns s as it is when it is non-empty, valid UTF-8 made of
// printable characters, and Go-quoted otherwise, so that a value taken
// from a message can be shown on a terminal without control bytes and
// without hiding an empty or odd value.
func Printable(s string) string {
	if s == "" || !utf8.ValidString(s) {
		return strconv.Quote(s)
	}
	for _, r := range s {
		if !strconv.IsPrint(r) {
			return strconv.Quote(s)
		}
	}
	return s
}
