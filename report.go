package renewd

import "time"

// ReportKind names what a report tells the operator.
type ReportKind string

const (
	ReportRenewed         ReportKind = "renewed"          // an order was paid
	ReportDelivered       ReportKind = "delivered"        // OVH delivered it: the expiration moved
	ReportUndelivered     ReportKind = "undelivered"      // paid, but the expiration did not move in time
	ReportFailed          ReportKind = "failed"           // a step failed; renewd retries as Next says
	ReportRefused         ReportKind = "refused"          // over the cap or the budget
	ReportUncovered       ReportKind = "uncovered"        // due, but no rule covers it
	ReportAutomatic       ReportKind = "automatic"        // due, but OVH renews it automatically
	ReportNotice          ReportKind = "notice"           // due under a notify rule, or not renewable as is
	ReportApprovalRequest ReportKind = "approval_request" // waiting for a person
	ReportApprovalUpdate  ReportKind = "approval_update"  // an approval was decided or expired
	ReportSummary         ReportKind = "summary"          // what one cycle did
)

// Report is one message for the operator. It travels through the ledger's
// outbox as JSON, so a Slack outage delays it and loses nothing. It never
// carries a secret, an order's url or its password.
type Report struct {
	Kind    ReportKind `json:"kind"`
	At      time.Time  `json:"at"`
	Term    string     `json:"term,omitempty"`
	Account string     `json:"account,omitempty"`

	ServiceID   int64  `json:"service_id,omitempty"`
	ServiceName string `json:"service_name,omitempty"`
	ServiceType string `json:"service_type,omitempty"`
	Expiration  Date   `json:"expiration,omitzero"`
	Rule        string `json:"rule,omitempty"`
	Period      string `json:"period,omitempty"`
	Currency    string `json:"currency,omitempty"`
	// Prices in micro-cents; zero when unknown.
	PriceUcents        int64  `json:"price_ucents,omitempty"`
	PriceWithTaxUcents int64  `json:"price_with_tax_ucents,omitempty"`
	CapUcents          int64  `json:"cap_ucents,omitempty"`
	Payment            string `json:"payment,omitempty"`
	OrderID            int64  `json:"order_id,omitempty"`

	NewExpiration Date `json:"new_expiration,omitzero"`

	// Approval fields, for approval requests and updates.
	ApprovalID      string    `json:"approval_id,omitempty"`
	ApprovalExpires time.Time `json:"approval_expires,omitzero"`
	// Decision is approved, denied or expired; then paid or failed as the term goes on.
	Decision  string `json:"decision,omitempty"`
	DecidedBy string `json:"decided_by,omitempty"`

	// Reason says what happened and why, in words.
	Reason string `json:"reason,omitempty"`
	// Next says what renewd will do next ("retry after 2026-11-26 12:00 UTC").
	Next string `json:"next,omitempty"`

	// Counts, for summaries.
	Counts map[string]int `json:"counts,omitempty"`
}
