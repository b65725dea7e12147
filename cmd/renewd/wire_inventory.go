package main

import (
	"fmt"
	"log/slog"

	"github.com/renewd/renewd/internal/config"
	"github.com/renewd/renewd/internal/inventory"
	"github.com/renewd/renewd/internal/ovh"
	"github.com/renewd/renewd/internal/renewal"
)

// inventoryWiring says how a command reads its accounts' inventories.
type inventoryWiring struct {
	// ledger holds the service cache; nil reads every service on every
	// inventory, as ovh.Client.Services does (renewd plan without a
	// ledger it can read).
	ledger inventory.Ledger
	// full reads every service (--full); dryRun writes nothing (plan).
	full, dryRun bool
	log          *slog.Logger
	// onDone, when set, receives each inventory's Stats (the metrics).
	onDone func(inventory.Stats)
}

// incremental returns s with each account's client wrapped in the
// incremental inventory over the ledger's service cache, with the config's
// policy (the horizons follow it: the daemon calls this on every reload),
// refresh_interval, horizon margin and cycle gap. The clients are those s
// was built from, in the same order.
func incremental(s renewal.Settings, cfg *config.Config, cs []*ovh.Client, w inventoryWiring) (renewal.Settings, error) {
	if w.ledger == nil {
		return s, nil
	}
	accounts := make([]renewal.OVH, 0, len(cs))
	for _, c := range cs {
		a, err := inventory.New(inventory.Options{
			Client: c, Ledger: w.ledger, Policy: cfg.Policy,
			Margin: cfg.HorizonMargin(), Refresh: cfg.Inventory.RefreshInterval, CycleGap: cfg.CycleGap(),
			Full: w.full, DryRun: w.dryRun, Logger: w.log, OnDone: w.onDone,
		})
		if err != nil {
			return renewal.Settings{}, fmt.Errorf("account %s: %w", c.Account(), err)
		}
		accounts = append(accounts, a)
	}
	s.Accounts = accounts
	return s, nil
}

// forgetRemovedAccounts drops the service cache of the accounts the config
// no longer has, so that the cache stays bounded by the services renewd
// watches.
func forgetRemovedAccounts(l interface {
	ForgetServiceCache(keep []string) (int, error)
}, cfg *config.Config, log *slog.Logger) {
	var keep []string
	for _, a := range cfg.Accounts {
		keep = append(keep, a.Name)
	}
	if n, err := l.ForgetServiceCache(keep); err != nil {
		log.Warn("the service cache of removed accounts is kept", "err", err)
	} else if n > 0 {
		log.Info("dropped the service cache of accounts no longer configured", "entries", n)
	}
}
