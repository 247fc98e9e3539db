package message

import (
	"fmt"
	"net/netip"
	"strings"
)

// ParsePrefix accepts a CIDR or a single address (as a /32 or /128).
// v4-mapped IPv6 forms are unmapped, because Message.Source is unmapped
// (see there): listener allowlists and route matches both use it, so
// "10.0.0.0/8" and "::ffff:10.0.0.0/104" mean the same senders.
func ParsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("bad CIDR: %w", err)
		}
		if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("bad IP or CIDR: %w", err)
	}
	if a.Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("bad IP %q: zones are not supported", s)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}
