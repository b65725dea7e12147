// Package daemon is renewd's long-running process, as an importable type: it
// runs renewal cycles on the configured schedule (with a catch-up cycle at
// start-up), delivers the ledger's outbox after each cycle and each
// decision, prunes the ledger's history, serves the control socket, /healthz
// and /metrics, takes approvals from an optional source (Slack), reloads its
// configuration on request, and tells systemd where it stands (READY,
// STATUS, WATCHDOG, RELOADING, STOPPING).
//
// It handles no signal: the command line turns SIGTERM into a cancelled
// context and SIGHUP into a call to Reload.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/renewd/renewd/internal/config"
	"github.com/renewd/renewd/internal/notify"
	"github.com/renewd/renewd/internal/renewal"
	"github.com/renewd/renewd/internal/scheduler"
	"github.com/renewd/renewd/internal/state"
)

// Metrics is what the daemon reports to the metrics collector. Its methods
// are called from the daemon's goroutines and must be safe for concurrent
// use.
type Metrics interface {
	// CycleDone is called after each cycle; ok is false when part of it
	// failed (an account's inventory, say).
	CycleDone(at time.Time, sum renewal.Summary, ok bool)
	// Spent is called after each recorded payment, with its amount without
	// tax in micro-cents.
	Spent(account, currency string, ucents int64)
	// NotActed is called for each due, covered service a cycle left in no
	// accounted state (renewal.Options.OnSilent).
	NotActed(account string)
	// LedgerUnreadable is called with the number of the ledger's records
	// that cannot be decoded, at start, after each cycle, and whenever the
	// daemon reads the list (status, /healthz).
	LedgerUnreadable(n int)
	// MonthSpent is called after each cycle with renewal.MonthSpent's
	// answer: micro-cents paid this month (UTC), by currency.
	MonthSpent(spent map[string]int64)
}

// Approvals is a source of decisions on held renewals (Slack's buttons).
// Run calls decide for each decision until ctx is cancelled; decide returns
// the ledger's refusal (unknown, already decided, expired approval) so that
// the source can tell the person.
type Approvals interface {
	Run(ctx context.Context, decide func(ctx context.Context, approvalID, decision, actor string) error) error
}

// Options configure a Daemon. Config, Ledger, Settings and Sender are
// required.
type Options struct {
	// Config is the configuration at start-up.
	Config *config.Config
	// Reload reads the configuration again (Reload calls it); nil makes
	// Reload refuse.
	Reload func() (*config.Config, error)
	// Ledger is the open ledger; the caller closes it after Run returns.
	Ledger *state.Ledger
	// Engine runs the cycles; nil builds one on Ledger that reports
	// payments to Metrics.
	Engine *renewal.Engine
	// Settings builds what a cycle runs with (the OVH clients) from a
	// config. It is called by New and by each Reload.
	Settings func(*config.Config) (renewal.Settings, error)
	// Sender delivers the outbox's reports.
	Sender notify.Sender
	// ReportBackoff is the wait after each failed delivery of a report (see
	// notify.Drainer.Backoff); nil means notify.DefaultBackoff. The drainer
	// waits at least 1 s between tries, or the first entry when shorter
	// (tests shorten it).
	ReportBackoff []time.Duration
	// Approvals, when set, is run for the daemon's lifetime.
	Approvals Approvals
	// Metrics, when set, is told of each cycle and payment.
	Metrics Metrics
	// MetricsHandler serves /metrics on the HTTP listener; nil answers 404.
	MetricsHandler http.Handler
	// Listener, when set, is used for /healthz and /metrics instead of
	// listening on Config.Listen. Run closes it.
	Listener net.Listener
	// Notify sends a state to systemd (sd_notify); nil sends nothing.
	Notify func(state string)
	// Watchdog is systemd's watchdog interval; the scheduler loop pings at
	// half of it. 0 disables the pings.
	Watchdog time.Duration
	// StopTimeout bounds the wait for a cycle in flight at shutdown; 0
	// means 60 s.
	StopTimeout time.Duration
	// Logger receives the daemon's log; nil discards.
	Logger *slog.Logger
	// LogLevel, when set, is the level of Logger's handler, and Reload sets
	// it to the new config's log_level. Nil means the level is fixed (by
	// --log-level): a reload leaves it and warns when log_level changed.
	LogLevel *slog.LevelVar
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// loaded is a configuration in force with the settings built from it.
type loaded struct {
	cfg      *config.Config
	settings renewal.Settings
}

// Daemon is renewd's daemon. Run it once; Reload, Status, RunNow and the
// control methods are safe to call from any goroutine while it runs.
type Daemon struct {
	opts   Options
	log    *slog.Logger
	now    func() time.Time
	ledger *state.Ledger
	engine *renewal.Engine
	sched  *scheduler.Scheduler
	cur    atomic.Pointer[loaded]

	started  time.Time
	drainNow chan struct{}
	reloadMu sync.Mutex // one Reload at a time

	mu          sync.Mutex
	running     bool
	lastCycle   *cycleResult
	lastSuccess time.Time

	closeOnce sync.Once
	cancel    context.CancelFunc // cancels Run; set by Run
	runDone   chan struct{}      // closed when Run returns
}

// New checks the options and builds the settings of the initial config (the
// OVH clients). It opens nothing: Run does.
func New(opts Options) (*Daemon, error) {
	switch {
	case opts.Config == nil:
		return nil, errors.New("daemon: no config")
	case opts.Ledger == nil:
		return nil, errors.New("daemon: no ledger")
	case opts.Settings == nil:
		return nil, errors.New("daemon: no settings builder")
	case opts.Sender == nil:
		return nil, errors.New("daemon: no report sender")
	}
	d := &Daemon{opts: opts, log: opts.Logger, now: opts.Now, ledger: opts.Ledger,
		drainNow: make(chan struct{}, 1), runDone: make(chan struct{})}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	if d.now == nil {
		d.now = time.Now
	}
	s, err := opts.Settings(opts.Config)
	if err != nil {
		return nil, fmt.Errorf("build the cycle's settings: %w", err)
	}
	d.cur.Store(&loaded{cfg: opts.Config, settings: s})
	d.engine = opts.Engine
	if d.engine == nil {
		eo := renewal.Options{Ledger: opts.Ledger, Logger: d.log, Now: opts.Now}
		if opts.Metrics != nil {
			eo.OnPaid = opts.Metrics.Spent
			eo.OnSilent = opts.Metrics.NotActed
		}
		d.engine = renewal.New(eo)
	}
	d.sched = &scheduler.Scheduler{
		Spec:        opts.Config.Schedule,
		Jitter:      opts.Config.Jitter,
		Now:         opts.Now,
		StopTimeout: opts.StopTimeout,
		Logger:      d.log,
		OnPlanned:   d.planned,
	}
	if _, err := scheduler.Parse(opts.Config.Schedule); err != nil {
		return nil, err
	}
	if opts.Watchdog > 0 {
		d.sched.Heartbeat = opts.Watchdog / 2
		d.sched.OnHeartbeat = func() { d.notify("WATCHDOG=1") }
	}
	return d, nil
}

// Close stops a running daemon and waits for Run to return; it closes
// Options.Listener when Run never ran. It does not close the ledger.
func (d *Daemon) Close() error {
	d.closeOnce.Do(func() {
		d.mu.Lock()
		cancel := d.cancel
		d.mu.Unlock()
		if cancel == nil {
			if d.opts.Listener != nil {
				d.opts.Listener.Close()
			}
			return
		}
		cancel()
		<-d.runDone
	})
	return nil
}

// RunNow asks for a cycle now (after the running one, if any).
func (d *Daemon) RunNow() { d.sched.RunNow() }

// config returns the configuration in force.
func (d *Daemon) config() *config.Config { return d.cur.Load().cfg }

func (d *Daemon) notify(state string) {
	if d.opts.Notify != nil {
		d.opts.Notify(state)
	}
}

// wakeDrainer asks the outbox drainer to run now.
func (d *Daemon) wakeDrainer() {
	select {
	case d.drainNow <- struct{}{}:
	default:
	}
}
