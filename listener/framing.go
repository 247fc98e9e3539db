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
	numFramings
)

var framingNames = []string{
	FramingAuto:           "auto",
	FramingOctetCounting:  "octet_counting",
	FramingNonTransparent: "non_transparent",
}

// UnmarshalText accepts the configuration's names: auto, octet_counting,
// non_transparent.
func (f *Framing) UnmarshalText(b []byte) error {
	for i, name := range framingNames {
		if string(b) == name {
			*f = Framing(i)
			return nil
		}
	}
	return enumError(string(b), framingNames)
}

// String returns the config spelling.
func (f Framing) String() string {
	if int(f) < len(framingNames) {
		return framingNames[f]
	}
	return fmt.Sprintf("Framing(%d)", uint8(f))
}

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
func (a *ClientAuth) UnmarshalText(b []byte) error {
	for i, name := range clientAuthNames {
		if string(b) == name {
			*a = ClientAuth(i)
			return nil
		}
	}
	return enumError(string(b), clientAuthNames)
}

// String returns the config spelling.
func (a ClientAuth) String() string {
	if int(a) < len(clientAuthNames) {
		return clientAuthNames[a]
	}
	return fmt.Sprintf("ClientAuth(%d)", uint8(a))
}
