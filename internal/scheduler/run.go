package scheduler

import (
	"context"
	"time"
)

// Run runs cycle once at once (the catch-up), then at each planned time,
// until ctx is cancelled. It never runs two cycles at once: a scheduled time
// that comes while a cycle runs is skipped (and logged), and a RunNow during
// a cycle makes one more cycle right after it. Each cycle gets a context
// that is cancelled with ctx.
//
// Once ctx is cancelled Run plans nothing more and waits for the cycle in
// flight, at most StopTimeout, then returns nil, or ErrStopTimeout when the
// cycle was still running. It returns an error at once when Spec does not
// parse.
func (s *Scheduler) Run(ctx context.Context, cycle func(ctx context.Context)) error {
	s.init()
	s.mu.Lock()
	if s.sched == nil {
		sched, err := Parse(s.Spec)
		if err != nil {
			s.mu.Unlock()
			return err
		}
		s.sched = sched
	}
	s.mu.Unlock()

	cycleCtx, cancelCycles := context.WithCancel(ctx)
	defer cancelCycles()
	done := make(chan struct{}, 1)
	running := false
	start := func() {
		running = true
		go func() {
			defer func() { done <- struct{}{} }()
			cycle(cycleCtx)
		}()
	}

	timer := time.NewTimer(0)
	defer timer.Stop()
	arm := func() {
		now := s.now()
		next := s.plan(now)
		timer.Stop()
		if next.IsZero() {
			return // a schedule that never fires: RunNow only
		}
		timer.Reset(max(next.Sub(now), 0))
	}
	var heartbeat <-chan time.Time
	if s.Heartbeat > 0 && s.OnHeartbeat != nil {
		t := time.NewTicker(s.Heartbeat)
		defer t.Stop()
		heartbeat = t.C
		s.OnHeartbeat()
	}

	start() // catch-up at start-up
	arm()
	pending := false
	for {
		select {
		case <-ctx.Done():
			return s.stop(running, done, heartbeat)
		case <-heartbeat:
			s.OnHeartbeat()
		case <-s.resched:
			s.log().Info("schedule changed", "schedule", s.spec())
			arm()
		case <-s.runNow:
			if running {
				pending = true
				s.log().Info("cycle asked for while one runs: it runs right after")
				continue
			}
			start()
		case <-timer.C:
			if running {
				s.log().Warn("scheduled cycle skipped: the previous cycle is still running")
			} else {
				start()
			}
			arm()
		case <-done:
			running = false
			if pending {
				pending = false
				start()
			}
		}
	}
}

// stop waits for the cycle in flight, if any, for at most StopTimeout,
// still beating the heart meanwhile.
func (s *Scheduler) stop(running bool, done <-chan struct{}, heartbeat <-chan time.Time) error {
	if !running {
		return nil
	}
	wait := s.StopTimeout
	if wait <= 0 {
		wait = DefaultStopTimeout
	}
	s.log().Info("stopping: waiting for the cycle in flight", "at_most", wait)
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	for {
		select {
		case <-done:
			return nil
		case <-heartbeat:
			s.OnHeartbeat()
		case <-deadline.C:
			s.log().Error("stopping without waiting longer for the cycle in flight; the ledger's intents cover it at restart", "waited", wait)
			return ErrStopTimeout
		}
	}
}

func (s *Scheduler) spec() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.Spec
}
