package renewal

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/policy"
	"github.com/renewd/renewd/internal/state"
)

// stubAccount is the little of OVH that noSilentNoOp's cycle needs: an
// account name. It makes no call.
type stubAccount struct{ OVH }

func (stubAccount) Account() string { return "main" }

// TestNoSilentNoOp: a code path that ends a due, covered renewal with
// nothing to show (no order, no hold, no failure) is itself turned into a
// failure: reported, counted, and counted by Summary.Failed.
func TestNoSilentNoOp(t *testing.T) {
	l, err := state.Open(filepath.Join(t.TempDir(), "renewd.db"), state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	silent := 0
	e := New(Options{Ledger: l, OnSilent: func(string) { silent++ }})
	c := e.newCycle(context.Background(), Settings{}, stubAccount{}, time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC), false)
	svc := renewd.Service{Account: "main", ID: 7, Name: "vps-7.vps.ovh.net", Expiration: renewd.MustDate("2026-05-06")}
	for _, a := range []Action{ActNothing, ActReported, Action("something new")} {
		out := c.noSilentNoOp(Outcome{Service: svc, Verdict: policy.Renew, Action: a, Reason: "a path that returns nothing"})
		if out.Action != ActFailed || !strings.Contains(out.Reason, "did not act on a due service") {
			t.Errorf("%s: outcome %s (%s), want a failure", a, out.Action, out.Reason)
		}
		if !(Summary{Outcomes: []Outcome{out}}).Failed() {
			t.Errorf("%s: the summary does not count it as failed", a)
		}
	}
	if silent != 3 {
		t.Errorf("%d silent endings counted, want 3", silent)
	}
	items, err := l.Outbox(0)
	if err != nil || len(items) != 3 {
		t.Fatalf("outbox = %d items, %v; want 3 failure reports", len(items), err)
	}
	var r renewd.Report
	if err := json.Unmarshal(items[0].Body, &r); err != nil || r.Kind != renewd.ReportFailed || r.ServiceID != 7 {
		t.Errorf("report = %+v, %v", r, err)
	}
	// Every accounted ending passes as it is.
	for _, a := range []Action{ActPaid, ActAlreadyPaid, ActDelivered, ActRenewedElsewhere, ActAwaiting, ActDenied, ActRefused, ActPending, ActFailed} {
		if out := c.noSilentNoOp(Outcome{Service: svc, Verdict: policy.Renew, Action: a}); out.Action != a {
			t.Errorf("accounted ending %s turned into %s", a, out.Action)
		}
	}
	if out := c.noSilentNoOp(Outcome{Service: svc, Verdict: policy.NotDue, Action: ActNothing}); out.Action != ActNothing {
		t.Errorf("a service not due turned into %s", out.Action)
	}
}
