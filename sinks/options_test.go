package sinks

import (
	"slices"
	"testing"
	"time"
)

func TestOptionsCheck(t *testing.T) {
	if errs := new(Options).Check(); len(errs) != 4 {
		t.Errorf("zero options: %v, want queue_size, queue_max_bytes, batch_size and stall_timeout", errs)
	}
	d := DefaultOptions()
	if errs := d.Check(); errs != nil || d.WhenFull != Block || d.QueueSize != DefaultQueueSize ||
		d.QueueMaxBytes != 8<<20 || d.BatchSize != DefaultBatchSize {
		t.Errorf("defaults %+v: %v", d, errs)
	}
	for _, tc := range []struct {
		name string
		o    Options
		want []string
	}{
		{"counts", Options{QueueSize: -1, QueueMaxBytes: 1, BatchSize: 0, StallTimeout: time.Second},
			[]string{"queue_size: must be > 0", "batch_size: must be > 0"}},
		{"queue_max_bytes 0", Options{QueueSize: 1, QueueMaxBytes: 0, BatchSize: 1, StallTimeout: time.Second},
			[]string{"queue_max_bytes: must be > 0"}},
		{"queue_max_bytes negative", Options{QueueSize: 1, QueueMaxBytes: -1, BatchSize: 1, StallTimeout: time.Second},
			[]string{"queue_max_bytes: must be > 0"}},
		{"queue_max_bytes 1", Options{QueueSize: 1, QueueMaxBytes: 1, BatchSize: 1, StallTimeout: time.Second}, nil},
	} {
		var got []string
		for _, err := range tc.o.Check() {
			got = append(got, err.(*FieldError).FieldPath()+": "+err.(*FieldError).Err.Error())
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestPolicyText(t *testing.T) {
	for _, p := range []Policy{Block, DropNewest} {
		var got Policy = 9
		if err := got.UnmarshalText([]byte(p.String())); err != nil || got != p {
			t.Errorf("UnmarshalText(%q) = %v, %v", p, got, err)
		}
	}
	var p Policy
	err := p.UnmarshalText([]byte("drop_oldest"))
	if want := `invalid value "drop_oldest" (want block, drop_newest)`; err == nil || err.Error() != want {
		t.Errorf("UnmarshalText(drop_oldest) = %v, want %s", err, want)
	}
}
