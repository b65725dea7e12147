package renewal

import (
	"github.com/renewd/renewd/internal/ovh"
	"github.com/renewd/renewd/internal/state"
)

// The ledger's statuses, as the cycle walks them (see internal/state).
const (
	stDue              = state.Status("due")
	stAwaitingApproval = state.Status("awaiting_approval")
	stApproved         = state.Status("approved")
	stDenied           = state.Status("denied")
	stApprovalExpired  = state.Status("approval_expired")
	stOrdering         = state.Status("ordering")
	stOrdered          = state.Status("ordered")
	stPaying           = state.Status("paying")
	stPaid             = state.Status("paid")
	stDelivered        = state.Status("delivered")
	stUndelivered      = state.Status("undelivered")
	stFailed           = state.Status("failed")
	stRefused          = state.Status("refused")
)

// OVH order statuses (billing.order.OrderStatusEnum) that mean the payment
// was taken. documentsRequested is not among them: OVH asks for papers before
// it goes on, and whether it took the money is not said. A term whose order
// is there is left as it is (never paid again, never counted as paid) and
// reported as pending until OVH moves it on.
func orderPaid(status ovh.OrderStatus) bool { return status.Paid() }

// orderGone reports whether OVH will never take a payment for the order.
func orderGone(status ovh.OrderStatus) bool { return status.Gone() }
