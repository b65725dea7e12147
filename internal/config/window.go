package config

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"time"
)

var (
	shortWindowRE = regexp.MustCompile(`^(?:\d+[ywdhms])+$`)
	shortPartRE   = regexp.MustCompile(`(\d+)([ywdhms])`)
	isoWindowRE   = regexp.MustCompile(`^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$`)
)

var shortUnits = map[string]time.Duration{
	"y": Year, "w": 7 * Day, "d": Day, "h": time.Hour, "m": time.Minute, "s": time.Second,
}

// ParseWindow reads a non-negative length of time as the config writes it:
// a number and a unit, possibly repeated (14d, 36h, 90m, 2w, 3y, 1d12h, 30s;
// y = 365 days, m = minutes), an ISO 8601 duration without months (P14D,
// PT36H, P1DT12H, P1Y = 365 days), or "0". Months are refused: they have no
// fixed length.
func ParseWindow(s string) (time.Duration, error) {
	switch {
	case s == "0":
		return 0, nil
	case shortWindowRE.MatchString(s):
		var total time.Duration
		for _, m := range shortPartRE.FindAllStringSubmatch(s, -1) {
			var err error
			if total, err = addWindow(s, total, m[1], shortUnits[m[2]]); err != nil {
				return 0, err
			}
		}
		return total, nil
	case len(s) > 1 && s[len(s)-1] != 'T' && isoWindowRE.MatchString(s):
		m := isoWindowRE.FindStringSubmatch(s)
		if m[2] != "" {
			return 0, fmt.Errorf("%q counts months, which have no fixed length; write days, e.g. P30D or 30d", s)
		}
		units := []time.Duration{Year, 0, 7 * Day, Day, time.Hour, time.Minute, time.Second}
		var total time.Duration
		for i, unit := range units {
			if m[i+1] == "" || unit == 0 {
				continue
			}
			var err error
			if total, err = addWindow(s, total, m[i+1], unit); err != nil {
				return 0, err
			}
		}
		return total, nil
	}
	return 0, fmt.Errorf("%q is not a duration such as 14d, 36h, 90m, 2w or P14D", s)
}

// addWindow adds digits times unit to total, refusing an overflow.
func addWindow(s string, total time.Duration, digits string, unit time.Duration) (time.Duration, error) {
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || n > int64(math.MaxInt64/unit) || total > math.MaxInt64-time.Duration(n)*unit {
		return 0, fmt.Errorf("%q is too long a duration", s)
	}
	return total + time.Duration(n)*unit, nil
}

// formatWindow writes a duration in the largest unit ParseWindow reads back
// exactly: 365d is "1y", 336h is "14d".
func formatWindow(d time.Duration) string {
	for _, u := range []struct {
		unit time.Duration
		name string
	}{{Year, "y"}, {Day, "d"}, {time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}} {
		if d != 0 && d%u.unit == 0 {
			return strconv.FormatInt(int64(d/u.unit), 10) + u.name
		}
	}
	return d.String()
}
