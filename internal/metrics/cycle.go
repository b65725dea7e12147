package metrics

import (
	"slices"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/policy"
	"github.com/renewd/renewd/internal/renewal"
)

// CountedResults are the outcome actions renewd_renewals_total counts, one
// result label value each. Other actions (nothing, reported, already-paid,
// pending) describe standing states and are not counted.
var CountedResults = []renewal.Action{
	renewal.ActPaid, renewal.ActDelivered, renewal.ActAwaiting,
	renewal.ActDenied, renewal.ActRefused, renewal.ActFailed,
}

// serviceKey names one service across cycles.
type serviceKey struct {
	account string
	id      int64
}

// exposed is what the last cycle that saw a service exposed for it.
type exposed struct {
	typ, name  string
	state      string
	expiration renewd.Date // the term's expiration, to tell a new term from a standing one
	action     renewal.Action
}

// SetPolicy sets the policy used to compute each service's renewal-due
// timestamp (policy.Decide's DueAt) from the next CycleDone on. The caller
// must not modify p afterwards. Before the first call the policy is empty and
// no due timestamp is exposed.
func (m *Metrics) SetPolicy(p policy.Policy) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.policy = p
}

// CycleDone records a cycle that ran at time at:
//
//   - for every outcome, the service's expiration, its renewal-due time (when
//     a rule covers it and OVH gives an expiration) and the state of
//     its current term ("none" without a ledger record);
//   - renewd_renewals_total{result} for outcomes whose action is one of
//     CountedResults and differs from what the previous cycle saw for the
//     same service and term. A standing state (a refusal repeated every
//     cycle, an approval still pending, a failure waiting for its retry) is
//     counted once, when it starts. A failure that repeats after its retry
//     with no other outcome in between is not counted again: alert on
//     renewd_service_state for standing failures. The memory is in-process,
//     so a restart counts a standing outcome once more;
//   - the last-cycle timestamp, and the last-success timestamp when ok.
//
// Services missing from sum lose all their series, but only when the cycle
// saw the whole inventory (sum.Errors empty): an account whose inventory
// failed keeps its last known values rather than dropping its expiring
// services out of the alerts.
func (m *Metrics) CycleDone(at time.Time, sum renewal.Summary, ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()

	present := make(map[serviceKey]bool, len(sum.Outcomes))
	for _, o := range sum.Outcomes {
		k := serviceKey{o.Service.Account, o.Service.ID}
		present[k] = true
		prev, had := m.seen[k]
		m.seen[k] = m.exposeService(at, o, prev, had)
	}
	if len(sum.Errors) == 0 {
		for k := range m.seen {
			if !present[k] {
				m.forget(k)
			}
		}
	}
	m.last.WithLabelValues().Set(unixSeconds(at))
	if ok {
		m.lastOK.WithLabelValues().Set(unixSeconds(at))
	}
}

// exposeService sets one service's gauges, counts its outcome, and returns
// what was exposed. m.mu is held.
func (m *Metrics) exposeService(at time.Time, o renewal.Outcome, prev exposed, had bool) exposed {
	svc := o.Service
	id := strconv.FormatInt(svc.ID, 10)
	now := exposed{typ: svc.Type, name: svc.Name, expiration: svc.Expiration, action: o.Action, state: string(o.Status)}
	if now.state == "" {
		now.state = StateNone
	}
	if had && (prev.typ != now.typ || prev.name != now.name) {
		m.expiration.DeleteLabelValues(svc.Account, id, prev.typ, prev.name)
		m.renewalDue.DeleteLabelValues(svc.Account, id, prev.typ, prev.name)
	}

	m.notActed.WithLabelValues(svc.Account) // present at 0, so increase() sees the first one
	labels := []string{svc.Account, id, svc.Type, svc.Name}
	if svc.Expiration.IsZero() {
		m.expiration.DeleteLabelValues(labels...)
	} else {
		m.expiration.WithLabelValues(labels...).Set(unixSeconds(svc.Expiration.Start()))
	}
	if due := policy.Decide(at, svc, m.policy).DueAt; due.IsZero() {
		m.renewalDue.DeleteLabelValues(labels...)
	} else {
		m.renewalDue.WithLabelValues(labels...).Set(unixSeconds(due))
	}

	// One series per service, for its current state, at 1: the series of
	// the previous state goes when the state changes. Exposing every state
	// at 0 as well would multiply the series by the number of states (14):
	// 140,000 series for 10,000 services, most of the daemon's memory.
	if had && prev.state != now.state {
		m.state.DeleteLabelValues(svc.Account, id, prev.state)
	}
	m.state.WithLabelValues(svc.Account, id, now.state).Set(1)

	if slices.Contains(CountedResults, o.Action) &&
		(!had || prev.action != o.Action || prev.expiration != svc.Expiration) {
		m.renewals.WithLabelValues(string(o.Action)).Inc()
	}
	return now
}

// forget removes every series of a service that left the inventory. m.mu is
// held.
func (m *Metrics) forget(k serviceKey) {
	match := prometheus.Labels{"account": k.account, "service_id": strconv.FormatInt(k.id, 10)}
	m.expiration.DeletePartialMatch(match)
	m.renewalDue.DeletePartialMatch(match)
	m.state.DeletePartialMatch(match)
	delete(m.seen, k)
}

// unixSeconds is t as a Prometheus timestamp value, with sub-second precision.
func unixSeconds(t time.Time) float64 {
	return float64(t.UnixNano()) / 1e9
}
