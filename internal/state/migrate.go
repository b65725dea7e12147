package state

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // Europe/Paris on machines without a zone database

	"github.com/renewd/renewd"
	bolt "go.etcd.io/bbolt"
)

// migrate rewrites a ledger of schema 1 or 2 into schema 3, inside Open's
// read-write transaction: all of it or, on error, none of it. Open has
// written a backup of the file first (backupBeforeMigrate).
//
// Schema 3 keys a term by the calendar date OVH writes for the expiration
// (renewd.Term), where schemas 1 and 2 keyed it by the UTC instant of
// whichever wire form the inventory read: the same expiration could be
// 2026-12-04T23:00:00Z (a Paris-time datetime) or 2026-12-05T00:00:00Z (a
// date), two keys for one term. Each old key becomes its Paris date
// (parisDate); every record keeps its status, intents, order and approval,
// so a term in flight finishes without a second order or payment. Old keys
// that fall on one date are merged (mergeRecords) without losing an order
// or a payment, and the merge is reported. The history, approvals, spent
// index, Slack message refs and queued reports follow the new keys; the
// orders index (new in 3) is built from the records.
func (l *Ledger) migrate(tx *bolt.Tx, from int) error {
	if from != 1 && from != 2 {
		return fmt.Errorf("no migration from schema %d", from)
	}
	start := time.Now()
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		return fmt.Errorf("load Europe/Paris: %w", err)
	}
	olds, err := readLegacyRecords(tx, from)
	if err != nil {
		return err
	}
	events, err := l.readLegacyHistory(tx, from)
	if err != nil {
		return err
	}

	// New keys, and the records that share one.
	keys := map[string]string{}
	groups := map[string][]legacyRecord{}
	var order []string
	for _, o := range olds {
		t := o.rec.Term
		t.Expiration = parisDate(o.expiration, paris)
		nk := t.String()
		keys[o.key] = nk
		if _, seen := groups[nk]; !seen {
			order = append(order, nk)
		}
		o.rec.Term = t
		if !o.newExpiration.IsZero() {
			o.rec.NewExpiration = parisDate(o.newExpiration, paris)
		}
		// Migrated intents have no OVH time: the local one is the best
		// knowledge of it (renewd's hosts keep NTP time).
		if o.rec.IntentOVH.IsZero() {
			o.rec.IntentOVH = o.rec.IntentAt
		}
		if o.rec.PayIntentOVH.IsZero() {
			o.rec.PayIntentOVH = o.rec.PayIntentAt
		}
		groups[nk] = append(groups[nk], o)
	}

	approvals, err := readApprovals(tx, keys)
	if err != nil {
		return err
	}
	seq := tx.Bucket(bucketHistory).Sequence()
	for _, name := range [][]byte{bucketTerms, bucketHistory, bucketSpent, bucketApprovals, bucketOrders} {
		if tx.Bucket(name) != nil {
			if err := tx.DeleteBucket(name); err != nil {
				return fmt.Errorf("reset bucket %s: %w", name, err)
			}
		}
		if _, err := tx.CreateBucket(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	history := tx.Bucket(bucketHistory)
	if err := history.SetSequence(seq); err != nil {
		return err
	}
	for id, key := range approvals {
		if err := tx.Bucket(bucketApprovals).Put([]byte(id), []byte(key)); err != nil {
			return err
		}
	}
	for _, e := range events {
		nk, ok := keys[e.term]
		if !ok {
			return fmt.Errorf("history event %d names term %s, which has no record", e.seq, e.term)
		}
		raw, err := encodeEvent(e.ev)
		if err != nil {
			return err
		}
		if err := packed(history).Put(historyKey(nk, e.seq), raw); err != nil {
			return err
		}
	}

	now := l.nowUTC()
	merged := 0
	for _, nk := range order {
		group := groups[nk]
		rec, note, report := mergeRecords(group)
		if len(group) > 1 {
			merged++
			l.logger.Warn("ledger migration merged two records of one term", "term", nk, "note", note)
			if err := appendEvent(tx, Event{Term: nk, At: now, From: rec.Status, To: rec.Status, Reason: note, Actor: SystemActor}); err != nil {
				return err
			}
			if err := enqueue(tx, now, []Report{report}); err != nil {
				return err
			}
		}
		if _, err := putRecord(tx, nk, nil, rec); err != nil {
			return err
		}
	}
	if err := rekeyMessagesAndOutbox(tx, keys, paris); err != nil {
		return err
	}
	if err := tx.Bucket(bucketMeta).Put(keySchemaVersion, []byte(strconv.Itoa(SchemaVersion))); err != nil {
		return err
	}
	l.logger.Info("migrated ledger schema", "from", from, "to", SchemaVersion, "records", len(olds),
		"terms", len(order), "merged", merged, "events", len(events), "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// readApprovals maps every approval id to its term's new key.
func readApprovals(tx *bolt.Tx, keys map[string]string) (map[string]string, error) {
	out := map[string]string{}
	err := tx.Bucket(bucketApprovals).ForEach(func(k, v []byte) error {
		nk, ok := keys[string(v)]
		if !ok {
			return fmt.Errorf("approval %s names term %s, which has no record", k, v)
		}
		out[string(k)] = nk
		return nil
	})
	return out, err
}

// rekeyMessagesAndOutbox moves the Slack message refs and the queued
// reports to the new keys, so that a report queued before the migration
// still updates the message it posted.
func rekeyMessagesAndOutbox(tx *bolt.Tx, keys map[string]string, paris *time.Location) error {
	msgs := tx.Bucket(bucketMessages)
	type kv struct{ k, v []byte }
	var moved []kv
	var stale [][]byte
	if err := msgs.ForEach(func(k, v []byte) error {
		if nk := rekeyText(string(k), keys); nk != string(k) {
			stale = append(stale, slices.Clone(k))
			moved = append(moved, kv{[]byte(nk), slices.Clone(v)})
		}
		return nil
	}); err != nil {
		return err
	}
	for _, k := range stale {
		if err := msgs.Delete(k); err != nil {
			return err
		}
	}
	for _, m := range moved {
		if msgs.Get(m.k) == nil { // two old keys on one date: the first ref is kept
			if err := msgs.Put(m.k, m.v); err != nil {
				return err
			}
		}
	}

	outbox := tx.Bucket(bucketOutbox)
	var items []OutboxItem
	if err := outbox.ForEach(func(k, v []byte) error {
		item, err := decodeItem(k, v)
		if err != nil {
			return err
		}
		items = append(items, item)
		return nil
	}); err != nil {
		return err
	}
	for _, item := range items {
		item.Key = rekeyText(item.Key, keys)
		item.Body = rekeyReportBody(item.Body, keys, paris)
		raw, err := json.Marshal(item)
		if err != nil {
			return err
		}
		if err := outbox.Put(seqKey(item.Seq), raw); err != nil {
			return err
		}
	}
	return nil
}

// progress ranks statuses for a merge: the record furthest along the money
// path leads, so a payment or a call in flight is never hidden behind a
// record that knows less.
func progress(r Record) int {
	switch {
	case r.Status == StatusDelivered:
		return 10
	case r.Status == StatusUndelivered:
		return 9
	case r.Status == StatusPaid:
		return 8
	case r.Status == StatusPaying:
		return 7
	case r.Status == StatusOrdered:
		return 6
	case r.Status == StatusFailed && r.MoneyInFlight():
		return 5
	case r.Status == StatusOrdering:
		return 4
	case r.OrderID != 0:
		return 3 // a held or refused record that keeps an order
	case r.Status == StatusApproved, r.Status == StatusAwaitingApproval, r.Status == StatusDenied:
		return 2
	case r.Status == StatusFailed, r.Status == StatusRefused, r.Status == StatusApprovalExpired:
		return 1
	}
	return 0
}

// mergeRecords makes one schema 3 record of the old records that fall on
// one date, and says what it did. One record is returned as it is. Of
// several, the one furthest along leads (progress); the orders of the
// others go to OtherOrders, so reconciliation reads each before anything
// new is ordered, and the term counts as paid when any of them is. An order
// intent whose order id was never recorded needs nothing kept: before it
// orders, renewd adopts any unpaid renewal order OVH holds for the service.
// Two payments are reported as a failure: a person must ask OVH for a
// refund.
func mergeRecords(group []legacyRecord) (Record, string, Report) {
	if len(group) == 1 {
		return group[0].rec, "", Report{}
	}
	slices.SortStableFunc(group, func(a, b legacyRecord) int {
		return cmp.Or(-cmp.Compare(progress(a.rec), progress(b.rec)), cmp.Compare(a.key, b.key))
	})
	lead := group[0].rec.clone()
	var oldKeys, paid []string
	for _, g := range group {
		oldKeys = append(oldKeys, g.key)
		if g.rec.Paid() {
			paid = append(paid, fmt.Sprintf("order %d", g.rec.OrderID))
		}
		for _, id := range append([]int64{g.rec.OrderID}, g.rec.OtherOrders...) {
			if id != 0 && id != lead.OrderID && !slices.Contains(lead.OtherOrders, id) {
				lead.OtherOrders = append(lead.OtherOrders, id)
			}
		}
		if lead.Approval == nil && g.rec.Approval != nil {
			a := *g.rec.Approval
			lead.Approval = &a
		}
		lead.Attempts = max(lead.Attempts, g.rec.Attempts)
		if g.rec.Created.Before(lead.Created) {
			lead.Created = g.rec.Created
		}
	}
	slices.Sort(lead.OtherOrders)
	note := fmt.Sprintf("ledger schema 3 merged the records %s, one expiration date read in two wire forms; kept %s (order %d)",
		strings.Join(oldKeys, " and "), lead.Status, lead.OrderID)
	if len(lead.OtherOrders) > 0 {
		note += fmt.Sprintf(", and orders %v, which renewd reconciles with OVH before it orders anything for this term", lead.OtherOrders)
	}
	kind := renewd.ReportNotice
	if len(paid) > 1 {
		kind = renewd.ReportFailed
		note += fmt.Sprintf("; this term was paid twice (%s): ask OVH to refund one", strings.Join(paid, " and "))
	}
	body, _ := json.Marshal(renewd.Report{
		Kind: kind, At: lead.Updated, Term: lead.Term.String(), Account: lead.Term.Account,
		ServiceID: lead.Term.ServiceID, ServiceName: lead.ServiceName, ServiceType: lead.ServiceType,
		Expiration: lead.Term.Expiration, OrderID: lead.OrderID, Reason: note,
		Next: "nothing to do unless it says paid twice; renewd never orders for this term while one of its orders is alive",
	})
	return lead, note, Report{Key: "migrate/" + lead.Term.String(), Kind: string(kind), Body: body}
}
