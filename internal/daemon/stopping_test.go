package daemon

import (
	"context"
	"testing"
	"time"

	"github.com/renewd/renewd/internal/state"
)

// TestStopLetsAPaymentInFlightFinishAndBeRecorded cancels the daemon while
// OVH holds the answer to a payment it has already taken: Run sends
// STOPPING=1, waits for the call, records the term paid, and only then
// returns.
func TestStopLetsAPaymentInFlightFinishAndBeRecorded(t *testing.T) {
	e := newEnv(t)
	held := e.fake.Hold("POST /me/order/{id}/pay", true)
	t.Cleanup(held.Release)
	opts := e.options(t)
	notes := make(chan string, 64)
	opts.Notify = func(s string) { notes <- s }
	d, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	runErr := make(chan error, 1)
	go func() { runErr <- d.Run(ctx) }()

	select {
	case <-held.Reached():
	case <-time.After(15 * time.Second):
		t.Fatalf("the payment never reached OVH; log:\n%s", e.log)
	}
	cancel()
	waitNote(t, notes, "STOPPING=1")
	select {
	case err := <-runErr:
		t.Fatalf("Run returned (%v) while the payment was still in flight", err)
	default:
	}
	if recs := termsOf(t, e, 1001); len(recs) != 1 || recs[0].Status != state.StatusPaying {
		t.Fatalf("1001 before the answer: %+v, want one term paying", recs)
	}
	held.Release()

	select {
	case err := <-runErr:
		if err != nil {
			t.Fatalf("Run after cancel: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("Run did not return after the payment's answer; log:\n%s", e.log)
	}
	recs := termsOf(t, e, 1001)
	if len(recs) != 1 || !recs[0].Paid() || recs[0].Status == state.StatusPaying {
		t.Errorf("1001 after stop: %+v, want its term recorded paid", recs)
	}
	if got := paymentsByService(e); got[1001] != 1 {
		t.Errorf("payments by service = %v, want 1001 paid once", got)
	}
}

// waitNote waits for an sd_notify state.
func waitNote(t *testing.T, notes <-chan string, want string) {
	t.Helper()
	var seen []string
	deadline := time.After(15 * time.Second)
	for {
		select {
		case s := <-notes:
			if s == want {
				return
			}
			seen = append(seen, s)
		case <-deadline:
			t.Fatalf("no %q within 15 s; seen %q", want, seen)
		}
	}
}

func termsOf(t *testing.T, e *env, serviceID int64) []state.Record {
	t.Helper()
	recs, err := e.ledger.List(state.Filter{ServiceID: serviceID})
	if err != nil {
		t.Fatal(err)
	}
	return recs
}
