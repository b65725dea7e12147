package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/time/rate"

	"github.com/renewd/renewd/internal/ovh"
	"github.com/renewd/renewd/internal/policy/policytest"
	"github.com/renewd/renewd/internal/renewal"
	"github.com/renewd/renewd/internal/state"
)

// cycleResult is what the child prints on stdout.
type cycleResult struct {
	Services int           `json:"services"`
	Outcomes int           `json:"outcomes"`
	Paid     int           `json:"paid"`
	Reported int           `json:"reported"`
	Errors   int           `json:"errors"`
	Wall     time.Duration `json:"wall"`
}

// cycleRSS serves n generated services from this process and runs one full
// renewal cycle over them in a child process (this binary with -child
// cycle), so that the child's peak RSS is renewd's alone. Renew rules with
// a two-day window make a few dozen services due (paid through the fake).
func cycleRSS(ctx context.Context, n int) (cycleResult, int64, error) {
	fake, srv := fakeServer(n, 0)
	defer srv.Close()
	self, err := os.Executable()
	if err != nil {
		return cycleResult{}, 0, err
	}
	dir, err := os.MkdirTemp(tempBase(), "renewd-bench-cycle-")
	if err != nil {
		return cycleResult{}, 0, err
	}
	defer os.RemoveAll(dir)
	cmd := exec.CommandContext(ctx, self, "-child", "cycle", "-n", strconv.Itoa(n), "-url", srv.URL+"/1.0", "-dir", dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return cycleResult{}, 0, fmt.Errorf("cycle child: %w", err)
	}
	var res cycleResult
	if err := json.Unmarshal(out, &res); err != nil {
		return cycleResult{}, 0, fmt.Errorf("cycle child output %q: %w", out, err)
	}
	if got := len(fake.Payments()); got != res.Paid {
		return res, 0, fmt.Errorf("cycle child says %d paid, the fake saw %d payments", res.Paid, got)
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return res, 0, fmt.Errorf("no rusage for the cycle child on this system")
	}
	return res, ru.Maxrss, nil // KB on Linux
}

// childCycle is the child's side of cycleRSS: one Engine.Cycle against the
// fake at url, with a real ledger in dir.
func childCycle(ctx context.Context, n int, url, dir string) error {
	ledger, err := state.Open(filepath.Join(dir, "renewd.db"), state.Options{})
	if err != nil {
		return err
	}
	defer ledger.Close()
	client, err := ovh.New(ovh.Options{
		Account: "bench", Endpoint: url,
		AppKey: fakeAppKey, AppSecret: fakeAppSecret, ConsumerKey: fakeConsumerKey,
		RateLimit: rate.Inf, Concurrency: 8,
	})
	if err != nil {
		return err
	}
	engine := renewal.New(renewal.Options{Ledger: ledger})
	start := time.Now()
	sum := engine.Cycle(ctx, renewal.Settings{Policy: policytest.ManyRules(2 * 24 * time.Hour), Accounts: []renewal.OVH{client}})
	res := cycleResult{Services: n, Outcomes: len(sum.Outcomes), Errors: len(sum.Errors), Wall: time.Since(start)}
	for _, o := range sum.Outcomes {
		switch o.Action {
		case renewal.ActPaid:
			res.Paid++
		case renewal.ActReported:
			res.Reported++
		}
	}
	for _, e := range sum.Errors {
		fmt.Fprintln(os.Stderr, "cycle error:", e)
	}
	return json.NewEncoder(os.Stdout).Encode(res)
}

// tempBase prefers tmpfs, where fsync is free, so the ledger measurements
// time bbolt's work rather than this machine's disk.
func tempBase() string {
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		return "/dev/shm"
	}
	return os.TempDir()
}
