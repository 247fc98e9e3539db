package listener

import "fmt"

// Framing selects how a TCP or TLS byte stream is split into frames
// (RFC 6587). UDP ignores it: a datagram is one frame.
type Framing uint8

const (
	// FramingAuto decides per frame: "LEN SP MSG" when the frame starts with
	// a well-formed length, otherwise a non-transparent frame.
	FramingAuto Framing = iota
	// FramingOctetCounting accepts only "LEN SP MSG" frames (RFC 6587 §3.4.1).
	FramingOctetCounting
	// FramingNonTransparent accepts only frames ended by LF or NUL, with an
	// optional CR before the LF (RFC 6587 §3.4.2).
	FramingNonTransparent
)

var framingNames = [...]string{
	FramingAuto:           "auto",
	FramingOctetCounting:  "octet_counting",
	FramingNonTransparent: "non_transparent",
}

// ParseFraming maps a config value to a Framing.
func ParseFraming(s string) (Framing, error) {
	for i, name := range framingNames {
		if s == name {
			return Framing(i), nil
		}
	}
	return 0, fmt.Errorf("unknown framing %q (want auto, octet_counting or non_transparent)", s)
}

// String returns the config spelling.
func (f Framing) String() string {
	if int(f) < len(framingNames) {
		return framingNames[f]
	}
	return fmt.Sprintf("Framing(%d)", uint8(f))
}
