package metrics

import (
	"fmt"
	"io"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/policy"
	"github.com/renewd/renewd/internal/renewal"
	"github.com/renewd/renewd/internal/state"
)

var (
	cycleAt = time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC)
	expVPS  = time.Date(2026, 12, 10, 0, 0, 0, 0, time.UTC)
	expDom  = time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)
	expVPS2 = time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
)

// testPolicy renews VPSes 30 days ahead and notifies domains 14 days ahead;
// hosting is covered by no rule.
func testPolicy() policy.Policy {
	return policy.Policy{Rules: []policy.Rule{
		{Name: "vps", Match: policy.Match{Type: "vps"}, Action: policy.ActionRenew, RenewBefore: 30 * 24 * time.Hour},
		{Name: "domains", Match: policy.Match{Type: "domain"}, Action: policy.ActionNotify, RenewBefore: 14 * 24 * time.Hour},
	}}
}

func outcome(account string, id int64, typ, name string, exp time.Time, act renewal.Action, status string) renewal.Outcome {
	return renewal.Outcome{
		Service: renewd.Service{Account: account, ID: id, Type: typ, Name: name, Expiration: renewd.DateOf(exp), RenewMode: renewd.RenewManual},
		Action:  act,
		Status:  state.Status(status),
	}
}

// firstSummary: a VPS paid this cycle, a domain with no record, a hosting
// without expiration (no rule), and a VPS in another account that failed.
func firstSummary() renewal.Summary {
	return renewal.Summary{Outcomes: []renewal.Outcome{
		outcome("default", 101, "vps", "vps-a.vps.ovh.net", expVPS, renewal.ActPaid, "paid"),
		outcome("default", 102, "domain", "example.com", expDom, renewal.ActNothing, ""),
		outcome("pro", 201, "hosting/web", "site.example", time.Time{}, renewal.ActReported, ""),
		outcome("pro", 202, "vps", "vps-b.vps.ovh.net", expVPS2, renewal.ActFailed, "failed"),
	}}
}

func unix(t time.Time) int64 { return t.Unix() }

// stateLines is the state exposition of one service in state cur: one
// series, at 1.
func stateLines(account string, id int64, cur string) string {
	return fmt.Sprintf("renewd_service_state{account=%q,service_id=\"%d\",state=%q} 1\n", account, id, cur)
}

func TestCycleDoneExposesEveryService(t *testing.T) {
	m := New("1.2.3")
	m.SetPolicy(testPolicy())
	m.CycleDone(cycleAt, firstSummary(), true)

	day := int64(24 * 3600)
	want := fmt.Sprintf(`
# HELP renewd_service_expiration_timestamp_seconds When the service expires at OVH, as a Unix timestamp. Absent when OVH gives no expiration.
# TYPE renewd_service_expiration_timestamp_seconds gauge
renewd_service_expiration_timestamp_seconds{account="default",name="example.com",service_id="102",type="domain"} %d
renewd_service_expiration_timestamp_seconds{account="default",name="vps-a.vps.ovh.net",service_id="101",type="vps"} %d
renewd_service_expiration_timestamp_seconds{account="pro",name="vps-b.vps.ovh.net",service_id="202",type="vps"} %d
# HELP renewd_service_renewal_due_timestamp_seconds When the service's renewal window opens (expiration minus the covering rule's renew_before), as a Unix timestamp. Absent when no rule covers the service or OVH gives no expiration.
# TYPE renewd_service_renewal_due_timestamp_seconds gauge
renewd_service_renewal_due_timestamp_seconds{account="default",name="example.com",service_id="102",type="domain"} %d
renewd_service_renewal_due_timestamp_seconds{account="default",name="vps-a.vps.ovh.net",service_id="101",type="vps"} %d
renewd_service_renewal_due_timestamp_seconds{account="pro",name="vps-b.vps.ovh.net",service_id="202",type="vps"} %d
# HELP renewd_service_state Ledger status of the service's current term: one series per service, for its current state, at 1; state="none" when the term has no record.
# TYPE renewd_service_state gauge
%s%s%s%s# HELP renewd_renewals_total Renewal outcomes, counted when a service's outcome changes from one cycle to the next (a standing state is not counted again every cycle).
# TYPE renewd_renewals_total counter
renewd_renewals_total{result="awaiting-approval"} 0
renewd_renewals_total{result="delivered"} 0
renewd_renewals_total{result="denied"} 0
renewd_renewals_total{result="failed"} 1
renewd_renewals_total{result="paid"} 1
renewd_renewals_total{result="refused"} 0
# HELP renewd_last_cycle_timestamp_seconds When the last cycle ran, successful or not, as a Unix timestamp. Absent until one ends.
# TYPE renewd_last_cycle_timestamp_seconds gauge
renewd_last_cycle_timestamp_seconds %d
# HELP renewd_last_cycle_success_timestamp_seconds When the last successful cycle ran, as a Unix timestamp. Absent until one succeeds.
# TYPE renewd_last_cycle_success_timestamp_seconds gauge
renewd_last_cycle_success_timestamp_seconds %d
`,
		unix(expDom), unix(expVPS), unix(expVPS2),
		unix(expDom)-14*day, unix(expVPS)-30*day, unix(expVPS2)-30*day,
		stateLines("default", 101, "paid"), stateLines("default", 102, "none"),
		stateLines("pro", 201, "none"), stateLines("pro", 202, "failed"),
		unix(cycleAt), unix(cycleAt))

	err := testutil.GatherAndCompare(m.Gatherer(), strings.NewReader(want),
		NameExpiration, NameRenewalDue, NameServiceState, NameRenewals, NameLastCycle, NameLastCycleSuccess)
	if err != nil {
		t.Fatal(err)
	}
}

func TestBuildInfo(t *testing.T) {
	m := New("1.2.3")
	infos := gatherFamily(t, m, NameBuildInfo)
	if len(infos) != 1 {
		t.Fatalf("%d build_info series, want 1", len(infos))
	}
	labels := map[string]string{}
	for _, l := range infos[0].GetLabel() {
		labels[l.GetName()] = l.GetValue()
	}
	if labels["version"] != "1.2.3" || !strings.HasPrefix(labels["goversion"], "go") || infos[0].GetGauge().GetValue() != 1 {
		t.Errorf("build_info = %v %v, want version 1.2.3, a goversion, value 1", labels, infos[0].GetGauge().GetValue())
	}
}

func TestLastCycleAbsentUntilACycleAndSuccessOnlyWhenOK(t *testing.T) {
	m := New("dev")
	if n := testutil.CollectAndCount(m.lastOK) + testutil.CollectAndCount(m.last); n != 0 {
		t.Fatalf("last-cycle gauges before any cycle: %d series, want none", n)
	}
	m.CycleDone(cycleAt, renewal.Summary{}, true)
	later := cycleAt.Add(time.Hour)
	m.CycleDone(later, renewal.Summary{Errors: []error{io.EOF}}, false)
	if got := testutil.ToFloat64(m.last); got != float64(later.Unix()) {
		t.Errorf("last cycle = %v, want %d", got, later.Unix())
	}
	if got := testutil.ToFloat64(m.lastOK); got != float64(cycleAt.Unix()) {
		t.Errorf("last success = %v, want the earlier, successful cycle %d", got, cycleAt.Unix())
	}
}

func TestServiceLeavingTheInventoryIsRemoved(t *testing.T) {
	m := New("dev")
	m.SetPolicy(testPolicy())
	m.CycleDone(cycleAt, firstSummary(), true)

	// The domain (102) is gone from a complete inventory.
	next := firstSummary()
	next.Outcomes = slices.DeleteFunc(next.Outcomes, func(o renewal.Outcome) bool { return o.Service.ID == 102 })
	m.CycleDone(cycleAt.Add(time.Hour), next, true)

	for _, name := range []string{NameExpiration, NameRenewalDue, NameServiceState} {
		for _, s := range gatherFamily(t, m, name) {
			for _, l := range s.GetLabel() {
				if l.GetName() == "service_id" && l.GetValue() == "102" {
					t.Errorf("%s still has a series for service 102: %v", name, s.GetLabel())
				}
			}
		}
	}
	if got, want := testutil.CollectAndCount(m.state), 3; got != want {
		t.Errorf("state series = %d, want %d (three services, one series each)", got, want)
	}
	if got := testutil.ToFloat64(m.expiration.WithLabelValues("default", "101", "vps", "vps-a.vps.ovh.net")); got != float64(expVPS.Unix()) {
		t.Errorf("service 101 expiration = %v after the removal of another service", got)
	}
}

func TestIncompleteInventoryKeepsMissingServices(t *testing.T) {
	m := New("dev")
	m.SetPolicy(testPolicy())
	m.CycleDone(cycleAt, firstSummary(), true)

	// Account "pro" failed: its services are missing, and must not vanish
	// from the expiry alerts.
	partial := renewal.Summary{
		Outcomes: firstSummary().Outcomes[:2],
		Errors:   []error{fmt.Errorf("inventory of account pro: %w", io.ErrUnexpectedEOF)},
	}
	m.CycleDone(cycleAt.Add(time.Hour), partial, false)
	if got := testutil.ToFloat64(m.expiration.WithLabelValues("pro", "202", "vps", "vps-b.vps.ovh.net")); got != float64(expVPS2.Unix()) {
		t.Errorf("service 202 expiration = %v, want it kept (%d) while its account's inventory fails", got, expVPS2.Unix())
	}
	if got := testutil.CollectAndCount(m.state); got != 4 {
		t.Errorf("state series = %d, want 4", got)
	}
}

func TestRenamedServiceLeavesNoStaleSeries(t *testing.T) {
	m := New("dev")
	m.CycleDone(cycleAt, firstSummary(), true)
	next := firstSummary()
	next.Outcomes[0].Service.Name = "vps-a-renamed.vps.ovh.net"
	m.CycleDone(cycleAt.Add(time.Hour), next, true)
	if got := testutil.CollectAndCount(m.expiration); got != 3 {
		t.Errorf("expiration series = %d, want 3 (the old name removed)", got)
	}
}

func TestStatesCoverTheLedger(t *testing.T) {
	for _, s := range state.Statuses {
		if !slices.Contains(States, string(s)) {
			t.Errorf("ledger status %q is missing from States", s)
		}
	}
	if len(States) != len(state.Statuses)+1 || States[len(States)-1] != StateNone {
		t.Errorf("States = %v, want the ledger statuses and %q", States, StateNone)
	}
}

func TestHandlerServesTheRegistry(t *testing.T) {
	m := New("1.2.3")
	m.CycleDone(cycleAt, firstSummary(), true)
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{
		`renewd_build_info{goversion="`,
		`renewd_service_state{account="pro",service_id="202",state="failed"} 1`,
		"go_goroutines ",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// TestConcurrentUse runs every method at once; -race checks the locking.
func TestConcurrentUse(t *testing.T) {
	m := New("dev")
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 50 {
			m.SetPolicy(testPolicy())
			m.CycleDone(cycleAt.Add(time.Duration(i)*time.Minute), firstSummary(), i%2 == 0)
		}
	}()
	for range 50 {
		m.Spent("default", "EUR", 1)
		m.OVHRequest("default", "GET /service", 200)
		if _, err := m.Gatherer().Gather(); err != nil {
			t.Fatal(err)
		}
	}
	<-done
	if got := testutil.ToFloat64(m.requests.WithLabelValues("default", "GET /service", "200")); got != 50 {
		t.Errorf("requests = %v, want 50", got)
	}
}
