package router

import (
	"fmt"
	"path"
	"strings"
	"unicode/utf8"
)

// globKind classifies a pattern so the common shapes skip the general
// matcher: most configs say "web01", "web-*" or "*.example.com".
type globKind uint8

const (
	globLiteral globKind = iota // no metacharacters: equality
	globAny                     // "*": anything without '/'
	globPrefix                  // "lit*"
	globSuffix                  // "*lit"
	globGeneral                 // anything else
)

// glob is a compiled path.Match pattern. With fold set, the pattern has
// been ASCII-lowercased and the name is lowercased byte by byte while
// matching, so case-insensitive hostnames cost no copy.
type glob struct {
	kind globKind
	lit  string // the literal part for literal/prefix/suffix; the pattern otherwise
	fold bool
}

// compileGlob validates pattern with path.Match's own rules (the error
// wraps path.ErrBadPattern) and classifies it.
func compileGlob(pattern string, fold bool) (glob, error) {
	if _, err := path.Match(pattern, ""); err != nil {
		return glob{}, fmt.Errorf("bad glob %q: %w", pattern, err)
	}
	if fold {
		pattern = asciiLower(pattern)
	}
	g := glob{kind: globGeneral, lit: pattern, fold: fold}
	switch body, n := strings.Trim(pattern, "*"), len(pattern); {
	case strings.ContainsAny(body, `*?[\`):
	case n == 0 || body == pattern:
		g.kind = globLiteral
	case body == "" && n == 1:
		g.kind = globAny
	case n-len(body) != 1:
		// "**x" or "*x*": leave to the general matcher.
	case pattern[n-1] == '*':
		g.kind, g.lit = globPrefix, body
	default:
		g.kind, g.lit = globSuffix, body
	}
	return g, nil
}

// match reports whether name matches, exactly as
// path.Match(pattern, name) would (both ASCII-lowercased when fold is set).
func (g *glob) match(name string) bool {
	switch g.kind {
	case globLiteral:
		return equalFold(name, g.lit, g.fold)
	case globAny:
		return strings.IndexByte(name, '/') < 0
	case globPrefix:
		return len(name) >= len(g.lit) && equalFold(name[:len(g.lit)], g.lit, g.fold) &&
			strings.IndexByte(name[len(g.lit):], '/') < 0
	case globSuffix:
		cut := len(name) - len(g.lit)
		return cut >= 0 && equalFold(name[cut:], g.lit, g.fold) &&
			strings.IndexByte(name[:cut], '/') < 0
	}
	return matchGlob(g.lit, name, g.fold)
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// equalFold compares name with an already-lowercased lit. Unlike
// strings.EqualFold it folds ASCII only, matching asciiLower.
func equalFold(name, lit string, fold bool) bool {
	if !fold {
		return name == lit
	}
	if len(name) != len(lit) {
		return false
	}
	for i := 0; i < len(name); i++ {
		if lower(name[i]) != lit[i] {
			return false
		}
	}
	return true
}

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		b[i] = lower(c)
	}
	return string(b)
}

// matchGlob is path.Match's algorithm over a pattern already known to be
// well formed, with optional ASCII folding of name. It never allocates.
// Like path.Match, '*' and '?' never match '/'.
func matchGlob(pattern, name string, fold bool) bool {
	for len(pattern) > 0 {
		var star bool
		var chunk string
		star, chunk, pattern = scanChunk(pattern)
		if star && chunk == "" {
			// A trailing star takes the rest unless it holds a '/'.
			return strings.IndexByte(name, '/') < 0
		}
		// The last chunk must consume the whole name, or a later
		// position reached through the star could still succeed.
		if rest, ok := matchChunk(chunk, name, fold); ok && (rest == "" || pattern != "") {
			name = rest
			continue
		}
		if !star {
			return false
		}
		matched := false
		for i := 0; i < len(name) && name[i] != '/'; i++ {
			rest, ok := matchChunk(chunk, name[i+1:], fold)
			if ok && (pattern != "" || rest == "") {
				name, matched = rest, true
				break
			}
		}
		if !matched {
			return false
		}
	}
	return name == ""
}

// scanChunk splits off leading stars and the chunk up to the next
// unescaped, unbracketed star.
func scanChunk(pattern string) (star bool, chunk, rest string) {
	for len(pattern) > 0 && pattern[0] == '*' {
		pattern = pattern[1:]
		star = true
	}
	inRange := false
	i := 0
scan:
	for ; i < len(pattern); i++ {
		switch pattern[i] {
		case '\\':
			if i+1 < len(pattern) {
				i++
			}
		case '[':
			inRange = true
		case ']':
			inRange = false
		case '*':
			if !inRange {
				break scan
			}
		}
	}
	return star, pattern[:i], pattern[i:]
}

// matchChunk matches chunk (no stars) against a prefix of s and returns
// what is left of s.
func matchChunk(chunk, s string, fold bool) (rest string, ok bool) {
	for len(chunk) > 0 {
		if len(s) == 0 {
			return "", false
		}
		switch chunk[0] {
		case '[':
			r, n := utf8.DecodeRuneInString(s)
			s = s[n:]
			if fold && r < utf8.RuneSelf {
				r = rune(lower(byte(r)))
			}
			chunk = chunk[1:]
			negated := len(chunk) > 0 && chunk[0] == '^'
			if negated {
				chunk = chunk[1:]
			}
			in := false
			for first := true; first || chunk[0] != ']'; first = false {
				var lo, hi rune
				lo, chunk = classChar(chunk)
				hi = lo
				if chunk[0] == '-' {
					hi, chunk = classChar(chunk[1:])
				}
				if lo <= r && r <= hi {
					in = true
				}
			}
			chunk = chunk[1:] // ']'
			if in == negated {
				return "", false
			}
		case '?':
			if s[0] == '/' {
				return "", false
			}
			_, n := utf8.DecodeRuneInString(s)
			s, chunk = s[n:], chunk[1:]
		case '\\':
			chunk = chunk[1:]
			fallthrough
		default:
			c := s[0]
			if fold {
				c = lower(c)
			}
			if chunk[0] != c {
				return "", false
			}
			s, chunk = s[1:], chunk[1:]
		}
	}
	return s, true
}

// classChar reads one possibly escaped character of a [...] class.
// The pattern was validated, so the class is well formed.
func classChar(chunk string) (r rune, rest string) {
	if chunk[0] == '\\' {
		chunk = chunk[1:]
	}
	r, n := utf8.DecodeRuneInString(chunk)
	return r, chunk[n:]
}
