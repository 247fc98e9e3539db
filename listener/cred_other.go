//go:build !linux

package listener

import "net"

// Elsewhere the kernel's sender credentials are not read.

var credSpace = 0

func passCredentials(*net.UnixConn) error { return nil }

func credentials([]byte) Peer { return Peer{} }

func peerOf(net.Conn) Peer { return Peer{} }
