package renewal_test

import (
	"testing"
	"time"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/policy"
	"github.com/renewd/renewd/internal/renewal"
	"github.com/renewd/renewd/internal/state"
)

// TestApprovalFlow: a renewal held for approval is paid after a yes, never
// after a no, and never after silence: an expired request is reported and
// asked again with a new id.
func TestApprovalFlow(t *testing.T) {
	const timeout = 6 * time.Hour
	newApprovalEnv := func(t *testing.T) *env {
		r := rule(t, "alpha", "P1M", "10.00", 1001)
		r.Approval = policy.Approval{Mode: policy.ApprovalAlways}
		e := newEnv(t, []policy.Rule{r}, envOptions{})
		e.Settings.ApprovalTimeout = timeout
		o := outcome(t, e.cycle(), 1001)
		if o.Action != renewal.ActAwaiting || o.Status != "awaiting_approval" {
			t.Fatalf("first cycle: %s %s (%s), want awaiting-approval", o.Action, o.Status, o.Reason)
		}
		if n, m := len(e.fake().Orders()), len(e.fake().Payments()); n != 0 || m != 0 {
			t.Fatalf("held renewal: %d orders, %d payments, want none", n, m)
		}
		return e
	}
	tm := term("main", 1001, 5)

	t.Run("approved is paid on the next cycle", func(t *testing.T) {
		e := newApprovalEnv(t)
		a := e.record(tm).Approval
		e.clock.Advance(time.Hour)
		if o := outcome(t, e.cycle(), 1001); o.Action != renewal.ActAwaiting {
			t.Fatalf("cycle before the decision: %s (%s), want awaiting-approval", o.Action, o.Reason)
		}
		if _, err := renewal.Decide(e.ledger, a.ID, state.DecisionApproved, "slack:U1"); err != nil {
			t.Fatalf("Decide: %v", err)
		}
		updates := e.reportsOf(renewd.ReportApprovalUpdate, 1001)
		if len(updates) != 1 || updates[0].Decision != "approved" || updates[0].Key != "approval/"+a.ID {
			t.Fatalf("approval updates %+v, want one approved on approval/%s", updates, a.ID)
		}
		if m := len(e.fake().Payments()); m != 0 {
			t.Fatalf("Decide paid: %d payments", m)
		}
		e.clock.Advance(time.Minute)
		o := outcome(t, e.cycle(), 1001)
		if o.Action != renewal.ActPaid {
			t.Fatalf("cycle after approval: %s (%s), want paid", o.Action, o.Reason)
		}
		if n, m := len(e.fake().Orders()), len(e.fake().Payments()); n != 1 || m != 1 {
			t.Fatalf("%d orders, %d payments, want 1 and 1", n, m)
		}
		// The approval's message ends saying paid.
		updates = e.reportsOf(renewd.ReportApprovalUpdate, 1001)
		if last := updates[len(updates)-1]; last.Decision != "paid" {
			t.Errorf("last approval update %q, want paid", last.Decision)
		}
		e.clock.Advance(time.Hour)
		e.cycle()
		if n, m := len(e.fake().Orders()), len(e.fake().Payments()); n != 1 || m != 1 {
			t.Fatalf("after another cycle: %d orders, %d payments, want 1 and 1", n, m)
		}
	})

	t.Run("denied is never paid", func(t *testing.T) {
		e := newApprovalEnv(t)
		a := e.record(tm).Approval
		if _, err := renewal.Decide(e.ledger, a.ID, state.DecisionDenied, "cli:bob"); err != nil {
			t.Fatalf("Decide: %v", err)
		}
		if _, err := renewal.Decide(e.ledger, a.ID, state.DecisionApproved, "cli:bob"); err == nil {
			t.Errorf("a denied approval was approved afterwards")
		}
		for range 4 {
			e.clock.Advance(timeout) // past the request's deadline, too
			o := outcome(t, e.cycle(), 1001)
			if o.Action != renewal.ActDenied || o.Status != "denied" {
				t.Fatalf("cycle after denial: %s %s (%s), want denied", o.Action, o.Status, o.Reason)
			}
		}
		if n, m := len(e.fake().Orders()), len(e.fake().Payments()); n != 0 || m != 0 {
			t.Fatalf("denied renewal: %d orders, %d payments, want none", n, m)
		}
	})

	t.Run("expired is reported, then asked again", func(t *testing.T) {
		e := newApprovalEnv(t)
		first := e.record(tm).Approval
		e.clock.Advance(timeout + time.Minute)
		o := outcome(t, e.cycle(), 1001)
		if o.Action != renewal.ActAwaiting || o.Status != "approval_expired" {
			t.Fatalf("cycle after the deadline: %s %s (%s), want awaiting-approval, approval_expired", o.Action, o.Status, o.Reason)
		}
		rec := e.record(tm)
		if rec.Status != "approval_expired" || rec.Approval.ID != first.ID || rec.Approval.Decision != "expired" {
			t.Fatalf("ledger %s approval %+v, want approval_expired on %s", rec.Status, rec.Approval, first.ID)
		}
		updates := e.reportsOf(renewd.ReportApprovalUpdate, 1001)
		if len(updates) != 1 || updates[0].Decision != "expired" || updates[0].ApprovalID != first.ID {
			t.Fatalf("approval updates %+v, want one expired for %s", updates, first.ID)
		}
		if _, err := renewal.Decide(e.ledger, first.ID, state.DecisionApproved, "slack:U1"); err == nil {
			t.Fatalf("an expired approval was approved")
		}

		e.clock.Advance(time.Minute)
		o = outcome(t, e.cycle(), 1001)
		if o.Action != renewal.ActAwaiting || o.Status != "awaiting_approval" {
			t.Fatalf("following cycle: %s %s (%s), want awaiting-approval", o.Action, o.Status, o.Reason)
		}
		second := e.record(tm).Approval
		if second.ID == first.ID || !second.Pending() || !second.ExpiresAt.After(e.clock.Now()) {
			t.Fatalf("approval %+v, want a new pending one (first %s)", second, first.ID)
		}
		if n := len(e.reportsOf(renewd.ReportApprovalRequest, 1001)); n != 2 {
			t.Errorf("%d approval requests, want 2", n)
		}
		if n, m := len(e.fake().Orders()), len(e.fake().Payments()); n != 0 || m != 0 {
			t.Fatalf("expired approval: %d orders, %d payments, want none", n, m)
		}

		// The new request works.
		if _, err := renewal.Decide(e.ledger, second.ID, state.DecisionApproved, "slack:U1"); err != nil {
			t.Fatalf("Decide: %v", err)
		}
		e.clock.Advance(time.Minute)
		if o := outcome(t, e.cycle(), 1001); o.Action != renewal.ActPaid {
			t.Fatalf("cycle after the new approval: %s (%s), want paid", o.Action, o.Reason)
		}
		if m := len(e.fake().Payments()); m != 1 {
			t.Fatalf("%d payments, want 1", m)
		}
	})

	t.Run("a bad decision word is refused", func(t *testing.T) {
		e := newApprovalEnv(t)
		a := e.record(tm).Approval
		if _, err := renewal.Decide(e.ledger, a.ID, "yes", "cli:bob"); err == nil {
			t.Fatalf("Decide accepted %q", "yes")
		}
		if rec := e.record(tm); rec.Status != "awaiting_approval" {
			t.Fatalf("ledger %s, want awaiting_approval", rec.Status)
		}
	})
}

// TestApprovalEndsAtTheExpirationWhenThatComesFirst: the service expires in
// five days; a request with a longer timeout ends at the expiration.
func TestApprovalEndsAtTheExpirationWhenThatComesFirst(t *testing.T) {
	r := rule(t, "alpha", "P1M", "10.00", 1001)
	r.Approval = policy.Approval{Mode: policy.ApprovalAlways}
	e := newEnv(t, []policy.Rule{r}, envOptions{})
	e.Settings.ApprovalTimeout = 30 * 24 * time.Hour
	e.cycle()
	tm := term("main", 1001, 5)
	if a := e.record(tm).Approval; a == nil || !a.ExpiresAt.Equal(tm.Expiration.Start()) {
		t.Fatalf("approval %+v, want it to end at the expiration %s", a, tm.Expiration)
	}
	e2 := newEnv(t, []policy.Rule{r}, envOptions{})
	e2.Settings.ApprovalTimeout = 6 * time.Hour
	e2.cycle()
	if a := e2.record(tm).Approval; a == nil || !a.ExpiresAt.Equal(t0.Add(6*time.Hour)) {
		t.Fatalf("approval %+v, want it to end after the 6h timeout", a)
	}
}
