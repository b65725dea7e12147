package state

import (
	"fmt"
	"strings"
	"time"

	"github.com/renewd/renewd"
	bolt "go.etcd.io/bbolt"
)

// foldHistory replaces the events of a settled (delivered) record by one
// summary event, stored under the key of the last of them so the order of
// the history is kept. It reports false, and decodes nothing, when the term
// has one event or none.
func (l *Ledger) foldHistory(history *bolt.Bucket, rec Record) (bool, error) {
	term := rec.Term.String()
	keys := termHistoryKeys(history, term)
	if len(keys) <= 1 {
		return false, nil
	}
	events := make([]Event, 0, len(keys))
	for _, k := range keys {
		ev, err := l.decodeEvent(k, history.Get(k))
		if err != nil {
			return false, err
		}
		events = append(events, ev)
	}
	summary := summarize(rec, events)
	raw, err := encodeEvent(summary)
	if err != nil {
		return false, fmt.Errorf("encode summary of %s: %w", term, err)
	}
	for _, k := range keys {
		if err := history.Delete(k); err != nil {
			return false, fmt.Errorf("fold history of %s: %w", term, err)
		}
	}
	if err := history.Put(historyKey(term, summary.Seq), raw); err != nil {
		return false, fmt.Errorf("fold history of %s: %w", term, err)
	}
	return true, nil
}

// summarize is the one event that replaces a settled term's events (at
// least one, in sequence order): what an audit needs, from the record and
// the events.
func summarize(rec Record, events []Event) Event {
	last := events[len(events)-1]
	folded := 0
	ordered := rec.IntentAt
	for _, ev := range events {
		folded += max(ev.Folded, 1)
		if ordered.IsZero() && (ev.To == StatusOrdering || ev.To == StatusOrdered) {
			ordered = ev.At
		}
	}
	var parts []string
	if !ordered.IsZero() || rec.OrderID != 0 {
		parts = append(parts, fmt.Sprintf("ordered %s (order %d, %s %s)", stamp(ordered), rec.OrderID, renewd.FormatAmount(rec.OrderUcents), rec.Currency))
	}
	if a := rec.Approval; a != nil && a.Decision != "" {
		parts = append(parts, fmt.Sprintf("%s by %s at %s", a.Decision, a.DecidedBy, stamp(a.DecidedAt)))
	}
	if !rec.PaidAt.IsZero() {
		parts = append(parts, fmt.Sprintf("paid %s with %s", stamp(rec.PaidAt), rec.Payment))
	}
	if !rec.DeliveredAt.IsZero() {
		parts = append(parts, "delivered "+stamp(rec.DeliveredAt))
	}
	if rec.Attempts > 0 {
		parts = append(parts, fmt.Sprintf("after %d failed attempts", rec.Attempts))
	}
	return Event{
		Seq: last.Seq, Term: last.Term, At: last.At, To: rec.Status, Actor: SystemActor, Folded: folded,
		Reason: fmt.Sprintf("summary of %d events: %s", folded, strings.Join(parts, "; ")),
	}
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "(unknown)"
	}
	return t.UTC().Format(time.RFC3339)
}
