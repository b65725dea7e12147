package renewal

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/state"
)

// TestSummarizeSaysWhatIsNew: a cycle that paid, failed, refused, asked
// for approval, saw a delivery or hit an error queues one summary with the
// counts of every outcome but "nothing"; a cycle of only standing states
// (already paid, pending, reported notices) or of nothing queues none.
func TestSummarizeSaysWhatIsNew(t *testing.T) {
	cycleErr := []error{errors.New("account main: list services: 503")}
	tests := []struct {
		name    string
		actions []Action
		errs    []error
		want    map[string]int // nil: no summary
	}{
		{"nothing", []Action{ActNothing, ActNothing}, nil, nil},
		{"standing states only", []Action{ActAlreadyPaid, ActPending, ActReported, ActNothing}, nil, nil},
		{"paid", []Action{ActPaid, ActNothing}, nil, map[string]int{"paid": 1}},
		{"paid twice", []Action{ActPaid, ActPaid, ActAlreadyPaid}, nil, map[string]int{"paid": 2, "already-paid": 1}},
		{"failed", []Action{ActFailed, ActAlreadyPaid}, nil, map[string]int{"failed": 1, "already-paid": 1}},
		{"refused", []Action{ActRefused}, nil, map[string]int{"refused": 1}},
		{"awaiting approval", []Action{ActAwaiting, ActReported}, nil, map[string]int{"awaiting-approval": 1, "reported": 1}},
		{"delivered", []Action{ActDelivered}, nil, map[string]int{"delivered": 1}},
		{"an error of the cycle", nil, cycleErr, map[string]int{}},
		{"an error beside standing states", []Action{ActPending}, cycleErr, map[string]int{"pending": 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := state.Open(filepath.Join(t.TempDir(), "renewd.db"), state.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			e := New(Options{Ledger: l})
			sum := Summary{Errors: tt.errs}
			for i, a := range tt.actions {
				sum.Outcomes = append(sum.Outcomes, Outcome{Service: renewd.Service{Account: "main", ID: int64(i + 1)}, Action: a})
			}
			e.summarize(time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC), sum)
			items, err := l.Outbox(0)
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == nil {
				if len(items) != 0 {
					t.Fatalf("queued %d report(s), want no summary", len(items))
				}
				return
			}
			if len(items) != 1 {
				t.Fatalf("queued %d report(s), want one summary", len(items))
			}
			var r renewd.Report
			if err := json.Unmarshal(items[0].Body, &r); err != nil || r.Kind != renewd.ReportSummary {
				t.Fatalf("report %+v (%v), want a summary", r, err)
			}
			if diff := cmp.Diff(tt.want, r.Counts, cmpEmptyMap); diff != "" {
				t.Errorf("counts (-want +got):\n%s", diff)
			}
		})
	}
}

// cmpEmptyMap takes a nil map and an empty one for the same.
var cmpEmptyMap = cmp.FilterValues(func(a, b map[string]int) bool { return len(a) == 0 && len(b) == 0 }, cmp.Ignore())
