package daemon

import (
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/renewd/renewd/internal/ovhfake"
	"github.com/renewd/renewd/internal/state"
)

// TestEveryLogLineAboutAServiceNamesIt runs cycles through faults on the
// money routes and a GET, an approval and its payment, with a JSON log, and
// checks that every record about a service, term or order carries both the
// service's id and its name, and that amounts and periods read as text.
func TestEveryLogLineAboutAServiceNamesIt(t *testing.T) {
	e := newEnv(t)
	// vps-alpha: the order is created but its answer lost; the payment is
	// taken but answered 500. example.org's renewal strategies fail once.
	e.fake.Inject(ovhfake.Fault{Route: "POST /service/{id}/renew", DropAfterWork: true, Times: 1})
	e.fake.Inject(ovhfake.Fault{Route: "POST /me/order/{id}/pay", StatusAfterWork: 500, Times: 1})
	e.fake.Inject(ovhfake.Fault{Route: "GET /service/{id}/renew", Status: 500, Times: 1})
	opts := e.options(t)
	opts.Listener.Close()
	opts.Listener = nil
	opts.Logger = slog.New(slog.NewJSONHandler(e.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	d, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	d.cycle(t.Context())
	e.metrics.waitCycle(t)
	d.cycle(t.Context()) // example.org again, now held for approval
	e.metrics.waitCycle(t)
	held, err := e.ledger.List(state.Filter{Statuses: []state.Status{state.StatusAwaitingApproval}})
	if err != nil || len(held) == 0 {
		t.Fatalf("no term awaiting approval (%v); log:\n%s", err, e.log)
	}
	if _, err := d.Decide(held[0].Term.String(), string(state.DecisionApproved), "cli:alice"); err != nil {
		t.Fatalf("approve: %v", err)
	}
	d.cycle(t.Context())
	e.metrics.waitCycle(t)

	keys := []string{"service_id", "service", "term", "order_id"}
	about := 0
	msgs := map[string]bool{}
	for line := range strings.SplitSeq(strings.TrimSpace(e.log.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON: %v\n%s", err, line)
		}
		var has bool
		for _, k := range keys {
			_, ok := rec[k]
			has = has || ok
		}
		if !has {
			continue
		}
		about++
		msgs[rec["msg"].(string)] = true
		id, _ := rec["service_id"].(float64)
		name, _ := rec["service"].(string)
		if id == 0 || name == "" {
			t.Errorf("log record about a service lacks its id or name: %s", line)
		}
		for _, k := range []string{"price", "period"} {
			if v, ok := rec[k]; ok {
				if _, isText := v.(string); !isText {
					t.Errorf("%s is logged as %v, want text such as \"9.99 EUR\": %s", k, v, line)
				}
			}
		}
	}
	// The faults and the approval took the paths this test is about.
	for _, m := range []string{"renewal order outcome unknown; reconciling", "payment outcome unknown; reconciling",
		"renewal step failed", "renewal held for approval", "approval decided", "payment confirmed by OVH"} {
		if !msgs[m] {
			t.Errorf("no %q record among %d about services; log:\n%s", m, about, e.log)
		}
	}
}
