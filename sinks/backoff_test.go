package sinks

import (
	"testing"
	"time"
)

const ms = time.Millisecond

func TestBackoffNext(t *testing.T) {
	defaults := []time.Duration{100 * ms, 200 * ms, 400 * ms, 800 * ms, 1600 * ms, 3200 * ms, 5 * time.Second, 5 * time.Second, 5 * time.Second}
	tests := []struct {
		name string
		b    Backoff
		want []time.Duration
	}{
		{"zero value", Backoff{}, defaults},
		{"explicit defaults", Backoff{Min: DefaultBackoffMin, Max: DefaultBackoffMax}, defaults},
		{"negative min", Backoff{Min: -1, Max: DefaultBackoffMax}, defaults},
		{"min only", Backoff{Min: ms}, []time.Duration{1 * ms, 2 * ms, 4 * ms, 8 * ms}},
		{"cap not a power of two", Backoff{Min: 10 * ms, Max: 50 * ms}, []time.Duration{10 * ms, 20 * ms, 40 * ms, 50 * ms, 50 * ms}},
		{"min equals max", Backoff{Min: time.Second, Max: time.Second}, []time.Duration{time.Second, time.Second, time.Second}},
		// Max below Min: the default cap, unless Min is larger still.
		{"max below min", Backoff{Min: 2 * time.Second, Max: time.Second}, []time.Duration{2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second}},
		{"min above default max", Backoff{Min: 8 * time.Second}, []time.Duration{8 * time.Second, 8 * time.Second}},
		// Doubling near the top of time.Duration must cap, not overflow.
		{"huge max", Backoff{Min: 1 << 61, Max: 1<<63 - 1}, []time.Duration{1 << 61, 1 << 62, 1<<63 - 1, 1<<63 - 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := tt.b
			for i, want := range tt.want {
				if got := b.Next(); got != want {
					t.Fatalf("Next #%d = %v, want %v", i+1, got, want)
				}
			}
			b.Reset()
			if got := b.Next(); got != tt.want[0] {
				t.Fatalf("Next after Reset = %v, want %v", got, tt.want[0])
			}
			if got := b.Next(); len(tt.want) > 1 && got != tt.want[1] {
				t.Fatalf("second Next after Reset = %v, want %v", got, tt.want[1])
			}
			// Delay(n) is the n+1th Next, and leaves Next alone.
			for n, want := range tt.want {
				if got := tt.b.Delay(n); got != want {
					t.Errorf("Delay(%d) = %v, want %v", n, got, want)
				}
			}
		})
	}
}

func TestBackoffDelay(t *testing.T) {
	var b Backoff
	tests := []struct {
		n    int
		want time.Duration
	}{
		{-1, 100 * ms}, {0, 100 * ms}, {1, 200 * ms}, {5, 3200 * ms},
		{6, 5 * time.Second}, {10, 5 * time.Second}, {1 << 40, 5 * time.Second},
	}
	for _, tt := range tests {
		if got := b.Delay(tt.n); got != tt.want {
			t.Errorf("Delay(%d) = %v, want %v", tt.n, got, tt.want)
		}
	}
	if got := b.Next(); got != 100*ms {
		t.Errorf("Next after Delay calls = %v, want 100ms", got)
	}
}

// The Runner's configuration follows the same defaults as Backoff.
func TestRunnerConfigBackoffDefaults(t *testing.T) {
	tests := []struct {
		min, max         time.Duration
		wantMin, wantMax time.Duration
	}{
		{0, 0, DefaultBackoffMin, DefaultBackoffMax},
		{ms, 0, ms, DefaultBackoffMax},
		{ms, 10 * ms, ms, 10 * ms},
		{3 * time.Second, time.Second, 3 * time.Second, DefaultBackoffMax},
		{8 * time.Second, 0, 8 * time.Second, 8 * time.Second},
	}
	for _, tt := range tests {
		c := RunnerConfig{BackoffMin: tt.min, BackoffMax: tt.max}
		c.applyDefaults()
		if c.BackoffMin != tt.wantMin || c.BackoffMax != tt.wantMax {
			t.Errorf("BackoffMin, BackoffMax = %v, %v: got %v, %v, want %v, %v",
				tt.min, tt.max, c.BackoffMin, c.BackoffMax, tt.wantMin, tt.wantMax)
		}
	}
}

func TestSleep(t *testing.T) {
	open := make(chan struct{})
	closed := make(chan struct{})
	close(closed)
	wake := make(chan struct{}, 1)
	wake <- struct{}{}
	tests := []struct {
		name string
		f    func() bool
		want bool
	}{
		{"sleep passes", func() bool { return Sleep(open, ms) }, true},
		{"sleep zero", func() bool { return Sleep(open, 0) }, true},
		{"sleep stopped", func() bool { return Sleep(closed, time.Hour) }, false},
		{"sleep zero stopped", func() bool { return Sleep(closed, 0) }, false},
		{"wait times out", func() bool { return Wait(open, nil, ms) }, true},
		{"wait woken, no timeout", func() bool { return Wait(open, wake, 0) }, true},
		{"wait stopped, no timeout", func() bool { return Wait(closed, nil, 0) }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			done := make(chan bool, 1)
			go func() { done <- tt.f() }()
			select {
			case got := <-done:
				if got != tt.want {
					t.Errorf("got %v, want %v", got, tt.want)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("did not return")
			}
		})
	}
}
