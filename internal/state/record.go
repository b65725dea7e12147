package state

import (
	"slices"
	"time"

	"github.com/renewd/renewd"
)

// Record is the ledger's knowledge of one term: what was decided, quoted,
// approved, ordered and paid, and where it stands now. It is stored in the
// `terms` bucket under Term.String() in the compact form of codec.go; the
// JSON names below are those of the control API and `renewd history --json`.
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

	// IntentAt is when `ordering` was committed, on the local clock (for
	// the audit). Transition sets it on entering ordering.
	IntentAt time.Time `json:"intentAt,omitzero"`
	// IntentOVH is the same moment on OVH's clock (the cycle's reading of
	// GET /auth/time plus the monotonic time since): the lower bound of the
	// order search that reconciles the intent, and where the settle delay
	// counts from. A jump of the local clock does not move it. The caller
	// sets it on entering ordering (Transition refuses an ordering intent
	// without it).
	IntentOVH          time.Time `json:"intentOvh,omitzero"`
	OrderID            int64     `json:"orderId,omitempty"`
	OrderUcents        int64     `json:"orderUcents,omitempty"`
	OrderWithTaxUcents int64     `json:"orderWithTaxUcents,omitempty"`
	OrderExpires       time.Time `json:"orderExpires,omitzero"` // the unpaid order's own expiry
	// PayIntentAt is when `paying` was committed, on the local clock.
	// Transition sets it on entering paying.
	PayIntentAt time.Time `json:"payIntentAt,omitzero"`
	// PayIntentOVH is the same moment on OVH's clock; the caller sets it on
	// entering paying (Transition refuses a payment intent without it).
	PayIntentOVH time.Time `json:"payIntentOvh,omitzero"`
	// CallEndOVH is when the last money-moving call (create or pay)
	// returned, on OVH's clock: a settle delay counts from it. Zero when no
	// call has returned since the last intent (a crash during the call);
	// the caller then counts from the intent plus the longest a call can
	// take.
	CallEndOVH time.Time `json:"callEndOvh,omitzero"`
	// OtherOrders are orders this term must account for besides OrderID:
	// those of a second record that schema 3's migration merged into this
	// one (two schema-2 keys for one expiration date). The term is paid when
	// any of them is; it may order again only once each is known dead.
	OtherOrders []int64 `json:"otherOrders,omitempty"`
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
	// Adopted is set when the term's order was not created by this term's
	// own intent but found at OVH (left by a crash before the ledger knew
	// of it, or ordered by hand) and recorded by a direct transition.
	Adopted bool `json:"adopted,omitempty"`

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
	Decision  Decision  `json:"decision,omitempty"`
	DecidedBy string    `json:"decidedBy,omitempty"` // "slack:U0123", "cli:alice"
	DecidedAt time.Time `json:"decidedAt,omitzero"`
	// SlackChannel and SlackTS locate the request message once posted.
	SlackChannel string `json:"slackChannel,omitempty"`
	SlackTS      string `json:"slackTs,omitempty"`
}

// Decision is what became of an approval request.
type Decision string

// Approval decisions. A pending approval has the empty Decision.
const (
	DecisionApproved Decision = "approved"
	DecisionDenied   Decision = "denied"
	DecisionExpired  Decision = "expired"
)

// Approved reports whether a person approved the request.
func (a *Approval) Approved() bool { return a != nil && a.Decision == DecisionApproved }

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
	r.OtherOrders = slices.Clone(r.OtherOrders)
	if r.Approval != nil {
		a := *r.Approval
		r.Approval = &a
	}
	return r
}
