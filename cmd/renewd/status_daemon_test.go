package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/renewd/renewd/internal/control"
)

// TestDaemonStatusSaysNextRunAndLastOutcome checks the header `renewd
// status` prints from a running daemon: the next cycle and what the last
// one did, also while another cycle runs.
func TestDaemonStatusSaysNextRunAndLastOutcome(t *testing.T) {
	started := time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC)
	last := &control.Cycle{Started: started.Add(time.Minute), Finished: started.Add(time.Minute + 1500*time.Millisecond),
		Counts: map[string]int{"paid": 2, "refused": 1, "awaiting-approval": 3, "failed": 1}, NotRenewed: true,
		Errors: []string{"inventory of account eu: 503"}}
	base := control.Status{StartedAt: started, Schedule: "@every 6h", NextCycle: started.Add(6*time.Hour + time.Minute)}
	tests := []struct {
		name       string
		edit       func(*control.Status)
		want, lack []string
	}{
		{"before the first cycle", func(*control.Status) {},
			[]string{"next cycle at 2026-11-20T12:01:00Z", "No cycle has finished yet."}, []string{"Last cycle"}},
		{"first cycle running", func(s *control.Status) { s.CycleRunning = true },
			[]string{"A cycle is running."}, []string{"No cycle has finished yet.", "Last cycle"}},
		{"after a cycle", func(s *control.Status) { s.LastCycle = last },
			[]string{"next cycle at 2026-11-20T12:01:00Z",
				"Last cycle 2026-11-20T06:01:01Z (took 1.5s): 2 paid, 1 refused, 3 awaiting approval, 1 failed; something due was left unrenewed; errors: inventory of account eu: 503."},
			[]string{"Last successful cycle"}},
		{"running after a successful cycle", func(s *control.Status) {
			ok := *last
			ok.Errors, ok.NotRenewed, ok.OK = nil, false, true
			s.LastCycle, s.CycleRunning, s.LastSuccess = &ok, true, ok.Finished
		}, []string{"A cycle is running.", "Last cycle 2026-11-20T06:01:01Z (took 1.5s): 2 paid", "Last successful cycle at 2026-11-20T06:01:01Z."},
			[]string{"errors:", "unrenewed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := base
			tt.edit(&st)
			var out bytes.Buffer
			if err := writeDaemonStatus(&out, st, false); err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("status lacks %q:\n%s", w, out.String())
				}
			}
			for _, l := range tt.lack {
				if strings.Contains(out.String(), l) {
					t.Errorf("status says %q:\n%s", l, out.String())
				}
			}
		})
	}
}
