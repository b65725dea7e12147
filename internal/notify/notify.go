// Package notify delivers the reports that the ledger's outbox holds, at
// least once, with retries and backoff. The outbox is written in the same
// transaction as the state change a report tells of, so a crash or a Slack
// outage delays a report and never loses it. A Sender posts a report or,
// when a message under the same key was posted before, updates it, so a
// report delivered twice shows once.
//
// The Drainer keeps the order of the reports about one term (and of the
// reports under one key: a post before its updates), sends approval
// requests and failures before routine reports, folds many routine reports
// of one kind into one digest (with a DigestSender), parks a report the
// destination refuses for good (a PermanentError) so that the reports
// behind it still go out, and waits out transient errors (5xx, 429,
// network) with backoff, never longer than a short Retry-After asks.
package notify

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/state"
)

// Ref locates a posted message, so that it can be updated.
type Ref struct{ Channel, TS string }

// Sender delivers one report. prev is the message posted earlier under the
// same key (zero when none): a Sender that can edit messages updates it
// rather than posting again. The returned Ref is remembered for the key.
//
// Errors: a *PermanentError when no retry can deliver the report (the
// drainer parks it), a *RetryAfterError when the destination asks to wait,
// anything else is retried with backoff.
type Sender interface {
	Send(ctx context.Context, key string, prev Ref, r renewd.Report) (Ref, error)
}

// RetryAfterError asks the drainer to wait After before the next try
// (Slack's 429 Retry-After).
type RetryAfterError struct {
	After time.Duration
	Err   error
}

func (e *RetryAfterError) Error() string {
	return fmt.Sprintf("%v (retry after %s)", e.Err, e.After)
}
func (e *RetryAfterError) Unwrap() error { return e.Err }

// PermanentError is a refusal no retry can change: the message is invalid
// (Slack's invalid_blocks, msg_too_long), the destination is gone or out
// of reach (channel_not_found, not_in_channel, is_archived, a 404), the
// credentials are refused (invalid_auth, token_revoked). The drainer parks
// the report in the ledger and goes on with the next one.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent wraps err as a *PermanentError; nil stays nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &PermanentError{Err: err}
}

// IsPermanent reports whether err is, or wraps, a *PermanentError.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}

// Outbox is what the drainer needs from the ledger. *state.Ledger provides it.
type Outbox interface {
	Outbox(limit int) ([]state.OutboxItem, error)
	OutboxDone(seq uint64, key, channel, ts string) error
	OutboxDigested(items []state.Sent, channel, ts string) error
	OutboxRetryMany(seqs []uint64, next time.Time, errText string) error
	OutboxPark(errText string, seqs ...uint64) error
	Message(key string) (state.MessageInfo, bool, error)
}

var _ Outbox = (*state.Ledger)(nil)

// DefaultBackoff is the wait after the n-th failed delivery in a row; the
// last entry repeats. A long Slack outage costs one try every ten minutes.
// A 429 waits what its Retry-After says instead.
var DefaultBackoff = []time.Duration{
	2 * time.Second,
	10 * time.Second,
	30 * time.Second,
	2 * time.Minute,
	10 * time.Minute,
}

// MinRetryAfter is the wait after a 429 whose Retry-After is missing or 0.
const MinRetryAfter = time.Second

// Defaults of the Drainer's digest settings (config slack.digest_threshold
// and slack.max_single_messages).
const (
	DefaultDigestThreshold = 5
	DefaultSingleCap       = 20
)

// ErrNotYet is returned by Drain when every report that could go next
// waits for its next try; Next says when.
var ErrNotYet = errors.New("the reports that could go next wait for their next try")
