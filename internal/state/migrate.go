package state

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
)

// migrate rewrites a ledger of schema from (only 1 exists) into the current
// schema, inside Open's read-write transaction: all of it or, on error,
// none of it.
//
// 1 -> 2: records, history events and spent entries are re-encoded in the
// short forms of codec.go; the history is re-keyed by term and sequence
// (history.go), keeping every event's sequence number and the bucket's
// sequence. The approvals, outbox and messages buckets are unchanged.
func (l *Ledger) migrate(tx *bolt.Tx, from int) error {
	if from != 1 {
		return fmt.Errorf("no migration from schema %d", from)
	}
	start := time.Now()
	terms := tx.Bucket(bucketTerms)
	n, err := rewriteValues(terms, func(k, v []byte) ([]byte, error) {
		var rec Record // schema 1 stores Record's own JSON
		if err := json.Unmarshal(v, &rec); err != nil {
			return nil, fmt.Errorf("decode schema 1 record %s: %w", k, err)
		}
		if rec.Term.String() != string(k) {
			return nil, fmt.Errorf("schema 1 record under %s holds term %s", k, rec.Term)
		}
		return encodeRecord(rec)
	})
	if err != nil {
		return err
	}

	spent := tx.Bucket(bucketSpent)
	if _, err := rewriteValues(spent, func(k, v []byte) ([]byte, error) {
		var e struct {
			Currency string    `json:"currency"`
			Ucents   int64     `json:"ucents"`
			PaidAt   time.Time `json:"paidAt"`
		}
		if err := json.Unmarshal(v, &e); err != nil {
			return nil, fmt.Errorf("decode schema 1 spent entry %q: %w", k, err)
		}
		return json.Marshal(spentEntry{Currency: e.Currency, Ucents: e.Ucents, PaidAt: e.PaidAt})
	}); err != nil {
		return err
	}

	events, err := migrateHistory(tx)
	if err != nil {
		return err
	}
	if err := tx.Bucket(bucketMeta).Put(keySchemaVersion, []byte(strconv.Itoa(SchemaVersion))); err != nil {
		return err
	}
	l.logger.Info("migrated ledger schema", "from", from, "to", SchemaVersion, "records", n, "events", events, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// migrateHistory moves schema 1's history (keyed by sequence, term in the
// value) into a new bucket keyed by term and sequence.
func migrateHistory(tx *bolt.Tx) (int, error) {
	old := tx.Bucket(bucketHistory)
	type moved struct {
		key, value []byte
	}
	var all []moved
	err := old.ForEach(func(k, v []byte) error {
		seq, err := seqFromKey(k)
		if err != nil {
			return fmt.Errorf("schema 1 history key %x: %w", k, err)
		}
		var ev Event // schema 1 stores Event's own JSON
		if err := json.Unmarshal(v, &ev); err != nil {
			return fmt.Errorf("decode schema 1 event %d: %w", seq, err)
		}
		raw, err := encodeEvent(ev)
		if err != nil {
			return err
		}
		all = append(all, moved{historyKey(ev.Term, seq), raw})
		return nil
	})
	if err != nil {
		return 0, err
	}
	sequence := old.Sequence()
	if err := tx.DeleteBucket(bucketHistory); err != nil {
		return 0, err
	}
	history, err := tx.CreateBucket(bucketHistory)
	if err != nil {
		return 0, err
	}
	if err := history.SetSequence(sequence); err != nil {
		return 0, err
	}
	for _, m := range all {
		if err := history.Put(m.key, m.value); err != nil {
			return 0, err
		}
	}
	return len(all), nil
}

// rewriteValues replaces every value of b by rewrite's result, and returns
// how many it rewrote. The keys are read first, the writes done after: a
// Put under a live cursor can skip keys.
func rewriteValues(b *bolt.Bucket, rewrite func(k, v []byte) ([]byte, error)) (int, error) {
	type kv struct{ k, v []byte }
	var out []kv
	err := b.ForEach(func(k, v []byte) error {
		nv, err := rewrite(k, v)
		if err != nil {
			return err
		}
		out = append(out, kv{bytes.Clone(k), nv})
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, e := range out {
		if err := b.Put(e.k, e.v); err != nil {
			return 0, err
		}
	}
	return len(out), nil
}
