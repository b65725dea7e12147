package renewal

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/policy"
)

// cycle is the state of one cycle for one account.
type cycle struct {
	e        *Engine
	s        Settings
	ovh      OVH
	account  string
	now      time.Time
	log      *slog.Logger
	services map[int64]renewd.Service // this cycle's inventory, by id
	claimed  map[int64]renewd.Term    // order id -> the term that holds it; nil until first needed
}

// Cycle runs one cycle over every account with the given settings and
// returns what it did. Inventory runs concurrently across accounts; the money
// path runs one service at a time. A failing account is reported and the
// others go on. Cancelling ctx stops the cycle between services; a
// money-moving call already started is allowed to finish and be recorded.
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
		c := &cycle{e: e, s: s, ovh: a, account: a.Account(), now: now,
			log: e.log.With("account", a.Account())}
		if err := invs[i].err; err != nil {
			err = fmt.Errorf("inventory of account %s: %w", c.account, err)
			c.log.Error("inventory failed; nothing renewed for this account in this cycle", "err", err)
			c.enqueue(c.accountFailure(err))
			sum.Errors = append(sum.Errors, err)
			continue
		}
		c.services = make(map[int64]renewd.Service, len(invs[i].services))
		for _, svc := range invs[i].services {
			c.services[svc.ID] = svc
		}
		c.reconcileInFlight(ctx)
		c.expireApprovals()
		for _, svc := range invs[i].services {
			if ctx.Err() != nil {
				sum.Errors = append(sum.Errors, fmt.Errorf("cycle stopped: %w", ctx.Err()))
				break
			}
			sum.Outcomes = append(sum.Outcomes, c.service(ctx, svc))
		}
	}
	e.summarize(now, sum)
	if len(sum.Errors) == 0 {
		e.forgetNotices()
	}
	return sum
}

// service decides one service and carries out the decision.
func (c *cycle) service(ctx context.Context, svc renewd.Service) Outcome {
	d := policy.Decide(c.now, svc, c.s.Policy)
	out := Outcome{Service: svc, Verdict: d.Verdict, Reason: d.Reason, Action: ActNothing}
	if d.Rule != nil {
		out.Rule = d.Rule.Name
	}
	switch {
	case d.Verdict == policy.Renew:
		return c.renew(ctx, svc, *d.Rule, out)
	case d.Verdict.Reportable():
		c.notice(svc, d)
		out.Action = ActReported
	}
	if rec, ok, err := c.e.ledger.Get(svc.Term()); err == nil && ok {
		out.Status = string(rec.Status)
	}
	return out
}
