package listener

import (
	"fmt"
	"strings"
)

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
	numFramings
)

var framingNames = []string{
	FramingAuto:           "auto",
	FramingOctetCounting:  "octet_counting",
	FramingNonTransparent: "non_transparent",
}

// UnmarshalText accepts the configuration's names: auto, octet_counting,
// non_transparent.
func (f *Framing) UnmarshalText(b []byte) error { return unmarshalName(f, framingNames, b) }

// String returns the config spelling.
func (f Framing) String() string { return nameOf(f, framingNames) }

// ClientAuth says whether a tls listener asks for client certificates.
type ClientAuth uint8

const (
	// ClientAuthNone asks for no certificate.
	ClientAuthNone ClientAuth = iota
	// ClientAuthRequest asks for one and, with a client CA, verifies one
	// that is presented.
	ClientAuthRequest
	// ClientAuthRequire rejects a client without a certificate that
	// chains to the client CA.
	ClientAuthRequire
	numClientAuths
)

var clientAuthNames = []string{ClientAuthNone: "none", ClientAuthRequest: "request", ClientAuthRequire: "require"}

// UnmarshalText accepts none, request and require.
func (a *ClientAuth) UnmarshalText(b []byte) error { return unmarshalName(a, clientAuthNames, b) }

// String returns the config spelling.
func (a ClientAuth) String() string { return nameOf(a, clientAuthNames) }

// unmarshalName and nameOf map an enumeration to and from its spellings.
// sinks has the same two for the sinks; a stage does not import another,
// so the listener keeps its own.
func unmarshalName[T ~uint8](dst *T, names []string, b []byte) error {
	for i, n := range names {
		if string(b) == n {
			*dst = T(i)
			return nil
		}
	}
	return fmt.Errorf("invalid value %q (want %s)", b, strings.Join(names, ", "))
}

func nameOf[T ~uint8](v T, names []string) string {
	if int(v) < len(names) {
		return names[v]
	}
	return fmt.Sprintf("%T(%d)", v, uint8(v))
}
