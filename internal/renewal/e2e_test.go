package renewal_test

import (
	"time"

	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/ovhfake"
	"github.com/renewd/renewd/internal/policy"
	"github.com/renewd/renewd/internal/renewal"
)

// scenarioServices are the services the end-to-end scenario adds to
// SampleScenario: a notify rule's, an ignore rule's, and one whose rule
// asks for approval above a price.
func scenarioServices(t *testing.T, f *ovhfake.Fake) {
	t.Helper()
	at := func(days int) ovhfake.ServiceFixture {
		return ovhfake.ServiceFixture{Expiration: renewd.DateOf(t0).AddDays(days), RenewMode: "manual"}
	}
	s := at(3)
	s.ID, s.Name, s.Type = 6001, "watch.example.net", "hosting/web"
	s.Strategies = []ovhfake.StrategyFixture{{Period: "P1M", Services: []int64{6001}, PriceUcents: eur(t, "3.00")}}
	f.AddService(s)
	s = at(2)
	s.ID, s.Name, s.Type = 6002, "legacy.example.net", "hosting/web"
	s.Strategies = []ovhfake.StrategyFixture{{Period: "P1M", Services: []int64{6002}, PriceUcents: eur(t, "3.00")}}
	f.AddService(s)
	s = at(6)
	s.ID, s.Name, s.Type = 6003, "big.example.net", "dedicated/server"
	s.Strategies = []ovhfake.StrategyFixture{{Period: "P1M", Services: []int64{6003}, PriceUcents: eur(t, "60.00")}}
	f.AddService(s)
}

// scenarioRules covers every case of the end-to-end scenario.
func scenarioRules(t *testing.T) []policy.Rule {
	t.Helper()
	alpha := rule(t, "alpha-method", "P1M", "10.00", 1001, 1002, 1003)
	alpha.Payment = renewd.PaymentForm{MethodID: 9002}
	domain := rule(t, "domain-mean", "P1Y", "15.00", 2001)
	domain.Payment = renewd.PaymentForm{Mean: "paypal", MeanID: 777}
	org := rule(t, "org-default", "P1Y", "15.00", 2002)
	hosting := rule(t, "hosting-always", "P1Y", "50.00", 3001)
	hosting.Approval = policy.Approval{Mode: policy.ApprovalAlways}
	dedicated := rule(t, "dedicated-capped", "P1M", "50.00", 4001)
	big := rule(t, "big-above", "P1M", "100.00", 6003)
	big.Approval = policy.Approval{Mode: policy.ApprovalAbove, Above: eur(t, "50.00")}
	notify := policy.Rule{Name: "watch", Match: policy.Match{ServiceIDs: []int64{6001}}, Action: policy.ActionNotify, RenewBefore: 14 * day}
	ignore := policy.Rule{Name: "legacy", Match: policy.Match{ServiceIDs: []int64{6002}}, Action: policy.ActionIgnore}
	return []policy.Rule{alpha, domain, org, hosting, dedicated, big, notify, ignore}
}

// TestCycleEndToEnd runs the whole money path over a scenario with every
// kind of service, then checks what the fake OVH itself recorded.
func TestCycleEndToEnd(t *testing.T) {
	e := newEnv(t, scenarioRules(t), envOptions{deliveryAfter: 10 * time.Minute})
	f := e.fake()
	scenarioServices(t, f)

	sum := e.cycle()

	type got struct {
		Verdict policy.Verdict
		Action  renewal.Action
		Status  string
	}
	want := map[int64]got{
		1001: {policy.Renew, renewal.ActPaid, "paid"},
		1002: {policy.NotDue, renewal.ActNothing, ""},
		1003: {policy.Automatic, renewal.ActReported, ""},
		2001: {policy.Renew, renewal.ActPaid, "paid"},
		2002: {policy.Renew, renewal.ActPaid, "paid"},
		3001: {policy.Renew, renewal.ActAwaiting, "awaiting_approval"},
		4001: {policy.Renew, renewal.ActRefused, "refused"},
		5001: {policy.Uncovered, renewal.ActReported, ""},
		6001: {policy.Notify, renewal.ActReported, ""},
		6002: {policy.Ignored, renewal.ActNothing, ""},
		6003: {policy.Renew, renewal.ActAwaiting, "awaiting_approval"},
	}
	gotOut := map[int64]got{}
	for _, o := range sum.Outcomes {
		gotOut[o.Service.ID] = got{o.Verdict, o.Action, string(o.Status)}
	}
	if diff := cmp.Diff(want, gotOut); diff != "" {
		t.Fatalf("first cycle outcomes (-want +got):\n%s", diff)
	}
	if len(sum.Errors) != 0 {
		t.Errorf("Summary.Errors = %v, want none", sum.Errors)
	}

	// The fake's own record: one order per paid service, for the rule's
	// period at the strategy's price, and nothing for anything else.
	type order struct {
		ServiceID int64
		Period    string
		Price     int64
		Status    string
	}
	var orders []order
	byID := map[int64]int64{} // order id -> service id
	for _, o := range f.Orders() {
		orders = append(orders, order{o.ServiceID, o.Period, o.PriceUcents, o.Status})
		byID[o.ID] = o.ServiceID
	}
	wantOrders := []order{ // paid, and OVH checking the payments
		{1001, "P1M", eur(t, "7.00"), "checking"},
		{2001, "P1Y", eur(t, "9.99"), "checking"},
		{2002, "P1Y", eur(t, "9.99"), "checking"},
	}
	if diff := cmp.Diff(wantOrders, orders); diff != "" {
		t.Fatalf("orders at the fake (-want +got):\n%s", diff)
	}

	// Each paid once, with the rule's payment form.
	type payment struct {
		ServiceID int64
		Route     string
		MethodID  int64
		Mean      string
		MeanID    int64
	}
	var payments []payment
	for _, p := range f.Payments() {
		payments = append(payments, payment{byID[p.OrderID], p.Route, p.PaymentMethodID, p.Mean, p.MeanID})
	}
	wantPayments := []payment{
		{1001, "pay", 9002, "PAYPAL", 777},                          // method_id 9002
		{2001, "payWithRegisteredPaymentMean", 9002, "paypal", 777}, // mean + mean_id
		{2002, "pay", 9001, "CREDIT_CARD", 0},                       // the default method
	}
	if diff := cmp.Diff(wantPayments, payments); diff != "" {
		t.Fatalf("payments at the fake (-want +got):\n%s", diff)
	}

	// The ledger agrees with the fake.
	for _, id := range []int64{1001, 2001, 2002} {
		o := outcome(t, sum, id)
		rec := e.record(o.Service.Term())
		if rec.Status != "paid" || rec.OrderID == 0 || byID[rec.OrderID] != id {
			t.Errorf("service %d: ledger %s order %d, want paid with its own order", id, rec.Status, rec.OrderID)
		}
	}

	// What the operator hears: every reportable verdict once, the refusal,
	// the approval requests; nothing about the ignored service.
	for _, tc := range []struct {
		kind renewd.ReportKind
		id   int64
	}{
		{renewd.ReportAutomatic, 1003}, {renewd.ReportUncovered, 5001}, {renewd.ReportNotice, 6001},
		{renewd.ReportRefused, 4001}, {renewd.ReportApprovalRequest, 3001}, {renewd.ReportApprovalRequest, 6003},
		{renewd.ReportRenewed, 1001}, {renewd.ReportRenewed, 2001}, {renewd.ReportRenewed, 2002},
	} {
		if n := len(e.reportsOf(tc.kind, tc.id)); n != 1 {
			t.Errorf("%d %s reports about service %d, want 1", n, tc.kind, tc.id)
		}
	}
	for _, r := range e.outbox() {
		if r.ServiceID == 6002 || r.ServiceID == 1002 {
			t.Errorf("report about service %d, which is ignored or not due: %+v", r.ServiceID, r.Report)
		}
	}
	reportsAfterFirst := len(e.outbox())
	approval3001 := e.record(outcome(t, sum, 3001).Service.Term()).Approval.ID

	// The second cycle orders and pays nothing new. The fake has delivered
	// by then (DeliveryAfter 10 minutes): the paid terms are recorded
	// delivered, and the services' new terms are not due.
	e.clock.Advance(10 * time.Minute)
	sum2 := e.cycle()
	if n, m := len(f.Orders()), len(f.Payments()); n != 3 || m != 3 {
		t.Fatalf("after the second cycle: %d orders, %d payments, want 3 and 3", n, m)
	}
	for _, id := range []int64{1001, 2001, 2002} {
		old := outcome(t, sum, id).Service
		if rec := e.record(old.Term()); rec.Status != "delivered" || !rec.NewExpiration.After(old.Expiration) {
			t.Errorf("service %d: old term %s new expiration %s, want delivered with a later expiration",
				id, rec.Status, rec.NewExpiration)
		}
		o := outcome(t, sum2, id)
		if !o.Service.Expiration.After(old.Expiration) || o.Verdict != policy.NotDue || o.Action != renewal.ActNothing {
			t.Errorf("service %d second cycle: expiration %s verdict %s action %s, want a later expiration, not due, nothing",
				id, o.Service.Expiration, o.Verdict, o.Action)
		}
	}
	for id, w := range map[int64]renewal.Action{3001: renewal.ActAwaiting, 6003: renewal.ActAwaiting, 4001: renewal.ActRefused} {
		if o := outcome(t, sum2, id); o.Action != w {
			t.Errorf("service %d second cycle: %s, want %s", id, o.Action, w)
		}
	}
	if id := e.record(outcome(t, sum, 3001).Service.Term()).Approval.ID; id != approval3001 {
		t.Errorf("approval of 3001 changed from %s to %s without a price change", approval3001, id)
	}
	// Nothing reported twice: only delivery reports and the cycle summary are new.
	for _, r := range e.outbox()[reportsAfterFirst:] {
		if r.Kind != renewd.ReportDelivered && r.Kind != renewd.ReportSummary {
			t.Errorf("second cycle queued a %s report about %d: %s", r.Kind, r.ServiceID, r.Reason)
		}
	}
	if n := len(e.reportsOf(renewd.ReportDelivered, 1001)); n != 1 {
		t.Errorf("%d delivered reports for 1001, want 1", n)
	}

	// A third cycle still changes nothing at OVH.
	e.clock.Advance(day)
	e.cycle()
	if n, m := len(f.Orders()), len(f.Payments()); n != 3 || m != 3 {
		t.Fatalf("after the third cycle: %d orders, %d payments, want 3 and 3", n, m)
	}
}

// TestCycleFollowsDeliveryLater: with OVH delivering an hour after payment,
// the next cycle sees the term already paid (no new order or payment), and
// the one after the delivery records it delivered.
func TestCycleFollowsDeliveryLater(t *testing.T) {
	e := newEnv(t, []policy.Rule{rule(t, "alpha", "P1M", "10.00", 1001)}, envOptions{deliveryAfter: time.Hour})
	f := e.fake()
	tm := term("main", 1001, 5)

	if o := outcome(t, e.cycle(), 1001); o.Action != renewal.ActPaid {
		t.Fatalf("first cycle: %s (%s), want paid", o.Action, o.Reason)
	}
	e.clock.Advance(30 * time.Minute)
	if o := outcome(t, e.cycle(), 1001); o.Action != renewal.ActAlreadyPaid || o.Status != "paid" {
		t.Fatalf("cycle before delivery: %s %s (%s), want already-paid, paid", o.Action, o.Status, o.Reason)
	}
	e.clock.Advance(60 * time.Minute)
	o := outcome(t, e.cycle(), 1001)
	if o.Verdict != policy.NotDue || !o.Service.Expiration.After(tm.Expiration) {
		t.Errorf("cycle after delivery: verdict %s expiration %s, want not due with a later expiration", o.Verdict, o.Service.Expiration)
	}
	if rec := e.record(tm); rec.Status != "delivered" {
		t.Errorf("term after delivery: %s, want delivered", rec.Status)
	}
	if n, m := len(f.Orders()), len(f.Payments()); n != 1 || m != 1 {
		t.Errorf("%d orders, %d payments, want 1 and 1", n, m)
	}
}
