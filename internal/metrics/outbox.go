package metrics

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// The report delivery metrics.
const (
	NameOutboxReports    = "renewd_outbox_reports"
	NameOutboxParked     = "renewd_outbox_parked_reports"
	NameSlackSocketMode  = "renewd_slack_socket_mode_up"
	helpOutboxReports    = "Reports waiting in the ledger's outbox to be delivered (Slack or the log)."
	helpOutboxParked     = "Reports the destination refused for good (invalid_blocks, not_in_channel, a revoked token...), parked in the ledger: `renewd status` lists them, and a reload or restart sends them again."
	helpSlackSocketModeU = "1 while Slack approvals work over Socket Mode, 0 during an outage (approval requests then go without buttons; decide with `renewd approve`). Absent before the first connection, and without Slack approvals."
)

// outboxCollector reads the outbox's counts at each scrape, from the
// function WatchOutbox set; nothing is exposed before.
type outboxCollector struct {
	waiting, parked *prometheus.Desc

	mu    sync.Mutex
	count func() (waiting, parked int, err error)
}

func newOutboxCollector() *outboxCollector {
	return &outboxCollector{
		waiting: prometheus.NewDesc(NameOutboxReports, helpOutboxReports, nil, nil),
		parked:  prometheus.NewDesc(NameOutboxParked, helpOutboxParked, nil, nil),
	}
}

func (o *outboxCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- o.waiting
	ch <- o.parked
}

func (o *outboxCollector) Collect(ch chan<- prometheus.Metric) {
	o.mu.Lock()
	count := o.count
	o.mu.Unlock()
	if count == nil {
		return
	}
	waiting, parked, err := count()
	if err != nil {
		ch <- prometheus.NewInvalidMetric(o.waiting, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(o.waiting, prometheus.GaugeValue, float64(waiting))
	ch <- prometheus.MustNewConstMetric(o.parked, prometheus.GaugeValue, float64(parked))
}

// WatchOutbox makes renewd_outbox_reports and renewd_outbox_parked_reports
// read count at each scrape (state.Ledger.OutboxCounts: it counts keys,
// decodes nothing). A count that fails makes the scrape report the error.
func (m *Metrics) WatchOutbox(count func() (waiting, parked int, err error)) {
	m.outbox.mu.Lock()
	defer m.outbox.mu.Unlock()
	m.outbox.count = count
}

// SlackSocketMode sets renewd_slack_socket_mode_up: whether Slack approvals
// work. Its signature matches slack.Options.OnSocketMode.
func (m *Metrics) SlackSocketMode(up bool) {
	v := 0.0
	if up {
		v = 1
	}
	m.socketMode.WithLabelValues().Set(v)
}
