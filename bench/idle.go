package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// errNotBuilt means cmd/renewd has no `run` subcommand yet.
var errNotBuilt = errors.New("renewd run not built")

// idleRSS builds cmd/renewd, starts `renewd run` against a fake of n
// services, waits for its first cycle, and reads its VmRSS in KB. It
// returns errNotBuilt when the binary does not build or refuses `run`.
func idleRSS(ctx context.Context, n int) (rssStatus, error) {
	dir, err := os.MkdirTemp(tempBase(), "renewd-bench-run-")
	if err != nil {
		return rssStatus{}, err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "renewd")
	// Built as the package builds it (deploy/package): the same binary, so
	// the same pages to map.
	build := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, "./cmd/renewd")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return rssStatus{}, fmt.Errorf("%w (go build: %v: %s)", errNotBuilt, err, firstLine(out))
	}
	if out, err := exec.CommandContext(ctx, bin, "run", "--help").CombinedOutput(); err != nil || bytes.Contains(bytes.ToLower(out), []byte("unknown")) {
		return rssStatus{}, fmt.Errorf("%w (renewd run --help: %v: %s)", errNotBuilt, err, firstLine(out))
	}

	fake, srv := fakeServer(n, 0)
	defer srv.Close()
	cfg := filepath.Join(dir, "renewd.yaml")
	if err := os.WriteFile(cfg, []byte(runConfig(srv.URL+"/1.0", dir)), 0o600); err != nil {
		return rssStatus{}, err
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	cmd := exec.CommandContext(runCtx, bin, "run", "--config", cfg)
	cmd.Env = append(os.Environ(),
		"OVH_APPLICATION_KEY="+fakeAppKey, "OVH_APPLICATION_SECRET="+fakeAppSecret, "OVH_CONSUMER_KEY="+fakeConsumerKey)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return rssStatus{}, err
	}
	cmd.Stdout = nil
	if err := cmd.Start(); err != nil {
		return rssStatus{}, err
	}
	defer func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}()

	// The first cycle is over when the daemon logs its end: internal/daemon
	// (run.go, Daemon.cycle) logs msg="cycle done" (or "cycle done with
	// errors") once the engine's cycle returns, before it prunes and goes
	// idle until the next schedule. The fake must have served the inventory.
	var mu sync.Mutex
	var lines []string
	cycled := make(chan struct{})
	exited := make(chan struct{}) // stderr closed: the daemon is gone
	go func() {
		defer close(exited)
		var once sync.Once
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			mu.Lock()
			lines = append(lines, line)
			mu.Unlock()
			l := strings.ToLower(line)
			if fake.TotalRequests() > 1 && strings.Contains(l, "cycle done") {
				once.Do(func() { close(cycled) })
			}
		}
	}()
	select {
	case <-cycled:
	case <-exited:
		mu.Lock()
		defer mu.Unlock()
		return rssStatus{}, fmt.Errorf("renewd run exited before its first cycle ended; last lines: %q", tail(lines, 5))
	case <-time.After(2 * time.Minute):
		mu.Lock()
		defer mu.Unlock()
		return rssStatus{}, fmt.Errorf("renewd run did not log the end of its first cycle within 2m (fake served %d requests); last lines: %q", fake.TotalRequests(), tail(lines, 5))
	case <-ctx.Done():
		return rssStatus{}, ctx.Err()
	}
	time.Sleep(time.Second) // let the cycle's garbage be collected as it would in a day of idling
	st, err := readRSS(cmd.Process.Pid)
	if err != nil {
		return st, err
	}
	st.Binary, st.Ledger, err = mappedRSS(cmd.Process.Pid, bin, filepath.Join(dir, "renewd.db"))
	return st, err
}

// mappedRSS sums the Rss of the process's mappings of the files bin and
// ledger, in KB, from /proc/PID/smaps.
func mappedRSS(pid int, bin, ledger string) (binKB, ledgerKB int64, err error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps", pid))
	if err != nil {
		return 0, 0, err
	}
	var dst *int64
	for line := range strings.SplitSeq(string(data), "\n") {
		fields := strings.Fields(line)
		switch {
		case len(fields) >= 5 && strings.Contains(fields[0], "-"): // a mapping's header: range perms offset dev inode [path]
			dst = nil
			if path := strings.Join(fields[5:], " "); path == bin {
				dst = &binKB
			} else if path == ledger {
				dst = &ledgerKB
			}
		case dst != nil && len(fields) == 3 && fields[0] == "Rss:":
			n, err := strconv.ParseInt(fields[1], 10, 64)
			if err != nil {
				return 0, 0, fmt.Errorf("/proc/%d/smaps: %q: %w", pid, line, err)
			}
			*dst += n
		}
	}
	return binKB, ledgerKB, nil
}

// runConfig is a minimal daemon config against the fake: one account, a
// daily schedule (so only the start-up cycle runs), the ledger in dir.
func runConfig(endpoint, dir string) string {
	return fmt.Sprintf(`schedule: "@every 24h"
jitter: 0
state_file: %s
control_socket: %s
listen: ""
log_format: text
ovh:
  endpoint: %s
  rate_limit: 1000
  burst: 100
  concurrency: 8
policies:
  - name: vps-monthly
    match: {type: vps}
    action: renew
    renew_before: 2d
    period: P1M
    max_price: 10.00
    payment:
      default: true
  - name: domains-yearly
    match: {type: domain}
    action: notify
    renew_before: 2d
`, filepath.Join(dir, "renewd.db"), filepath.Join(dir, "control.sock"), endpoint)
}

// rssStatus is a process's resident memory in KB, from /proc/PID/status:
// VmRSS and its anonymous (Go heap, stacks), file-backed (the binary and
// the ledger's mmap, from a disk) and shared-memory (the same pages when
// they are mapped from tmpfs, as /tmp often is) parts; and, from
// /proc/PID/smaps, the resident pages of the binary's mappings and of the
// ledger's (bbolt reads the file through mmap; its pages are the page
// cache's, which the kernel reclaims under pressure).
type rssStatus struct{ RSS, Anon, File, Shmem, Binary, Ledger int64 }

// readRSS reads the process's rssStatus.
func readRSS(pid int) (rssStatus, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return rssStatus{}, err
	}
	var st rssStatus
	fields := map[string]*int64{"VmRSS:": &st.RSS, "RssAnon:": &st.Anon, "RssFile:": &st.File, "RssShmem:": &st.Shmem}
	for line := range strings.SplitSeq(string(data), "\n") {
		for name, dst := range fields {
			if rest, ok := strings.CutPrefix(line, name); ok {
				if *dst, err = strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64); err != nil {
					return rssStatus{}, fmt.Errorf("/proc/%d/status %s %q: %w", pid, name, rest, err)
				}
			}
		}
	}
	if st.RSS == 0 {
		return rssStatus{}, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
	}
	return st, nil
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	return s
}

func tail(lines []string, n int) []string {
	return lines[max(len(lines)-n, 0):]
}
