package config

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// maxStreamReplicas is JetStream's limit on stream replicas.
const maxStreamReplicas = 5

// checkNATSURLs reports a missing url and every entry that is not a NATS
// server URL. A single string is reported at the key, a list per element.
func checkNATSURLs(r *reporter, urls StringList, p string) {
	key := p + ".url"
	if len(urls) == 0 {
		r.at(key, "required")
		return
	}
	for i, u := range urls {
		at := elem(key, i)
		if !r.ix.has(at) {
			at = key
		}
		parsed, err := url.Parse(u)
		switch {
		case u == "":
			r.at(at, "empty url")
		case err != nil || parsed.Host == "":
			r.at(at, fmt.Sprintf("invalid url %q (want e.g. nats://host:4222)", u))
		case !slices.Contains([]string{"nats", "tls", "ws", "wss"}, parsed.Scheme):
			r.at(at, fmt.Sprintf("invalid url scheme %q (want nats, tls, ws or wss)", parsed.Scheme))
		}
	}
}

// checkNATSConnection checks mode, authentication, TLS files, the spool
// bounds and the stream block.
func checkNATSConnection(r *reporter, s *Sink, p string) {
	enum(r, p+".mode", s.Mode, "core", "jetstream")
	var auth []string
	for _, a := range []struct{ key, v string }{{"user", s.User}, {"token", s.Token}, {"creds_file", s.CredsFile}, {"nkey_file", s.NKeyFile}} {
		if a.v != "" {
			auth = append(auth, a.key)
		}
	}
	if len(auth) > 1 {
		r.at(p+"."+auth[1], fmt.Sprintf("%s and %s are alternatives; use one way to authenticate", auth[0], auth[1]))
	}
	if s.Password != "" && s.User == "" {
		r.at(p+".password", "password needs user")
	}
	for _, f := range []struct{ key, file string }{
		{"creds_file", s.CredsFile}, {"nkey_file", s.NKeyFile},
		{"ca_file", s.CAFile}, {"cert_file", s.CertFile}, {"key_file", s.KeyFile},
	} {
		if f.file != "" {
			checkReadable(r, p+"."+f.key, f.file)
		}
	}
	if (s.CertFile == "") != (s.KeyFile == "") {
		r.at(p+".cert_file", "cert_file and key_file go together")
	}
	required(r, p+".spool_dir", s.SpoolDir)
	positive(r, p+".spool_max_bytes", s.SpoolMaxBytes)
	positive(r, p+".max_pending", s.MaxPending)
	if s.Stream != nil {
		checkNATSStream(r, s, p+".stream")
	}
}

func checkNATSStream(r *reporter, s *Sink, p string) {
	st := s.Stream
	if s.Mode == "core" {
		r.at(p, "a stream is only used in jetstream mode")
	}
	if required(r, p+".name", st.Name) && strings.ContainsAny(st.Name, " \t\r\n.*>/\\") {
		r.at(p+".name", fmt.Sprintf("invalid stream name %q (no whitespace, '.', '*', '>', '/' or '\\')", st.Name))
	}
	for i, subj := range st.Subjects {
		if reason := streamSubject(subj); reason != "" {
			r.at(elem(p+".subjects", i), reason)
		}
	}
	enum(r, p+".storage", st.Storage, "file", "memory")
	if st.Replicas < 1 || st.Replicas > maxStreamReplicas {
		r.at(p+".replicas", fmt.Sprintf("must be 1 to %d", maxStreamReplicas))
	}
	if st.MaxAge < 0 {
		r.at(p+".max_age", "must be >= 0")
	}
}

// streamSubject checks a subject filter: non-empty tokens without
// whitespace, '*' and '>' only as whole tokens, '>' only last.
func streamSubject(subj string) string {
	toks := strings.Split(subj, ".")
	for i, tok := range toks {
		switch {
		case tok == "":
			return fmt.Sprintf("subject %q has an empty token", subj)
		case strings.ContainsAny(tok, " \t\r\n"):
			return fmt.Sprintf("subject %q has whitespace", subj)
		case tok == ">" && i != len(toks)-1:
			return fmt.Sprintf("subject %q has '>' before its last token", subj)
		case tok != "*" && tok != ">" && strings.ContainsAny(tok, "*>"):
			return fmt.Sprintf("subject %q has a wildcard inside token %q", subj, tok)
		}
	}
	return ""
}
