// Package notify delivers the reports that the ledger's outbox holds, in
// order, at least once, with retries and backoff. The outbox is written in
// the same transaction as the state change a report tells of, so a crash or
// a Slack outage delays a report and never loses it. A Sender posts a report
// or, when a message under the same key was posted before, updates it, so a
// report delivered twice shows once.
package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/state"
)

// Ref locates a posted message, so that it can be updated.
type Ref struct{ Channel, TS string }

// Sender delivers one report. prev is the message posted earlier under the
// same key (zero when none): a Sender that can edit messages updates it
// rather than posting again. The returned Ref is remembered for the key.
type Sender interface {
	Send(ctx context.Context, key string, prev Ref, r renewd.Report) (Ref, error)
}

// RetryAfterError asks the drainer to wait at least After before the next
// try (Slack's 429 Retry-After).
type RetryAfterError struct {
	After time.Duration
	Err   error
}

func (e *RetryAfterError) Error() string {
	return fmt.Sprintf("%v (retry after %s)", e.Err, e.After)
}
func (e *RetryAfterError) Unwrap() error { return e.Err }

// Outbox is what the drainer needs from the ledger. *state.Ledger provides it.
type Outbox interface {
	Outbox(limit int) ([]state.OutboxItem, error)
	OutboxDone(seq uint64, key, channel, ts string) error
	OutboxRetry(seq uint64, next time.Time, errText string) error
	MessageRef(key string) (channel, ts string, ok bool, err error)
}

var _ Outbox = (*state.Ledger)(nil)

// DefaultBackoff is the wait after the n-th failed delivery of a report; the
// last entry repeats. A long Slack outage costs one try every ten minutes.
var DefaultBackoff = []time.Duration{
	2 * time.Second,
	10 * time.Second,
	30 * time.Second,
	2 * time.Minute,
	10 * time.Minute,
}

// Drainer delivers the outbox through a Sender.
type Drainer struct {
	Outbox  Outbox
	Sender  Sender
	Now     func() time.Time // nil = time.Now
	Backoff []time.Duration  // nil = DefaultBackoff
	Logger  *slog.Logger     // nil = discard
}

// ErrNotYet is returned by Drain when the oldest report waits for its next
// try; Next says when.
var ErrNotYet = errors.New("the oldest report waits for its next try")

// Drain delivers queued reports oldest first until the outbox is empty, a
// delivery fails, or the oldest report is not due yet. Reports go out in
// order: a failure stops the drain so that nothing overtakes it. It returns
// how many were delivered and, when it stopped early, when to try again.
func (d *Drainer) Drain(ctx context.Context) (sent int, next time.Time, err error) {
	for ctx.Err() == nil {
		items, err := d.Outbox.Outbox(32)
		if err != nil {
			return sent, time.Time{}, fmt.Errorf("read the outbox: %w", err)
		}
		if len(items) == 0 {
			return sent, time.Time{}, nil
		}
		for _, it := range items {
			now := d.now()
			if now.Before(it.NextAttempt) {
				return sent, it.NextAttempt, ErrNotYet
			}
			if err := d.deliver(ctx, it); err != nil {
				wait := d.backoff(it.Attempts + 1)
				var ra *RetryAfterError
				if errors.As(err, &ra) && ra.After > wait {
					wait = ra.After
				}
				next := now.Add(wait)
				if rerr := d.Outbox.OutboxRetry(it.Seq, next, err.Error()); rerr != nil {
					return sent, time.Time{}, fmt.Errorf("record a failed delivery: %w", rerr)
				}
				d.log().Warn("report not delivered; will retry", "key", it.Key, "attempt", it.Attempts+1, "retry_at", next, "err", err)
				return sent, next, fmt.Errorf("deliver report %s: %w", it.Key, err)
			}
			sent++
		}
	}
	return sent, time.Time{}, ctx.Err()
}

func (d *Drainer) deliver(ctx context.Context, it state.OutboxItem) error {
	var r renewd.Report
	if err := json.Unmarshal(it.Body, &r); err != nil {
		// A body renewd itself wrote cannot be read: keep it visible in the
		// log, and do not let it block every later report.
		d.log().Error("unreadable report dropped from the outbox", "key", it.Key, "err", err)
		return d.Outbox.OutboxDone(it.Seq, it.Key, "", "")
	}
	var prev Ref
	ch, ts, ok, err := d.Outbox.MessageRef(it.Key)
	if err != nil {
		return fmt.Errorf("read message ref: %w", err)
	}
	if ok {
		prev = Ref{Channel: ch, TS: ts}
	}
	ref, err := d.Sender.Send(ctx, it.Key, prev, r)
	if err != nil {
		return err
	}
	if err := d.Outbox.OutboxDone(it.Seq, it.Key, ref.Channel, ref.TS); err != nil {
		return fmt.Errorf("record a delivered report: %w", err)
	}
	return nil
}

func (d *Drainer) backoff(attempt int) time.Duration {
	b := d.Backoff
	if len(b) == 0 {
		b = DefaultBackoff
	}
	return b[min(max(attempt-1, 0), len(b)-1)]
}

func (d *Drainer) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

func (d *Drainer) log() *slog.Logger {
	if d.Logger != nil {
		return d.Logger
	}
	return slog.New(slog.DiscardHandler)
}
