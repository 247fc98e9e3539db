package config

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"
)

func checkListeners(ls []Listener, r *reporter) map[string]bool {
	if len(ls) == 0 {
		r.at("listeners", "at least one listener is required")
	}
	names := make([]string, len(ls))
	bound := make(map[string]int) // transport + address → first listener
	for i := range ls {
		l, p := &ls[i], elem("listeners", i)
		names[i] = l.Name
		proto := enum(r, p+".protocol", l.Protocol, "udp", "tcp", "tls")
		if checkHostPort(r, p+".address", l.Address) && proto {
			key := bindKey(l.Protocol, l.Address)
			if prev, dup := bound[key]; dup {
				r.at(p+".address", fmt.Sprintf("%s already listens on %s %s", elem("listeners", prev), transport(l.Protocol), l.Address))
			} else if key != "" {
				bound[key] = i
			}
		}
		enum(r, p+".format", l.Format, "auto", "rfc5424", "rfc3164")
		if enum(r, p+".framing", l.Framing, "auto", "octet_counting", "non_transparent") &&
			l.Protocol == "udp" && l.Framing != "auto" {
			r.at(p+".framing", fmt.Sprintf("framing %q is for tcp and tls; a udp datagram is one message", l.Framing))
		}
		if l.MaxMessageBytes <= 0 || l.MaxMessageBytes > MaxMaxMessageBytes {
			r.at(p+".max_message_bytes", fmt.Sprintf("must be between 1 and %d (16 MiB)", MaxMaxMessageBytes))
		}
		positive(r, p+".max_connections", l.MaxConnections)
		positive(r, p+".idle_timeout", l.IdleTimeout)
		if _, err := time.LoadLocation(l.Timezone); err != nil || l.Timezone == "" {
			r.at(p+".timezone", fmt.Sprintf("unknown time zone %q (want an IANA name such as Europe/Berlin, Local or UTC)", l.Timezone))
		}
		if proto {
			checkTLS(r, l, p)
		}
	}
	return checkNames(r, "listeners", "listener", names)
}

// checkTLS requires the tls block exactly for protocol tls and opens the
// files it names (no network, so --check-config can run anywhere).
func checkTLS(r *reporter, l *Listener, p string) {
	tp := p + ".tls"
	if l.Protocol != "tls" {
		if r.ix.has(tp) {
			r.atKey(tp, fmt.Sprintf("tls is only valid for protocol tls, not %s", l.Protocol))
		}
		return
	}
	if !r.ix.has(tp) {
		r.at(tp, "required for protocol tls (cert_file and key_file)")
		return
	}
	t := &l.TLS
	if required(r, tp+".cert_file", t.CertFile) {
		checkReadable(r, tp+".cert_file", t.CertFile)
	}
	if required(r, tp+".key_file", t.KeyFile) {
		checkReadable(r, tp+".key_file", t.KeyFile)
	}
	if enum(r, tp+".client_auth", t.ClientAuth, "none", "request", "require") &&
		t.ClientAuth == "require" && t.ClientCAFile == "" {
		r.at(tp+".client_ca_file", "required when client_auth is require")
	}
	if t.ClientCAFile != "" {
		checkReadable(r, tp+".client_ca_file", t.ClientCAFile)
	}
}

func transport(protocol string) string {
	if protocol == "udp" {
		return "udp"
	}
	return "tcp" // tls listens on tcp too
}

// bindKey identifies the socket a listener binds, or "" for port 0 (each
// gets its own port). Hosts are compared as written, IPs canonicalised;
// wildcard-versus-specific overlaps are left to bind(2).
func bindKey(protocol, addr string) string {
	host, port, _ := net.SplitHostPort(addr)
	if strings.TrimLeft(port, "0") == "" {
		return ""
	}
	if a, err := netip.ParseAddr(host); err == nil {
		host = a.String()
	}
	return transport(protocol) + " " + strings.ToLower(net.JoinHostPort(host, strings.TrimLeft(port, "0")))
}
