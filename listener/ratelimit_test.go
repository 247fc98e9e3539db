package listener

import (
	"testing"
	"time"
)

func TestRareLog(t *testing.T) {
	var r rareLog
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	steps := []struct {
		at             time.Duration
		ok             bool
		wantSuppressed uint64
	}{
		{0, true, 0},
		{time.Second, false, 0},
		{30 * time.Second, false, 0},
		{logEvery - time.Nanosecond, false, 0},
		{logEvery, true, 3},
		{logEvery + time.Second, false, 0},
		{3 * logEvery, true, 1},
	}
	for _, s := range steps {
		ok, n := r.allow(t0.Add(s.at))
		if ok != s.ok || n != s.wantSuppressed {
			t.Errorf("at %v: allow = %v, %d; want %v, %d", s.at, ok, n, s.ok, s.wantSuppressed)
		}
	}
}
