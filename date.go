package renewd

import (
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// Date is a calendar date: a day, with no time of day and no zone. It is
// what OVH renews by, and so what a term is keyed by. The zero value means
// "no date". Dates compare with == and Compare; use them as map keys freely.
//
// OVH writes one service's expiration in several forms, depending on the
// route: a date ("2026-12-05", GET /service/{id}, serviceInfos) or a
// datetime in Paris time ("2026-12-05T00:00:00+01:00", "+02:00" in summer,
// or with a time of day, "2026-12-05T19:56:28+01:00", GET /services). As UTC
// instants these differ by hours; as the calendar date written in their own
// offset they agree. ParseDate reads every form that way, so a difference of
// zone, offset or precision can never look like a renewal.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the calendar date of t in t's own location (its offset as
// sent, for a time parsed from RFC 3339).
func DateOf(t time.Time) Date {
	if t.IsZero() {
		return Date{}
	}
	y, m, d := t.Date()
	return Date{Year: y, Month: m, Day: d}
}

// datePrefixRE matches a leading calendar date, then what may follow it: a
// zone alone (2026-12-05Z, 2026-12-05+01:00) or a time of day.
var datePrefixRE = regexp.MustCompile(`^(\d{4})-(\d{2})-(\d{2})(.*)$`)

// zoneRE is a zone with no time of day: Z or a numeric offset.
var zoneRE = regexp.MustCompile(`^(?:Z|[+-]\d{2}:\d{2})$`)

// ParseDate reads an expiration in any of the forms OVH uses, and returns
// the calendar date it names in its own offset:
//
//	2026-12-05                      a date (date-typed fields)
//	2026-12-05Z, 2026-12-05+01:00   a date with a zone
//	2026-12-05T00:00:00+01:00       RFC 3339, any offset, any fraction of a second
//	2026-12-05T19:56:28Z
//	2026-12-05T19:56:28             a time of day with no offset (OVH's local time)
//
// Anything else is an error that quotes the input (shortened when long).
func ParseDate(s string) (Date, error) {
	m := datePrefixRE.FindStringSubmatch(s)
	if m == nil {
		return Date{}, fmt.Errorf("%s is not a date (2006-01-02) or an RFC 3339 time", quoteShort(s))
	}
	rest := m[4]
	switch {
	case rest == "" || zoneRE.MatchString(rest):
	case rest[0] == 'T':
		// Check the whole value; the date is the one written, in its own
		// offset, which is what time.Parse keeps.
		if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
			if _, err2 := time.Parse("2006-01-02T15:04:05.999999999", s); err2 != nil {
				return Date{}, fmt.Errorf("%s is not a date (2006-01-02) or an RFC 3339 time", quoteShort(s))
			}
		}
	default:
		return Date{}, fmt.Errorf("%s is not a date (2006-01-02) or an RFC 3339 time", quoteShort(s))
	}
	y, _ := strconv.Atoi(m[1])
	mo, _ := strconv.Atoi(m[2])
	d, _ := strconv.Atoi(m[3])
	date := Date{Year: y, Month: time.Month(mo), Day: d}
	if !date.valid() {
		return Date{}, fmt.Errorf("%s is not a calendar date", quoteShort(s))
	}
	return date, nil
}

// MustDate is ParseDate for literals in tests and fixtures; it panics on a
// bad date.
func MustDate(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

func (d Date) valid() bool {
	if d.Year < 1 || d.Year > 9999 || d.Month < 1 || d.Month > 12 || d.Day < 1 {
		return false
	}
	// time.Date normalises 2026-02-30 to March 2nd: a date is valid when it
	// comes back as written. (Not through DateOf: 0001-01-01 is the zero
	// time, which DateOf reads as "no date".)
	y, m, day := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC).Date()
	return y == d.Year && m == d.Month && day == d.Day
}

// IsZero reports whether d is the zero Date ("no date").
func (d Date) IsZero() bool { return d == Date{} }

// String is the date as 2006-01-02; "" for the zero Date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// Start is midnight UTC at the start of the date. renewd uses it wherever a
// date meets a duration (renewal windows, approval deadlines): OVH expires
// a service in the course of its expiration date, and windows are days long,
// so the hour or two between zones does not change what is due.
func (d Date) Start() time.Time {
	if d.IsZero() {
		return time.Time{}
	}
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)
}

// Compare returns -1, 0 or +1 as d is before, equal to or after o.
func (d Date) Compare(o Date) int {
	switch {
	case d.Year != o.Year:
		return cmpInt(d.Year, o.Year)
	case d.Month != o.Month:
		return cmpInt(int(d.Month), int(o.Month))
	default:
		return cmpInt(d.Day, o.Day)
	}
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Before reports whether d comes before o.
func (d Date) Before(o Date) bool { return d.Compare(o) < 0 }

// After reports whether d comes after o.
func (d Date) After(o Date) bool { return d.Compare(o) > 0 }

// AddDays returns the date n days later (earlier for a negative n).
func (d Date) AddDays(n int) Date { return DateOf(d.Start().AddDate(0, 0, n)) }

// AddPeriod returns the date one period later, on the calendar.
func (d Date) AddPeriod(p Period) Date { return DateOf(p.AddTo(d.Start())) }

// MarshalText writes the date as 2006-01-02, and the zero Date as "".
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads what MarshalText writes (and every form ParseDate
// reads); "" is the zero Date.
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Date{}
		return nil
	}
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// quoteShort quotes outside text for an error message, cut to a length
// that keeps the message readable.
func quoteShort(s string) string {
	const max = 64
	if len(s) > max {
		return strconv.Quote(s[:max]) + "..."
	}
	return strconv.Quote(s)
}
