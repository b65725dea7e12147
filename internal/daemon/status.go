package daemon

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/control"
	"github.com/renewd/renewd/internal/renewal"
	"github.com/renewd/renewd/internal/state"
)

var _ control.Backend = (*Daemon)(nil)

// OpenStatuses are the statuses Status lists as open terms: everything not
// settled.
var OpenStatuses = []state.Status{
	state.StatusDue, state.StatusAwaitingApproval, state.StatusApproved, state.StatusApprovalExpired,
	state.StatusOrdering, state.StatusOrdered, state.StatusPaying, state.StatusPaid,
	state.StatusUndelivered, state.StatusFailed, state.StatusRefused,
}

// Status returns a snapshot of the daemon and its open terms.
func (d *Daemon) Status() (control.Status, error) {
	cfg := d.config()
	d.mu.Lock()
	st := control.Status{
		StartedAt:    d.started,
		Schedule:     cfg.Schedule,
		NextCycle:    d.sched.Next(),
		CycleRunning: d.running,
		LastSuccess:  d.lastSuccess,
	}
	if c := d.lastCycle; c != nil {
		st.LastCycle = &control.Cycle{Started: c.started, Finished: c.finished, Counts: c.counts,
			OK: len(c.errors) == 0, NotRenewed: c.notRenewed, Errors: c.errors}
	}
	d.mu.Unlock()
	recs, err := d.ledger.List(state.Filter{Statuses: OpenStatuses})
	if err != nil {
		return control.Status{}, fmt.Errorf("read the ledger: %w", err)
	}
	st.Terms = recs
	st.Unreadable = d.Unreadable()
	st.PendingApprovals = []state.Record{}
	for _, r := range recs {
		if r.Status == state.StatusAwaitingApproval && r.Approval.Pending() {
			st.PendingApprovals = append(st.PendingApprovals, r)
		}
	}
	if st.Terms == nil {
		st.Terms = []state.Record{}
	}
	if err := d.outboxStatus(&st); err != nil {
		return control.Status{}, err
	}
	if st.Inventory, err = d.ledger.ServiceCacheSummary(); err != nil {
		return control.Status{}, fmt.Errorf("read the ledger: %w", err)
	}
	return st, nil
}

// History returns the ledger's events the filter selects.
func (d *Daemon) History(f state.HistoryFilter) ([]state.Event, error) {
	events, err := d.ledger.History(f)
	d.Unreadable() // History may have met an unreadable event
	return events, err
}

// Unreadable returns the ledger's records that cannot be decoded
// (state.Ledger.Unreadable) and sets the metric of their number.
func (d *Daemon) Unreadable() []state.UnreadableRecord {
	us := d.ledger.Unreadable()
	if d.opts.Metrics != nil {
		d.opts.Metrics.LedgerUnreadable(len(us))
	}
	return us
}

// Backup writes a consistent copy of the open ledger to path.
func (d *Daemon) Backup(path string) error {
	if err := d.ledger.Backup(path); err != nil {
		return fmt.Errorf("backup to %s: %w", path, err)
	}
	d.log.Info("ledger backed up", "path", path)
	return nil
}

// Decide records a decision on the approval named by its id or by its term
// (ACCOUNT/SERVICE_ID/EXPIRATION), then asks for a cycle, which acts on it,
// and wakes the drainer, which updates the approval's message.
func (d *Daemon) Decide(approval, decision, actor string) (state.Record, error) {
	id, err := d.approvalID(approval)
	if err != nil {
		return state.Record{}, err
	}
	rec, err := renewal.Decide(d.ledger, id, state.Decision(decision), actor)
	if err != nil {
		return state.Record{}, err
	}
	d.log.Info("approval decided", "service_id", rec.Term.ServiceID, "service", rec.ServiceName,
		"term", rec.Term.String(), "decision", decision, "by", actor)
	d.wakeDrainer()
	d.RunNow()
	return rec, nil
}

// decideFromSource is the decide function given to Options.Approvals.
func (d *Daemon) decideFromSource(_ context.Context, approvalID, decision, actor string) error {
	_, err := d.Decide(approvalID, decision, actor)
	return err
}

// approvalID resolves a term to its pending approval's id; anything without
// a "/" is taken as an approval id.
func (d *Daemon) approvalID(arg string) (string, error) {
	if !strings.Contains(arg, "/") {
		return arg, nil
	}
	term, err := renewd.ParseTerm(arg)
	if err != nil {
		return "", err
	}
	rec, ok, err := d.ledger.Get(term)
	if err != nil {
		return "", fmt.Errorf("read term %s: %w", term, err)
	}
	if !ok {
		return "", fmt.Errorf("no term %s in the ledger: %w", term, state.ErrNotFound)
	}
	if rec.Status != state.StatusAwaitingApproval || !rec.Approval.Pending() {
		return "", fmt.Errorf("term %s is %s, not awaiting approval: %w", term, rec.Status, state.ErrConflict)
	}
	return rec.Approval.ID, nil
}

// Healthy reports whether the ledger holds no unreadable record and the
// last successful cycle finished within two schedule periods of now, and
// why not.
func (d *Daemon) Healthy() (bool, string) {
	if us := d.Unreadable(); len(us) > 0 {
		return false, fmt.Sprintf("the ledger holds %d record(s) that cannot be read, the first %q: their services are not renewed; see `renewd status`, and restore the ledger from the latest `renewd backup`",
			len(us), us[0].Key)
	}
	d.mu.Lock()
	last := d.lastSuccess
	d.mu.Unlock()
	if last.IsZero() {
		return false, "no successful cycle yet"
	}
	// cron works in whole seconds: measure the period from the second.
	from := last.Truncate(time.Second)
	next := d.sched.NextAfter(from)
	if next.IsZero() {
		return true, "last successful cycle at " + formatTime(last)
	}
	period := next.Sub(from)
	age := d.now().Sub(last)
	if age >= 2*period {
		return false, fmt.Sprintf("last successful cycle at %s, %s ago: over two schedule periods (%s)",
			formatTime(last), age.Round(time.Second), (2 * period).Round(time.Second))
	}
	return true, "last successful cycle at " + formatTime(last)
}

func (d *Daemon) healthz(w http.ResponseWriter, r *http.Request) {
	ok, why := d.Healthy()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if !ok {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	fmt.Fprintln(w, why)
}
