package state

import (
	"errors"
	"sync"
	"testing"
)

// TestConcurrentTransitions: goroutines working on different terms all
// succeed; two racing `due -> ordering` on one term never both succeed.
func TestConcurrentTransitions(t *testing.T) {
	l := openTemp(t, newClock())

	const workers, termsEach = 6, 4
	var wg sync.WaitGroup
	errs := make(chan error, workers*termsEach)
	for w := range workers {
		wg.Go(func() {
			for i := range termsEach {
				term := termOf(int64(1000+w*termsEach+i), 1)
				for _, to := range []Status{StatusDue, StatusOrdering, StatusOrdered, StatusPaying, StatusPaid} {
					if _, err := step(l, term, to); err != nil {
						errs <- err
						return
					}
				}
			}
		})
	}

	const races = 12
	wins := make([]int, races)
	for r := range races {
		term := termOf(int64(r+1), 1)
		reach(t, l, term, StatusDue)
		start := make(chan struct{})
		results := make(chan error, 2)
		for range 2 {
			wg.Go(func() {
				<-start
				_, err := l.Transition(term, StatusOrdering, "intent", intent, nil)
				results <- err
			})
		}
		close(start)
		for range 2 {
			switch err := <-results; {
			case err == nil:
				wins[r]++
			case !errors.Is(err, ErrConflict):
				t.Errorf("race %d: unexpected error %v", r, err)
			}
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("worker: %v", err)
	}

	for r, n := range wins {
		if n != 1 {
			t.Errorf("race %d: %d transitions to ordering succeeded, want exactly 1", r, n)
		}
		evs := historyOf(t, l, termOf(int64(r+1), 1))
		if len(evs) != 2 || evs[1].To != StatusOrdering {
			t.Errorf("race %d: history %+v, want due then one ordering", r, evs)
		}
	}
	paid, err := l.List(Filter{Statuses: []Status{StatusPaid}})
	if err != nil {
		t.Fatal(err)
	}
	if len(paid) != workers*termsEach {
		t.Errorf("%d paid records, want %d", len(paid), workers*termsEach)
	}
}
