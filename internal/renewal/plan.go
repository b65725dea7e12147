package renewal

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/ovh"
	"github.com/renewd/renewd/internal/policy"
	"github.com/renewd/renewd/internal/state"
)

// PlanRow is what a cycle would do with one service now, and why.
type PlanRow struct {
	Service renewd.Service
	Verdict policy.Verdict
	Rule    string
	Action  string // the rule's action, or "" when uncovered
	Period  string
	DueAt   time.Time
	// Price is the price the cycle checks (the chosen strategy's, or the
	// held order's), zero when the walk stopped before pricing; Quote is
	// OVH's dryRun quote of the same renewal, for comparison.
	Price renewd.Money
	Quote renewd.Money
	Cap   renewd.Money
	// Would is what renewd would do: renew, pay, hold for approval,
	// refuse, report, nothing...; Why says why. Expect is the action the
	// cycle's outcome would have.
	Would  string
	Why    string
	Expect Action
	// Status is the term's ledger status, when a ledger was given and it has one.
	Status state.Status
}

// LedgerReader is what Plan reads from the ledger; nil plans as if the
// ledger were empty.
type LedgerReader interface {
	Get(term renewd.Term) (state.Record, bool, error)
	ForService(account string, serviceID int64) ([]state.Record, error)
	InFlight() ([]state.Record, error)
	List(filter state.Filter) ([]state.Record, error)
	SpentSince(account string, since time.Time) (map[string]int64, error)
	OrderOwner(account string, orderID int64) (renewd.Term, bool, error)
	Unreadable() []state.UnreadableRecord
}

var _ LedgerReader = (*state.Ledger)(nil)

// Plan takes one inventory and says what a cycle would do with each
// service at now. It runs the cycle's own machine, reading OVH and the
// ledger as a cycle does, and stops each term at its first write or money
// call, which it describes: plan and cycle cannot disagree on what comes
// first. It creates no order, pays nothing and writes nothing. Accounts
// are read concurrently; an account that fails is returned as an error
// beside the rows of the others.
func Plan(ctx context.Context, s Settings, ledger LedgerReader, now time.Time) ([]PlanRow, error) {
	if ledger == nil {
		ledger = emptyLedger{}
	}
	e := New(Options{Ledger: readOnly{ledger}, Now: func() time.Time { return now }})
	// Inventories run concurrently, as in a cycle; the walks then run one
	// account after the other, as in a cycle, so that the budget sees what
	// the accounts before would commit.
	invs := make([][]renewd.Service, len(s.Accounts))
	errs := make([]error, len(s.Accounts))
	var wg sync.WaitGroup
	for i, a := range s.Accounts {
		wg.Go(func() {
			invs[i], errs[i] = a.Services(ctx)
			if errs[i] != nil {
				errs[i] = fmt.Errorf("inventory of account %s: %w", a.Account(), errs[i])
			}
		})
	}
	wg.Wait()
	var all []PlanRow
	for i, a := range s.Accounts {
		if errs[i] == nil {
			all = append(all, e.planAccount(ctx, s, a, invs[i], now)...)
		}
	}
	return all, errors.Join(errs...)
}

func (e *Engine) planAccount(ctx context.Context, s Settings, a OVH, services []renewd.Service, now time.Time) []PlanRow {
	c := e.newCycle(ctx, s, a, now.UTC(), true)
	outs := c.run(ctx, services)
	rows := make([]PlanRow, 0, len(outs))
	for _, o := range outs {
		d := policy.Decide(c.now, o.Service, s.Policy)
		row := PlanRow{Service: o.Service, Verdict: d.Verdict, DueAt: d.DueAt, Rule: o.Rule,
			Why: o.Reason, Expect: o.Action, Status: o.Status, Price: o.Price}
		if d.Rule != nil {
			row.Action = d.Rule.Action.String()
			if d.Rule.Action == policy.ActionRenew {
				row.Period = d.Rule.Period.String()
				row.Cap = renewd.Money{Ucents: d.Rule.MaxPrice, Currency: o.Price.Currency}
			}
		}
		row.Would = planWords(o)
		if d.Verdict == policy.Renew && row.Price.Ucents != 0 {
			planQuote(ctx, a, o.Service, *d.Rule, &row)
		}
		rows = append(rows, row)
	}
	return rows
}

// planWords says in a word or two what the outcome means in a plan.
func planWords(o Outcome) string {
	if o.Verdict.Reportable() {
		return "report"
	}
	switch o.Action {
	case ActPaid:
		return "renew"
	case ActNothing:
		return "nothing"
	case ActAlreadyPaid, ActDelivered, ActRenewedElsewhere:
		return "nothing (" + string(o.Action) + ")"
	case ActAwaiting:
		return "hold for approval"
	case ActRefused:
		return "refuse"
	case ActDenied:
		return "nothing (denied)"
	case ActPending:
		return "wait"
	case ActFailed:
		return "fail"
	}
	return string(o.Action)
}

// planQuote adds OVH's dryRun quote of the renewal, for comparison with the
// price the cycle checks.
func planQuote(ctx context.Context, a OVH, svc renewd.Service, rule policy.Rule, row *PlanRow) {
	strategies, err := a.RenewStrategies(ctx, svc.ID)
	if err != nil {
		return
	}
	strat, ok := ovh.ChooseStrategy(strategies, svc.ID, rule.Period, rule.AllowBundle)
	if !ok {
		return
	}
	if q, err := a.Quote(ctx, svc.ID, strat); err == nil && q.PriceErr == nil {
		row.Quote = q.WithoutTax
		if q.WithoutTax.Ucents != row.Price.Ucents {
			row.Why += fmt.Sprintf("; OVH's dryRun quote is %s", q.WithoutTax)
		}
	}
}

// would describes the first write or money call of a dry walk, and the
// outcome a cycle would reach through it. A term the plan expects to pay
// adds its price to what the terms after it see committed, as its record
// would in the cycle, unless the ledger already counts it in flight.
func (c *cycle) would(t *term, m move) move {
	out := c.wouldReach(t, m)
	if out.action == ActPaid && !(t.found && slices.Contains(inFlightStatuses, t.rec.Status)) {
		c.e.planned.Add(plannedPrice(t))
	}
	return out
}

// plannedPrice is what a term the plan expects to pay would commit: the
// price this walk read, or else what its record last held (a term that
// starts over after its order expired is priced again by the cycle).
func plannedPrice(t *term) int64 {
	if t.price.Ucents > 0 {
		return t.price.Ucents
	}
	return max(t.rec.OrderUcents, t.rec.QuoteUcents)
}

func (c *cycle) wouldReach(t *term, m move) move {
	switch m.kind {
	case mvCreate:
		return stop(ActPaid, "order and pay: %s", t.rec.Reason)
	case mvPay:
		return stop(ActPaid, "pay order %d", t.rec.OrderID)
	}
	switch m.to {
	case state.StatusOrdering:
		return stop(ActPaid, "order and pay: %s", strings.TrimPrefix(m.reason, "ordering: "))
	case state.StatusPaying:
		return stop(ActPaid, "%s", m.reason)
	case state.StatusOrdered:
		return stop(ActPaid, "record the order and pay it: %s", m.reason)
	case state.StatusAwaitingApproval:
		return stop(ActAwaiting, "%s", m.reason)
	case state.StatusRefused:
		return stop(ActRefused, "%s", m.reason)
	case state.StatusFailed:
		return stop(ActFailed, "%s", m.reason)
	case state.StatusPaid:
		return stop(ActAlreadyPaid, "%s", m.reason)
	case state.StatusDelivered:
		return stop(ActDelivered, "%s", m.reason)
	case state.StatusDue:
		return stop(ActPaid, "start over and renew: %s", m.reason)
	}
	if m.touch {
		return stop(ActPending, "note on the term, then go on")
	}
	return stop(ActPending, "%s", m.reason)
}

// readOnly is a Ledger for a dry walk: it reads, and refuses every write
// (which a dry walk never reaches).
type readOnly struct{ LedgerReader }

var errDry = errors.New("renewd plan writes nothing")

func (readOnly) Transition(renewd.Term, state.Status, string, func(*state.Record) error, state.Reports) (state.Record, error) {
	return state.Record{}, errDry
}
func (readOnly) Touch(renewd.Term, func(*state.Record) error) (state.Record, error) {
	return state.Record{}, errDry
}
func (readOnly) Enqueue(...state.Report) error          { return errDry }
func (readOnly) EnqueueOnce(state.Report) (bool, error) { return false, errDry }

// emptyLedger is a ledger with no record.
type emptyLedger struct{}

func (emptyLedger) Get(renewd.Term) (state.Record, bool, error)      { return state.Record{}, false, nil }
func (emptyLedger) ForService(string, int64) ([]state.Record, error) { return nil, nil }
func (emptyLedger) InFlight() ([]state.Record, error)                { return nil, nil }
func (emptyLedger) List(state.Filter) ([]state.Record, error)        { return nil, nil }
func (emptyLedger) SpentSince(string, time.Time) (map[string]int64, error) {
	return map[string]int64{}, nil
}
func (emptyLedger) OrderOwner(string, int64) (renewd.Term, bool, error) {
	return renewd.Term{}, false, nil
}
func (emptyLedger) Unreadable() []state.UnreadableRecord { return nil }
