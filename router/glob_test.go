package router

import (
	"path"
	"testing"
)

var globPatterns = []string{
	"", "*", "**", "web01", "web-*", "*.example.com", "*web*", "w?b", "web0[1-3]", "web0[^1-3]*",
	`a\*b`, `a\[b`, `[\]]*`, "[a\\-]", "*/x", "a*b*c", "*a*b*", "x*x", "[A-Z]*", "Web*", "?", "??",
	"[é-ü]x", "é*", "[^/]", "*?", "a]b", "a-b",
}

var globNames = []string{
	"", "web01", "WEB01", "web-7", "web-7/x", "web-", "x.example.com", "X.EXAMPLE.COM", ".example.com",
	"a/example.com", "wab", "w/b", "web02", "web05", "web05z", "a*b", "axb", "a[b", "]", "]]", "a", "-",
	"/x", "q/x", "aXbYc", "abc", "abcb", "xx", "x", "Zed", "zed", "éx", "üx", "é", "\xff", "a]b", "a-b",
	"ab", "/", "//",
}

// TestGlobMatchesPathMatch holds the allocation-free matcher to
// path.Match: case-sensitively as is, and case-insensitively against
// path.Match on ASCII-lowercased pattern and name.
func TestGlobMatchesPathMatch(t *testing.T) {
	for _, p := range globPatterns {
		for _, fold := range []bool{false, true} {
			g, err := compileGlob(p, fold)
			if err != nil {
				t.Fatalf("compileGlob(%q): %v", p, err)
			}
			for _, n := range globNames {
				wantP, wantN := p, n
				if fold {
					wantP, wantN = asciiLower(p), asciiLower(n)
				}
				want, _ := path.Match(wantP, wantN)
				if got := g.match(n); got != want {
					t.Errorf("glob %q (fold=%v, kind %d) on %q = %v, path.Match says %v", p, fold, g.kind, n, got, want)
				}
			}
		}
	}
}

func TestGlobKinds(t *testing.T) {
	tests := []struct {
		pattern string
		kind    globKind
		lit     string
	}{
		{"", globLiteral, ""},
		{"Web01", globLiteral, "web01"},
		{"*", globAny, "*"},
		{"web-*", globPrefix, "web-"},
		{"*.Example.com", globSuffix, ".example.com"},
		{"**", globGeneral, "**"},
		{"*web*", globGeneral, "*web*"},
		{"web?", globGeneral, "web?"},
		{`a\*`, globGeneral, `a\*`},
		{"a*b", globGeneral, "a*b"},
	}
	for _, tc := range tests {
		g, err := compileGlob(tc.pattern, true)
		if err != nil {
			t.Fatal(err)
		}
		if g.kind != tc.kind || g.lit != tc.lit {
			t.Errorf("compileGlob(%q) = kind %d lit %q, want kind %d lit %q", tc.pattern, g.kind, g.lit, tc.kind, tc.lit)
		}
	}
}

func FuzzGlob(f *testing.F) {
	for i, p := range globPatterns {
		f.Add(p, globNames[i%len(globNames)])
	}
	f.Fuzz(func(t *testing.T, pattern, name string) {
		for _, fold := range []bool{false, true} {
			g, err := compileGlob(pattern, fold)
			if err != nil {
				return
			}
			wantP, wantN := pattern, name
			if fold {
				wantP, wantN = asciiLower(pattern), asciiLower(name)
			}
			want, _ := path.Match(wantP, wantN)
			if got := g.match(name); got != want {
				t.Errorf("glob %q (fold=%v) on %q = %v, path.Match says %v", pattern, fold, name, got, want)
			}
		}
	})
}

func TestGlobAllocs(t *testing.T) {
	g, err := compileGlob("w?b[0-9]*.*.com", true)
	if err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() { g.match("WEB01.Example.COM") }); n != 0 {
		t.Errorf("match allocates %v times", n)
	}
}
