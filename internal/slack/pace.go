package slack

import (
	"context"
	"time"

	"golang.org/x/time/rate"
)

// pace waits until a post or an edit may go to channel: at most one per
// PostInterval per channel, the first at once. Slack answers 429 past
// about one message a second in a channel; pacing keeps a cycle of many
// reports from turning into a storm of 429s and retries. It returns ctx's
// error, giving back its turn, when ctx ends first.
func (c *Client) pace(ctx context.Context, channel string) error {
	if c.interval < 0 {
		return nil
	}
	c.limitMu.Lock()
	lim, ok := c.limiters[channel]
	if !ok {
		lim = rate.NewLimiter(rate.Every(c.interval), 1)
		c.limiters[channel] = lim
	}
	now := c.now()
	res := lim.ReserveN(now, 1)
	c.limitMu.Unlock()
	wait := res.DelayFrom(now)
	if wait <= 0 {
		return nil
	}
	if err := c.sleep(ctx, wait); err != nil {
		res.CancelAt(c.now())
		return err
	}
	return nil
}

// sleep waits d, or until ctx is done (then it returns ctx's error).
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
