package main

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/control"
	"github.com/renewd/renewd/internal/state"
)

// TestJSONContract holds every --json output to its table in docs/cli.md,
// strictly: the commands that take --json are those the page documents;
// each documented contract is well formed (snake_case, known types, times
// in _at keys, amounts beside their _ucents); every output of a run of
// those commands against the fake OVH, with and without a daemon, has
// every documented key and no other, at every depth, each of its type;
// and every documented field is seen with a value at least once, so the
// page lists nothing renewd does not fill.
func TestJSONContract(t *testing.T) {
	doc := readCLIDoc(t)
	e := &env{getenv: func(string) string { return "" }, stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}}
	withJSON := map[string]bool{}
	for _, c := range commands() {
		if fs, _ := c.flagSet(e); fs.Lookup("json") != nil {
			withJSON[c.name] = true
			if _, ok := doc.json[c.name]; !ok {
				t.Errorf("renewd %s takes --json, and docs/cli.md has no \"### `renewd %s --json`\" table", c.name, c.name)
			}
		}
	}
	for name, c := range doc.json {
		if !withJSON[name] {
			t.Errorf("docs/cli.md documents `renewd %s --json`, which is not a command with --json", name)
		}
		for _, bad := range c.checkSpec() {
			t.Errorf("docs/cli.md, renewd %s --json: %s", name, bad)
		}
	}
	if t.Failed() {
		return
	}

	outputs := contractRuns(t)
	for name, out := range syntheticOutputs(t) {
		outputs[name] = append(outputs[name], out...)
	}
	for name, c := range doc.json {
		t.Run(name, func(t *testing.T) {
			if len(outputs[name]) == 0 {
				t.Fatalf("no run of renewd %s --json: add one to contractRuns", name)
			}
			seen := map[string]bool{}
			for i, out := range outputs[name] {
				for _, bad := range c.check(out, seen) {
					t.Errorf("output %d: %s", i, bad)
				}
				if t.Failed() {
					t.Logf("output %d:\n%s", i, out)
					return
				}
			}
			for _, bad := range c.uncovered(seen) {
				t.Errorf("%s (in %d outputs)", bad, len(outputs[name]))
			}
		})
	}
}

// contractRuns runs each command with --json against the fake OVH, in an
// order that passes through the states the fields describe: a plan of an
// empty ledger, a cycle that pays, holds and refuses, a plan with ledger
// statuses, an approval decided but not yet acted on, then the same
// through a daemon that has run a cycle. It returns the outputs by command.
func contractRuns(t *testing.T) map[string][]string {
	t.Helper()
	r := newDaemonRig(t)
	outputs := map[string][]string{}
	capture := func(wantCode int, args ...string) string {
		t.Helper()
		code, out, errs := r.cli(t, args...)
		if wantCode >= 0 && code != wantCode { // a negative wantCode takes any exit code
			t.Fatalf("renewd %s: exit %d, want %d\n%s\n%s", strings.Join(args, " "), code, wantCode, out, errs)
		}
		outputs[args[0]] = append(outputs[args[0]], out)
		return out
	}
	capture(exitOK, "plan", "--json")
	capture(-1, "doctor", "--json") // 0, 1 or 2: the report is printed whatever the verdict
	capture(exitNotDone, "once", "--json")
	capture(exitOK, "plan", "--json")
	pending := pendingTerms(t, capture(exitOK, "status", "--json"))
	if len(pending) < 2 {
		t.Fatalf("want two terms held for approval, got %v", pending)
	}
	if code, out, errs := r.cli(t, "approve", pending[0], "--by", "contract"); code != exitOK {
		t.Fatalf("approve: exit %d\n%s\n%s", code, out, errs)
	}
	capture(exitOK, "status", "--json")
	capture(exitOK, "history", "--json")

	ctx, cancel := context.WithCancel(t.Context())
	stderr := &lockedBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"run", "--config", r.cfgPath, "--log-format", "text"}, func(string) string { return "" }, &bytes.Buffer{}, stderr)
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("renewd run: %v", err)
		}
	}()
	waitFor(t, "the daemon's first cycle", func() bool { return strings.Contains(stderr.String(), `msg="cycle done`) }, stderr.String)
	out := capture(exitOK, "status", "--json")
	if !strings.Contains(out, `"started_at"`) {
		t.Fatalf("status --json through the daemon says nothing of it:\n%s", out)
	}
	capture(exitOK, "history", "--json", "--limit", "3")
	return outputs
}

// syntheticOutputs are status and history printed from records that set
// every field, so that each documented field is seen with a value even
// where a run cannot reach it (a migrated term's other orders, a parked
// report, an unreadable record).
func syntheticOutputs(t *testing.T) map[string][]string {
	t.Helper()
	at := time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC)
	rec := fullRecord(at)
	st := control.Status{StartedAt: at, Schedule: "0 6 * * *", NextCycle: at.Add(24 * time.Hour), CycleRunning: true,
		LastCycle: &control.Cycle{Started: at, Finished: at.Add(time.Second), Counts: map[string]int{"paid": 1},
			Errors: []string{"inventory of account eu: 503"}, OK: false, NotRenewed: true}, LastSuccess: at.Add(-24 * time.Hour)}
	us := []state.UnreadableRecord{{Bucket: "terms", Key: "default/9/2026-12-01", Err: "not JSON", SeenAt: at}}
	reports := &control.Reports{Waiting: 2, Parked: []control.ParkedReport{{Key: "cycle/1", Kind: "summary", Title: "Cycle",
		Error: "slack: not_in_channel", Attempts: 3, Enqueued: at, ParkedAt: at}}}
	var status, history bytes.Buffer
	inv := []state.CacheSummary{{Account: "default", Services: 3, OldestRead: at.Add(-time.Hour), LastFull: at.Add(-24 * time.Hour)}}
	if err := writeStatusJSON(&status, &st, []state.Record{rec}, us, reports, inv); err != nil {
		t.Fatal(err)
	}
	ev := state.Event{Seq: 7, Term: rec.Term.String(), At: at, From: state.StatusDue, To: state.StatusOrdering,
		Reason: "order and pay", Actor: state.SystemActor, Folded: 0}
	if err := writeHistoryJSON(&history, []state.Event{ev}, us); err != nil {
		t.Fatal(err)
	}
	return map[string][]string{"status": {status.String()}, "history": {history.String()}}
}

// fullRecord is a record with every field set (TestFullRecordSetsEveryField
// keeps it so as state.Record grows).
func fullRecord(at time.Time) state.Record {
	return state.Record{
		Term:        renewd.Term{Account: "default", ServiceID: 1001, Expiration: renewd.DateOf(at.AddDate(0, 0, 10))},
		ServiceName: "vps-1.vps.ovh.net", ServiceType: "vps", Rule: "vps", Status: state.StatusFailed, Period: "P1M",
		Services: []int64{1001}, CapUcents: 10 * renewd.UcentsPerUnit, Currency: "EUR", QuoteUcents: 7 * renewd.UcentsPerUnit,
		QuoteWithTaxUcents: 840_000_000, Payment: renewd.PaymentForm{MethodID: 9001, Mean: "paypal", MeanID: 777, Default: true},
		IntentAt: at, IntentOVH: at, OrderID: 4242, OrderUcents: 7 * renewd.UcentsPerUnit, OrderWithTaxUcents: 840_000_000,
		OrderExpires: at.Add(72 * time.Hour), PayIntentAt: at, PayIntentOVH: at, CallEndOVH: at, OtherOrders: []int64{4241},
		LastMoneyStep: state.StatusPaying, PaidAt: at, DeliveredAt: at, NewExpiration: renewd.DateOf(at.AddDate(0, 1, 10)),
		Adopted: true, Approval: &state.Approval{ID: "hqggcwpyyw3ocm66khtuonelj4", PriceUcents: 7 * renewd.UcentsPerUnit,
			RequestedAt: at, ExpiresAt: at.Add(72 * time.Hour), Decision: state.DecisionApproved, DecidedBy: "cli:alice",
			DecidedAt: at, SlackChannel: "C0123", SlackTS: "1.2"},
		Attempts: 2, NextAttempt: at.Add(time.Hour), LastError: "OVH 500", Reason: "pay: OVH 500", Created: at, Updated: at,
	}
}

// TestFullRecordSetsEveryField: a field added to state.Record must be set
// in fullRecord, and so decided on: shown in `status --json` (jsonout_status.go
// and docs/cli.md) or deliberately left out.
func TestFullRecordSetsEveryField(t *testing.T) {
	check := func(v reflect.Value) {
		for i := range v.NumField() {
			if v.Field(i).IsZero() {
				t.Errorf("fullRecord leaves %s.%s unset", v.Type().Name(), v.Type().Field(i).Name)
			}
		}
	}
	rec := fullRecord(time.Now())
	check(reflect.ValueOf(rec))
	check(reflect.ValueOf(*rec.Approval))
}
