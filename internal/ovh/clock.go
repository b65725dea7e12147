package ovh

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ServerTime reads OVH's clock (GET /auth/time, unsigned): the API's time
// in whole seconds. The renewal cycle measures it once per account and
// cycle and compares OVH's own times (an order's date and expiry) with it,
// never with the local clock, and stamps its intents with it, so a jump of
// the local clock cannot make an order look expired or a payment settled.
// It goes through the rate limiter and is retried like every GET.
func (c *Client) ServerTime(ctx context.Context) (time.Time, error) {
	for attempt := 0; ; attempt++ {
		t, err := c.serverTimeOnce(ctx)
		if err == nil {
			return t, nil
		}
		if attempt >= len(c.retry) || ctx.Err() != nil {
			return time.Time{}, fmt.Errorf("read the ovh api clock: %w", err)
		}
		if serr := c.sleep(ctx, c.retry[attempt]); serr != nil {
			return time.Time{}, fmt.Errorf("read the ovh api clock: %w (gave up retrying: %w)", err, serr)
		}
	}
}

func (c *Client) serverTimeOnce(ctx context.Context) (time.Time, error) {
	if err := c.limiter.Wait(ctx); err != nil {
		return time.Time{}, err
	}
	req, err := c.api.pristine.NewRequest(http.MethodGet, "/auth/time", nil, false)
	if err != nil {
		return time.Time{}, err
	}
	callCtx, cancel := context.WithTimeout(ctx, c.callTimeout)
	defer cancel()
	resp, err := c.newHTTPClient().Do(req.WithContext(callCtx))
	if err != nil {
		c.record("GET /auth/time", 0)
		return time.Time{}, c.redact(err)
	}
	defer resp.Body.Close()
	c.record("GET /auth/time", resp.StatusCode)
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64))
	if err != nil {
		return time.Time{}, fmt.Errorf("GET /auth/time: read the answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return time.Time{}, fmt.Errorf("GET /auth/time: status %d", resp.StatusCode)
	}
	text := strings.TrimSpace(string(body))
	secs, err := strconv.ParseInt(text, 10, 64)
	if err != nil || secs <= 0 {
		return time.Time{}, fmt.Errorf("GET /auth/time: %q is not a unix time", text)
	}
	return time.Unix(secs, 0).UTC(), nil
}
