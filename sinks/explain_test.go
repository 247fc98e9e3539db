package sinks

import "testing"

func TestPrintable(t *testing.T) {
	for in, want := range map[string]string{
		"/var/log/web01/sshd.log": "/var/log/web01/sshd.log",
		"a b":                     "a b",
		"":                        `""`,
		"a\nb":                    `"a\nb"`,
		"\x1b[31mred":             `"\x1b[31mred"`,
		"\xff":                    `"\xff"`,
		"\u0085":                  `"\u0085"`,
		"héllo":                   "héllo",
	} {
		if got := Printable(in); got != want {
			t.Errorf("Printable(%q) = %s, want %s", in, got, want)
		}
	}
}
