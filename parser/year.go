package parser

import "time"

// maxAhead is how far in the future a year-less RFC 3164 timestamp may lie
// before it is taken to belong to the previous year. It absorbs sender
// clocks that run ahead, while a December message read in January (the
// new-year rollover) still lands in the year that just ended.
const maxAhead = 31 * 24 * time.Hour

// year is a year's length as far as the inference window is concerned.
const year = 365 * 24 * time.Hour

// withYear places t, an RFC 3164 Stamp that go-syslog parsed without a
// year (month, day and clock in year 0, UTC), in p's location and in the
// year that puts it within (now-11 months, now+1 month]. The window is one
// year long, so every Stamp has exactly one answer: more than a month
// ahead means last year; more than eleven months back means next year (a
// January message from a sender whose clock already passed New Year).
func (p *Parser) withYear(t time.Time) time.Time {
	now := p.now().In(p.loc)
	y := now.Year()
	switch d := stampIn(y, t, p.loc).Sub(now); {
	case d > maxAhead:
		y--
	case d <= maxAhead-year:
		y++
	}
	if t.Month() == time.February && t.Day() == 29 {
		// A leap day only exists in leap years; take the latest one.
		for !isLeap(y) {
			y--
		}
	}
	return stampIn(y, t, p.loc)
}

func stampIn(y int, t time.Time, loc *time.Location) time.Time {
	return time.Date(y, t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), loc)
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }
