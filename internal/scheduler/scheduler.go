// Package scheduler runs renewd's cycles on a cron schedule: one cycle at
// start-up (the catch-up for whatever came due while renewd was down), then
// one at each scheduled time plus a random jitter, never two at once, and one
// more whenever RunNow asks. It also wakes at a fixed heartbeat so that the
// daemon can ping systemd's watchdog from the loop that does the scheduling:
// if that loop stops, the pings stop.
package scheduler

import (
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
)

// DefaultStopTimeout bounds how long Run waits, once its context is
// cancelled, for the cycle in flight to finish.
const DefaultStopTimeout = 60 * time.Second

// ErrStopTimeout is returned by Run when the cycle in flight did not finish
// within StopTimeout after the context was cancelled.
var ErrStopTimeout = errors.New("the cycle in flight did not finish in time")

// Parse parses a robfig/cron standard spec (five fields or a descriptor such
// as "@every 6h", optionally prefixed by CRON_TZ=Area/City). It returns an
// error, never a panic, for the specs robfig/cron panics on (a time zone with
// nothing after it).
func Parse(spec string) (sched cron.Schedule, err error) {
	defer func() {
		if r := recover(); r != nil {
			sched, err = nil, fmt.Errorf("parse schedule %q: %v", spec, r)
		}
	}()
	sched, err = cron.ParseStandard(spec)
	if err != nil {
		return nil, fmt.Errorf("parse schedule %q: %w", spec, err)
	}
	return sched, nil
}

// Scheduler runs a cycle function on a schedule. Set the fields, then call
// Run once; RunNow, Next, Reschedule and NextAfter are safe to call from any
// goroutine, before, during or after Run.
type Scheduler struct {
	// Spec is the cron spec (see Parse).
	Spec string
	// Jitter is the upper bound of a random delay added to each scheduled
	// time; 0 means none. The start-up cycle and RunNow are not delayed.
	Jitter time.Duration
	// Now is the clock; nil means time.Now. Timers are real (or synctest's).
	Now func() time.Time
	// Rand returns a random duration in [0, n); nil means math/rand/v2.
	Rand func(n time.Duration) time.Duration
	// Heartbeat, when positive, makes the loop call OnHeartbeat at least
	// that often, whether or not a cycle is running.
	Heartbeat   time.Duration
	OnHeartbeat func()
	// OnPlanned, when set, is called from the loop each time the next
	// scheduled cycle is planned (after start-up, after a tick, after a
	// Reschedule), with the time it is planned for.
	OnPlanned func(next time.Time)
	// StopTimeout bounds the wait for the cycle in flight once Run's
	// context is cancelled; 0 means DefaultStopTimeout.
	StopTimeout time.Duration
	// Logger receives skipped ticks and reschedules; nil discards.
	Logger *slog.Logger

	initOnce sync.Once
	runNow   chan struct{}
	resched  chan struct{}

	mu    sync.Mutex
	sched cron.Schedule // parsed Spec; nil until Run or Reschedule
	next  time.Time     // the planned time of the next scheduled cycle
}

func (s *Scheduler) init() {
	s.initOnce.Do(func() {
		s.runNow = make(chan struct{}, 1)
		s.resched = make(chan struct{}, 1)
	})
}

// RunNow asks for a cycle now. If one is running, one more runs right after
// it; several requests meanwhile make one cycle. It never blocks.
func (s *Scheduler) RunNow() {
	s.init()
	select {
	case s.runNow <- struct{}{}:
	default:
	}
}

// Next returns the time the next scheduled cycle is planned for, jitter
// included; the zero time before Run has planned one.
func (s *Scheduler) Next() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.next
}

// NextAfter returns the schedule's next time strictly after t, without
// jitter; the zero time when the spec is not parsed yet or never fires.
func (s *Scheduler) NextAfter(t time.Time) time.Time {
	s.mu.Lock()
	sched := s.sched
	s.mu.Unlock()
	if sched == nil {
		if p, err := Parse(s.Spec); err == nil {
			sched = p
		} else {
			return time.Time{}
		}
	}
	return sched.Next(t)
}

// Reschedule switches to a new spec and jitter: the next cycle is planned
// again from now. A spec that does not parse is refused and the old one kept.
func (s *Scheduler) Reschedule(spec string, jitter time.Duration) error {
	sched, err := Parse(spec)
	if err != nil {
		return err
	}
	s.init()
	s.mu.Lock()
	s.sched, s.Spec, s.Jitter = sched, spec, jitter
	s.mu.Unlock()
	select {
	case s.resched <- struct{}{}:
	default:
	}
	return nil
}

func (s *Scheduler) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Scheduler) log() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// plan computes and records the next scheduled time after now.
func (s *Scheduler) plan(now time.Time) time.Time {
	s.mu.Lock()
	next := s.sched.Next(now)
	if s.Jitter > 0 && !next.IsZero() {
		r := s.Rand
		if r == nil {
			r = func(n time.Duration) time.Duration { return rand.N(n) }
		}
		next = next.Add(r(s.Jitter))
	}
	s.next = next
	s.mu.Unlock()
	if s.OnPlanned != nil {
		s.OnPlanned(next)
	}
	return next
}
