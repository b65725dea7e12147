package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/control"
	"github.com/renewd/renewd/internal/renewal"
	"github.com/renewd/renewd/internal/state"
)

// setupDecide: approve and deny decide a held renewal, named by its term
// or its approval id.
func setupDecide(verb string) func(e *env, fs *pflag.FlagSet) runFunc {
	return func(e *env, fs *pflag.FlagSet) runFunc {
		var c common
		c.register(fs)
		by := fs.String("by", "", "a `NOTE` recorded after your user name, such as who you are when running as root (default: $SUDO_USER, as root)")
		return func(ctx context.Context, args []string) error { return decide(ctx, e, &c, verb, args[0], *by) }
	}
}

func decide(ctx context.Context, e *env, c *common, verb, arg, by string) error {
	// The decision is recorded as cli:USER, USER being who this process
	// runs as (the daemon reads it from the socket); --by is only a note.
	note := by
	if note == "" && os.Getuid() == 0 {
		note = e.getenv("SUDO_USER")
	}
	actor, err := control.DecisionActor(uint32(os.Getuid()), note)
	if err != nil {
		return usageErr("--by: %v", err)
	}
	decision := map[string]string{"approve": string(state.DecisionApproved), "deny": string(state.DecisionDenied)}[verb]
	if cl, err := daemonFor(ctx, e, c); err != nil {
		return err
	} else if cl != nil {
		rec, err := cl.Decide(ctx, arg, decision, note)
		if err != nil {
			return &exitError{code: exitNotDone, err: fmt.Errorf("%s %s: %w", verb, arg, err)}
		}
		fmt.Fprintf(e.stdout, "%s %s (%s, %s at %s); the daemon runs a cycle to act on it now\n", decision, rec.Term, printable(rec.ServiceName),
			rec.Period, renewd.Money{Ucents: rec.Approval.PriceUcents, Currency: rec.Currency})
		return nil
	}
	l, err := ledgerFor(e, c, false)
	if err != nil {
		return err
	}
	defer l.Close()
	id, err := approvalID(l, arg)
	if err != nil {
		return err
	}
	rec, err := renewal.Decide(l, id, state.Decision(decision), actor)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s %s (%s, %s at %s); the next cycle acts on it\n", decision, rec.Term, printable(rec.ServiceName),
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

// setupBackup: backup writes a consistent copy of the ledger.
func setupBackup(e *env, fs *pflag.FlagSet) runFunc {
	var c common
	c.register(fs)
	return func(ctx context.Context, args []string) error { return backup(ctx, e, &c, args[0]) }
}

func backup(ctx context.Context, e *env, c *common, target string) error {
	if cl, err := daemonFor(ctx, e, c); err != nil {
		return err
	} else if cl != nil {
		if err := cl.Backup(ctx, target); err != nil {
			return fmt.Errorf("backup to %s through the daemon: %w", target, err)
		}
		fmt.Fprintln(e.stdout, "wrote", target)
		return nil
	}
	l, err := ledgerFor(e, c, true)
	if err != nil {
		return err
	}
	defer l.Close()
	if err := l.Backup(target); err != nil {
		return fmt.Errorf("backup to %s: %w", target, err)
	}
	fmt.Fprintln(e.stdout, "wrote", target)
	return nil
}
