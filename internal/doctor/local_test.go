package doctor

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/control"
	"github.com/renewd/renewd/internal/state"
)

func TestStateDir(t *testing.T) {
	dir := t.TempDir()
	if c := checkStateDir(filepath.Join(dir, "renewd.db")); c.Status != OK {
		t.Errorf("a writable directory: %+v", c)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("the check left %v behind", entries)
	}
	if c := checkStateDir(filepath.Join(dir, "missing", "renewd.db")); c.Status != Warn || c.Fix == "" {
		t.Errorf("a missing directory: %+v", c)
	}
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if c := checkStateDir(filepath.Join(file, "renewd.db")); c.Status != Fail {
		t.Errorf("a file for a directory: %+v", c)
	}
}

func TestLedgerCheck(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "renewd.db")
	if c := checkLedger(ctx, path, nil); c.Status != OK || c.Detail != "none yet: the first cycle creates it" {
		t.Errorf("no ledger: %+v", c)
	}
	l, err := state.Open(path, state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	term := renewd.Term{Account: "default", ServiceID: 1001, Expiration: renewd.MustDate("2026-06-01")}
	if _, err := l.Transition(term, state.StatusDue, "due", nil, nil); err != nil {
		t.Fatal(err)
	}

	// Held by this process, as by a running renewd.
	c := checkLedger(ctx, path, nil)
	if c.Status != Warn {
		t.Errorf("a held ledger with no socket: %+v", c)
	}
	daemon := func(context.Context) (*control.Status, error) {
		return &control.Status{StartedAt: t0, LastCycle: &control.Cycle{Finished: t0.Add(time.Hour), OK: true}}, nil
	}
	if c := checkLedger(ctx, path, daemon); c.Status != OK || !contains(c.Detail, "held by the running daemon", "last cycle finished 2026-05-01T10:30:00Z") {
		t.Errorf("a held ledger with its daemon: %+v", c)
	}
	failing := func(context.Context) (*control.Status, error) {
		return &control.Status{StartedAt: t0, LastCycle: &control.Cycle{Finished: t0, Errors: []string{"inventory of account \"default\": 503"}}}, nil
	}
	if c := checkLedger(ctx, path, failing); c.Status != Warn || !contains(c.Detail, "had errors") {
		t.Errorf("a daemon whose last cycle failed: %+v", c)
	}
	broken := func(context.Context) (*control.Status, error) { return nil, errors.New("connection reset") }
	if c := checkLedger(ctx, path, broken); c.Status != Warn {
		t.Errorf("a socket that fails: %+v", c)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	c = checkLedger(ctx, path, nil)
	if c.Status != OK || !contains(c.Detail, "schema 3", "last change", "(due)") {
		t.Errorf("a closed ledger: %+v", c)
	}

	// Cut short, as a crash of the disk might leave it.
	fi, _ := os.Stat(path)
	if err := os.Truncate(path, fi.Size()/2); err != nil {
		t.Fatal(err)
	}
	if c := checkLedger(ctx, path, nil); c.Status != Fail || c.Fix == "" || !contains(c.Detail, "damaged") {
		t.Errorf("a damaged ledger: %+v", c)
	}
}

func contains(s string, subs ...string) bool {
	for _, x := range subs {
		if !stringsContains(s, x) {
			return false
		}
	}
	return true
}
