package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/renewd/renewd/internal/ovhfake"
	"github.com/renewd/renewd/internal/state"
)

// Notify rules only: no money call re-reads a service, so the reads of
// /service/{id} are the inventory's.
const notifyPolicies = `  - name: all-vps
    match: {type: vps}
    action: notify
    renew_before: 7d
`

// The sample account expires in 3 to 12 days, but for vps-beta (1002), at
// 90 days: beyond its horizon of 33 days (report_within 30d + 3d).
func TestOnceAndPlanReadOnlyWhatMattersUnlessFull(t *testing.T) {
	o := newCLIOVH(t, notifyPolicies)
	o.fake.UpdateWire(func(w *ovhfake.Wire) { w.Expanded, w.Batch = ovhfake.ExpandedRefused, ovhfake.BatchRefused })
	reads := func() int { return o.fake.Requests()["GET /service/{id}"] }
	step := func(want int, args ...string) {
		t.Helper()
		before := reads()
		code, out, errs := runCLI(t, append(args, "--config", o.config)...)
		if code == exitUsage || code == exitLedger {
			t.Fatalf("%v: exit %d\n%s%s", args, code, out, errs)
		}
		if got := reads() - before; got != want {
			t.Errorf("%v read %d services, want %d", args, got, want)
		}
		if strings.Contains(errs, "service cache not updated") || strings.Contains(errs, "level=ERROR") {
			t.Errorf("%v: %s", args, errs)
		}
	}
	// Each command is a new client, which tries a batch first (refused:
	// one request) before reading one service a request.
	step(1+8, "once") // the cache is empty: every service
	step(1+7, "once")
	step(1+8, "once", "--full")
	step(1+7, "plan")
	step(1+8, "plan", "--full")

	l, err := state.Open(filepath.Join(o.dir, "renewd.db"), state.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	c, err := l.ServiceCache("default")
	l.Close()
	if err != nil || len(c.Services) != 8 || c.LastFull.IsZero() {
		t.Fatalf("service cache: %d entries, last full %v, %v", len(c.Services), c.LastFull, err)
	}
	code, out, errs := runCLI(t, "status", "--config", o.config)
	if code != 0 {
		t.Fatalf("status: exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "LAST FULL READ") || !strings.Contains(out, "\ndefault  8  ") {
		t.Errorf("status does not show the account's cache:\n%s", out)
	}
}
