// Package metrics exposes renewd's Prometheus metrics: per-service expiration
// and renewal-due timestamps, the ledger state of every service's current
// term, counters of renewals, money spent and OVH requests, the time of the
// last cycle, the monthly budget and what was spent against it, the
// outbox's length, and the number of ledger records that cannot be read.
// Names follow cert-manager's conventions (timestamps end in
// _timestamp_seconds, counters in _total) and no label carries a date.
//
// Metrics owns its own prometheus.Registry; nothing is registered on the
// global one. Every method is safe for concurrent use.
package metrics

import (
	"net/http"
	"runtime"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/renewd/renewd/internal/policy"
	"github.com/renewd/renewd/internal/state"
)

// Metric names, exported so that tests and alert checks refer to one spelling.
const (
	NameExpiration       = "renewd_service_expiration_timestamp_seconds"
	NameRenewalDue       = "renewd_service_renewal_due_timestamp_seconds"
	NameServiceState     = "renewd_service_state"
	NameRenewals         = "renewd_renewals_total"
	NameSpent            = "renewd_spent_total"
	NameOVHRequests      = "renewd_ovh_requests_total"
	NameLastCycleSuccess = "renewd_last_cycle_success_timestamp_seconds"
	NameLastCycle        = "renewd_last_cycle_timestamp_seconds"
	NameBuildInfo        = "renewd_build_info"
	NameNotActed         = "renewd_due_not_acted_total"
	NameLedgerUnreadable = "renewd_ledger_unreadable_records"
	NameBudget           = "renewd_budget_monthly"
	NameSpentThisMonth   = "renewd_spent_this_month"
)

// StateNone is the state label of a service whose current term has no
// ledger record.
const StateNone = "none"

// States lists every value of the state label of renewd_service_state: the
// ledger statuses, then StateNone. Exactly one is 1 for each service.
var States = func() []string {
	var out []string
	for _, s := range state.Statuses {
		out = append(out, string(s))
	}
	return append(out, StateNone)
}()

// Metrics holds renewd's collectors and the per-service bookkeeping needed to
// delete the series of services that leave the inventory. The zero value is
// not usable; call New.
type Metrics struct {
	reg *prometheus.Registry

	expiration *prometheus.GaugeVec
	renewalDue *prometheus.GaugeVec
	state      *prometheus.GaugeVec
	renewals   *prometheus.CounterVec
	spent      *prometheus.CounterVec
	requests   *prometheus.CounterVec
	// lastOK and last have no labels; they are vectors so that they stay
	// absent until the first cycle instead of reading 0.
	lastOK   *prometheus.GaugeVec
	last     *prometheus.GaugeVec
	notActed *prometheus.CounterVec
	// unreadable is present from the start, at 0, so that an alert on it
	// sees a series.
	unreadable prometheus.Gauge
	// budget and monthSpent are by currency.
	budget     *prometheus.GaugeVec
	monthSpent *prometheus.GaugeVec
	// socketMode has no labels; absent until Slack approvals connect.
	socketMode *prometheus.GaugeVec
	outbox     *outboxCollector
	inventory  *inventoryMetrics

	mu     sync.Mutex
	policy policy.Policy
	// seen is what the last cycle exposed for each service, by serviceKey.
	seen map[serviceKey]exposed
	// The currencies budget and monthSpent have a series for.
	budgetCurrencies, spentCurrencies map[string]bool
}

// New builds the collectors and registers them, with the Go and process
// collectors, on a fresh registry. version is the build's version string for
// renewd_build_info.
func New(version string) *Metrics {
	serviceLabels := []string{"account", "service_id", "type", "name"}
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		expiration: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: NameExpiration,
			Help: "When the service expires at OVH, as a Unix timestamp. Absent when OVH gives no expiration.",
		}, serviceLabels),
		renewalDue: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: NameRenewalDue,
			Help: "When the service's renewal window opens (expiration minus the covering rule's renew_before), as a Unix timestamp. Absent when no rule covers the service or OVH gives no expiration.",
		}, serviceLabels),
		state: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: NameServiceState,
			Help: "Ledger status of the service's current term: one series per service, for its current state, at 1; state=\"none\" when the term has no record.",
		}, []string{"account", "service_id", "state"}),
		renewals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: NameRenewals,
			Help: "Renewal outcomes, counted when a service's outcome changes from one cycle to the next (a standing state is not counted again every cycle).",
		}, []string{"result"}),
		spent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: NameSpent,
			Help: "Money paid to OVH for renewals, without tax, in units of the currency.",
		}, []string{"currency"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: NameOVHRequests,
			Help: "HTTP attempts against the OVH API by account, route pattern and status code (\"error\" for a network error).",
		}, []string{"account", "route", "code"}),
		lastOK: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: NameLastCycleSuccess,
			Help: "When the last successful cycle ran, as a Unix timestamp. Absent until one succeeds.",
		}, nil),
		last: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: NameLastCycle,
			Help: "When the last cycle ran, successful or not, as a Unix timestamp. Absent until one ends.",
		}, nil),
		notActed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: NameNotActed,
			Help: "Due, covered services a cycle left in no state renewd reports (not ordered, held, refused, failed or waiting); each was reported as a failure. Any increase is a bug in renewd.",
		}, []string{"account"}),
		unreadable: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: NameLedgerUnreadable,
			Help: "Records of the ledger that cannot be decoded; their services are not renewed until the ledger is restored from a backup.",
		}),
		budget: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: NameBudget,
			Help: "The monthly budget of the config, without tax, in units of its currency. Absent without a budget.",
		}, []string{"currency"}),
		monthSpent: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: NameSpentThisMonth,
			Help: "Money paid to OVH for renewals since the first of the month (UTC), without tax, in units of the currency, as the ledger records it at the end of the last cycle: what the budget counts, orders in flight aside.",
		}, []string{"currency"}),
		socketMode: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: NameSlackSocketMode,
			Help: helpSlackSocketModeU,
		}, nil),
		outbox:    newOutboxCollector(),
		inventory: newInventoryMetrics(),
		seen:      map[serviceKey]exposed{},
	}
	build := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        NameBuildInfo,
		Help:        "Always 1; the labels say which renewd build is running.",
		ConstLabels: prometheus.Labels{"version": version, "goversion": runtime.Version()},
	})
	build.Set(1)
	for _, r := range CountedResults {
		m.renewals.WithLabelValues(string(r)) // present at 0, so increase() sees the first one
	}
	m.reg.MustRegister(
		m.expiration, m.renewalDue, m.state, m.renewals, m.spent, m.requests, m.lastOK, m.last, m.unreadable, m.notActed, build,
		m.budget, m.monthSpent, m.socketMode, m.outbox,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	m.reg.MustRegister(m.inventory.collectors()...)
	return m
}

// Handler serves the registry in the Prometheus exposition formats. Errors
// while gathering are logged by promhttp's defaults into the response.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Gatherer returns the registry, for tests and for callers that expose it
// another way (a textfile for node_exporter).
func (m *Metrics) Gatherer() prometheus.Gatherer { return m.reg }
