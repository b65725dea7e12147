package policy

import (
	"fmt"

	"github.com/renewd/renewd"
)

// PriceVerdict is what a rule says about a renewal at a given price.
type PriceVerdict int

const (
	// WithinCap: at or under the cap, no approval needed.
	WithinCap PriceVerdict = iota
	// NeedsApproval: within the cap, but the rule asks a person first.
	NeedsApproval
	// OverCapHold: above the cap; the rule holds it for approval.
	OverCapHold
	// OverCapRefused: above the cap; the rule refuses it.
	OverCapRefused
	// PriceUnusable: the amount is not a price renewd may pay (not
	// positive, or above renewd.MaxUcents); nothing is compared with the
	// cap and nothing may be ordered or paid at it.
	PriceUnusable
)

func (v PriceVerdict) String() string {
	switch v {
	case WithinCap:
		return "within-cap"
	case NeedsApproval:
		return "needs-approval"
	case OverCapHold:
		return "over-cap-hold"
	case OverCapRefused:
		return "over-cap-refused"
	case PriceUnusable:
		return "price-unusable"
	}
	return "unknown"
}

// CheckPrice compares a price without tax, in micro-cents, with the rule's
// cap and approval threshold. Integers only: no float is compared. An amount
// that renewd.ValidPrice refuses (zero, negative, above renewd.MaxUcents) is
// PriceUnusable, whatever the rule says: it is never WithinCap or
// NeedsApproval, so no approval can be asked or given for it either.
func CheckPrice(r Rule, price int64) PriceVerdict {
	if renewd.ValidPrice(price) != nil {
		return PriceUnusable
	}
	if price > r.MaxPrice {
		if r.OverCap == OverCapApprove {
			return OverCapHold
		}
		return OverCapRefused
	}
	switch r.Approval.Mode {
	case ApprovalAlways:
		return NeedsApproval
	case ApprovalAbove:
		if price > r.Approval.Above {
			return NeedsApproval
		}
	}
	return WithinCap
}

// PriceReason explains a price check: "P3M at 12.99 <= 30.00", "P1Y at 45.00
// > 30.00", or for an unusable amount "P1M at 0.00: not a usable price: 0.00
// is not positive".
func PriceReason(r Rule, price int64) string {
	if err := renewd.ValidPrice(price); err != nil {
		return fmt.Sprintf("%s at %s: %v", r.Period, renewd.FormatAmount(price), err)
	}
	op := "<="
	if price > r.MaxPrice {
		op = ">"
	}
	return fmt.Sprintf("%s at %s %s %s", r.Period, renewd.FormatAmount(price), op, renewd.FormatAmount(r.MaxPrice))
}
