package metrics

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/renewd/renewd/internal/state"
)

// The outbox gauges read the real ledger at each scrape; the Socket Mode
// gauge follows what it is told; both are absent until set.
func TestOutboxAndSocketModeGauges(t *testing.T) {
	m := New("dev")
	for _, name := range []string{NameOutboxReports, NameOutboxParked, NameSlackSocketMode} {
		if got := gatherFamily(t, m, name); len(got) != 0 {
			t.Errorf("%s exposed before it is set: %v", name, got)
		}
	}
	l, err := state.Open(filepath.Join(t.TempDir(), "renewd.db"), state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	m.WatchOutbox(l.OutboxCounts)
	if err := l.Enqueue(state.Report{Key: "a"}, state.Report{Key: "b"}, state.Report{Key: "c"}); err != nil {
		t.Fatal(err)
	}
	if err := l.OutboxPark("slack chat.postMessage: invalid_blocks", 2); err != nil {
		t.Fatal(err)
	}
	value := func(name string) float64 {
		t.Helper()
		ms := gatherFamily(t, m, name)
		if len(ms) != 1 {
			t.Fatalf("%s: %d series, want 1", name, len(ms))
		}
		return ms[0].GetGauge().GetValue()
	}
	if w, p := value(NameOutboxReports), value(NameOutboxParked); w != 2 || p != 1 {
		t.Errorf("outbox gauges %v waiting, %v parked; want 2, 1", w, p)
	}
	if _, err := l.RequeueParked(); err != nil {
		t.Fatal(err)
	}
	if p := value(NameOutboxParked); p != 0 {
		t.Errorf("parked after requeue: %v", p)
	}
	m.SlackSocketMode(true)
	if v := value(NameSlackSocketMode); v != 1 {
		t.Errorf("socket mode up = %v", v)
	}
	m.SlackSocketMode(false)
	if v := value(NameSlackSocketMode); v != 0 {
		t.Errorf("socket mode down = %v", v)
	}
	m.WatchOutbox(func() (int, int, error) { return 0, 0, errors.New("ledger closed") })
	if _, err := m.Gatherer().Gather(); err == nil {
		t.Error("a failed count is not reported by the scrape")
	}
}
