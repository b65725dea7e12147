package daemon

import (
	"strings"
	"testing"

	"github.com/renewd/renewd/internal/metrics"
	"github.com/renewd/renewd/internal/slack"
	"github.com/renewd/renewd/internal/slackfake"
)

// Slack refuses the first report for good (the bot is not in the
// channel): it is parked, the others go out, the daemon's status and the
// metric show it; once the bot is invited, a reload sends it.
func TestParkedReportInStatusAndMetricThenReload(t *testing.T) {
	e := newSlackEnv(t)
	e.slack.Fail(slackfake.PostMessage, slackfake.Fault{Code: "not_in_channel"})
	m := metrics.New("dev")
	m.WatchOutbox(e.ledger.OutboxCounts)
	d, tm, _ := e.startDaemon(t)
	tm.waitCycle(t)
	eventually(t, "one report parked and the rest delivered", func() bool {
		w, p, err := e.ledger.OutboxCounts()
		return err == nil && w == 0 && p == 1
	})

	st, err := d.Status()
	if err != nil {
		t.Fatal(err)
	}
	if st.Reports == nil || len(st.Reports.Parked) != 1 || st.Reports.Waiting != 0 {
		t.Fatalf("status reports = %+v, want one parked", st.Reports)
	}
	p := st.Reports.Parked[0]
	if !strings.HasPrefix(p.Key, "approval/") || !strings.Contains(p.Error, "not_in_channel") ||
		!strings.HasPrefix(p.Title, "Approval needed: renew vps-alpha") {
		t.Errorf("parked %+v; want the approval request, refused with not_in_channel", p)
	}
	if v := unlabelledGauge(t, m, metrics.NameOutboxParked); v != 1 {
		t.Errorf("%s = %v, want 1", metrics.NameOutboxParked, v)
	}
	if !e.log.contains("report parked") {
		t.Error("the parked report is not logged")
	}
	posted := len(slackfake.Only(e.slack.Calls(), isPost))
	if posted < 2 {
		t.Errorf("%d reports posted behind the parked one, want the others", posted)
	}

	// The bot is invited; the operator reloads.
	if err := d.Reload(); err != nil {
		t.Fatal(err)
	}
	id := e.record(t).Approval.ID
	e.await(t, "the approval request, sent again", func(calls []slackfake.Call) bool {
		for _, c := range slackfake.Only(calls, isPost) {
			if strings.Contains(c.Blocks, id) {
				return true
			}
		}
		return false
	})
	eventually(t, "nothing parked", func() bool {
		_, p, err := e.ledger.OutboxCounts()
		return err == nil && p == 0
	})
	if v := unlabelledGauge(t, m, metrics.NameOutboxParked); v != 0 {
		t.Errorf("%s = %v after the reload, want 0", metrics.NameOutboxParked, v)
	}
	if st, _ := d.Status(); st.Reports == nil || len(st.Reports.Parked) != 0 {
		t.Errorf("status after the reload: %+v", st.Reports)
	}
	var req slackfake.Call
	for _, c := range slackfake.Only(e.slack.Calls(), isPost) {
		if strings.Contains(c.Blocks, id) {
			req = c
		}
	}
	if b := buttons(t, req); b[slack.ActionApprove] != id {
		t.Errorf("the request sent again has buttons %v", b)
	}
	e.checkNoLeak(t)
}

// unlabelledGauge reads an unlabelled gauge from the metrics.
func unlabelledGauge(t *testing.T, m *metrics.Metrics, name string) float64 {
	t.Helper()
	mfs, err := m.Gatherer().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) == 1 {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("%s not exposed", name)
	return 0
}
