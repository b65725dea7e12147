package main

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/renewd/renewd/internal/metrics"
	"github.com/renewd/renewd/internal/ovhfake"
)

// A reload that widens a window puts the services newly within it in
// their horizon on the next cycle: the daemon builds the inventory again
// with the new policy. Here the sample's vps-beta (1002), 90 days from
// expiry and the only service beyond the horizon of 33 days, is decided
// from the cache until a rule that could match it watches it from 100
// days; then it is read.
func TestRunReloadPutsTheNewPolicyInTheInventory(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildDaemonBinary(t)
	r := newDaemonRig(t)
	r.fake.UpdateWire(func(w *ovhfake.Wire) { w.Expanded, w.Batch = ovhfake.ExpandedRefused, ovhfake.BatchRefused })
	addr := freeAddr(t)
	write := func(extra string) {
		body := fmt.Sprintf("listen: %s\ncontrol_socket: %s\n", addr, r.socket) + fmt.Sprintf(demoConfig, r.dir, r.endpoint) + extra
		if err := os.WriteFile(r.cfgPath, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("")
	d := startDaemon(t, bin, r.cfgPath)
	stderr := &d.stderr
	cycles := func() int { return strings.Count(stderr.String(), "msg=\"cycle done") }
	cycle := func(n int) {
		t.Helper()
		if code, out, errs := r.cli(t, "run-now"); code != 0 {
			t.Fatalf("run-now: exit %d\n%s%s", code, out, errs)
		}
		waitFor(t, fmt.Sprintf("cycle %d", n), func() bool { return cycles() >= n }, stderr.String)
	}
	fromCache := func() float64 {
		t.Helper()
		got := find(scrape(t, "http://"+addr+"/metrics"), metrics.NameInventoryServices, map[string]string{"account": "default", "source": "cache"})
		if len(got) != 1 {
			t.Fatalf("%s{source=cache}: %v", metrics.NameInventoryServices, got)
		}
		return got[0].value
	}
	waitFor(t, "the first cycle", func() bool { return cycles() >= 1 }, stderr.String)
	if n := fromCache(); n != 0 {
		t.Errorf("the first cycle decided %v services from the cache, want 0 (a full read)", n)
	}
	cycle(2)
	if n := fromCache(); n != 1 {
		t.Fatalf("second cycle: %v services from the cache, want 1 (vps-beta)\n%s", n, stderr.String())
	}
	write(`  - name: beta-watch
    match: {service_ids: [1002]}
    action: notify
    renew_before: 100d
`)
	d.signal(t, syscall.SIGHUP)
	waitFor(t, "the reload", func() bool { return strings.Contains(stderr.String(), "rule beta-watch added") }, stderr.String)
	cycle(3)
	if n := fromCache(); n != 0 {
		t.Errorf("after the reload: %v services from the cache, want 0 (vps-beta is within 103 days now)", n)
	}
	code, out, errs := r.cli(t, "status")
	if code != 0 || !strings.Contains(out, "LAST FULL READ") || !strings.Contains(out, "\ndefault  9  ") {
		t.Errorf("status through the daemon: exit %d\n%s%s", code, out, errs)
	}
	d.stop(t)
}
