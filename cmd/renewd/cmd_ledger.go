package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/pflag"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/daemon"
	"github.com/renewd/renewd/internal/state"
)

// ledgerFor opens the config's ledger for a command that runs beside no
// daemon.
func ledgerFor(e *env, c *common, readOnly bool) (*state.Ledger, error) {
	cfg, err := loadConfig(e, c.config)
	if err != nil {
		return nil, err
	}
	log, err := c.logger(e, cfg)
	if err != nil {
		return nil, err
	}
	return openLedger(cfg.StateFile, log, readOnly)
}

// setupHistory: history prints the ledger's transitions.
func setupHistory(e *env, fs *pflag.FlagSet) runFunc {
	var c common
	c.register(fs)
	service := fs.Int64("service", 0, "only this service `ID`")
	term := fs.String("term", "", "only this `TERM` (ACCOUNT/SERVICE_ID/EXPIRATION)")
	limit := fs.Int("limit", 0, "at most `N` events, the most recent (0: all)")
	asJSON := jsonFlag(fs)
	return func(ctx context.Context, _ []string) error {
		filter := state.HistoryFilter{ServiceID: *service, Limit: *limit}
		if *term != "" {
			t, err := renewd.ParseTerm(*term)
			if err != nil {
				return usageErr("--term: %v", err)
			}
			filter.Term = t.String()
		}
		return history(ctx, e, &c, filter, *asJSON)
	}
}

func history(ctx context.Context, e *env, c *common, filter state.HistoryFilter, asJSON bool) error {
	if cl, err := daemonFor(ctx, e, c); err != nil {
		return err
	} else if cl != nil {
		events, err := cl.History(ctx, filter)
		if err != nil {
			return fmt.Errorf("read the history: %w", err)
		}
		us, err := cl.Unreadable(ctx)
		if err != nil {
			return fmt.Errorf("read the list of unreadable records: %w", err)
		}
		return writeHistoryAndUnreadable(e, events, us, asJSON)
	}
	l, err := ledgerFor(e, c, true)
	if err != nil {
		return err
	}
	defer l.Close()
	events, err := l.History(filter)
	if err != nil {
		return fmt.Errorf("read the history: %w", err)
	}
	return writeHistoryAndUnreadable(e, events, l.Unreadable(), asJSON)
}

// writeHistoryAndUnreadable prints the events, then the ledger's
// unreadable records: after the table; with JSON, in it and on stderr,
// where people look.
func writeHistoryAndUnreadable(e *env, events []state.Event, us []state.UnreadableRecord, asJSON bool) error {
	if asJSON {
		if err := writeHistoryJSON(e.stdout, events, us); err != nil {
			return err
		}
		return writeUnreadable(e.stderr, us)
	}
	if err := writeHistory(e.stdout, events); err != nil {
		return err
	}
	return writeUnreadable(e.stdout, us)
}

func writeHistory(w io.Writer, events []state.Event) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "AT\tTERM\tFROM\tTO\tBY\tREASON")
	for _, ev := range events {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", ev.At.UTC().Format(time.RFC3339), printable(ev.Term),
			dash(string(ev.From)), ev.To, printable(dash(ev.Actor)), printable(ev.Reason))
	}
	return tw.Flush()
}

// openStatuses are the statuses `status` lists: every status a term can
// still leave, from the ledger's own table.
var openStatuses = state.OpenStatuses()

// setupStatus: status prints the open terms, the daemon's state and the
// outbox's.
func setupStatus(e *env, fs *pflag.FlagSet) runFunc {
	var c common
	c.register(fs)
	asJSON := jsonFlag(fs)
	return func(ctx context.Context, _ []string) error { return status(ctx, e, &c, *asJSON) }
}

func status(ctx context.Context, e *env, c *common, asJSON bool) error {
	if cl, err := daemonFor(ctx, e, c); err != nil {
		return err
	} else if cl != nil {
		st, err := cl.Status(ctx)
		if err != nil {
			return fmt.Errorf("status: %w", err)
		}
		return writeDaemonStatus(e.stdout, st, asJSON)
	}
	l, err := ledgerFor(e, c, true)
	if err != nil {
		return err
	}
	defer l.Close()
	recs, err := l.List(state.Filter{Statuses: openStatuses})
	if err != nil {
		return fmt.Errorf("read the ledger: %w", err)
	}
	reports, err := daemon.OutboxStatus(l)
	if err != nil {
		return fmt.Errorf("read the ledger: %w", err)
	}
	inv, err := l.ServiceCacheSummary()
	if err != nil {
		return fmt.Errorf("read the ledger: %w", err)
	}
	if asJSON {
		return writeStatusJSON(e.stdout, nil, recs, l.Unreadable(), reports, inv)
	}
	if err := writeStatus(e.stdout, recs, l.Unreadable()); err != nil {
		return err
	}
	if err := writeReports(e.stdout, reports); err != nil {
		return err
	}
	return writeInventory(e.stdout, inv)
}

// writeStatus prints the records that cannot be read, then the open terms.
func writeStatus(w io.Writer, recs []state.Record, us []state.UnreadableRecord) error {
	if err := writeUnreadable(w, us); err != nil {
		return err
	}
	if len(recs) == 0 {
		_, err := fmt.Fprintln(w, "No open terms: nothing due, held or in flight.")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TERM\tSERVICE\tSTATUS\tORDER\tPRICE\tUPDATED\tNOTE")
	for _, r := range recs {
		price := r.OrderUcents
		if price == 0 {
			price = r.QuoteUcents
		}
		note := r.Reason
		if r.Status == state.StatusAwaitingApproval && r.Approval != nil {
			note = fmt.Sprintf("approval %s until %s: %s", r.Approval.ID, r.Approval.ExpiresAt.UTC().Format("2006-01-02 15:04 MST"), r.Reason)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", printable(r.Term.String()), printable(dash(r.ServiceName)), r.Status,
			orderID(r.OrderID), money(renewd.Money{Ucents: price, Currency: r.Currency}), r.Updated.UTC().Format(time.RFC3339), printable(note))
	}
	return tw.Flush()
}
