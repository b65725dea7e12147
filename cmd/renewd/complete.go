package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/renewd/renewd/internal/config"
	"github.com/renewd/renewd/internal/control"
	"github.com/renewd/renewd/internal/state"
)

// completeCommand is the hidden command the completion scripts run for
// what only the ledger knows.
const completeCommand = "__complete"

// completeTimeout bounds what a key press may wait for: a daemon that
// does not answer, a ledger another process holds.
const completeTimeout = 2 * time.Second

// setupComplete: `renewd __complete approvals [--config FILE]` prints the
// pending approvals' ids, then their terms, one a line: what approve and
// deny take. It asks the daemon through the control socket, else reads the
// ledger. It fails quietly: on any error it prints nothing, on stdout or
// stderr, and exits 1; a shell then completes nothing.
func setupComplete(e *env, fs *pflag.FlagSet) runFunc {
	path := fs.String("config", defaultConfig, "the config `FILE`")
	return func(ctx context.Context, args []string) error {
		if args[0] != "approvals" {
			return &exitError{code: exitUsage}
		}
		ctx, cancel := context.WithTimeout(ctx, completeTimeout)
		defer cancel()
		recs, err := pendingApprovals(ctx, e, *path)
		if err != nil {
			return &exitError{code: exitNotDone}
		}
		for _, w := range approvalWords(recs) {
			fmt.Fprintln(e.stdout, w)
		}
		return nil
	}
}

// pendingApprovals returns the terms whose approval waits for a decision,
// from the daemon when one answers, else from the ledger, read-only.
func pendingApprovals(ctx context.Context, e *env, path string) ([]state.Record, error) {
	cfg, err := config.Load(path, e.getenv)
	if err != nil {
		return nil, err
	}
	cl, err := control.Dial(ctx, cfg.ControlSocket)
	if err == nil {
		st, err := cl.Status(ctx)
		if err != nil {
			return nil, fmt.Errorf("status from the daemon: %w", err)
		}
		return st.PendingApprovals, nil
	}
	if !errors.Is(err, control.ErrNoDaemon) {
		return nil, err
	}
	l, err := state.Open(cfg.StateFile, state.Options{ReadOnly: true, LockTimeout: 200 * time.Millisecond})
	if err != nil {
		return nil, err
	}
	defer l.Close()
	recs, err := l.List(state.Filter{Statuses: []state.Status{state.StatusAwaitingApproval}})
	if err != nil {
		return nil, fmt.Errorf("read the ledger: %w", err)
	}
	return slices.DeleteFunc(recs, func(r state.Record) bool { return !r.Approval.Pending() }), nil
}

// approvalWords are the ids, then the terms, sorted, of the records: the
// words a shell offers. A word a shell could misread (a space, a control
// character) is left out: ids and terms never hold one.
func approvalWords(recs []state.Record) []string {
	var ids, terms []string
	for _, r := range recs {
		if r.Approval != nil && shellWord(r.Approval.ID) {
			ids = append(ids, r.Approval.ID)
		}
		if t := r.Term.String(); shellWord(t) {
			terms = append(terms, t)
		}
	}
	slices.Sort(ids)
	slices.Sort(terms)
	return append(ids, terms...)
}

func shellWord(s string) bool {
	return s != "" && isPrintable(s) && !strings.ContainsAny(s, " \t'\"\\$`")
}
