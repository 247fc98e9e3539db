package sinks

import (
	"slices"
	"testing"
	"time"
)

func TestOptionsCheck(t *testing.T) {
	if errs := new(Options).Check(); len(errs) != 3 {
		t.Errorf("zero options: %v, want queue_size, batch_size and stall_timeout", errs)
	}
	d := DefaultOptions()
	if errs := d.Check(); errs != nil || d.WhenFull != Block || d.QueueSize != DefaultQueueSize || d.BatchSize != DefaultBatchSize {
		t.Errorf("defaults %+v: %v", d, errs)
	}
	var got []string
	for _, err := range (&Options{QueueSize: -1, BatchSize: 0, StallTimeout: time.Second}).Check() {
		got = append(got, err.(*FieldError).FieldPath()+": "+err.(*FieldError).Err.Error())
	}
	if want := []string{"queue_size: must be > 0", "batch_size: must be > 0"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
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
