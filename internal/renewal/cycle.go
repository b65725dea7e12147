package renewal

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/policy"
	"github.com/renewd/renewd/internal/state"
)

// cycle is the state of one cycle for one account.
type cycle struct {
	e       *Engine
	s       Settings
	ovh     OVH
	account string
	// now is when the cycle started, on the local clock: what the policy
	// decides with (windows, notices). Money is never timed by it: intents
	// are stamped when their write commits, and every comparison with a
	// time OVH gave uses OVH's clock (clockNow).
	now time.Time
	ctx context.Context // the cycle's context: once it ends, no new money call starts
	log *slog.Logger
	dry bool // renewd plan: read, decide, write nothing, move no money

	services map[int64]renewd.Service // this cycle's inventory, by id

	haveClock bool
	clockAt   time.Time // OVH's clock as read
	clockMono time.Time // the engine's clock at that moment (time.Now keeps its monotonic reading)

	book      orderBook
	bookFloor time.Time // the earliest order date a term of the account needs to look at
	errs      []error
}

// Cycle runs one cycle over every account with the given settings and
// returns what it did. Inventory runs concurrently across accounts; the money
// path runs one service at a time. A failing account is reported and the
// others go on. Cancelling ctx stops the cycle between steps; a
// money-moving call already started is allowed to finish and be recorded,
// and none starts after.
func (e *Engine) Cycle(ctx context.Context, s Settings) Summary {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.now().UTC()

	type inventory struct {
		services []renewd.Service
		err      error
	}
	invs := make([]inventory, len(s.Accounts))
	var wg sync.WaitGroup
	for i, a := range s.Accounts {
		wg.Go(func() {
			svcs, err := a.Services(ctx)
			invs[i] = inventory{svcs, err}
		})
	}
	wg.Wait()

	var sum Summary
	for i, a := range s.Accounts {
		c := e.newCycle(ctx, s, a, now, false)
		if err := invs[i].err; err != nil {
			err = fmt.Errorf("inventory of account %s: %w", c.account, err)
			c.log.Error("inventory failed; nothing renewed for this account in this cycle", "err", err)
			c.enqueue(c.accountFailure(err))
			sum.Errors = append(sum.Errors, err)
			continue
		}
		sum.Outcomes = append(sum.Outcomes, c.run(ctx, invs[i].services)...)
		sum.Errors = append(sum.Errors, c.errs...)
	}
	if err := e.unreadable(); err != nil {
		sum.Errors = append(sum.Errors, err)
	}
	e.summarize(now, sum)
	if len(sum.Errors) == 0 {
		e.forgetNotices()
	}
	return sum
}

// unreadable makes records the ledger cannot decode an error of the cycle,
// reported once per record: every other term went on as usual (the ledger
// refuses to act on the services such a record may belong to), but the
// operator must restore the record from a backup.
func (e *Engine) unreadable() error {
	bad := e.ledger.Unreadable()
	if len(bad) == 0 {
		return nil
	}
	for _, b := range bad {
		key := fmt.Sprintf("ledger/unreadable/%s/%q", b.Bucket, b.Key)
		if _, err := e.ledger.EnqueueOnce(newReport(key, renewd.Report{
			Kind: renewd.ReportFailed, At: e.now().UTC(),
			Reason: fmt.Sprintf("the ledger's %s record %q cannot be read (%s); renewd acts on no service it may belong to", b.Bucket, b.Key, b.Err),
			Next:   "restore the ledger from the latest `renewd backup` (docs/operations.md, Backup and restore)",
		})); err != nil {
			e.log.Error("cannot queue a report", "key", key, "err", err)
		}
	}
	return fmt.Errorf("the ledger holds %d record(s) renewd cannot read; first: %s %q: %s", len(bad), bad[0].Bucket, bad[0].Key, bad[0].Err)
}

func (e *Engine) newCycle(ctx context.Context, s Settings, a OVH, now time.Time, dry bool) *cycle {
	return &cycle{e: e, s: s, ovh: a, account: a.Account(), now: now, ctx: ctx, dry: dry,
		log: e.log.With("account", a.Account())}
}

// stopping reports whether the cycle's context has ended: no new money
// call may start.
func (c *cycle) stopping() bool { return c.ctx.Err() != nil }

// run walks the account: first every term with money in flight or a paid
// order to follow (a restart after a crash reconciles before it does
// anything else), then the approvals past their deadline, then each
// service of the inventory.
func (c *cycle) run(ctx context.Context, services []renewd.Service) []Outcome {
	c.services = make(map[int64]renewd.Service, len(services))
	for _, svc := range services {
		c.services[svc.ID] = svc
	}
	recs, err := c.e.ledger.InFlight()
	if err != nil {
		err = fmt.Errorf("account %s: list the terms in flight: %w", c.account, err)
		c.log.Error("cannot list in-flight terms; nothing renewed for this account in this cycle", "err", err)
		c.enqueue(c.accountFailure(err))
		c.errs = append(c.errs, err)
		return nil
	}
	var mine []state.Record
	for _, r := range recs {
		if r.Term.Account != c.account {
			continue
		}
		mine = append(mine, r)
		if (r.Status == state.StatusOrdering || r.MoneyInFlight() && r.OrderID == 0) && !r.IntentOVH.IsZero() {
			if floor := r.IntentOVH.Add(-reconcileMargin); c.bookFloor.IsZero() || floor.Before(c.bookFloor) {
				c.bookFloor = floor
			}
		}
	}
	walked := map[renewd.Term]Outcome{}
	for _, r := range mine {
		if ctx.Err() != nil {
			break
		}
		svc, listed := c.services[r.Term.ServiceID]
		t := c.termOf(svc, listed, r)
		walked[r.Term] = c.walk(ctx, t)
	}
	c.expireApprovals()

	out := make([]Outcome, 0, len(services))
	for _, svc := range services {
		if ctx.Err() != nil {
			c.errs = append(c.errs, fmt.Errorf("cycle stopped: %w", ctx.Err()))
			break
		}
		out = append(out, c.service(ctx, svc, walked))
	}
	return out
}

// termOf is the walk of a ledger record, for the service the inventory
// lists under its id (possibly with another term's expiration by now).
func (c *cycle) termOf(svc renewd.Service, listed bool, r state.Record) *term {
	t := &term{key: r.Term, rec: r, found: true}
	if listed {
		t.svc = svc
		t.d = policy.Decide(c.now, svc, c.s.Policy)
		if t.d.Verdict == policy.Renew {
			t.rule = t.d.Rule
		}
	}
	t.log = c.log.With("service_id", r.Term.ServiceID, "service", orText(svc.Name, r.ServiceName), "term", r.Term.String())
	return t
}

// service decides one service and carries out the decision.
func (c *cycle) service(ctx context.Context, svc renewd.Service, walked map[renewd.Term]Outcome) Outcome {
	d := policy.Decide(c.now, svc, c.s.Policy)
	out := Outcome{Service: svc, Verdict: d.Verdict, Reason: d.Reason, Action: ActNothing}
	if d.Rule != nil {
		out.Rule = d.Rule.Name
	}
	switch {
	case d.Verdict == policy.Renew:
		if o, ok := walked[svc.Term()]; ok {
			o.Service, o.Verdict, o.Rule = svc, d.Verdict, out.Rule
			out = o
			break
		}
		rec, found, err := c.e.ledger.Get(svc.Term())
		if err != nil {
			out.Action, out.Reason = ActFailed, fmt.Sprintf("read the ledger: %v", err)
			c.reportUnrecorded(&term{key: svc.Term(), svc: svc}, "read the ledger's record of the term", err)
			break
		}
		t := &term{key: svc.Term(), svc: svc, d: d, rule: d.Rule, rec: rec, found: found,
			log: c.log.With("service_id", svc.ID, "service", svc.Name, "rule", d.Rule.Name)}
		out = c.walk(ctx, t)
		out.Rule = d.Rule.Name
	case d.Verdict.Reportable():
		c.notice(svc, d)
		out.Action = ActReported
		if rec, ok, err := c.e.ledger.Get(svc.Term()); err == nil && ok {
			out.Status = rec.Status
		}
	default:
		if rec, ok, err := c.e.ledger.Get(svc.Term()); err == nil && ok {
			out.Status = rec.Status
		}
	}
	return c.noSilentNoOp(out)
}

// noSilentNoOp holds the rule that a due, covered renewal ends every cycle
// in a state the operator is told about: ordered or paid, held for
// approval, refused, failed, waiting on an earlier term or an order OVH is
// delivering, or verified renewed. Any other ending is itself a failure:
// reported, counted, and `renewd once` exits 1 for it.
func (c *cycle) noSilentNoOp(out Outcome) Outcome {
	if out.Verdict != policy.Renew || out.Action.accounted() {
		return out
	}
	reason := "renewd did not act on a due service: " + orText(out.Reason, string(out.Action))
	out.Action, out.Reason = ActFailed, reason
	if c.dry {
		return out
	}
	svc := out.Service
	c.log.Error("due service left without an accounted ending", "service_id", svc.ID, "service", svc.Name, "reason", reason)
	if c.e.onSilent != nil {
		c.e.onSilent(c.account)
	}
	c.enqueue(newReport(fmt.Sprintf("term/%s/silent/%d", svc.Term(), c.now.Unix()), renewd.Report{
		Kind: renewd.ReportFailed, At: c.now, Term: svc.Term().String(), Account: svc.Account,
		ServiceID: svc.ID, ServiceName: svc.Name, ServiceType: svc.Type, Expiration: svc.Expiration, Rule: out.Rule,
		Reason: reason, Next: "renewd tries again on the next cycle; this is a bug in renewd, please report it",
	}))
	return out
}

// expireApprovals turns approval requests past their deadline into
// approval_expired, and reports it. An expired request is never a yes.
func (c *cycle) expireApprovals() {
	if c.dry {
		return
	}
	recs, err := c.e.ledger.List(state.Filter{Statuses: []state.Status{state.StatusAwaitingApproval}, Account: c.account})
	if err != nil {
		c.log.Error("cannot list pending approvals", "err", err)
		return
	}
	now := c.e.now()
	for _, r := range recs {
		if !r.Approval.Pending() || r.Approval.ExpiresAt.IsZero() || now.Before(r.Approval.ExpiresAt) {
			continue
		}
		reason := fmt.Sprintf("approval request %s expired at %s without an answer; nothing was paid",
			r.Approval.ID, stamp(r.Approval.ExpiresAt))
		if _, err := c.e.ledger.Transition(r.Term, state.StatusApprovalExpired, reason, nil, func(stored state.Record) []state.Report {
			return []state.Report{approvalReport(renewd.ReportApprovalUpdate, stored, reason)}
		}); err != nil {
			c.log.Error("cannot expire an approval", "service_id", r.Term.ServiceID, "service", r.ServiceName,
				"term", r.Term.String(), "err", err)
			continue
		}
		c.log.Warn("approval request expired", "service_id", r.Term.ServiceID, "service", r.ServiceName, "approval_id", r.Approval.ID)
	}
}
