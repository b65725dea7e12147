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
	}
	return "unknown"
}

// CheckPrice compares a price without tax, in micro-cents, with the rule's
// cap and approval threshold. Integers only: no float is compared.
func CheckPrice(r Rule, price int64) PriceVerdict {
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

// PriceReason explains a price check: "P3M at 12.99 <= 30.00", "P1Y at 45.00 > 30.00".
func PriceReason(r Rule, price int64) string {
	op := "<="
	if price > r.MaxPrice {
		op = ">"
	}
	return fmt.Sprintf("%s at %s %s %s", r.Period, renewd.FormatAmount(price), op, renewd.FormatAmount(r.MaxPrice))
}
