package message

import (
	"math"
	"slices"
	"sync"
	"testing"
)

// TestIDsDistinctNonzero: goroutines drawing IDs through their own
// IDRange from one IDs get distinct IDs, never 0, also when the counter
// runs through 0 while they draw.
func TestIDsDistinctNonzero(t *testing.T) {
	const (
		goroutines = 8
		perG       = 3*IDBlock + 17 // several blocks each, the last one partly used
	)
	starts := []struct {
		name  string
		start func(*IDs)
	}{
		{"random", func(*IDs) {}},
		{"zero", func(s *IDs) { s.next.Store(0) }},
		{"wraps during the draw, aligned", func(s *IDs) { s.next.Store(math.MaxUint64 - goroutines*2*IDBlock + 1) }},
		{"wraps during the draw, unaligned", func(s *IDs) { s.next.Store(math.MaxUint64 - goroutines*2*IDBlock + 124) }},
		{"at the top", func(s *IDs) { s.next.Store(math.MaxUint64) }},
	}
	for _, tc := range starts {
		t.Run(tc.name, func(t *testing.T) {
			s := NewIDs()
			tc.start(s)
			got := make([][]uint64, goroutines)
			var wg sync.WaitGroup
			for g := range goroutines {
				wg.Go(func() {
					var r IDRange
					ids := make([]uint64, perG)
					for i := range ids {
						ids[i] = r.Next(s)
					}
					got[g] = ids
				})
			}
			wg.Wait()
			seen := make(map[uint64]int, goroutines*perG)
			for g, ids := range got {
				for _, id := range ids {
					if id == 0 {
						t.Fatalf("goroutine %d got ID 0", g)
					}
					if other, dup := seen[id]; dup {
						t.Fatalf("ID %#x handed to goroutines %d and %d", id, other, g)
					}
					seen[id] = g
				}
			}
		})
	}
}

// TestIDsBlocksConcurrent: blocks taken concurrently, many of them, are
// disjoint, none holds 0, and none wraps.
func TestIDsBlocksConcurrent(t *testing.T) {
	const goroutines, perG = 8, 5000
	for _, start := range []uint64{1, math.MaxUint64 - goroutines*perG/2*IDBlock} { // the second runs through 0
		s := new(IDs)
		s.next.Store(start)
		got := make([][]uint64, goroutines)
		var wg sync.WaitGroup
		for g := range goroutines {
			wg.Go(func() {
				firsts := make([]uint64, perG)
				for i := range firsts {
					firsts[i] = s.Block()
				}
				got[g] = firsts
			})
		}
		wg.Wait()
		all := slices.Concat(got...)
		slices.Sort(all)
		for i, first := range all {
			if first == 0 || first+(IDBlock-1) < first {
				t.Fatalf("start %#x: block [%#x, %#x] holds 0 or wraps", start, first, first+(IDBlock-1))
			}
			if i > 0 && first-all[i-1] < IDBlock {
				t.Fatalf("start %#x: blocks at %#x and %#x overlap", start, all[i-1], first)
			}
		}
	}
}

// TestIDsBlockSkipsWrap: Block never returns a block that contains 0 or
// wraps around the 64-bit space; a block that would is skipped for the
// next one.
func TestIDsBlockSkipsWrap(t *testing.T) {
	const top = math.MaxUint64
	tests := []struct {
		name  string
		start uint64
		want  uint64 // 0: any valid block
	}{
		{"zero: the block holding 0 is skipped", 0, IDBlock},
		{"one", 1, 1},
		{"ordinary", 1 << 40, 1 << 40},
		{"last block that does not reach the top", top - 2*IDBlock + 1, top - 2*IDBlock + 1},
		{"wraps through 0 to 1", top - IDBlock + 2, 1},
		{"wraps through 0 far", top - IDBlock/2, IDBlock/2 - 1},
		{"at the top", top, IDBlock - 1},
		{"ends exactly at the top", top - IDBlock + 1, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var s IDs
			s.next.Store(tc.start)
			first := s.Block()
			last := first + (IDBlock - 1)
			if first == 0 || last < first {
				t.Fatalf("Block from %#x returned [%#x, %#x]: holds 0 or wraps", tc.start, first, last)
			}
			if tc.want != 0 && first != tc.want {
				t.Errorf("Block from %#x = %#x, want %#x", tc.start, first, tc.want)
			}
			// The next block follows, and does not overlap.
			if next := s.Block(); next != 0 && next <= last && next+(IDBlock-1) >= first {
				t.Errorf("blocks [%#x, %#x] and [%#x, ...] overlap", first, last, next)
			}
			// A range drawing the whole block never yields 0.
			r := IDRange{}
			s.next.Store(tc.start)
			for i := range 2 * IDBlock {
				if id := r.Next(&s); id == 0 {
					t.Fatalf("IDRange.Next from %#x returned 0 at draw %d", tc.start, i)
				}
			}
		})
	}
}

// TestIDRangeConsecutive: a range hands out its block in order, then
// takes a new one.
func TestIDRangeConsecutive(t *testing.T) {
	var s IDs
	s.next.Store(1000)
	var r IDRange
	for i := range uint64(IDBlock) {
		if id := r.Next(&s); id != 1000+i {
			t.Fatalf("draw %d: %d, want %d", i, id, 1000+i)
		}
	}
	s.Block() // someone else takes the next block
	if id := r.Next(&s); id != 1000+2*IDBlock {
		t.Fatalf("first ID after the block: %d, want %d", id, 1000+2*IDBlock)
	}
}
