package state

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/renewd/renewd"
	bolt "go.etcd.io/bbolt"
)

// This file reads the ledgers of schemas 1 and 2, whose terms were keyed by
// the expiration as a UTC instant (account/serviceId/2026-12-04T23:00:00Z),
// into one legacy form that migrate.go turns into schema 3.

// legacyRecord is one record of an older schema: the record with its term's
// date not yet known, and the instants the old schema stored.
type legacyRecord struct {
	key           string // the old key
	rec           Record // every field but Term.Expiration and NewExpiration
	expiration    time.Time
	newExpiration time.Time
}

// legacyEvent is one history event of an older schema.
type legacyEvent struct {
	term string // the old term key
	seq  uint64
	ev   Event
}

// termV1 and recordV1 are schema 1's JSON of a term and a record: Record's
// own long names, with the expirations as instants.
type termV1 struct {
	Account    string
	ServiceID  int64
	Expiration time.Time
}

type recordV1 struct {
	Record
	Term          termV1    `json:"term"`
	NewExpiration time.Time `json:"newExpiration,omitzero"`
}

// storedRecordV2 is schema 2's stored record: schema 3's short names, with
// the expiration's fraction of a second (x) and the new expiration (ne) as
// instants.
type storedRecordV2 struct {
	storedRecord
	Expiration    time.Time `json:"x,omitzero"`
	NewExpiration time.Time `json:"ne,omitzero"`
}

// parseLegacyKey reads an old term key.
func parseLegacyKey(key string) (account string, serviceID int64, exp time.Time, err error) {
	parts := strings.Split(key, "/")
	if len(parts) != 3 || parts[0] == "" {
		return "", 0, time.Time{}, fmt.Errorf("old term key %q is not account/serviceId/expiration", key)
	}
	id, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || id <= 0 {
		return "", 0, time.Time{}, fmt.Errorf("old term key %q: bad service id", key)
	}
	exp, err = renewd.ParseTime(parts[2])
	if err != nil {
		return "", 0, time.Time{}, fmt.Errorf("old term key %q: %w", key, err)
	}
	return parts[0], id, exp, nil
}

// readLegacyRecords reads every record of a schema 1 or 2 ledger.
func readLegacyRecords(tx *bolt.Tx, from int) ([]legacyRecord, error) {
	var out []legacyRecord
	err := tx.Bucket(bucketTerms).ForEach(func(k, v []byte) error {
		key := string(k)
		account, id, exp, err := parseLegacyKey(key)
		if err != nil {
			return err
		}
		lr := legacyRecord{key: key, expiration: exp}
		switch from {
		case 1:
			var r recordV1
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("decode schema 1 record %s: %w", key, err)
			}
			if r.Term.Account != account || r.Term.ServiceID != id || !r.Term.Expiration.Truncate(time.Second).Equal(exp) {
				return fmt.Errorf("schema 1 record under %s holds another term", key)
			}
			lr.rec, lr.expiration, lr.newExpiration = r.Record, r.Term.Expiration.UTC(), r.NewExpiration.UTC()
		case 2:
			var s storedRecordV2
			if err := json.Unmarshal(v, &s); err != nil {
				return fmt.Errorf("decode schema 2 record %s: %w", key, err)
			}
			if !s.Expiration.IsZero() {
				lr.expiration = s.Expiration.UTC()
			}
			lr.rec, lr.newExpiration = recordFromStored(s.storedRecord), s.NewExpiration.UTC()
		default:
			return fmt.Errorf("no migration from schema %d", from)
		}
		lr.rec.Term = renewd.Term{Account: account, ServiceID: id}
		lr.rec.NewExpiration = renewd.Date{}
		out = append(out, lr)
		return nil
	})
	return out, err
}

// readLegacyHistory reads every event: schema 1 keys them by sequence with
// the term in the value, schema 2 by term and sequence.
func (l *Ledger) readLegacyHistory(tx *bolt.Tx, from int) ([]legacyEvent, error) {
	var out []legacyEvent
	err := tx.Bucket(bucketHistory).ForEach(func(k, v []byte) error {
		switch from {
		case 1:
			seq, err := seqFromKey(k)
			if err != nil {
				return fmt.Errorf("schema 1 history key %x: %w", k, err)
			}
			var ev Event
			if err := json.Unmarshal(v, &ev); err != nil {
				return fmt.Errorf("decode schema 1 event %d: %w", seq, err)
			}
			ev.Seq = seq
			out = append(out, legacyEvent{term: ev.Term, seq: seq, ev: ev})
		default:
			ev, err := l.decodeEvent(k, v)
			if err != nil {
				return err
			}
			out = append(out, legacyEvent{term: ev.Term, seq: ev.Seq, ev: ev})
		}
		return nil
	})
	return out, err
}

// rekeyText replaces every old term key in s (a report key such as
// term/<key>/failed/2, or a report body) by its new key.
func rekeyText(s string, keys map[string]string) string {
	if !strings.Contains(s, "/") {
		return s
	}
	for old, nw := range keys {
		if strings.Contains(s, old) {
			s = strings.ReplaceAll(s, old, nw)
		}
	}
	return s
}

// rekeyReportBody rewrites a queued report's JSON body for schema 3: the
// term as its new key, the expirations as dates. A body that is not a JSON
// object is kept as it is (the sender renders what it can).
func rekeyReportBody(body []byte, keys map[string]string, paris *time.Location) []byte {
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if len(body) == 0 || dec.Decode(&m) != nil {
		return body
	}
	if t, ok := m["term"].(string); ok {
		if nw, ok := keys[t]; ok {
			m["term"] = nw
		}
	}
	for _, f := range []string{"expiration", "new_expiration"} {
		if s, ok := m[f].(string); ok {
			if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
				m[f] = parisDate(t, paris).String()
			}
		}
	}
	out, err := json.Marshal(m)
	if err != nil {
		return body
	}
	return out
}

// parisDate is the calendar date of an old key's instant in Paris time.
// Every term renewd ever ordered is on OVH's EU API (the only one with
// POST /service/{id}/renew), which writes datetimes in Paris time and dates
// as Paris dates; so the instant of a Paris midnight (23:00Z, 22:00Z in
// summer), of a UTC midnight (a date-typed route) and of a Paris time of day
// all fall on the date OVH wrote. Only a UTC datetime with a time of day
// after 22:00 or 23:00 could land on the next day; no route renewd read is
// known to write one, and if it did, the two dates would both be held back
// by the earlier term's money in flight, never paid twice.
func parisDate(t time.Time, paris *time.Location) renewd.Date {
	return renewd.DateOf(t.In(paris))
}
