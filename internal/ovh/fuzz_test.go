package ovh

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/renewd/renewd"
)

// The fuzz targets below feed arbitrary bytes to every decoder of an OVH
// answer, grouped by what they decode so that CI runs four targets, not a
// dozen (.ci/fuzz-ovh). Seeds are in testdata/fuzz/<target>/, taken from
// the example payloads of ovh-api.md. Each checks that decoding never
// panics and what must hold whatever the bytes: a service with a Problem
// carries no expiration, a service without one carries only an expiration
// that its answer really holds, and no usable price comes out of an answer
// that an independent reading (exact rationals, below) does not find usable.

// FuzzServiceAnswers decodes the bytes as each route's service answer: GET
// /service/{id}, a /services object, a batch answer for ids 7 and 8, and
// an expanded page (or a listing of ids).
func FuzzServiceAnswers(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		s := decodeService(data, "acc", 7)
		if s.ID != 7 || s.Account != "acc" {
			t.Fatalf("decodeService lost the id: %+v", s)
		}
		checkFuzzedService(t, s, data, "expirationDate")
		if e, ok := decodeExpandedService(data, "acc"); ok {
			if e.ID <= 0 {
				t.Fatalf("expanded service with id %d", e.ID)
			}
			checkFuzzedService(t, e, data, "billing", "expirationDate")
		}

		ids := []int64{7, 8}
		got, left, ok := decodeBatch(data, "acc", ids)
		seen := map[int64]bool{}
		for _, s := range got {
			if s.ID != 7 && s.ID != 8 || seen[s.ID] {
				t.Fatalf("batch gave service %d (ids %v, seen %v)", s.ID, ids, seen)
			}
			seen[s.ID] = true
			checkProblem(t, s)
			if s.Problem == "" && !s.Expiration.IsZero() && !batchHolds(data, s) {
				t.Fatalf("batch service %d expires %s, which no item for it says", s.ID, s.Expiration)
			}
		}
		for _, id := range left {
			if seen[id] {
				t.Fatalf("id %d both read and left to read", id)
			}
			seen[id] = true
		}
		if ok && len(seen) != len(ids) {
			t.Fatalf("batch read %v and left %v: an id was lost", got, left)
		}

		var items []json.RawMessage
		if json.Unmarshal(data, &items) == nil {
			for _, raw := range items {
				if e, ok := decodeExpandedService(raw, "acc"); ok {
					checkFuzzedService(t, e, raw, "billing", "expirationDate")
				}
			}
			total, _ := strconv.Atoi(string(data[:min(len(data), 3)]))
			res := idListing(items, total, len(data)%2 == 0)
			for _, id := range res.ids {
				if id <= 0 {
					t.Fatalf("id listing gave id %d", id)
				}
			}
			if res.ids != nil && len(res.ids) != len(items) {
				t.Fatalf("id listing kept %d of %d ids", len(res.ids), len(items))
			}
		}
	})
}

// checkProblem: a service with a Problem is never decided.
func checkProblem(t *testing.T, s renewd.Service) {
	t.Helper()
	if s.Problem == "" {
		return
	}
	if !s.Expiration.IsZero() || s.RenewMode != renewd.RenewUnknown {
		t.Fatalf("service with Problem %q has expiration %s, mode %v", s.Problem, s.Expiration, s.RenewMode)
	}
	if len(s.Problem) > maxProblemLen || !utf8.ValidString(s.Problem) {
		t.Fatalf("Problem too long or not UTF-8: %q", s.Problem)
	}
}

// checkFuzzedService: the expiration of a service without a Problem is the
// one its answer holds at path, read by ParseDate.
func checkFuzzedService(t *testing.T, s renewd.Service, data []byte, path ...string) {
	t.Helper()
	checkProblem(t, s)
	if s.Problem != "" {
		return
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("no Problem for an answer that is not JSON: %v", err)
	}
	for _, p := range path {
		obj, ok := v.(map[string]any)
		if !ok {
			if !s.Expiration.IsZero() {
				t.Fatalf("expiration %s from an answer without %v", s.Expiration, path)
			}
			return
		}
		if v, ok = lastKey(obj, p); !ok {
			return
		}
	}
	str, _ := v.(string)
	if s.Expiration.IsZero() {
		if str != "" {
			t.Fatalf("expiration %q read as none", str)
		}
		return
	}
	if d, err := renewd.ParseDate(str); err != nil || d != s.Expiration {
		t.Fatalf("expiration %s, but the answer says %q", s.Expiration, str)
	}
}

// lastKey is obj[k] as encoding/json finds it: keys match without regard to
// case. ok is false when several keys match: which one encoding/json took
// depends on their order, which a map forgets, so nothing can be checked.
func lastKey(obj map[string]any, k string) (v any, ok bool) {
	n := 0
	for key, val := range obj {
		if strings.EqualFold(key, k) {
			v, n = val, n+1
		}
	}
	return v, n <= 1
}

// batchHolds reports whether some item of a batch answer for s.ID holds
// s's expiration.
func batchHolds(data []byte, s renewd.Service) bool {
	if bytes.HasPrefix(bytes.TrimSpace(data), []byte("{")) {
		return decodeService(data, "acc", s.ID).Expiration == s.Expiration
	}
	var items []json.RawMessage
	if json.Unmarshal(data, &items) != nil {
		return false
	}
	for _, raw := range items {
		var it batchItem
		if decodeObject(raw, &it) != "" {
			continue
		}
		if id, ok := batchKey(it.Key); ok && id == s.ID && decodeService(it.Value, "acc", id).Expiration == s.Expiration {
			return true
		}
	}
	return false
}

// FuzzPriceAnswers decodes the bytes as an order.Price (beside a strategy's
// own priceInUcents), as a tax, as a GET /service/{id}/renew answer and as
// an order (RenewOrder, billing.Order).
func FuzzPriceAnswers(f *testing.F) {
	f.Fuzz(func(t *testing.T, price, outer []byte) {
		m, err := readPrice(price, outer, pricePositive)
		checkFuzzedPrice(t, m, err, price, outer, false)
		m, err = readPrice(price, nil, priceTax)
		checkFuzzedPrice(t, m, err, price, nil, true)

		if strategies, _, err := decodeStrategies(price); err == nil {
			for _, s := range strategies {
				if s.PriceErr == nil && renewd.ValidPrice(s.Price.Ucents) != nil {
					t.Fatalf("strategy usable at %d", s.Price.Ucents)
				}
				if s.PriceErr != nil && s.Price.Ucents != 0 {
					t.Fatalf("unusable strategy kept %d", s.Price.Ucents)
				}
				if s.Period.IsZero() || s.PeriodText == "" || len(s.Services) == 0 {
					t.Fatalf("strategy without period or services: %+v", s)
				}
			}
		}
		if o, err := decodeOrder(price); err == nil {
			if o.PriceErr == nil {
				if renewd.ValidPrice(o.WithoutTax.Ucents) != nil || renewd.ValidPrice(o.WithTax.Ucents) != nil ||
					o.WithTax.Ucents < o.WithoutTax.Ucents {
					t.Fatalf("order usable at %v / %v", o.WithoutTax, o.WithTax)
				}
			} else if o.WithoutTax.Ucents != 0 || o.WithTax.Ucents != 0 || o.Tax.Ucents != 0 {
				t.Fatalf("unusable order kept amounts %v %v %v", o.WithoutTax, o.WithTax, o.Tax)
			}
		}
	})
}

var currencyRE = regexp.MustCompile(`^(?:[A-Za-z]{1,8}|N/A)$`)

// checkFuzzedPrice checks readPrice's verdict against an independent
// reading of the same bytes with exact rationals.
func checkFuzzedPrice(t *testing.T, m renewd.Money, err error, price, outer []byte, tax bool) {
	t.Helper()
	if err != nil {
		if !errors.Is(err, renewd.ErrUnusablePrice) || m.Ucents != 0 {
			t.Fatalf("unusable price: %v, amount %d", err, m.Ucents)
		}
		return
	}
	if !(tax && m.Ucents == 0) && renewd.ValidPrice(m.Ucents) != nil {
		t.Fatalf("usable price %d", m.Ucents)
	}
	obj := map[string]any{}
	if !isJSONNull(price) {
		var v any
		dec := json.NewDecoder(bytes.NewReader(price))
		dec.UseNumber()
		if dec.Decode(&v) != nil {
			t.Fatalf("usable price from bytes that are not JSON: %q", price)
		}
		var ok bool
		if obj, ok = v.(map[string]any); !ok {
			t.Fatalf("usable price from a JSON value that is not an object: %q", price)
		}
	} else if isJSONNull(outer) {
		t.Fatalf("usable price %d from nothing", m.Ucents)
	}
	field := func(k string) any {
		v, ok := lastKey(obj, k)
		if !ok {
			t.Skip("keys that differ only in case: encoding/json keeps the last, a map cannot tell which")
		}
		return v
	}
	amount := new(big.Rat).SetInt64(m.Ucents)
	exact := 0 // priceInUcents sent, each equal to the amount
	check := func(v any, what string) {
		if v == nil {
			return
		}
		n, ok := v.(json.Number)
		r, ok2 := new(big.Rat).SetString(string(n))
		if !ok || !ok2 || !r.IsInt() || r.Cmp(amount) != 0 {
			t.Fatalf("usable price %d, but %s is %v", m.Ucents, what, v)
		}
		exact++
	}
	check(field("priceInUcents"), "priceInUcents")
	if !isJSONNull(outer) {
		var v any
		dec := json.NewDecoder(bytes.NewReader(outer))
		dec.UseNumber()
		if dec.Decode(&v) != nil {
			t.Fatalf("usable price beside an outer priceInUcents that is not JSON: %q", outer)
		}
		check(v, "the strategy's priceInUcents")
	}
	if v := field("value"); v != nil {
		n, ok := v.(json.Number)
		r, ok2 := new(big.Rat).SetString(string(n))
		if !ok || !ok2 {
			t.Fatalf("usable price %d, but value is %v", m.Ucents, v)
		}
		r.Mul(r, big.NewRat(renewd.UcentsPerUnit, 1))
		diff := new(big.Rat).Sub(r, amount)
		diff.Abs(diff)
		// Beside a priceInUcents, value is less than a cent away (plus the
		// half micro-cent of its own rounding); alone, it is the amount,
		// rounded to the micro-cent.
		if exact > 0 && diff.Cmp(big.NewRat(cent+1, 1)) >= 0 || exact == 0 && diff.Cmp(big.NewRat(1, 1)) > 0 {
			t.Fatalf("usable price %d, but value %s is %s micro-cents away", m.Ucents, n, diff.FloatString(2))
		}
	} else if exact == 0 {
		t.Fatalf("usable price %d with neither value nor priceInUcents", m.Ucents)
	}
	if v := field("currencyCode"); v != nil {
		if s, ok := v.(string); !ok || !currencyRE.MatchString(s) {
			t.Fatalf("usable price in currency %v", v)
		}
	}
}

// FuzzOrderAnswers decodes the bytes as an order line, its extension and an
// order status, and matches the line.
func FuzzOrderAnswers(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		item, err := decodeOrderDetail(data, 10)
		if err == nil {
			if item.DetailID != 10 {
				t.Fatalf("detail id %d", item.DetailID)
			}
			if item.Action, item.Duration, err = decodeItemExtension(data); err == nil {
				if item.Renews(item.Domain, renewd.Period{Years: 1}) && (item.Cancelled || item.Domain == "") {
					t.Fatalf("a cancelled or nameless line renews: %+v", item)
				}
			}
		}
		status, err := decodeOrderStatus(data)
		if err != nil {
			return
		}
		var s string
		if json.Unmarshal(data, &s) != nil || OrderStatus(s) != status {
			t.Fatalf("status %q from %q", status, data)
		}
		n := 0
		for _, b := range []bool{status.Unpaid(), status.Paid(), status.Gone()} {
			if b {
				n++
			}
		}
		if n > 1 || status.Unpaid() != (status == "notPaid") {
			t.Fatalf("status %q is in %d classes (unpaid %v)", status, n, status.Unpaid())
		}
	})
}

// FuzzParseDate checks the expiration parser: every date and RFC 3339 time
// of years 1 to 9999 (year 0 is refused: no service expires then) reads, as
// the calendar date it writes, in its own offset.
func FuzzParseDate(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		d, err := renewd.ParseDate(s)
		// The date time.Parse reads, in the value's own offset. (Not
		// renewd.DateOf: 0001-01-01T00:00:00Z is the zero time, "no date".)
		dateOf := func(tm time.Time) renewd.Date {
			y, m, day := tm.Date()
			return renewd.Date{Year: y, Month: m, Day: day}
		}
		if tm, perr := time.Parse(time.RFC3339Nano, s); perr == nil && tm.Year() >= 1 {
			if err != nil || d != dateOf(tm) {
				t.Fatalf("ParseDate(%q) = %v, %v; time.Parse reads %v", s, d, err, tm)
			}
		}
		if tm, perr := time.Parse(time.DateOnly, s); perr == nil && tm.Year() >= 1 {
			if err != nil || d != dateOf(tm) {
				t.Fatalf("ParseDate(%q) = %v, %v; time.Parse reads %v", s, d, err, tm)
			}
		}
		if err != nil {
			return
		}
		if d.IsZero() || d.String() != s[:10] || d != renewd.MustDate(d.String()) {
			t.Fatalf("ParseDate(%q) = %v, which is not the date it writes", s, d)
		}
	})
}
