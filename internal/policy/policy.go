// Package policy holds the operator's renewal rules and the pure decision
// that applies them to one service: which rule covers it, whether it is due,
// and what renewd should do. Nothing here does I/O or reads the clock; the
// caller passes the time in.
package policy

import (
	"path"
	"slices"
	"time"

	"github.com/renewd/renewd"
)

// Action is what a rule asks renewd to do with a due service.
type Action int

const (
	// ActionRenew orders and pays the renewal.
	ActionRenew Action = iota + 1
	// ActionNotify reports the due service and does nothing else.
	ActionNotify
	// ActionIgnore leaves the service alone, silently.
	ActionIgnore
)

// ParseAction reads the config word for an action.
func ParseAction(s string) (Action, bool) {
	switch s {
	case "renew":
		return ActionRenew, true
	case "notify":
		return ActionNotify, true
	case "ignore":
		return ActionIgnore, true
	}
	return 0, false
}

func (a Action) String() string {
	switch a {
	case ActionRenew:
		return "renew"
	case ActionNotify:
		return "notify"
	case ActionIgnore:
		return "ignore"
	}
	return "none"
}

// Match selects services. Every field that is set must match; an empty Match
// covers every service.
type Match struct {
	Account    string  // the configured account name
	Type       string  // the service type (route without the name): vps, domain, hosting/web
	Name       string  // a glob (path.Match syntax) on the service name
	ServiceIDs []int64 // any of these ids
}

// Matches reports whether the service is selected. A malformed glob matches
// nothing; the config validates globs before they get here.
func (m Match) Matches(s renewd.Service) bool {
	if m.Account != "" && m.Account != s.Account {
		return false
	}
	if m.Type != "" && m.Type != s.Type {
		return false
	}
	if m.Name != "" {
		if ok, err := path.Match(m.Name, s.Name); err != nil || !ok {
			return false
		}
	}
	if len(m.ServiceIDs) > 0 && !slices.Contains(m.ServiceIDs, s.ID) {
		return false
	}
	return true
}

// ApprovalMode says when a renewal waits for a person's approval.
type ApprovalMode int

const (
	ApprovalNever  ApprovalMode = iota // renew without asking
	ApprovalAlways                     // ask for every renewal
	ApprovalAbove                      // ask when the price (without tax) is above Approval.Above
)

// Approval is a rule's approval requirement.
type Approval struct {
	Mode  ApprovalMode
	Above int64 // micro-cents, for ApprovalAbove
}

// OverCap says what happens to a renewal whose price is above the cap.
type OverCap int

const (
	// OverCapRefuse refuses the renewal and reports it (the default).
	OverCapRefuse OverCap = iota
	// OverCapApprove holds it for a person's approval.
	OverCapApprove
)

// Rule is one policy rule as the config gives it.
type Rule struct {
	Name        string
	Match       Match
	Action      Action
	RenewBefore time.Duration // how long before expiry the service is due
	Period      renewd.Period // renewal period, for ActionRenew
	MaxPrice    int64         // cap in micro-cents without tax, in the account's currency
	Payment     renewd.PaymentForm
	Approval    Approval
	OverCap     OverCap
	// AllowBundle lets renewd pay a strategy that renews other services with
	// this one (a hosting sold with its domain). Off by default: OVH's guide
	// picks the strategy whose services are exactly this one.
	AllowBundle bool
}

// Policy is the ordered rule list plus the window in which services that no
// rule renews are still worth a report.
type Policy struct {
	Rules []Rule
	// ReportWithin is how close to expiry a service that no rule covers gets
	// reported: as uncovered, or for information when OVH renews it
	// automatically. Covered services are reported from their rule's window.
	ReportWithin time.Duration
}

// Covering returns the first rule that matches the service, or nil.
func (p Policy) Covering(s renewd.Service) *Rule {
	for i := range p.Rules {
		if p.Rules[i].Match.Matches(s) {
			return &p.Rules[i]
		}
	}
	return nil
}
