package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/control"
	"github.com/renewd/renewd/internal/state"
)

// `renewd status` without a daemon shows a parked report with Slack's
// error, its headline and what to do; --json carries it too.
func TestStatusShowsParkedReports(t *testing.T) {
	o := newCLIOVH(t, cliPolicies)
	cfg, err := loadConfig(&env{getenv: func(string) string { return "" }}, o.config)
	if err != nil {
		t.Fatal(err)
	}
	l, err := state.Open(cfg.StateFile, state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(renewd.Report{Kind: renewd.ReportFailed, ServiceName: "db-7.example\x1b[31m", Reason: "OVH 500"})
	if err := l.Enqueue(state.Report{Key: "term/default/7/2026-12-01/failed/1", Kind: "failed", Body: body},
		state.Report{Key: "cycle/1", Kind: "summary", Body: []byte(`{"kind":"summary"}`)}); err != nil {
		t.Fatal(err)
	}
	if err := l.OutboxPark("slack chat.postMessage: not_in_channel", 1); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	code, out, errs := runCLI(t, "status", "--config", o.config)
	if code != 0 {
		t.Fatalf("status: exit %d: %s", code, errs)
	}
	for _, want := range []string{"1 report(s) wait to be sent", "1 report(s) parked", "not_in_channel",
		"Renewal failed: db-7.example[31m", "term/default/7/2026-12-01/failed/1", "systemctl reload renewd"} {
		if !strings.Contains(out, want) {
			t.Errorf("status does not show %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b") {
		t.Errorf("status prints a control character from a service name")
	}
	_, out, _ = runCLI(t, "status", "--config", o.config, "--json")
	var st struct {
		Reports control.Reports `json:"reports"`
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("status --json: %v\n%s", err, out)
	}
	if st.Reports.Waiting != 1 || len(st.Reports.Parked) != 1 || st.Reports.Parked[0].Error != "slack chat.postMessage: not_in_channel" {
		t.Errorf("status --json reports = %+v", st.Reports)
	}
}

// The daemon's status prints the same.
func TestDaemonStatusShowsParkedReports(t *testing.T) {
	var b bytes.Buffer
	st := control.Status{StartedAt: time.Now(), Terms: []state.Record{}, Reports: &control.Reports{
		Parked: []control.ParkedReport{{Key: "approval/abc", Kind: "approval_request", Title: "Approval needed: renew x",
			Error: "slack chat.postMessage: invalid_blocks", ParkedAt: time.Now()}}}}
	if err := writeDaemonStatus(&b, st, false); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"1 report(s) parked", "invalid_blocks", "Approval needed: renew x", "systemctl reload renewd"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("daemon status does not show %q:\n%s", want, b.String())
		}
	}
	b.Reset()
	st.Reports = &control.Reports{Parked: []control.ParkedReport{}}
	if err := writeDaemonStatus(&b, st, false); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "report(s)") {
		t.Errorf("status speaks of reports when none waits:\n%s", b.String())
	}
}
