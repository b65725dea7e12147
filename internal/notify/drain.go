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

// Drainer delivers the outbox through a Sender. One Drainer serves one
// outbox for the life of the process: it remembers, between calls to
// Drain, how many failures in a row Slack gave and how many failures and
// approval requests it posted one by one. It is not safe for concurrent
// use: one goroutine drains.
type Drainer struct {
	Outbox  Outbox
	Sender  Sender
	Now     func() time.Time // nil = time.Now
	Backoff []time.Duration  // nil = DefaultBackoff
	Logger  *slog.Logger     // nil = discard
	// DigestThreshold: when more than this many reports of a digest kind
	// (uncovered, automatic, notice, renewed, delivered) could go next,
	// they go as one digest. 0 means DefaultDigestThreshold. Digests need
	// a Sender that is also a DigestSender; with another, every report is
	// sent alone.
	DigestThreshold int
	// SingleCap: failures, and approval requests, go one message each
	// until this many of them went since the outbox last held none of
	// them; the rest go as one digest ("N more failures"). 0 means
	// DefaultSingleCap.
	SingleCap int

	hold     time.Time // no delivery before this (after a transient error)
	failures int       // transient failures in a row
	singles  [capGroups]int
	decoded  map[uint64]decoded // the last plan's reports, by sequence
}

// Drain delivers queued reports until the outbox is empty, a delivery
// fails for a reason that may pass (then nothing more is tried until the
// backoff or the Retry-After has passed: a Slack outage costs one call per
// wait, not one per report), or every report that could go next waits for
// its next try. A report refused for good is parked and logged, whole, at
// error level, and the drain goes on. It returns how many reports were
// delivered (a digest counts each report it tells of) and, when it
// stopped early, when to try again: with ErrNotYet when nothing could be
// tried, with the delivery's error when one failed.
func (d *Drainer) Drain(ctx context.Context) (sent int, next time.Time, err error) {
	for ctx.Err() == nil {
		now := d.now()
		if now.Before(d.hold) {
			return sent, d.hold, ErrNotYet
		}
		items, err := d.Outbox.Outbox(0)
		if err != nil {
			return sent, time.Time{}, fmt.Errorf("read the outbox: %w", err)
		}
		if len(items) == 0 {
			return sent, time.Time{}, nil
		}
		u, wait, err := d.plan(items, now)
		if err != nil {
			return sent, time.Time{}, err
		}
		if u == nil {
			return sent, wait, ErrNotYet
		}
		n, err := d.deliver(ctx, u)
		sent += n
		if err != nil {
			if ctx.Err() != nil {
				return sent, time.Time{}, ctx.Err()
			}
			return sent, d.hold, err
		}
	}
	return sent, time.Time{}, ctx.Err()
}

// deliver sends one unit and records the outcome. It returns how many
// reports it delivered, and an error only when the drain should stop: a
// transient failure (recorded, d.hold set) or a ledger error.
func (d *Drainer) deliver(ctx context.Context, u *unit) (int, error) {
	if u.bad != nil {
		return 0, d.park(u, u.bad)
	}
	var ref Ref
	var err error
	if u.digest {
		ref, err = d.Sender.(DigestSender).SendDigest(ctx, u.asDigest())
	} else {
		ref, err = d.Sender.Send(ctx, u.entries[0].item.Key, u.prev, u.entries[0].r)
	}
	if err != nil {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		if IsPermanent(err) {
			return 0, d.park(u, err)
		}
		return 0, d.retry(u, err)
	}
	d.failures = 0
	if u.single >= 0 {
		d.singles[u.single]++
	}
	if u.digest {
		sent := make([]state.Sent, len(u.entries))
		for i, e := range u.entries {
			sent[i] = state.Sent{Seq: e.item.Seq, Key: e.item.Key}
		}
		if err := d.Outbox.OutboxDigested(sent, ref.Channel, ref.TS); err != nil {
			return 0, fmt.Errorf("record a delivered digest: %w", err)
		}
		d.log().Info("reports sent as one digest", "kind", u.kind, "reports", len(u.entries))
		return len(u.entries), nil
	}
	it := u.entries[0].item
	if err := d.Outbox.OutboxDone(it.Seq, it.Key, ref.Channel, ref.TS); err != nil {
		return 0, fmt.Errorf("record a delivered report: %w", err)
	}
	return 1, nil
}

// park moves the unit's reports to the ledger's parked bucket and logs each
// one whole: the log keeps what the channel did not get.
func (d *Drainer) park(u *unit, cause error) error {
	seqs := u.seqs()
	if err := d.Outbox.OutboxPark(cause.Error(), seqs...); err != nil {
		return fmt.Errorf("park %d undeliverable reports: %w", len(seqs), err)
	}
	for _, e := range u.entries {
		d.log().Error("report parked: the destination refused it for good; renewd status lists it, and a reload or restart sends it again",
			"key", e.item.Key, "report", e.item.Kind, "err", cause, "text", Text(e.r))
	}
	return nil
}

// retry records a transient failure and holds every delivery until the
// wait has passed: 429's Retry-After (or MinRetryAfter) for a rate limit,
// otherwise the backoff step of the failures in a row (a 429 is not one:
// Slack answered, and said when to come back).
func (d *Drainer) retry(u *unit, cause error) error {
	now := d.now()
	var wait time.Duration
	var ra *RetryAfterError
	if errors.As(cause, &ra) {
		wait = max(ra.After, MinRetryAfter)
	} else {
		d.failures++
		wait = d.backoff(d.failures)
	}
	d.hold = now.Add(wait)
	if err := d.Outbox.OutboxRetryMany(u.seqs(), d.hold, cause.Error()); err != nil {
		return fmt.Errorf("record a failed delivery: %w", err)
	}
	d.log().Warn("report not delivered; will retry", "key", u.entries[0].item.Key, "reports", len(u.entries),
		"attempt", u.attempts()+1, "retry_at", d.hold, "err", cause)
	return fmt.Errorf("deliver report %s: %w", u.entries[0].item.Key, cause)
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

// decode reads a report body renewd wrote.
func decode(it state.OutboxItem) (renewd.Report, error) {
	var r renewd.Report
	if err := json.Unmarshal(it.Body, &r); err != nil {
		return renewd.Report{}, fmt.Errorf("unreadable report body: %w", err)
	}
	return r, nil
}
