package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/control"
	"github.com/renewd/renewd/internal/daemon"
	"github.com/renewd/renewd/internal/renewal"
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

func cmdHistory(ctx context.Context, e *env, args []string) error {
	var c common
	fs := flags(e, "history")
	c.register(fs)
	service := fs.Int64("service", 0, "only this service id")
	term := fs.String("term", "", "only this term (ACCOUNT/SERVICE_ID/EXPIRATION)")
	limit := fs.Int("limit", 0, "at most this many, the most recent (0: all)")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	if *term != "" {
		t, err := renewd.ParseTerm(*term)
		if err != nil {
			return usageErr("--term: %v", err)
		}
		*term = t.String()
	}
	filter := state.HistoryFilter{ServiceID: *service, Term: *term, Limit: *limit}
	if cl, err := daemonFor(ctx, e, &c); err != nil {
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
		return writeHistoryAndUnreadable(e, events, us, *asJSON)
	}
	l, err := ledgerFor(e, &c, true)
	if err != nil {
		return err
	}
	defer l.Close()
	events, err := l.History(filter)
	if err != nil {
		return fmt.Errorf("read the history: %w", err)
	}
	return writeHistoryAndUnreadable(e, events, l.Unreadable(), *asJSON)
}

// writeHistoryAndUnreadable prints the events, then the ledger's
// unreadable records: after the table, or on stderr beside JSON, which
// keeps its shape (a list of events).
func writeHistoryAndUnreadable(e *env, events []state.Event, us []state.UnreadableRecord, asJSON bool) error {
	if err := writeHistory(e.stdout, events, asJSON); err != nil {
		return err
	}
	w := e.stdout
	if asJSON {
		w = e.stderr
	}
	return writeUnreadable(w, us)
}

func writeHistory(w io.Writer, events []state.Event, asJSON bool) error {
	if asJSON {
		if events == nil {
			events = []state.Event{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(events)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "AT\tTERM\tFROM\tTO\tBY\tREASON")
	for _, ev := range events {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", ev.At.UTC().Format(time.RFC3339), ev.Term,
			dash(string(ev.From)), ev.To, dash(ev.Actor), ev.Reason)
	}
	return tw.Flush()
}

func cmdApprove(ctx context.Context, e *env, args []string) error {
	return decide(ctx, e, "approve", args)
}
func cmdDeny(ctx context.Context, e *env, args []string) error { return decide(ctx, e, "deny", args) }

// decide approves or denies a held renewal, named by its term or its
// approval id.
func decide(ctx context.Context, e *env, verb string, args []string) error {
	var c common
	fs := flags(e, verb)
	c.register(fs)
	by := fs.String("by", "", "a note recorded after your user name, such as who you are when running as root (default: $SUDO_USER, as root)")
	rest, err := parse(fs, args, 1)
	if err != nil {
		return err
	}
	// The decision is recorded as cli:USER, USER being who this process
	// runs as (the daemon reads it from the socket); --by is only a note.
	note := *by
	if note == "" && os.Getuid() == 0 {
		note = e.getenv("SUDO_USER")
	}
	actor, err := control.DecisionActor(uint32(os.Getuid()), note)
	if err != nil {
		return usageErr("--by: %v", err)
	}
	decision := map[string]string{"approve": string(state.DecisionApproved), "deny": string(state.DecisionDenied)}[verb]
	if cl, err := daemonFor(ctx, e, &c); err != nil {
		return err
	} else if cl != nil {
		rec, err := cl.Decide(ctx, rest[0], decision, note)
		if err != nil {
			return &exitError{code: exitNotDone, err: fmt.Errorf("%s %s: %w", verb, rest[0], err)}
		}
		fmt.Fprintf(e.stdout, "%s %s (%s, %s at %s); the daemon runs a cycle to act on it now\n", decision, rec.Term, rec.ServiceName,
			rec.Period, renewd.Money{Ucents: rec.Approval.PriceUcents, Currency: rec.Currency})
		return nil
	}
	l, err := ledgerFor(e, &c, false)
	if err != nil {
		return err
	}
	defer l.Close()
	id, err := approvalID(l, rest[0])
	if err != nil {
		return err
	}
	rec, err := renewal.Decide(l, id, state.Decision(decision), actor)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s %s (%s, %s at %s); the next cycle acts on it\n", decision, rec.Term, rec.ServiceName,
		rec.Period, renewd.Money{Ucents: rec.Approval.PriceUcents, Currency: rec.Currency})
	return nil
}

// approvalID resolves a term or an approval id to the id of the term's
// pending approval.
func approvalID(l *state.Ledger, arg string) (string, error) {
	if !strings.Contains(arg, "/") {
		return arg, nil
	}
	term, err := renewd.ParseTerm(arg)
	if err != nil {
		return "", usageErr("%v", err)
	}
	rec, ok, err := l.Get(term)
	if err != nil {
		return "", fmt.Errorf("read term %s: %w", term, err)
	}
	if !ok {
		return "", &exitError{code: exitNotDone, err: fmt.Errorf("no term %s in the ledger", term)}
	}
	if rec.Approval == nil || rec.Status != state.StatusAwaitingApproval {
		return "", &exitError{code: exitNotDone, err: fmt.Errorf("term %s is %s, not awaiting approval", term, rec.Status)}
	}
	return rec.Approval.ID, nil
}

func cmdBackup(ctx context.Context, e *env, args []string) error {
	var c common
	fs := flags(e, "backup")
	c.register(fs)
	rest, err := parse(fs, args, 1)
	if err != nil {
		return err
	}
	if cl, err := daemonFor(ctx, e, &c); err != nil {
		return err
	} else if cl != nil {
		if err := cl.Backup(ctx, rest[0]); err != nil {
			return fmt.Errorf("backup to %s through the daemon: %w", rest[0], err)
		}
		fmt.Fprintln(e.stdout, "wrote", rest[0])
		return nil
	}
	l, err := ledgerFor(e, &c, true)
	if err != nil {
		return err
	}
	defer l.Close()
	if err := l.Backup(rest[0]); err != nil {
		return fmt.Errorf("backup to %s: %w", rest[0], err)
	}
	fmt.Fprintln(e.stdout, "wrote", rest[0])
	return nil
}

// openStatuses are the statuses `status` lists: every status a term can
// still leave, from the ledger's own table.
var openStatuses = state.OpenStatuses()

func cmdStatus(ctx context.Context, e *env, args []string) error {
	var c common
	fs := flags(e, "status")
	c.register(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	if cl, err := daemonFor(ctx, e, &c); err != nil {
		return err
	} else if cl != nil {
		st, err := cl.Status(ctx)
		if err != nil {
			return fmt.Errorf("status: %w", err)
		}
		return writeDaemonStatus(e.stdout, st, *asJSON)
	}
	l, err := ledgerFor(e, &c, true)
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
	if err := writeStatus(e.stdout, recs, l.Unreadable(), reports, *asJSON); err != nil {
		return err
	}
	if *asJSON {
		return nil
	}
	if err := writeReports(e.stdout, reports); err != nil {
		return err
	}
	inv, err := l.ServiceCacheSummary()
	if err != nil {
		return fmt.Errorf("read the ledger: %w", err)
	}
	return writeInventory(e.stdout, inv)
}

// writeStatus prints the open terms, then the records that cannot be read;
// as JSON, with the outbox's state (reports) when given.
func writeStatus(w io.Writer, recs []state.Record, us []state.UnreadableRecord, reports *control.Reports, asJSON bool) error {
	if asJSON {
		if recs == nil {
			recs = []state.Record{}
		}
		if us == nil {
			us = []state.UnreadableRecord{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		out := map[string]any{"terms": recs, "unreadable": us}
		if reports != nil {
			out["reports"] = reports
		}
		return enc.Encode(out)
	}
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
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Term, r.ServiceName, r.Status, orderID(r.OrderID),
			money(renewd.Money{Ucents: price, Currency: r.Currency}), r.Updated.UTC().Format(time.RFC3339), note)
	}
	return tw.Flush()
}
