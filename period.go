package renewd

import (
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// Period is an ISO 8601 calendar period such as P1M, P3M, P1Y or P2Y, the
// form OVH uses for renewal durations. The zero value is invalid.
type Period struct {
	Years, Months, Days int
}

var periodRE = regexp.MustCompile(`^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$`)

// ParsePeriod reads an ISO 8601 date period (years, months, weeks, days; no
// time part). It refuses an empty period such as "P" or "P0M".
func ParsePeriod(s string) (Period, error) {
	m := periodRE.FindStringSubmatch(s)
	if m == nil {
		return Period{}, fmt.Errorf("%q is not an ISO 8601 period such as P1M, P3M or P1Y", s)
	}
	var bad bool
	n := func(i int) int {
		if m[i] == "" {
			return 0
		}
		v, err := strconv.Atoi(m[i])
		if err != nil || v > 10_000 {
			bad = true
		}
		return v
	}
	p := Period{Years: n(1), Months: n(2), Days: n(3)*7 + n(4)}
	if bad {
		return Period{}, fmt.Errorf("%q is too long a period", s)
	}
	if p.IsZero() {
		return Period{}, fmt.Errorf("%q is an empty period", s)
	}
	return p, nil
}

// IsZero reports whether the period adds nothing.
func (p Period) IsZero() bool { return p.Years == 0 && p.Months == 0 && p.Days == 0 }

// AddTo returns t moved forward by the period, on the calendar.
func (p Period) AddTo(t time.Time) time.Time { return t.AddDate(p.Years, p.Months, p.Days) }

// String returns the canonical ISO 8601 form: years and months folded as OVH
// writes them (P12M is P1Y), e.g. "P1Y", "P3M", "P1Y6M", "P14D".
func (p Period) String() string {
	y, mo := p.Years+p.Months/12, p.Months%12
	s := "P"
	if y != 0 {
		s += strconv.Itoa(y) + "Y"
	}
	if mo != 0 {
		s += strconv.Itoa(mo) + "M"
	}
	if p.Days != 0 {
		s += strconv.Itoa(p.Days) + "D"
	}
	if s == "P" {
		return "P0D"
	}
	return s
}

// Equal reports whether two periods renew for the same calendar length
// (P12M equals P1Y).
func (p Period) Equal(q Period) bool { return p.String() == q.String() }

// OVHIntervals are the renewal periods OVH offers (service.renew.Interval,
// ovh-api.md), in renewd's canonical spelling. A rule asking for any other
// would never find a strategy: check-config refuses it.
var OVHIntervals = []string{"P1M", "P3M", "P6M", "P1Y", "P2Y", "P3Y"}

// OVHInterval reports whether OVH offers renewals for this period (P12M is
// P1Y, so it is).
func (p Period) OVHInterval() bool {
	s := p.String()
	for _, v := range OVHIntervals {
		if s == v {
			return true
		}
	}
	return false
}
