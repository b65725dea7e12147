package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/spf13/pflag"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/config"
	"github.com/renewd/renewd/internal/daemon"
	"github.com/renewd/renewd/internal/notify"
	"github.com/renewd/renewd/internal/renewal"
	"github.com/renewd/renewd/internal/state"
)

// reportDrainTime bounds how long `once` spends delivering reports; what is
// left stays in the outbox for the next run.
const reportDrainTime = 30 * time.Second

// setupOnce: once runs one cycle, then exits.
func setupOnce(e *env, fs *pflag.FlagSet) runFunc {
	var c common
	c.register(fs)
	asJSON := jsonFlag(fs)
	full := fs.Bool("full", false, "read every service from OVH, not only those that can matter now")
	return func(ctx context.Context, _ []string) error {
		cfg, log, err := c.load(e)
		if err != nil {
			return err
		}
		sender, _, err := senderFor(e, cfg, log, false, nil)
		if err != nil {
			return err
		}
		return once(ctx, e, cfg, log, sender, *asJSON, *full)
	}
}

// once runs one cycle, delivers its reports through sender, and prints what
// it did. It returns exit 1 when something due was not renewed. full reads
// every service from OVH (--full).
func once(ctx context.Context, e *env, cfg *config.Config, log *slog.Logger, sender notify.Sender, asJSON, full bool) error {
	cs, err := clients(e, cfg, log, nil)
	if err != nil {
		return err
	}
	ledger, err := openLedger(cfg.StateFile, log, false)
	if err != nil {
		return err
	}
	defer ledger.Close()

	forgetRemovedAccounts(ledger, cfg, log)
	s, err := incremental(settings(cfg, cs), cfg, cs, inventoryWiring{ledger: ledger, full: full, log: log})
	if err != nil {
		return err
	}
	eng := renewal.New(renewal.Options{Ledger: ledger, Logger: log})
	sum := eng.Cycle(ctx, s)
	deliverReports(ctx, cfg, ledger, log, sender)
	// `once` under cron or a timer prunes as the daemon does after a cycle.
	if n, err := ledger.Prune(time.Now().Add(-cfg.HistoryRetention)); err != nil {
		log.Warn("ledger retention not applied", "err", err)
	} else if n > 0 {
		log.Info("pruned ledger records past the retention", "records", n)
	}

	if asJSON {
		err = writeOutcomesJSON(e.stdout, sum)
	} else {
		err = writeOutcomes(e.stdout, sum)
	}
	if err != nil {
		return err
	}
	if sum.Failed() {
		return &exitError{code: exitNotDone}
	}
	return nil
}

// deliverReports drains the outbox for a bounded time. Like a daemon's
// start, each run first queues the parked reports again.
func deliverReports(ctx context.Context, cfg *config.Config, ledger *state.Ledger, log *slog.Logger, sender notify.Sender) {
	ctx, cancel := context.WithTimeout(ctx, reportDrainTime)
	defer cancel()
	if n, err := ledger.RequeueParked(); err != nil {
		log.Error("parked reports not requeued", "err", err)
	} else if n > 0 {
		log.Info("parked reports queued again", "reports", n)
	}
	d := daemon.Drainer(cfg, ledger, sender)
	d.Logger = log
	if _, _, err := d.Drain(ctx); err != nil {
		log.Warn("some reports wait in the outbox for the next run", "err", err)
	}
}

// writeOutcomes prints the services a cycle did something with, as a table,
// and a count of the rest.
func writeOutcomes(w io.Writer, sum renewal.Summary) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ACCOUNT\tSERVICE\tTYPE\tEXPIRES\tRULE\tACTION\tSTATUS\tPRICE\tORDER\tWHY")
	quiet := 0
	for _, o := range sortedOutcomes(sum.Outcomes) {
		if o.Action == renewal.ActNothing && o.Status == "" {
			quiet++
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
			o.Service.Account, printable(dash(o.Service.Name)), printable(o.Service.Type), day(o.Service.Expiration), dash(o.Rule),
			o.Action, dash(string(o.Status)), money(o.Price), orderID(o.OrderID), printable(o.Reason))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n%d service(s) with nothing to do. ", quiet)
	if len(sum.Errors) > 0 {
		fmt.Fprintln(w)
		for _, err := range sum.Errors {
			fmt.Fprintln(w, "error:", printable(err.Error()))
		}
	}
	if sum.Failed() {
		fmt.Fprintln(w, "Something due was not renewed: see the rows above.")
	} else {
		fmt.Fprintln(w, "Everything due is renewed or in hand.")
	}
	return nil
}

func sortedOutcomes(os []renewal.Outcome) []renewal.Outcome {
	s := slices.Clone(os)
	slices.SortStableFunc(s, func(a, b renewal.Outcome) int {
		if c := a.Service.Expiration.Compare(b.Service.Expiration); c != 0 {
			return c
		}
		return cmp.Compare(a.Service.ID, b.Service.ID)
	})
	return s
}

func day(d renewd.Date) string {
	if d.IsZero() {
		return "-"
	}
	return d.String()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func money(m renewd.Money) string {
	if m.Ucents == 0 {
		return "-"
	}
	return m.String()
}

func orderID(id int64) string {
	if id == 0 {
		return "-"
	}
	return fmt.Sprint(id)
}
