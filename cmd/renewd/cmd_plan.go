package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/spf13/pflag"

	"github.com/renewd/renewd/internal/config"
	"github.com/renewd/renewd/internal/renewal"
	"github.com/renewd/renewd/internal/state"
)

// setupPlan: plan says what a cycle would do now.
func setupPlan(e *env, fs *pflag.FlagSet) runFunc {
	var c common
	c.register(fs)
	asJSON := jsonFlag(fs)
	full := fs.Bool("full", false, "read every service from OVH, not only those that can matter now")
	return func(ctx context.Context, _ []string) error {
		cfg, log, err := c.load(e)
		if err != nil {
			return err
		}
		return plan(ctx, e, cfg, log, *asJSON, *full)
	}
}

// plan prints what a cycle would do now. It writes nothing anywhere. It
// decides from the ledger's service cache what can be, unless full; without
// a ledger it can read, it reads every service.
func plan(ctx context.Context, e *env, cfg *config.Config, log *slog.Logger, asJSON, full bool) error {
	cs, err := clients(e, cfg, log, nil)
	if err != nil {
		return err
	}
	// The ledger adds each term's status when it can be read; a plan works
	// without it (first run, or the daemon holds it).
	var ledger renewal.LedgerReader
	w := inventoryWiring{full: full, dryRun: true, log: log}
	if _, err := os.Stat(cfg.StateFile); err == nil {
		if l, err := state.Open(cfg.StateFile, state.Options{ReadOnly: true, LockTimeout: 200 * time.Millisecond}); err == nil {
			defer l.Close()
			ledger, w.ledger = l, l
		} else if errors.Is(err, state.ErrCorrupt) {
			// A plan without the ledger's statuses would show paid terms
			// as due.
			return &exitError{code: exitLedger, err: err}
		} else {
			log.Info("plan without ledger statuses", "reason", err)
		}
	}
	s, err := incremental(settings(cfg, cs), cfg, cs, w)
	if err != nil {
		return err
	}
	rows, err := renewal.Plan(ctx, s, ledger, time.Now())
	if asJSON {
		if werr := writePlanJSON(e.stdout, rows, err); werr != nil {
			return werr
		}
	} else if werr := writePlan(e.stdout, rows); werr != nil {
		return werr
	}
	if err != nil {
		return fmt.Errorf("plan incomplete: %w", err)
	}
	return nil
}

func sortedPlan(rows []renewal.PlanRow) []renewal.PlanRow {
	s := slices.Clone(rows)
	slices.SortStableFunc(s, func(a, b renewal.PlanRow) int {
		if c := a.Service.Expiration.Compare(b.Service.Expiration); c != 0 {
			return c
		}
		return cmp.Compare(a.Service.ID, b.Service.ID)
	})
	return s
}

// writePlan prints every service as a row.
func writePlan(w io.Writer, rows []renewal.PlanRow) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ACCOUNT\tSERVICE\tTYPE\tEXPIRES\tDAYS\tRULE\tACTION\tPERIOD\tQUOTE\tCAP\tWOULD\tWHY")
	now := time.Now()
	for _, r := range sortedPlan(rows) {
		days := "-"
		if !r.Service.Expiration.IsZero() {
			days = fmt.Sprint(int(r.Service.Expiration.Start().Sub(now).Hours() / 24))
		}
		would := r.Would
		if r.Status != "" {
			would += " [" + string(r.Status) + "]"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
			r.Service.Account, printable(dash(r.Service.Name)), printable(r.Service.Type), day(r.Service.Expiration), days, dash(r.Rule),
			dash(r.Action), dash(r.Period), money(r.Quote), money(r.Cap), would, printable(r.Why))
	}
	return tw.Flush()
}
