package renewd

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// UcentsPerUnit is how many micro-cents (OVH's "priceInUcents") make one unit
// of a currency: 100 cents of 1,000,000 micro-cents each.
const UcentsPerUnit = 100_000_000

// Money is an exact amount in micro-cents of a currency, the unit OVH uses in
// priceInUcents. Amounts are compared as integers, never as floats. An empty
// Currency means "the account's currency" (a cap written in the config).
type Money struct {
	Ucents   int64
	Currency string
}

// ErrBadAmount is returned for an amount that is not a plain decimal number.
var ErrBadAmount = errors.New("not a decimal amount such as 12.99")

// ParseAmount reads a decimal amount such as "30", "30.5" or "12.99" exactly,
// without going through a float. At most eight decimals are accepted (the
// precision of a micro-cent). Negative amounts are accepted here; callers that
// need a positive amount check the sign.
func ParseAmount(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, ErrBadAmount
	}
	neg := false
	switch s[0] {
	case '-':
		neg, s = true, s[1:]
	case '+':
		s = s[1:]
	}
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" && frac == "" || hasDot && frac == "" || len(frac) > 8 {
		return 0, ErrBadAmount
	}
	if whole == "" {
		whole = "0"
	}
	for _, part := range []string{whole, frac} {
		for _, r := range part {
			if r < '0' || r > '9' {
				return 0, ErrBadAmount
			}
		}
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, ErrBadAmount
	}
	f := int64(0)
	if frac != "" {
		f, _ = strconv.ParseInt((frac + "00000000")[:8], 10, 64)
	}
	if w > (math.MaxInt64-f)/UcentsPerUnit {
		return 0, ErrBadAmount
	}
	v := w*UcentsPerUnit + f
	if neg {
		v = -v
	}
	return v, nil
}

// UcentsFromFloat converts a price that OVH sent as a JSON double (order.Price
// value) to micro-cents, rounding to the nearest micro-cent. OVH prices have
// at most a few decimals, so rounding recovers the exact amount.
func UcentsFromFloat(v float64) int64 {
	return int64(math.Round(v * UcentsPerUnit))
}

// String formats the amount with two decimals (more when the amount has
// sub-cent precision) and the currency, e.g. "12.99 EUR".
func (m Money) String() string {
	s := FormatAmount(m.Ucents)
	if m.Currency != "" {
		s += " " + m.Currency
	}
	return s
}

// FormatAmount formats micro-cents as a decimal with at least two decimals.
func FormatAmount(ucents int64) string {
	sign := ""
	if ucents < 0 {
		sign, ucents = "-", -ucents
	}
	whole, frac := ucents/UcentsPerUnit, ucents%UcentsPerUnit
	fs := fmt.Sprintf("%08d", frac)
	fs = strings.TrimRight(fs, "0")
	for len(fs) < 2 {
		fs += "0"
	}
	return fmt.Sprintf("%s%d.%s", sign, whole, fs)
}
