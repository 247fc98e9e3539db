package parser

import (
	"testing"
	"time"
)

func TestWithYear(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skipf("no tzdata: %v", err)
	}
	stamp := func(s string) time.Time {
		t.Helper()
		ts, err := time.Parse(time.Stamp, s)
		if err != nil {
			t.Fatal(err)
		}
		return ts
	}
	tests := []struct {
		name  string
		now   time.Time
		loc   *time.Location
		stamp string
		want  time.Time
	}{
		{"same day", time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC), time.UTC,
			"Mar 15 11:59:00", time.Date(2026, 3, 15, 11, 59, 0, 0, time.UTC)},
		{"december read in january is last year", time.Date(2026, 1, 1, 0, 0, 5, 0, time.UTC), time.UTC,
			"Dec 31 23:59:58", time.Date(2025, 12, 31, 23, 59, 58, 0, time.UTC)},
		{"december read in mid january", time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC), time.UTC,
			"Dec 20 10:00:00", time.Date(2025, 12, 20, 10, 0, 0, 0, time.UTC)},
		{"sender clock slightly ahead stays this year", time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC), time.UTC,
			"Apr 10 00:00:00", time.Date(2026, 4, 10, 0, 0, 0, 0, time.UTC)},
		{"over a month ahead is last year", time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC), time.UTC,
			"Apr 20 00:00:00", time.Date(2025, 4, 20, 0, 0, 0, 0, time.UTC)},
		{"january read on new year's eve is next year", time.Date(2026, 12, 31, 23, 59, 0, 0, time.UTC), time.UTC,
			"Jan  1 00:00:10", time.Date(2027, 1, 1, 0, 0, 10, 0, time.UTC)},
		{"old message from this year", time.Date(2026, 12, 20, 0, 0, 0, 0, time.UTC), time.UTC,
			"Feb  1 00:00:00", time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)},
		{"leap day falls back to last leap year", time.Date(2027, 3, 15, 0, 0, 0, 0, time.UTC), time.UTC,
			"Feb 29 12:00:00", time.Date(2024, 2, 29, 12, 0, 0, 0, time.UTC)},
		{"leap day in a leap year", time.Date(2028, 3, 1, 0, 0, 0, 0, time.UTC), time.UTC,
			"Feb 29 12:00:00", time.Date(2028, 2, 29, 12, 0, 0, 0, time.UTC)},
		// The year is decided in the configured zone: at 00:30 on 1 Jan in
		// Berlin it is still 2025 in UTC, yet a 00:20 stamp is this year's.
		{"location decides the year", time.Date(2025, 12, 31, 23, 30, 0, 0, time.UTC), berlin,
			"Jan  1 00:20:00", time.Date(2026, 1, 1, 0, 20, 0, 0, berlin)},
		{"fractions kept", time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC), time.UTC,
			"Mar  1 00:00:00.123", time.Date(2026, 3, 1, 0, 0, 0, 123e6, time.UTC)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := New(Options{Location: tc.loc, Now: func() time.Time { return tc.now }})
			if err != nil {
				t.Fatal(err)
			}
			got := p.withYear(stamp(tc.stamp))
			if !got.Equal(tc.want) || got.Location() != tc.want.Location() {
				t.Errorf("withYear(%q) at %v = %v, want %v", tc.stamp, tc.now, got, tc.want)
			}
		})
	}
}

// TestYearRolloverEndToEnd checks the rollover through Parse, as a sink
// sees it.
func TestYearRolloverEndToEnd(t *testing.T) {
	now := time.Date(2026, 1, 2, 8, 0, 0, 0, time.UTC)
	p, err := New(Options{Location: time.UTC, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		frame string
		want  time.Time
	}{
		{"<13>Dec 31 23:59:59 host app: old", time.Date(2025, 12, 31, 23, 59, 59, 0, time.UTC)},
		{"<13>Jan  2 07:59:00 host app: new", time.Date(2026, 1, 2, 7, 59, 0, 0, time.UTC)},
		{"Dec 30 10:00:00 host app: no pri", time.Date(2025, 12, 30, 10, 0, 0, 0, time.UTC)},
	}
	for _, tc := range tests {
		m := p.Parse([]byte(tc.frame), goldenSrc, "test", now)
		if !m.Timestamp.Equal(tc.want) {
			t.Errorf("%q: Timestamp = %v, want %v (error %q)", tc.frame, m.Timestamp, tc.want, m.ParseError)
		}
	}
}
