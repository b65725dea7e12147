package doctor

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/renewd/renewd/internal/control"
	"github.com/renewd/renewd/internal/state"
)

// checkStateDir checks that the ledger's directory exists and that this
// process can create a file in it (a temporary one, removed at once).
func checkStateDir(stateFile string) Check {
	dir := filepath.Dir(stateFile)
	c := Check{ID: "state.dir", Title: "state directory " + dir}
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		c.Status, c.Detail = Warn, "does not exist yet"
		c.Fix = "under the unit, systemd's StateDirectory= creates it when renewd starts; create it (mode 0700) to run `renewd once` by hand"
		return c
	case err != nil:
		c.Status, c.Detail = Fail, err.Error()
		return c
	case !fi.IsDir():
		c.Status, c.Detail, c.Fix = Fail, "is not a directory", "point state_file at a file in a directory"
		return c
	}
	f, err := os.CreateTemp(dir, ".renewd-doctor-*")
	if err != nil {
		c.Status, c.Detail = Fail, "cannot create a file in it: "+err.Error()
		c.Fix = "the ledger's directory must be writable by the user renewd runs as (under the unit, systemd's StateDirectory= sees to it)"
		return c
	}
	name := f.Name()
	f.Close()
	if err := os.Remove(name); err != nil {
		c.Status, c.Detail = Warn, "created a file in it but could not remove it: "+err.Error()
		c.Fix = "remove " + name
		return c
	}
	c.Status, c.Detail = OK, fmt.Sprintf("writable (by uid %d)", os.Getuid())
	return c
}

// checkLedger opens the ledger read-only, or asks the daemon that holds it.
func checkLedger(ctx context.Context, path string, daemon func(context.Context) (*control.Status, error)) Check {
	c := Check{ID: "ledger", Title: "ledger " + path}
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		c.Status, c.Detail = OK, "none yet: the first cycle creates it"
		return c
	}
	if err != nil {
		c.Status, c.Detail = Fail, err.Error()
		return c
	}
	size := fmt.Sprintf("%.1f MB", float64(fi.Size())/1e6)
	l, err := state.Open(path, state.Options{ReadOnly: true, LockTimeout: 200 * time.Millisecond})
	switch {
	case errors.Is(err, state.ErrLocked):
		return ledgerThroughDaemon(ctx, c, size, daemon)
	case errors.Is(err, state.ErrCorrupt):
		c.Status, c.Detail = Fail, err.Error()
		c.Fix = "stop renewd and restore the latest `renewd backup` (docs/operations.md, Backup and restore)"
		return c
	case err != nil:
		c.Status, c.Detail = Fail, err.Error()
		c.Fix = "see the message: an older ledger is migrated by `renewd run` or `renewd once` (which back it up first); a newer one needs the newer renewd"
		return c
	}
	defer l.Close()
	c.Detail = fmt.Sprintf("schema %d, %s", state.SchemaVersion, size)
	events, err := l.History(state.HistoryFilter{Limit: 1})
	switch {
	case err != nil:
		c.Status, c.Detail = Fail, c.Detail+"; its history cannot be read: "+err.Error()
		return c
	case len(events) == 0:
		c.Detail += "; nothing recorded yet"
	default:
		c.Detail += "; last change " + events[0].At.UTC().Format(time.RFC3339) + " (" + string(events[0].To) + ")"
	}
	if bad := l.Unreadable(); len(bad) > 0 {
		c.Status = Fail
		c.Detail += fmt.Sprintf("; %d records cannot be decoded: renewd orders nothing for their services", len(bad))
		c.Fix = "`renewd status` names them; stop renewd and restore the latest backup"
		return c
	}
	c.Status = OK
	return c
}

// ledgerThroughDaemon reads what the daemon holding the ledger says of it.
func ledgerThroughDaemon(ctx context.Context, c Check, size string, daemon func(context.Context) (*control.Status, error)) Check {
	var st *control.Status
	var err error
	if daemon != nil {
		st, err = daemon(ctx)
	}
	switch {
	case err != nil:
		c.Status, c.Detail = Warn, "held by another renewd, whose control socket does not answer: "+err.Error()
		c.Fix = "check `systemctl status renewd`"
		return c
	case st == nil:
		c.Status, c.Detail = Warn, "held by another renewd that no control socket answers for (a `renewd once` running?)"
		c.Fix = "run renewd doctor again when it is done"
		return c
	}
	c.Detail = fmt.Sprintf("held by the running daemon (since %s), %s", st.StartedAt.UTC().Format(time.RFC3339), size)
	switch lc := st.LastCycle; {
	case lc == nil:
		c.Status, c.Detail = OK, c.Detail+"; no cycle finished yet"
	case !lc.OK:
		c.Status = Warn
		c.Detail += fmt.Sprintf("; the last cycle (finished %s) had errors: %v", lc.Finished.UTC().Format(time.RFC3339), lc.Errors)
		c.Fix = "`journalctl -u renewd` and `renewd status`"
	default:
		c.Status, c.Detail = OK, c.Detail+"; last cycle finished "+lc.Finished.UTC().Format(time.RFC3339)
	}
	if len(st.Unreadable) > 0 {
		c.Status = Fail
		c.Detail += fmt.Sprintf("; %d records cannot be decoded: renewd orders nothing for their services", len(st.Unreadable))
		c.Fix = "`renewd status` names them; stop renewd and restore the latest backup"
	}
	return c
}
