package daemon

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime/debug"
	"sync"
	"time"

	"github.com/renewd/renewd/internal/control"
	"github.com/renewd/renewd/internal/notify"
	"github.com/renewd/renewd/internal/renewal"
)

// shutdownGrace bounds the wait for HTTP and control requests in progress
// at shutdown.
const shutdownGrace = 5 * time.Second

// cycleResult is what the last cycle did, as `status` shows it. It keeps the
// counts, not the cycle's outcomes: those are one per service, and the
// daemon holds this between cycles.
type cycleResult struct {
	started, finished time.Time
	counts            map[string]int
	errors            []string
	notRenewed        bool
}

// Run serves until ctx is cancelled: it opens the HTTP listener and the
// control socket, starts the approvals source and the outbox drainer, sends
// READY=1, then runs cycles on the schedule, the first at once. On cancel
// it sends STOPPING=1, stops scheduling, waits (bounded by StopTimeout) for
// a cycle in flight, and closes everything it opened. It returns nil after
// a clean stop, or the error that kept it from starting.
func (d *Daemon) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	d.mu.Lock()
	if d.cancel != nil {
		d.mu.Unlock()
		return errors.New("daemon: Run called twice")
	}
	d.cancel = cancel
	d.started = d.now()
	d.mu.Unlock()
	defer close(d.runDone)

	cfg := d.config()
	httpSrv, err := d.startHTTP(cfg.Listen)
	if err != nil {
		return err
	}
	defer d.stopHTTP(httpSrv)
	if cfg.ControlSocket != "" {
		ctl, err := control.Start(cfg.ControlSocket, d, control.Options{Logger: d.log, Group: cfg.ControlGroup})
		if err != nil {
			return err
		}
		defer func() {
			sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
			defer cancel()
			if err := ctl.Close(sctx); err != nil {
				d.log.Warn("close the control socket", "err", err)
			}
		}()
	}

	var wg sync.WaitGroup
	defer wg.Wait()
	d.requeueParked("start")
	wg.Go(func() { d.drainLoop(ctx) })
	if d.opts.Approvals != nil {
		wg.Go(func() {
			if err := d.opts.Approvals.Run(ctx, d.decideFromSource); err != nil && ctx.Err() == nil {
				d.log.Error("approvals stopped; approve with `renewd approve` meanwhile", "err", err)
			}
		})
	}

	if us := d.Unreadable(); len(us) > 0 {
		d.log.Error("the ledger holds records that cannot be read; their services are not renewed until it is restored from a backup",
			"count", len(us), "first", us[0].Key)
	}

	stopNotice := context.AfterFunc(ctx, func() {
		d.log.Info("stopping")
		d.notify("STOPPING=1")
	})
	defer stopNotice()

	d.log.Info("renewd started", "schedule", cfg.Schedule, "state_file", d.ledger.Path(),
		"control_socket", cfg.ControlSocket, "listen", d.listenAddr(httpSrv))
	d.notify("READY=1")
	d.notify("STATUS=ready; first cycle running")
	if err := d.sched.Run(ctx, d.cycleAndRest); err != nil && !errors.Is(err, context.Canceled) {
		if ctx.Err() == nil {
			return fmt.Errorf("scheduler: %w", err)
		}
		d.log.Error("stopped while a cycle was still running", "err", err)
	}
	return nil
}

// cycleAndRest runs a cycle, then hands the cycle's garbage (the inventory,
// its outcomes, decoded JSON) back to the system: the daemon sleeps for
// hours between cycles, and would otherwise hold it until the runtime's
// scavenger gets to it. It runs once cycle has returned, so that nothing of
// the cycle is still referenced.
func (d *Daemon) cycleAndRest(ctx context.Context) {
	d.cycle(ctx)
	debug.FreeOSMemory()
}

// cycle runs one renewal cycle with the settings in force, then records,
// reports and prunes.
func (d *Daemon) cycle(ctx context.Context) {
	cur := d.cur.Load()
	d.mu.Lock()
	d.running = true
	d.mu.Unlock()
	d.notify("STATUS=cycle running")
	started := d.now()
	sum := d.engine.Cycle(ctx, cur.settings)
	finished := d.now()
	ok := len(sum.Errors) == 0

	d.mu.Lock()
	d.running = false
	d.lastCycle = &cycleResult{started: started, finished: finished, counts: sum.Count(), notRenewed: sum.Failed()}
	for _, err := range sum.Errors {
		d.lastCycle.errors = append(d.lastCycle.errors, err.Error())
	}
	if ok {
		d.lastSuccess = finished
	}
	d.mu.Unlock()

	counts := sum.Count()
	attrs := []any{"took", finished.Sub(started).Round(time.Millisecond), "services", len(sum.Outcomes),
		"paid", counts[string(renewal.ActPaid)], "refused", counts[string(renewal.ActRefused)],
		"awaiting_approval", counts[string(renewal.ActAwaiting)], "failed", counts[string(renewal.ActFailed)],
		"errors", len(sum.Errors)}
	if d.opts.Metrics != nil {
		d.opts.Metrics.CycleDone(finished, sum, ok)
		d.reportSpending(cur.settings, finished)
	}
	d.Unreadable() // the cycle's scans refresh the list: keep the metric current
	d.wakeDrainer()
	if n, err := d.ledger.Prune(finished.Add(-cur.cfg.HistoryRetention)); err != nil {
		d.log.Error("prune the ledger's history", "err", err)
	} else if n > 0 {
		d.log.Info("pruned settled terms past the retention", "terms", n, "retention", cur.cfg.HistoryRetention)
	}
	// Logged last: when this line shows, the metrics, the ledger and the
	// status all tell of this cycle.
	if ok {
		d.log.Info("cycle done", attrs...)
	} else {
		d.log.Error("cycle done with errors", append(attrs, "err", errors.Join(sum.Errors...))...)
	}
	d.notify(fmt.Sprintf("STATUS=last cycle: %d paid, %d refused, %d awaiting approval, %d failed; next at %s",
		counts[string(renewal.ActPaid)], counts[string(renewal.ActRefused)], counts[string(renewal.ActAwaiting)],
		counts[string(renewal.ActFailed)]+len(sum.Errors), formatTime(d.sched.Next())))
}

// reportSpending tells Metrics what this month's payments add up to, as
// the budget counts them.
func (d *Daemon) reportSpending(s renewal.Settings, at time.Time) {
	spent, err := renewal.MonthSpent(d.ledger, s, at)
	if err != nil {
		d.log.Warn("read this month's spending for the metrics", "err", err)
		return
	}
	d.opts.Metrics.MonthSpent(spent)
}

// planned is the scheduler's OnPlanned.
func (d *Daemon) planned(next time.Time) {
	d.mu.Lock()
	running := d.running
	d.mu.Unlock()
	if !running {
		d.notify("STATUS=idle; next cycle at " + formatTime(next))
	}
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return "(none)"
	}
	return t.Format(time.RFC3339)
}

// drainLoop delivers the outbox whenever woken, and when a report waiting
// for a retry comes due. One drainer serves the daemon's life: it keeps
// the count of failures in a row and of single failure messages.
func (d *Daemon) drainLoop(ctx context.Context) {
	dr := Drainer(d.config(), d.ledger, d.opts.Sender)
	dr.Now, dr.Backoff, dr.Logger = d.opts.Now, d.opts.ReportBackoff, d.log
	floor := time.Second
	if len(d.opts.ReportBackoff) > 0 {
		floor = min(floor, d.opts.ReportBackoff[0])
	}
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	defer retry.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-d.drainNow:
		case <-retry.C:
		}
		sent, next, err := dr.Drain(ctx)
		if sent > 0 {
			d.log.Debug("reports delivered", "sent", sent)
		}
		if err != nil && !errors.Is(err, notify.ErrNotYet) && ctx.Err() == nil {
			d.log.Warn("reports wait in the outbox", "err", err)
		}
		retry.Stop()
		if !next.IsZero() {
			retry.Reset(max(next.Sub(d.now()), floor))
		}
	}
}

// startHTTP serves /healthz and /metrics on Options.Listener or on addr;
// neither means no HTTP server (nil).
func (d *Daemon) startHTTP(addr string) (*http.Server, error) {
	ln := d.opts.Listener
	if ln == nil {
		if addr == "" {
			return nil, nil
		}
		var err error
		ln, err = net.Listen("tcp", addr)
		if err != nil {
			return nil, fmt.Errorf("listen on %s: %w", addr, err)
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", d.healthz)
	if d.opts.MetricsHandler != nil {
		mux.Handle("GET /metrics", d.opts.MetricsHandler)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, Addr: ln.Addr().String()}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			d.log.Error("HTTP server stopped", "err", err)
		}
	}()
	return srv, nil
}

func (d *Daemon) stopHTTP(srv *http.Server) {
	if srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		d.log.Warn("stop the HTTP server", "err", err)
	}
}

func (d *Daemon) listenAddr(srv *http.Server) string {
	if srv == nil {
		return ""
	}
	return srv.Addr
}
