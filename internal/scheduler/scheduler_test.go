package scheduler

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"
	_ "time/tzdata" // CRON_TZ tests do not depend on the host's zoneinfo

	"github.com/google/go-cmp/cmp"
)

// recorder records when each cycle starts, as offsets from the start.
type recorder struct {
	start time.Time
	mu    sync.Mutex
	at    []time.Duration
	hold  time.Duration // how long each cycle takes
}

func newRecorder(hold time.Duration) *recorder {
	return &recorder{start: time.Now(), hold: hold}
}

func (r *recorder) cycle(ctx context.Context) {
	r.mu.Lock()
	r.at = append(r.at, time.Since(r.start))
	r.mu.Unlock()
	if r.hold > 0 {
		time.Sleep(r.hold)
	}
}

func (r *recorder) starts() []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]time.Duration(nil), r.at...)
}

// runFor runs s for d of fake time, then stops it and returns Run's error.
func runFor(t *testing.T, s *Scheduler, r *recorder, d time.Duration) error {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() { errc <- s.Run(ctx, r.cycle) }()
	time.Sleep(d)
	synctest.Wait()
	cancel()
	return <-errc
}

func TestRunTicks(t *testing.T) {
	tests := []struct {
		name string
		spec string
		hold time.Duration
		run  time.Duration
		want []time.Duration
	}{
		{"catch-up at start, then every tick", "@every 1h", 0, 3*time.Hour + time.Minute,
			[]time.Duration{0, time.Hour, 2 * time.Hour, 3 * time.Hour}},
		{"a tick during a long cycle is skipped", "@every 1h", 90 * time.Minute, 4*time.Hour + time.Minute,
			[]time.Duration{0, 2 * time.Hour, 4 * time.Hour}},
		{"five-field spec", "30 * * * *", 0, 2 * time.Hour,
			[]time.Duration{0, 30 * time.Minute, 90 * time.Minute}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r := newRecorder(tt.hold)
				s := &Scheduler{Spec: tt.spec, StopTimeout: 2 * time.Hour}
				if err := runFor(t, s, r, tt.run); err != nil {
					t.Fatalf("Run: %v", err)
				}
				if diff := cmp.Diff(tt.want, r.starts()); diff != "" {
					t.Errorf("cycle starts (-want +got):\n%s", diff)
				}
			})
		})
	}
}

func TestRunNowCoalescesDuringACycle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRecorder(10 * time.Minute)
		s := &Scheduler{Spec: "@every 6h"}
		ctx, cancel := context.WithCancel(t.Context())
		errc := make(chan error, 1)
		go func() { errc <- s.Run(ctx, r.cycle) }()
		time.Sleep(time.Minute) // inside the catch-up cycle
		s.RunNow()
		s.RunNow()
		s.RunNow()
		time.Sleep(time.Hour) // the catch-up and exactly one more
		synctest.Wait()
		s.RunNow() // idle: runs at once
		time.Sleep(10 * time.Minute)
		synctest.Wait()
		cancel()
		if err := <-errc; err != nil {
			t.Fatalf("Run: %v", err)
		}
		want := []time.Duration{0, 10 * time.Minute, 61 * time.Minute}
		if diff := cmp.Diff(want, r.starts()); diff != "" {
			t.Errorf("cycle starts (-want +got):\n%s", diff)
		}
	})
}

func TestJitterBounds(t *testing.T) {
	tests := []struct {
		name   string
		jitter time.Duration
		rand   func(time.Duration) time.Duration
		lo, hi time.Duration // the planned time's offset from the hour
	}{
		{"none", 0, nil, 0, 0},
		{"at its upper bound", 10 * time.Minute, func(n time.Duration) time.Duration { return n - 1 }, 10*time.Minute - 1, 10*time.Minute - 1},
		{"at its lower bound", 10 * time.Minute, func(time.Duration) time.Duration { return 0 }, 0, 0},
		{"random", 10 * time.Minute, nil, 0, 10*time.Minute - 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				start := time.Now()
				var planned []time.Time
				var mu sync.Mutex
				s := &Scheduler{Spec: "0 * * * *", Jitter: tt.jitter, Rand: tt.rand, OnPlanned: func(n time.Time) {
					mu.Lock()
					planned = append(planned, n)
					mu.Unlock()
				}}
				r := newRecorder(0)
				if err := runFor(t, s, r, 5*time.Hour+30*time.Minute); err != nil {
					t.Fatal(err)
				}
				if len(planned) < 5 {
					t.Fatalf("planned %d cycles in 5h30, want at least 5", len(planned))
				}
				for i, p := range planned[:5] {
					off := p.Sub(start.Add(time.Duration(i+1) * time.Hour))
					if off < tt.lo || off > tt.hi {
						t.Errorf("cycle %d planned %s after the hour, want within [%s, %s]", i+1, off, tt.lo, tt.hi)
					}
				}
				// Each planned cycle ran at its planned time.
				for i, at := range r.starts()[1:] {
					if want := planned[i].Sub(start); at != want {
						t.Errorf("cycle %d ran at +%s, planned +%s", i+1, at, want)
					}
				}
			})
		})
	}
}

func TestCronTZ(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// synctest's clock starts at 2000-01-01 00:00 UTC; Paris is UTC+1 in
		// winter, so 04:00 in Paris is 03:00 UTC.
		s := &Scheduler{Spec: "CRON_TZ=Europe/Paris 0 4 * * *"}
		r := newRecorder(0)
		if err := runFor(t, s, r, 4*time.Hour); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]time.Duration{0, 3 * time.Hour}, r.starts()); diff != "" {
			t.Errorf("cycle starts (-want +got):\n%s", diff)
		}
		if got, want := s.Next().UTC(), time.Date(2000, 1, 2, 3, 0, 0, 0, time.UTC); !got.Equal(want) {
			t.Errorf("Next() = %s, want %s", got, want)
		}
	})
}

func TestParseRefusesWithoutPanicking(t *testing.T) {
	for _, spec := range []string{"CRON_TZ=X", "CRON_TZ=Europe/Paris", "TZ=", "* * *", "", "CRON_TZ=Nowhere/Atlantis 0 4 * * *"} {
		t.Run(spec, func(t *testing.T) {
			if _, err := Parse(spec); err == nil {
				t.Errorf("Parse(%q) = nil error, want one", spec)
			}
			s := &Scheduler{Spec: spec}
			ctx, cancel := context.WithCancel(t.Context())
			cancel() // a spec that parsed after all must not hang the test
			if err := s.Run(ctx, func(context.Context) { t.Error("cycle ran with a bad spec") }); err == nil {
				t.Errorf("Run with %q = nil error, want one", spec)
			}
		})
	}
}

func TestHeartbeatDuringALongCycle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		var mu sync.Mutex
		var beats []time.Duration
		s := &Scheduler{Spec: "@every 6h", StopTimeout: 2 * time.Hour, Heartbeat: 30 * time.Second, OnHeartbeat: func() {
			mu.Lock()
			beats = append(beats, time.Since(start))
			mu.Unlock()
		}}
		// The cycle runs for an hour; Run is stopped after 10 minutes and
		// keeps beating while it waits for the cycle.
		r := newRecorder(time.Hour - 10*time.Second)
		if err := runFor(t, s, r, 10*time.Minute+time.Second); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(beats) == 0 || beats[0] != 0 {
			t.Fatalf("beats = %v, want the first at start-up", beats)
		}
		for i := 1; i < len(beats); i++ {
			if gap := beats[i] - beats[i-1]; gap != 30*time.Second {
				t.Errorf("beat %d came %s after the previous one, want 30s", i, gap)
			}
		}
		if last, want := beats[len(beats)-1], 59*time.Minute+30*time.Second; last != want {
			t.Errorf("last beat at +%s, want +%s (while stop waited for the cycle)", last, want)
		}
	})
}

func TestStopWaitsForTheCycleInFlight(t *testing.T) {
	tests := []struct {
		name    string
		hold    time.Duration
		timeout time.Duration
		want    error
		waited  time.Duration
	}{
		{"finishes in time", 5 * time.Minute, time.Hour, nil, 4 * time.Minute},
		{"overruns the bound", 5 * time.Minute, time.Minute, ErrStopTimeout, time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := &Scheduler{Spec: "@every 6h", StopTimeout: tt.timeout}
				cycleCtxErr := make(chan error, 1)
				cycle := func(ctx context.Context) {
					time.Sleep(tt.hold) // a money call that ignores cancellation
					cycleCtxErr <- ctx.Err()
				}
				ctx, cancel := context.WithCancel(t.Context())
				errc := make(chan error, 1)
				go func() { errc <- s.Run(ctx, cycle) }()
				time.Sleep(time.Minute)
				cancel()
				stopped := time.Now()
				err := <-errc
				if !errors.Is(err, tt.want) {
					t.Errorf("Run = %v, want %v", err, tt.want)
				}
				if got := time.Since(stopped); got != tt.waited {
					t.Errorf("Run returned %s after cancel, want %s", got, tt.waited)
				}
				if err := <-cycleCtxErr; !errors.Is(err, context.Canceled) {
					t.Errorf("the cycle's context: %v, want cancelled", err)
				}
			})
		})
	}
}

func TestReschedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := &Scheduler{Spec: "@every 6h"}
		r := newRecorder(0)
		ctx, cancel := context.WithCancel(t.Context())
		errc := make(chan error, 1)
		go func() { errc <- s.Run(ctx, r.cycle) }()
		time.Sleep(time.Hour)
		if err := s.Reschedule("CRON_TZ=X", 0); err == nil {
			t.Error("Reschedule accepted a bad spec")
		}
		if err := s.Reschedule("@every 2h", 0); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if got, want := s.Next().Sub(r.start), 3*time.Hour; got != want {
			t.Errorf("Next after reschedule = +%s, want +%s", got, want)
		}
		time.Sleep(4*time.Hour + time.Minute)
		cancel()
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
		want := []time.Duration{0, 3 * time.Hour, 5 * time.Hour}
		if diff := cmp.Diff(want, r.starts()); diff != "" {
			t.Errorf("cycle starts (-want +got):\n%s", diff)
		}
		if got, want := s.NextAfter(r.start), r.start.Add(2*time.Hour); !got.Equal(want) {
			t.Errorf("NextAfter = %s, want %s", got, want)
		}
	})
}
