package ovhfake

import (
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/renewd/renewd"
)

// The forms below are ones in which the API would say something renewd
// reads wrong, or refuse what renewd sends. No source shows OVH answering
// so; they are what `renewd doctor` measures an account for, and the fake
// plays them so that its checks can be seen to catch them.

// TimeUTCMidnight writes /services billing.expirationDate and
// nextBillingDate as the UTC instant of the date's midnight in Paris
// ("2026-12-04T23:00:00Z" for a service that expires on 2026-12-05), and
// every other datetime as TimeUTC does. Read as a calendar date in its own
// offset, as renewd reads it, that is the day before the date /service/{id}
// and serviceInfos give: the routes disagree.
const TimeUTCMidnight TimeForm = "utc-midnight"

// MismatchTimeForms lists the TimeForms in which the routes disagree on a
// service's expiration; Wire accepts them as it accepts TimeForms.
var MismatchTimeForms = []TimeForm{TimeUTCMidnight}

// OrderDateMode is how GET /me/order reads its date.from and date.to
// filters. Which forms OVH accepts is unconfirmed.
type OrderDateMode string

const (
	// OrderDatesHonoured reads a date (midnight UTC) or an RFC 3339 time,
	// and filters on it. The default.
	OrderDatesHonoured OrderDateMode = "honoured"
	// OrderDatesDateOnly takes a bare date (YYYY-MM-DD) only: a bound with
	// a time of day is 400 "Invalid parameter date.from".
	OrderDatesDateOnly OrderDateMode = "date-only"
	// OrderDatesIgnored accepts any bound and filters on none: every order
	// is listed.
	OrderDatesIgnored OrderDateMode = "ignored"
)

// OrderDateModes lists every OrderDateMode, the default first.
var OrderDateModes = []OrderDateMode{OrderDatesHonoured, OrderDatesDateOnly, OrderDatesIgnored}

// orderBound reads one date.from or date.to value in the mode: the bound
// (zero for no filter) or the 400 answer.
func orderBound(mode OrderDateMode, name, v string) (time.Time, reply, bool) {
	if v == "" || mode == OrderDatesIgnored {
		return time.Time{}, reply{}, true
	}
	if mode == OrderDatesDateOnly {
		d, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return time.Time{}, apiError(http.StatusBadRequest, fmt.Sprintf("Invalid parameter %s: %q is not a date (YYYY-MM-DD)", name, v)), false
		}
		return d, reply{}, true
	}
	t, err := renewd.ParseTime(v)
	if err != nil {
		return time.Time{}, badRequest("Invalid parameter %s: %v", name, err), false
	}
	return t, reply{}, true
}

// knownTimeForm reports whether tf is a TimeForm the fake writes.
func knownTimeForm(tf TimeForm) bool {
	return slices.Contains(TimeForms, tf) || slices.Contains(MismatchTimeForms, tf)
}
