package parser

// checkHeader drops header fields go-syslog reports but did not end up
// using. Its RFC 3164 grammar is ambiguous and runs as one DFA, so an
// action can fire on a path that is later abandoned: for
// "Oct 11 22:14:15 host app:x" it reports tag "app" although the message
// is "app:x", and for "Oct 11 22:14:15 host " hostname "host" although the
// message is "host ". The message is reliable (it is always the end of the
// frame), so each field must appear where the grammar puts it in prefix,
// the bytes before the message.
func checkHeader(prefix []byte, host, app, proc string) (string, string, string) {
	if app != "" {
		rest, ok := cutTag(prefix, app, proc)
		if !ok {
			app, proc = "", ""
		} else {
			prefix = rest
		}
	} else {
		proc = ""
	}
	if host != "" && !hostBefore(prefix, host) {
		host = ""
	}
	return host, app, proc
}

// cutTag checks that prefix ends with "TAG: " or "TAG[PROCID]: " and
// returns what precedes it.
func cutTag(prefix []byte, app, proc string) ([]byte, bool) {
	s, ok := cutSuffix(prefix, ": ")
	if !ok {
		return nil, false
	}
	if len(s) > 0 && s[len(s)-1] == ']' {
		open := len(s) - 2
		for open >= 0 && s[open] != '[' {
			open--
		}
		if open < 0 || string(s[open+1:len(s)-1]) != proc {
			return nil, false
		}
		s = s[:open]
	} else if proc != "" {
		return nil, false
	}
	return cutSuffix(s, app)
}

// hostBefore checks that host is the RFC 3164 HOSTNAME (followed by
// spaces, then the message or tag) or a Cisco "logging origin-id" hostname
// (followed by ':' before the timestamp).
func hostBefore(prefix []byte, host string) bool {
	t := prefix
	for len(t) > 0 && t[len(t)-1] == ' ' {
		t = t[:len(t)-1]
	}
	if _, ok := cutSuffix(t, host); ok && len(t) < len(prefix) {
		return true
	}
	for i := 0; i+len(host) < len(prefix); i++ {
		if prefix[i+len(host)] == ':' && string(prefix[i:i+len(host)]) == host {
			return true
		}
	}
	return false
}

func cutSuffix(b []byte, s string) ([]byte, bool) {
	if len(b) < len(s) || string(b[len(b)-len(s):]) != s {
		return nil, false
	}
	return b[:len(b)-len(s)], true
}
