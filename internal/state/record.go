package state

import (
	"slices"
	"time"

	"github.com/renewd/renewd"
)

// Record is the ledger's knowledge of one term: what was decided, quoted,
// approved, ordered and paid, and where it stands now. It is stored as JSON
// in the `terms` bucket under Term.String(); the JSON names are part of the
// schema (see VERSION.md).
//
// A delivered record past Options.FoldAfter is kept by Prune in its settled
// form (compact.go): its working fields (quote, cap, payment form, intents,
// order expiry, Approval, attempts, LastError, Reason, Created) are zero,
// and its history's summary event holds their audit.
type Record struct {
	Term        renewd.Term `json:"term"`
	ServiceName string      `json:"serviceName,omitempty"`
	ServiceType string      `json:"serviceType,omitempty"`
	Rule        string      `json:"rule,omitempty"` // the policy rule that decided

	Status   Status  `json:"status"`
	Period   string  `json:"period,omitempty"`   // ISO 8601 renewal period: P1M, P1Y
	Services []int64 `json:"services,omitempty"` // the strategy's services (a bundle has several)

	CapUcents          int64              `json:"capUcents,omitempty"` // the cap in force when quoted
	Currency           string             `json:"currency,omitempty"`
	QuoteUcents        int64              `json:"quoteUcents,omitempty"`
	QuoteWithTaxUcents int64              `json:"quoteWithTaxUcents,omitempty"`
	Payment            renewd.PaymentForm `json:"payment,omitzero"`

	// IntentAt is when `ordering` was written: the lower bound for
	// GET /me/order?date.from= when reconciling. Transition sets it on
	// entering ordering.
	IntentAt           time.Time `json:"intentAt,omitzero"`
	OrderID            int64     `json:"orderId,omitempty"`
	OrderUcents        int64     `json:"orderUcents,omitempty"`
	OrderWithTaxUcents int64     `json:"orderWithTaxUcents,omitempty"`
	OrderExpires       time.Time `json:"orderExpires,omitzero"` // the unpaid order's own expiry
	// PayIntentAt is when `paying` was written. Transition sets it on
	// entering paying.
	PayIntentAt time.Time `json:"payIntentAt,omitzero"`
	// LastMoneyStep is the last money-moving status entered (ordering,
	// ordered or paying). A failed record keeps it, so MoneyInFlight still
	// holds after a failure whose outcome at OVH is unknown. Transition
	// maintains it; every other status clears it.
	LastMoneyStep Status `json:"lastMoneyStep,omitempty"`

	// PaidAt is when the payment was recorded; Transition sets it to now on
	// entering paid unless mutate set it. SpentSince sums by it.
	PaidAt time.Time `json:"paidAt,omitzero"`
	// DeliveredAt is set to now on entering delivered unless mutate set it.
	DeliveredAt   time.Time   `json:"deliveredAt,omitzero"`
	NewExpiration renewd.Date `json:"newExpiration,omitzero"`

	// Approval is the current approval request, nil when none was asked.
	// A re-ask replaces it with a new one (new ID); the old ID is then
	// superseded.
	Approval *Approval `json:"approval,omitempty"`

	Attempts    int       `json:"attempts,omitempty"`   // failures so far; Transition counts them
	NextAttempt time.Time `json:"nextAttempt,omitzero"` // no automatic retry before this
	LastError   string    `json:"lastError,omitempty"`  // defaults to the reason of the last failure
	Reason      string    `json:"reason,omitempty"`     // the last transition's reason
	Created     time.Time `json:"created"`
	Updated     time.Time `json:"updated"`
}

// Approval is one request for a human decision on a term at a price.
type Approval struct {
	// ID is opaque and random (NewApprovalID): the value of the Slack
	// buttons and the argument of `renewd approve`.
	ID string `json:"id"`
	// PriceUcents is the price shown; the approval binds to it.
	PriceUcents int64     `json:"priceUcents"`
	RequestedAt time.Time `json:"requestedAt,omitzero"`
	// ExpiresAt is the deadline; zero means the approval never expires.
	ExpiresAt time.Time `json:"expiresAt,omitzero"`
	// Decision is "" while pending, then one of the Decision constants.
	Decision  string    `json:"decision,omitempty"`
	DecidedBy string    `json:"decidedBy,omitempty"` // "slack:U0123", "cli:alice"
	DecidedAt time.Time `json:"decidedAt,omitzero"`
	// SlackChannel and SlackTS locate the request message once posted.
	SlackChannel string `json:"slackChannel,omitempty"`
	SlackTS      string `json:"slackTs,omitempty"`
}

// Approval decisions.
const (
	DecisionApproved = "approved"
	DecisionDenied   = "denied"
	DecisionExpired  = "expired"
)

// Pending reports whether the approval still waits for a decision.
func (a *Approval) Pending() bool { return a != nil && a.Decision == "" }

// Event is one transition in the history: the term moved From -> To at At
// for Reason, by Actor. From is StatusNone for a term's first transition.
//
// A summary event (Folded > 0) replaces the Folded events of a settled term
// (Prune folds them once the term is delivered and older than the detail
// window, Options.FoldAfter): From is StatusNone, To the final status, At
// the time of the last folded event, Actor SystemActor, and Reason says
// when the term was ordered (order id, amount), approved (by whom), paid
// (by which payment form) and delivered.
type Event struct {
	Seq    uint64    `json:"seq"`
	Term   string    `json:"term"`
	At     time.Time `json:"at"`
	From   Status    `json:"from,omitempty"`
	To     Status    `json:"to"`
	Reason string    `json:"reason,omitempty"`
	Actor  string    `json:"actor,omitempty"`
	Folded int       `json:"folded,omitempty"` // events this summary replaces; 0 for a transition
}

// SystemActor is the Actor of transitions renewd makes by itself.
const SystemActor = "renewd"

// clone returns a deep copy, so a mutate function cannot reach into a
// record it was not given.
func (r Record) clone() Record {
	r.Services = slices.Clone(r.Services)
	if r.Approval != nil {
		a := *r.Approval
		r.Approval = &a
	}
	return r
}
