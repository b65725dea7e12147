package daemon

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/config"
	"github.com/renewd/renewd/internal/control"
	"github.com/renewd/renewd/internal/notify"
	"github.com/renewd/renewd/internal/state"
)

// Drainer returns the outbox drainer for a config: its digest settings
// come from the slack section (the defaults without one).
func Drainer(cfg *config.Config, o notify.Outbox, s notify.Sender) *notify.Drainer {
	d := &notify.Drainer{Outbox: o, Sender: s}
	if cfg != nil && cfg.Slack != nil {
		d.DigestThreshold = cfg.Slack.DigestThreshold
		d.SingleCap = cfg.Slack.MaxSingleMessages
	}
	return d
}

// requeueParked sends the parked reports again: the operator reloads or
// restarts renewd once the cause (a channel, a token, the bot's
// membership) is fixed. A report that fails again is parked again.
func (d *Daemon) requeueParked(why string) {
	n, err := d.ledger.RequeueParked()
	switch {
	case err != nil:
		d.log.Error("parked reports not requeued", "err", err)
	case n > 0:
		d.log.Info("parked reports queued again", "reports", n, "on", why)
		d.wakeDrainer()
	}
}

// OutboxStatus is what `renewd status` shows of the outbox: how many
// reports wait, and each parked one with its headline and Slack's error.
// Its texts are safe for a terminal (control characters dropped).
func OutboxStatus(l *state.Ledger) (*control.Reports, error) {
	waiting, _, err := l.OutboxCounts()
	if err != nil {
		return nil, err
	}
	parked, err := l.Parked()
	if err != nil {
		return nil, err
	}
	out := &control.Reports{Waiting: waiting, Parked: []control.ParkedReport{}}
	for _, p := range parked {
		title := "(unreadable report)"
		var r renewd.Report
		if json.Unmarshal(p.Body, &r) == nil {
			title = notify.Title(r)
		}
		out.Parked = append(out.Parked, control.ParkedReport{Key: printable(p.Key), Kind: printable(p.Kind),
			Title: printable(title), Error: printable(p.LastError), Attempts: p.Attempts,
			Enqueued: p.Enqueued, ParkedAt: p.ParkedAt})
	}
	return out, nil
}

// printable drops control characters (a service name is the customer's).
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
}

func (d *Daemon) outboxStatus(st *control.Status) error {
	r, err := OutboxStatus(d.ledger)
	if err != nil {
		return fmt.Errorf("read the outbox: %w", err)
	}
	st.Reports = r
	return nil
}
