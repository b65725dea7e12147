package state

import (
	"testing"
	"time"
)

// TestMergeKeepsTheRecordFurthestAlong: of two schema 2 records that fall
// on one date, the merge leads with the one further along the money path,
// whichever came first, so that a payment, an order or a call in flight is
// never hidden behind a record that knows less. Each row ranks above the
// next.
func TestMergeKeepsTheRecordFurthestAlong(t *testing.T) {
	order := func(s Status, id int64) Record { return Record{Status: s, OrderID: id} }
	ranked := []struct {
		name string
		rec  Record
	}{
		{"delivered", order(StatusDelivered, 11)},
		{"undelivered", order(StatusUndelivered, 12)},
		{"paid", order(StatusPaid, 13)},
		{"paying", order(StatusPaying, 14)},
		{"ordered", order(StatusOrdered, 15)},
		{"failed with money in flight", Record{Status: StatusFailed, LastMoneyStep: StatusOrdering}},
		{"ordering", Record{Status: StatusOrdering, LastMoneyStep: StatusOrdering}},
		{"refused, keeping its order", order(StatusRefused, 16)},
		{"awaiting approval", Record{Status: StatusAwaitingApproval}},
		{"failed", Record{Status: StatusFailed}},
		{"due", Record{Status: StatusDue}},
	}
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i+1 < len(ranked); i++ {
		hi, lo := ranked[i], ranked[i+1]
		for _, first := range []string{"hi", "lo"} {
			a, b := legacyRecord{key: "a", rec: hi.rec}, legacyRecord{key: "b", rec: lo.rec}
			a.rec.Created, b.rec.Created = at, at
			group := []legacyRecord{a, b}
			if first == "lo" {
				a.key, b.key = "b", "a"
				group = []legacyRecord{b, a}
			}
			lead, _, _ := mergeRecords(group)
			if lead.Status != hi.rec.Status || lead.OrderID != hi.rec.OrderID || lead.LastMoneyStep != hi.rec.LastMoneyStep {
				t.Errorf("%s and %s (the %s first): merged into %s order %d, want the %s record to lead",
					hi.name, lo.name, first, lead.Status, lead.OrderID, hi.name)
			}
		}
	}
}
