//go:build !linux

package listener

import (
	"errors"
	"net"
)

// Outside Linux (syslogd's target) there is no SO_RXQ_OVFL and we do not
// rely on MSG_TRUNC: a datagram filling the MaxMessageBytes+1 buffer still
// shows truncation.
const (
	recvFlags = 0
	msgTrunc  = 0
	oobSize   = 0
)

func enableDropCounter(*net.UDPConn) error {
	return errors.New("SO_RXQ_OVFL is linux-only")
}

func rxqOverflow([]byte) (uint32, bool) { return 0, false }

func socketDrops(*net.UDPConn) (uint32, bool) { return 0, false }
