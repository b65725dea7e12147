package main

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"os/user"
	"runtime/debug"
	"syscall"

	sd "github.com/coreos/go-systemd/v22/daemon"
	"github.com/spf13/pflag"

	"github.com/renewd/renewd/internal/config"
	"github.com/renewd/renewd/internal/daemon"
	"github.com/renewd/renewd/internal/inventory"
	"github.com/renewd/renewd/internal/metrics"
	"github.com/renewd/renewd/internal/renewal"
)

// reloadableLevel is the level the daemon sets on reload: none when
// --log-level fixes it.
func reloadableLevel(c *common) *slog.LevelVar {
	if c.logLevel != "" {
		return nil
	}
	return &c.level
}

// setupRun: run is the daemon: it runs until ctx is cancelled (SIGTERM, SIGINT),
// reloads its config on SIGHUP, and speaks sd_notify when systemd asks for
// it (NOTIFY_SOCKET, WATCHDOG_USEC).
func setupRun(e *env, fs *pflag.FlagSet) runFunc {
	var c common
	c.register(fs)
	return func(ctx context.Context, _ []string) error { return runDaemon(ctx, e, &c) }
}

func runDaemon(ctx context.Context, e *env, c *common) error {
	// A daemon that sleeps for hours between short cycles trades a little
	// CPU in the cycle for a smaller heap: a GC target of 25% instead of
	// 100% keeps the peak of a 10,000-service inventory, and what the
	// runtime keeps after it, low. GOGC, when set, still decides.
	if e.getenv("GOGC") == "" {
		debug.SetGCPercent(25)
	}
	cfg, err := loadConfig(e, c.config)
	if err != nil {
		return err
	}
	if cfg.ControlGroup != "" {
		// The control socket resolves it too; failing here makes a typo a
		// config error, before the ledger is opened.
		if _, err := user.LookupGroup(cfg.ControlGroup); err != nil {
			return usageErr("%s: control_group %q: %v", cfg.Path, cfg.ControlGroup, err)
		}
	}
	log, err := c.logger(e, cfg)
	if err != nil {
		return err
	}
	// Metrics are kept only where something can scrape them: without a
	// listener they would hold a few series per service for nobody.
	var (
		m         *metrics.Metrics
		dm        daemon.Metrics
		handler   http.Handler
		onRequest func(account, route string, code int)
		onSocket  func(up bool)
		onInv     func(inventory.Stats)
	)
	if cfg.Listen != "" {
		m = metrics.New(versionString())
		m.SetPolicy(cfg.Policy)
		dm, handler, onRequest, onSocket, onInv = m, m.Handler(), m.OVHRequest, m.SlackSocketMode, m.InventoryDone
	}
	sender, approvals, err := senderFor(e, cfg, log, true, onSocket)
	if err != nil {
		return err
	}
	ledger, err := openLedger(cfg.StateFile, log, false)
	if err != nil {
		return err
	}
	defer ledger.Close()
	if m != nil {
		m.WatchOutbox(ledger.OutboxCounts)
	}
	watchdog, err := sd.SdWatchdogEnabled(false)
	if err != nil {
		log.Warn("ignoring systemd's watchdog settings", "err", err)
	}
	d, err := daemon.New(daemon.Options{
		Config: cfg,
		Reload: func() (*config.Config, error) { return config.Load(c.config, e.getenv) },
		Ledger: ledger,
		Settings: func(cfg *config.Config) (renewal.Settings, error) {
			cs, err := clients(e, cfg, log, onRequest)
			if err != nil {
				return renewal.Settings{}, err
			}
			forgetRemovedAccounts(ledger, cfg, log)
			s, err := incremental(settings(cfg, cs), cfg, cs, inventoryWiring{ledger: ledger, log: log, onDone: onInv})
			if err != nil {
				return renewal.Settings{}, err
			}
			if m != nil {
				m.SetPolicy(cfg.Policy)
				m.SetBudget(s.Budget)
			}
			return s, nil
		},
		Metrics:        dm,
		MetricsHandler: handler,
		Sender:         sender,
		Approvals:      approvals,
		Notify: func(state string) {
			if _, err := sd.SdNotify(false, state); err != nil {
				log.Warn("sd_notify", "err", err)
			}
		},
		Watchdog: watchdog,
		Logger:   log,
		LogLevel: reloadableLevel(c),
	})
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	defer d.Close()

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		for {
			select {
			case <-runCtx.Done():
				return
			case <-hup:
				log.Info("SIGHUP: reloading the config", "config", c.config)
				d.Reload() // logs what changed, or why it refused
			}
		}
	}()
	return d.Run(runCtx)
}
