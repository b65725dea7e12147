package renewal

import (
	"context"
	"errors"
	"fmt"
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
	Quote   renewd.Money // the dryRun price without tax; zero when not quoted
	Cap     renewd.Money
	// Would is what renewd would do: renew, hold for approval, refuse,
	// report, nothing; Why says why.
	Would string
	Why   string
	// Status is the term's ledger status, when a ledger was given and it has one.
	Status string
}

// LedgerReader is what Plan reads from the ledger; nil skips it.
type LedgerReader interface {
	Get(term renewd.Term) (state.Record, bool, error)
}

// Plan takes one inventory and says what a cycle would do with each
// service at now. Prices come from OVH's dryRun quote. It creates no order,
// pays nothing and writes nothing. Accounts are read concurrently; an
// account that fails is returned as an error beside the rows of the others.
func Plan(ctx context.Context, s Settings, ledger LedgerReader, now time.Time) ([]PlanRow, error) {
	rows := make([][]PlanRow, len(s.Accounts))
	errs := make([]error, len(s.Accounts))
	var wg sync.WaitGroup
	for i, a := range s.Accounts {
		wg.Go(func() { rows[i], errs[i] = planAccount(ctx, s, a, ledger, now) })
	}
	wg.Wait()
	var all []PlanRow
	for _, r := range rows {
		all = append(all, r...)
	}
	return all, errors.Join(errs...)
}

func planAccount(ctx context.Context, s Settings, a OVH, ledger LedgerReader, now time.Time) ([]PlanRow, error) {
	services, err := a.Services(ctx)
	if err != nil {
		return nil, fmt.Errorf("inventory of account %s: %w", a.Account(), err)
	}
	rows := make([]PlanRow, 0, len(services))
	for _, svc := range services {
		d := policy.Decide(now, svc, s.Policy)
		row := PlanRow{Service: svc, Verdict: d.Verdict, DueAt: d.DueAt, Why: d.Reason}
		if d.Rule != nil {
			row.Rule, row.Action = d.Rule.Name, d.Rule.Action.String()
			if d.Rule.Action == policy.ActionRenew {
				row.Period = d.Rule.Period.String()
				row.Cap = renewd.Money{Ucents: d.Rule.MaxPrice}
			}
		}
		if ledger != nil {
			if rec, ok, err := ledger.Get(svc.Term()); err == nil && ok {
				row.Status = string(rec.Status)
			}
		}
		switch {
		case d.Verdict == policy.Renew:
			planPrice(ctx, a, svc, *d.Rule, &row)
		case d.Verdict.Reportable():
			row.Would = "report"
		default:
			row.Would = "nothing"
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// planPrice quotes a due renewal and applies the cap and approval rule.
func planPrice(ctx context.Context, a OVH, svc renewd.Service, rule policy.Rule, row *PlanRow) {
	switch row.Status {
	case string(stPaid), string(stDelivered), string(stUndelivered):
		row.Would, row.Why = "nothing", "already paid: "+row.Why
		return
	}
	strategies, err := a.RenewStrategies(ctx, svc.ID)
	if err != nil {
		row.Would, row.Why = "fail", fmt.Sprintf("read renewal strategies: %v", err)
		return
	}
	strat, ok := ovh.ChooseStrategy(strategies, svc.ID, rule.Period, rule.AllowBundle)
	if !ok {
		row.Would, row.Why = "fail", fmt.Sprintf("OVH offers no %s renewal of this service alone (offered: %s)", rule.Period, offered(strategies))
		return
	}
	quote, err := a.Quote(ctx, svc.ID, strat)
	if err == nil {
		err = quote.PriceErr
	}
	if err != nil {
		row.Would, row.Why = "fail", fmt.Sprintf("quote: %v", err)
		return
	}
	row.Quote = quote.WithoutTax
	row.Cap.Currency = quote.WithoutTax.Currency
	row.Why += ", " + policy.PriceReason(rule, quote.WithoutTax.Ucents)
	switch policy.CheckPrice(rule, quote.WithoutTax.Ucents) {
	case policy.WithinCap:
		row.Would = "renew"
	case policy.NeedsApproval:
		row.Would = "hold for approval"
	case policy.OverCapHold:
		row.Would = "hold for approval (over cap)"
	case policy.OverCapRefused:
		row.Would = "refuse (over cap)"
	default: // policy.PriceUnusable
		row.Would = "fail"
	}
}
