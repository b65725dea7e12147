package ovh

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"github.com/renewd/renewd"
)

// cent is one cent, in micro-cents.
const cent = renewd.UcentsPerUnit / 100

// priceKind says which amounts a price may hold.
type priceKind int

const (
	// pricePositive is a price to compare with a cap or to pay:
	// renewd.ValidPrice must accept it.
	pricePositive priceKind = iota
	// priceTax is a tax: zero is allowed (reverse charge, no VAT), otherwise
	// as pricePositive.
	priceTax
)

// wirePrice is order.Price. Its amounts are kept raw so that a field of the
// wrong type, an absurd number or a missing field is told apart from a
// price, and reported, instead of reading as 0 or failing the whole answer.
type wirePrice struct {
	CurrencyCode  json.RawMessage `json:"currencyCode"`
	Value         json.RawMessage `json:"value"`
	PriceInUcents json.RawMessage `json:"priceInUcents"`
	// text ("45.44 €") is for people; renewd does not read it.
}

// readPrice decodes an order.Price object into an amount and a verdict. outer
// is a second priceInUcents sent beside the object (a renewal strategy's own
// priceInUcents), nil when there is none. The amount is priceInUcents when
// sent (it is exact), else value. The price is usable only when:
//   - the object is an object, and at least one amount is sent (null counts
//     as not sent);
//   - value is a JSON number whose micro-cents fit in an int64 (read exactly
//     from its decimal text when it has at most eight decimals, else through
//     renewd.UcentsFromFloat), and each priceInUcents is a JSON whole number;
//   - every priceInUcents sent is the same number, and value, when sent
//     beside one, is less than one cent away from it. A difference under a
//     cent is value rounded for display; a cent or more means one of them is
//     not the price, and renewd cannot know which;
//   - currencyCode, when sent, is a short code such as EUR (N/A reads as "");
//   - the amount passes renewd.ValidPrice (a tax may also be zero).
//
// Otherwise the error wraps renewd.ErrUnusablePrice and quotes what OVH
// sent, and the Money's Ucents is 0, so that nothing can compare or sum it
// by mistake. The Currency is kept when it could be read.
func readPrice(raw, outer json.RawMessage, kind priceKind) (renewd.Money, error) {
	// m.Ucents stays 0 until the very end, so every failure returns 0.
	fail := func(m renewd.Money, format string, args ...any) (renewd.Money, error) {
		return m, fmt.Errorf("%w: %s", renewd.ErrUnusablePrice, fmt.Sprintf(format, args...))
	}
	var m renewd.Money
	raw = bytes.TrimSpace(raw)
	if isJSONNull(raw) {
		if isJSONNull(outer) {
			return fail(m, "no price sent")
		}
		raw = []byte("{}") // a strategy's priceInUcents alone
	}
	var w wirePrice
	if problem := decodeObject(raw, &w); problem != "" {
		return fail(m, "price: %s", problem)
	}
	if !isJSONNull(w.CurrencyCode) {
		var code string
		if err := json.Unmarshal(w.CurrencyCode, &code); err != nil || !currencyCode(code) {
			return fail(m, "currencyCode %s is not a currency code", describeValue(w.CurrencyCode))
		}
		if code != "N/A" {
			m.Currency = code
		}
	}
	value, hasValue, err := readValue(w.Value)
	if err != nil {
		return fail(m, "%v", err)
	}
	ucents, hasUcents, err := readUcents(w.PriceInUcents, "priceInUcents")
	if err != nil {
		return fail(m, "%v", err)
	}
	outerUcents, hasOuter, err := readUcents(outer, "the strategy's priceInUcents")
	if err != nil {
		return fail(m, "%v", err)
	}
	switch {
	case hasUcents && hasOuter && ucents != outerUcents:
		return fail(m, "priceInUcents %d and the strategy's priceInUcents %d disagree", ucents, outerUcents)
	case hasOuter && !hasUcents:
		ucents, hasUcents = outerUcents, true
	}
	var amount int64
	switch {
	case hasUcents:
		amount = ucents
	case hasValue:
		amount = value
	default:
		return fail(m, "neither value nor priceInUcents sent")
	}
	if !(kind == priceTax && amount == 0) {
		if err := renewd.ValidPrice(amount); err != nil {
			return fail(m, "%s", unwrapUnusable(err))
		}
	}
	// amount is now within [0, MaxUcents], so amount +/- cent cannot overflow.
	if hasValue && hasUcents && (value <= amount-cent || value >= amount+cent) {
		return fail(m, "value %s and priceInUcents %d (%s) disagree by a cent or more",
			renewd.FormatAmount(value), amount, renewd.FormatAmount(amount))
	}
	m.Ucents = amount
	return m, nil
}

// unwrapUnusable drops renewd.ErrUnusablePrice's own words from a
// ValidPrice error, which readPrice wraps again.
func unwrapUnusable(err error) string {
	s := err.Error()
	prefix := renewd.ErrUnusablePrice.Error() + ": "
	if len(s) > len(prefix) && s[:len(prefix)] == prefix {
		return s[len(prefix):]
	}
	return s
}

// currencyCode accepts OVH's order.CurrencyCodeEnum and codes like it: one
// to eight ASCII letters, or N/A.
func currencyCode(s string) bool {
	if s == "N/A" {
		return true
	}
	if len(s) == 0 || len(s) > 8 {
		return false
	}
	for _, r := range s {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z') {
			return false
		}
	}
	return true
}

// readValue reads order.Price value (a double) as micro-cents: exactly from
// its decimal text when it has at most eight decimals and no exponent, else
// rounded through renewd.UcentsFromFloat. Absent or null is not sent.
func readValue(raw json.RawMessage) (int64, bool, error) {
	if isJSONNull(raw) {
		return 0, false, nil
	}
	text := string(bytes.TrimSpace(raw))
	if !isJSONNumber(raw) || !json.Valid(raw) {
		return 0, false, fmt.Errorf("value %s is not a number", describeValue(raw))
	}
	if u, err := renewd.ParseAmount(text); err == nil {
		return u, true, nil
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return 0, false, fmt.Errorf("value %s is out of range", quote(text))
	}
	u, err := renewd.UcentsFromFloat(f)
	if err != nil {
		return 0, false, fmt.Errorf("value %s is out of range", quote(text))
	}
	return u, true, nil
}

// readUcents reads a priceInUcents: a JSON whole number that fits in an
// int64. A number written with a fraction or an exponent is accepted when it
// is whole and below 2^53 (where a double is still exact). Absent or null is
// not sent.
func readUcents(raw json.RawMessage, name string) (int64, bool, error) {
	if isJSONNull(raw) {
		return 0, false, nil
	}
	text := string(bytes.TrimSpace(raw))
	if !isJSONNumber(raw) || !json.Valid(raw) {
		return 0, false, fmt.Errorf("%s %s is not a number", name, describeValue(raw))
	}
	if v, err := strconv.ParseInt(text, 10, 64); err == nil {
		return v, true, nil
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || math.Abs(f) > 1<<53 || f != math.Trunc(f) {
		return 0, false, fmt.Errorf("%s %s is not a whole number of micro-cents in range", name, quote(text))
	}
	return int64(f), true, nil
}
