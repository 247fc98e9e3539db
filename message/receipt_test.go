package message

import "testing"

// TestReceiptWorstOutcomeWins: done runs once, after the last settlement,
// with the worst outcome any sink reported.
func TestReceiptWorstOutcomeWins(t *testing.T) {
	cases := []struct {
		settle []Outcome
		want   Outcome
	}{
		{[]Outcome{Committed}, Committed},
		{[]Outcome{Committed, Committed}, Committed},
		{[]Outcome{Committed, Shed}, Shed},
		{[]Outcome{Retry, Shed, Committed}, Retry},
		{[]Outcome{Committed, Reject, Retry}, Reject},
	}
	for _, tc := range cases {
		var got []Outcome
		r := NewReceipt(func(o Outcome) { got = append(got, o) })
		r.Add(len(tc.settle))
		for i, o := range tc.settle {
			if len(got) != 0 {
				t.Fatalf("%v: done ran after %d of %d settlements", tc.settle, i, len(tc.settle))
			}
			r.Settle(o)
		}
		if len(got) != 1 || got[0] != tc.want {
			t.Errorf("%v: done got %v, want [%v]", tc.settle, got, tc.want)
		}
	}
}
