package message

import "testing"

func TestPRIRoundTrip(t *testing.T) {
	for pri := 0; pri <= MaxPRI; pri++ {
		f, s, ok := DecodePRI(pri)
		if !ok {
			t.Fatalf("DecodePRI(%d) not ok", pri)
		}
		if got := PRI(f, s); got != pri {
			t.Fatalf("PRI(DecodePRI(%d)) = %d", pri, got)
		}
	}
	for _, bad := range []int{-1, 192, 1000} {
		if _, _, ok := DecodePRI(bad); ok {
			t.Errorf("DecodePRI(%d) ok, want invalid", bad)
		}
	}
}

func TestPRIExamples(t *testing.T) {
	tests := []struct {
		f    string
		s    string
		want int
	}{
		{"local3", "info", 158},
		{"user", "info", 14},
		{"kern", "emerg", 0},
		{"local7", "debug", 191},
		{"auth", "crit", 34},
		{"4", "2", 34},
		{"authpriv", "warning", 84},
	}
	for _, tc := range tests {
		f, err := ParseFacility(tc.f)
		if err != nil {
			t.Fatal(err)
		}
		s, err := ParseSeverity(tc.s)
		if err != nil {
			t.Fatal(err)
		}
		if got := PRI(f, s); got != tc.want {
			t.Errorf("PRI(%s.%s) = %d, want %d", tc.f, tc.s, got, tc.want)
		}
	}
	f, s, _ := DecodePRI(14)
	if f.String()+"."+s.String() != "user.info" {
		t.Errorf("PRI 14 = %s.%s, want user.info", f, s)
	}
}

func TestNamesRoundTrip(t *testing.T) {
	for i := 0; i < NumFacilities; i++ {
		f, err := ParseFacility(Facility(i).String())
		if err != nil || int(f) != i {
			t.Errorf("facility %d: got %d, %v", i, f, err)
		}
	}
	for i := 0; i < NumSeverities; i++ {
		s, err := ParseSeverity(Severity(i).String())
		if err != nil || int(s) != i {
			t.Errorf("severity %d: got %d, %v", i, s, err)
		}
	}
	for _, bad := range []string{"", "local8", "24", "-1", "LOCAL0"} {
		if _, err := ParseFacility(bad); err == nil {
			t.Errorf("ParseFacility(%q) accepted", bad)
		}
	}
	for _, bad := range []string{"", "8", "verbose"} {
		if _, err := ParseSeverity(bad); err == nil {
			t.Errorf("ParseSeverity(%q) accepted", bad)
		}
	}
}
