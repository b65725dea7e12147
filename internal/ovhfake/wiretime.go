package ovhfake

import (
	"fmt"
	"time"
	// The fake writes Paris time on machines without a zone database
	// (minimal containers, CI images): the zone is compiled in.
	_ "time/tzdata"

	"github.com/renewd/renewd"
)

// TimeForm is how the fake writes datetime-typed fields. OVH's schema types
// some fields date (YYYY-MM-DD) and others datetime; which zone and
// precision a datetime carries is not in the schema, and sources differ.
type TimeForm string

const (
	// TimeParis writes every datetime in Paris time with its numeric offset,
	// +01:00 in winter and +02:00 in summer ("2018-05-16T15:49:06+02:00",
	// OVH's renew guide). The default.
	TimeParis TimeForm = "paris"
	// TimeUTC writes every datetime in UTC with "Z" ("2024-11-01T12:30:24Z",
	// OVH Manager's own mocks of /services). A service's dates keep their
	// calendar date and time of day (read as UTC), so that, as the doc says,
	// every route still gives the same calendar date in its own offset.
	TimeUTC TimeForm = "utc"
	// TimeExpirationDate writes /services billing.expirationDate and
	// billing.nextBillingDate as dates ("2026-02-01"), as OVH Manager's
	// alldoms mock does although the schema types them datetime, and every
	// other datetime as TimeUTC does (the same mock's renew.current.nextDate
	// is "2024-09-25T06:40:26Z").
	TimeExpirationDate TimeForm = "expiration-date"
)

// TimeForms lists every TimeForm, the default first.
var TimeForms = []TimeForm{TimeParis, TimeUTC, TimeExpirationDate}

// paris is OVH's zone: its API writes datetimes in Paris time.
var paris = mustLoadParis()

func mustLoadParis() *time.Location {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil { // cannot happen: time/tzdata is linked in
		panic(fmt.Sprintf("ovhfake: load Europe/Paris: %v", err))
	}
	return loc
}

// Paris returns OVH's zone, Europe/Paris, for tests that compute what the
// fake writes.
func Paris() *time.Location { return paris }

// zone is where the form writes datetimes.
func (tf TimeForm) zone() *time.Location {
	if tf == TimeParis {
		return paris
	}
	return time.UTC
}

// instant writes an instant of the fake's clock (an order's date, a
// payment's) as a datetime in the form's zone: the same instant whatever the
// form.
func (tf TimeForm) instant(t time.Time) string { return t.In(tf.zone()).Format(time.RFC3339) }

// instantPtr is instant, or JSON null for the zero time.
func (tf TimeForm) instantPtr(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := tf.instant(t)
	return &s
}

// wallClock writes a service's date at its time of day as a datetime: the
// calendar date and time of day as they read in the form's zone, which is
// how OVH keeps a service's dates (it renews by days, not by instants).
func (tf TimeForm) wallClock(d renewd.Date, tod time.Duration) string {
	return atTimeOfDay(d, tod, tf.zone()).Format(time.RFC3339)
}

// billingDate writes billing.expirationDate or nextBillingDate of /services.
func (tf TimeForm) billingDate(d renewd.Date, tod time.Duration) string {
	switch tf {
	case TimeExpirationDate:
		return d.String()
	case TimeUTCMidnight:
		return atTimeOfDay(d, 0, paris).UTC().Format(time.RFC3339)
	}
	return tf.wallClock(d, tod)
}

// atTimeOfDay is the instant the date reads tod past midnight in loc. On
// the night Paris moves its clocks, a time of day that does not exist there
// (02:30 on the last Sunday of March) comes out an hour later; the date
// never changes, since the change happens after 02:00.
func atTimeOfDay(d renewd.Date, tod time.Duration, loc *time.Location) time.Time {
	s := int(tod / time.Second)
	return time.Date(d.Year, d.Month, d.Day, s/3600, s/60%60, s%60, 0, loc)
}

// dateOnly writes a date-typed field; the zero date is JSON null.
func dateOnly(d renewd.Date) *string {
	if d.IsZero() {
		return nil
	}
	s := d.String()
	return &s
}

// ParseTimeOfDay reads a time of day written HH:MM:SS (or HH:MM) as the
// duration since midnight, as ServiceFixture.ExpirationTime takes it.
func ParseTimeOfDay(s string) (time.Duration, error) {
	for _, layout := range []string{time.TimeOnly, "15:04"} {
		if t, err := time.Parse(layout, s); err == nil {
			return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute +
				time.Duration(t.Second())*time.Second, nil
		}
	}
	return 0, fmt.Errorf("%q is not a time of day such as 19:56:28", s)
}

// validTimeOfDay reports whether d is a time of day in whole seconds.
func validTimeOfDay(d time.Duration) bool {
	return d >= 0 && d < 24*time.Hour && d%time.Second == 0
}
