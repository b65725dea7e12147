package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/renewd/renewd/internal/control"
	"github.com/renewd/renewd/internal/renewal"
)

// daemonFor returns a client of the daemon that answers on the config's
// control socket, or nil when none does: the caller then works on the
// ledger itself.
func daemonFor(ctx context.Context, e *env, c *common) (*control.Client, error) {
	cfg, err := loadConfig(e, c.config)
	if err != nil {
		return nil, err
	}
	cl, err := control.Dial(ctx, cfg.ControlSocket)
	if errors.Is(err, control.ErrNoDaemon) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return cl, nil
}

// setupRunNow: run-now asks the running daemon for a cycle now.
func setupRunNow(e *env, fs *pflag.FlagSet) runFunc {
	var c common
	c.register(fs)
	return func(ctx context.Context, _ []string) error { return runNow(ctx, e, &c) }
}

func runNow(ctx context.Context, e *env, c *common) error {
	cfg, err := loadConfig(e, c.config)
	if err != nil {
		return err
	}
	cl, err := control.Dial(ctx, cfg.ControlSocket)
	if errors.Is(err, control.ErrNoDaemon) {
		return &exitError{code: exitNotDone, err: fmt.Errorf("%w (%v); `renewd once` runs a cycle without a daemon", control.ErrNoDaemon, err)}
	}
	if err != nil {
		return err
	}
	if err := cl.RunNow(ctx); err != nil {
		return fmt.Errorf("run-now: %w", err)
	}
	fmt.Fprintln(e.stdout, "cycle requested; `renewd status` shows when it is done")
	return nil
}

// writeDaemonStatus prints the daemon's status: its state, then the open
// terms as `status` prints them from the ledger.
func writeDaemonStatus(w io.Writer, st control.Status, asJSON bool) error {
	if asJSON {
		return writeStatusJSON(w, &st, st.Terms, st.Unreadable, st.Reports, st.Inventory)
	}
	fmt.Fprintf(w, "Daemon running since %s; schedule %q; next cycle at %s.\n",
		st.StartedAt.UTC().Format(time.RFC3339), st.Schedule, stamp(st.NextCycle))
	if st.CycleRunning {
		fmt.Fprintln(w, "A cycle is running.")
	}
	if c := st.LastCycle; c == nil {
		if !st.CycleRunning {
			fmt.Fprintln(w, "No cycle has finished yet.")
		}
	} else {
		fmt.Fprintf(w, "Last cycle %s (took %s): %d paid, %d refused, %d awaiting approval, %d failed",
			stamp(c.Finished), c.Finished.Sub(c.Started).Round(time.Millisecond), c.Counts[string(renewal.ActPaid)], c.Counts[string(renewal.ActRefused)],
			c.Counts[string(renewal.ActAwaiting)], c.Counts[string(renewal.ActFailed)])
		if c.NotRenewed {
			fmt.Fprint(w, "; something due was left unrenewed")
		}
		if len(c.Errors) > 0 {
			fmt.Fprintf(w, "; errors: %s", printable(strings.Join(c.Errors, "; ")))
		}
		fmt.Fprintln(w, ".")
	}
	if !st.LastSuccess.IsZero() {
		fmt.Fprintf(w, "Last successful cycle at %s.\n", stamp(st.LastSuccess))
	}
	fmt.Fprintln(w)
	if err := writeStatus(w, st.Terms, st.Unreadable); err != nil {
		return err
	}
	if err := writeReports(w, st.Reports); err != nil {
		return err
	}
	return writeInventory(w, st.Inventory)
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}
