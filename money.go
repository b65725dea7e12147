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

// MaxUcents is the largest price renewd accepts from OVH: 10^15 micro-cents,
// 10,000,000 units of a currency. Larger amounts are taken for garbage, never
// for a price:
//   - it is below 2^53, so every accepted amount converts from OVH's JSON
//     double (order.Price value) exactly to the micro-cent;
//   - about 9,000 of them sum without overflowing an int64, and AddUcents
//     checks every sum anyway;
//   - it is far above any single renewal of one service in EUR, GBP, USD,
//     CAD or PLN. In a currency of small units (XOF, INR) a renewal above
//     the equivalent of about 15,000 EUR would be refused as unusable and
//     reported: the failure is closed, never a payment.
const MaxUcents int64 = 1_000_000_000_000_000

// ErrUnusablePrice marks an amount that must never be compared with a cap or
// paid: not positive, above MaxUcents, not finite, missing, or sent twice
// in forms that disagree.
var ErrUnusablePrice = errors.New("not a usable price")

// ValidPrice returns nil for a price renewd may compare with a cap and pay:
// positive and at most MaxUcents. Otherwise an error wrapping
// ErrUnusablePrice says why. A zero price is unusable: OVH sends 0 where it
// has no price, and a free renewal is rare enough to be renewed by hand.
func ValidPrice(ucents int64) error {
	switch {
	case ucents <= 0:
		return fmt.Errorf("%w: %s is not positive", ErrUnusablePrice, FormatAmount(ucents))
	case ucents > MaxUcents:
		return fmt.Errorf("%w: %s is above the maximum of %s", ErrUnusablePrice, FormatAmount(ucents), FormatAmount(MaxUcents))
	}
	return nil
}

// ErrAmountRange is returned for an amount or a sum that does not fit in an
// int64 of micro-cents, or that is not a finite number.
var ErrAmountRange = errors.New("amount out of range")

// UcentsFromFloat converts a price that OVH sent as a JSON double (order.Price
// value) to micro-cents, rounding to the nearest micro-cent. OVH prices have
// at most a few decimals, so rounding recovers the exact amount up to
// MaxUcents. NaN, an infinity, or an amount whose micro-cents do not fit in
// an int64 is an error wrapping ErrAmountRange, never a wrapped-around
// number. The result is not checked with ValidPrice: callers do that.
func UcentsFromFloat(v float64) (int64, error) {
	r := math.Round(v * UcentsPerUnit)
	// float64(math.MaxInt64) is 2^63, which does not fit; -2^63 does.
	if math.IsNaN(r) || r >= math.MaxInt64 || r < math.MinInt64 {
		return 0, fmt.Errorf("%w: %g", ErrAmountRange, v)
	}
	return int64(r), nil
}

// AddUcents returns a+b, or an error wrapping ErrAmountRange when the sum
// overflows an int64. Sums of money (a month's spending, a budget) use it so
// that an absurd amount can never wrap around to a small or negative one.
func AddUcents(a, b int64) (int64, error) {
	s := a + b
	if (b > 0 && s < a) || (b < 0 && s > a) {
		return 0, fmt.Errorf("%w: %s + %s", ErrAmountRange, FormatAmount(a), FormatAmount(b))
	}
	return s, nil
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
	mag := uint64(ucents)
	if ucents < 0 {
		sign, mag = "-", -mag // in uint64, so that math.MinInt64 has its magnitude too
	}
	whole, frac := mag/UcentsPerUnit, mag%UcentsPerUnit
	fs := fmt.Sprintf("%08d", frac)
	fs = strings.TrimRight(fs, "0")
	for len(fs) < 2 {
		fs += "0"
	}
	return fmt.Sprintf("%s%d.%s", sign, whole, fs)
}
