package state

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/renewd/renewd"
)

func keys(rs []Record) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, r.Term.String())
	}
	return out
}

func TestListAndForService(t *testing.T) {
	l := openTemp(t, newClock())
	beta := renewd.Term{Account: "beta", ServiceID: 2, Expiration: termOf(1, 1).Expiration}
	// Service ids sort as numbers (10 after 2), expirations oldest first.
	reach(t, l, termOf(10, 1), StatusDue)
	reach(t, l, termOf(2, 20), StatusOrdering)
	reach(t, l, termOf(2, 5), StatusDelivered)
	reach(t, l, beta, StatusPaid)
	reach(t, l, termOf(3, 1), StatusUndelivered)

	for _, tc := range []struct {
		name   string
		filter Filter
		want   []renewd.Term
	}{
		{"all", Filter{}, []renewd.Term{termOf(2, 5), termOf(2, 20), termOf(3, 1), termOf(10, 1), beta}},
		{"account", Filter{Account: "acme"}, []renewd.Term{termOf(2, 5), termOf(2, 20), termOf(3, 1), termOf(10, 1)}},
		{"service across accounts", Filter{ServiceID: 2}, []renewd.Term{termOf(2, 5), termOf(2, 20), beta}},
		{"statuses", Filter{Statuses: []Status{StatusDue, StatusPaid}}, []renewd.Term{termOf(10, 1), beta}},
		{"none", Filter{Account: "acme", ServiceID: 1}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := l.List(tc.filter)
			if err != nil {
				t.Fatal(err)
			}
			want := []string{}
			for _, term := range tc.want {
				want = append(want, term.String())
			}
			if diff := cmp.Diff(want, keys(got)); diff != "" {
				t.Fatalf("(-want +got):\n%s", diff)
			}
		})
	}

	got, err := l.ForService("acme", 2)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{termOf(2, 5).String(), termOf(2, 20).String()}, keys(got)); diff != "" {
		t.Fatalf("ForService (-want +got):\n%s", diff)
	}

	inflight, err := l.InFlight()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{termOf(2, 20).String(), termOf(3, 1).String(), beta.String()}
	if diff := cmp.Diff(want, keys(inflight)); diff != "" {
		t.Fatalf("InFlight (-want +got):\n%s", diff)
	}
}

func TestHistoryFilter(t *testing.T) {
	c := newClock()
	l := openTemp(t, c)
	beta := renewd.Term{Account: "beta", ServiceID: 1, Expiration: termOf(1, 1).Expiration}
	reach(t, l, termOf(1, 1), StatusDue)                             // seq 1 at t0
	c.Advance(time.Hour)                                             //
	reach(t, l, termOf(12, 1), StatusOrdered)                        // seq 2, 3
	c.Advance(time.Hour)                                             //
	reach(t, l, beta, StatusRefused)                                 // seq 4
	if _, err := step(l, termOf(1, 1), StatusOrdering); err != nil { // seq 5
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name   string
		filter HistoryFilter
		want   []uint64
	}{
		{"all", HistoryFilter{}, []uint64{1, 2, 3, 4, 5}},
		{"term", HistoryFilter{Term: termOf(1, 1).String()}, []uint64{1, 5}},
		{"account", HistoryFilter{Account: "beta"}, []uint64{4}},
		{"service id is exact", HistoryFilter{ServiceID: 1}, []uint64{1, 4, 5}},
		{"account and service", HistoryFilter{Account: "acme", ServiceID: 1}, []uint64{1, 5}},
		{"since", HistoryFilter{Since: t0.Add(time.Hour)}, []uint64{2, 3, 4, 5}},
		{"limit keeps the newest", HistoryFilter{Limit: 2}, []uint64{4, 5}},
		{"limit with filter", HistoryFilter{Account: "acme", Limit: 2}, []uint64{3, 5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			evs, err := l.History(tc.filter)
			if err != nil {
				t.Fatal(err)
			}
			got := []uint64{}
			for _, ev := range evs {
				got = append(got, ev.Seq)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Fatalf("(-want +got):\n%s", diff)
			}
		})
	}
}
