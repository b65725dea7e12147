package renewal_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/ovhfake"
	"github.com/renewd/renewd/internal/policy"
	"github.com/renewd/renewd/internal/renewal"
	"github.com/renewd/renewd/internal/state"
)

// One record that cannot be decoded beside a term left paying: the paying
// term is reconciled and renewed all the same, the bad record's service is
// never acted on, and the cycle's outcome is an error that names the record.
func TestUnreadableRecordBesideAPayingTerm(t *testing.T) {
	rules := []policy.Rule{rule(t, "alpha", "P1M", "10.00", 1001), rule(t, "org", "P1Y", "15.00", 2002)}
	e := newEnv(t, rules, envOptions{})
	f := e.fake()
	f.Inject(ovhfake.Fault{Route: routePay, Status: http.StatusGatewayTimeout})
	e.Settings.Policy.Rules = rules[:1]
	if o := outcome(t, e.cycle(), 1001); o.Status != state.StatusPaying {
		t.Fatalf("first cycle: %s %s (%s), want paying", o.Action, o.Status, o.Reason)
	}
	// The payment landed, and a record of 2002 went bad on disk.
	if err := e.accounts[0].behind(t).Pay(t.Context(), ordersFor(f, 1001)[0].ID, renewd.PaymentForm{Default: true}); err != nil {
		t.Fatal(err)
	}
	if err := e.ledger.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(e.ledgerPath, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	bad := term("main", 2002, 12).String()
	if err := db.Update(func(tx *bolt.Tx) error { return tx.Bucket([]byte("terms")).Put([]byte(bad), []byte("{garbage")) }); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	e.openLedger()
	e.Settings.Policy.Rules = rules

	e.advance(10 * time.Minute)
	sum := e.cycle()
	if rec := e.record(term("main", 1001, 5)); !rec.Paid() {
		t.Fatalf("the paying term is %s, want reconciled to paid", rec.Status)
	}
	if o := outcome(t, sum, 2002); o.Action != renewal.ActFailed {
		t.Errorf("the bad record's service: %s (%s), want failed, never ordered", o.Action, o.Reason)
	}
	if n := len(ordersFor(f, 2002)); n != 0 {
		t.Errorf("renewd ordered for a service whose record it cannot read (%d orders)", n)
	}
	if !sum.Failed() || len(sum.Errors) == 0 || !strings.Contains(sum.Errors[len(sum.Errors)-1].Error(), bad) {
		t.Errorf("the cycle's errors %v do not name the unreadable record %s", sum.Errors, bad)
	}
	var reported bool
	for _, r := range e.outbox() {
		reported = reported || strings.Contains(r.Reason, bad) && strings.Contains(r.Next, "backup")
	}
	if !reported {
		t.Error("the unreadable record was not reported")
	}
	wantRecord(t, f, 1001, 1, 1)
}
