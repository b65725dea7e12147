package ovh

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// DefaultRetry is the backoff schedule for GETs when Options.Retry is nil:
// the wait before each retry, spread by +/-20% jitter so that accounts and
// daemons do not retry in step. Four retries cover about 15 s of trouble,
// well inside a cycle; a longer outage fails the cycle, which the scheduler
// runs again later.
var DefaultRetry = []time.Duration{
	1 * time.Second, // a dropped connection, a busy backend
	2 * time.Second,
	4 * time.Second,
	8 * time.Second, // last chance before the cycle reports the failure
}

// jitterFraction spreads each wait of the schedule by +/- this fraction.
const jitterFraction = 0.2

// maxRetryAfter caps the wait a Retry-After header may ask for, so that a
// bad header cannot stall a cycle.
const maxRetryAfter = time.Minute

// get performs a GET with retries and decodes the JSON answer into out (nil
// to skip decoding). Retried: network errors, 5xx, 408, 429 and 400
// QUERY_TIME_OUT, following the Retry schedule; Retry-After is honoured.
// Never retried: other 4xx answers and bodies that are not valid JSON. A
// decoding error names the route: "decode GET /service/12: ...".
func (c *Client) get(ctx context.Context, route, path string, header http.Header, out any) (http.Header, error) {
	h, body, err := c.getRaw(ctx, route, path, header)
	if err != nil || out == nil {
		return h, err
	}
	if err := json.Unmarshal(body, out); err != nil {
		return h, fmt.Errorf("decode GET %s: %w", path, jsonError{err})
	}
	return h, nil
}

// getRaw is get without decoding: it returns the answer's body as sent, for
// the decoders that read a partly unreadable answer as far as they can.
func (c *Client) getRaw(ctx context.Context, route, path string, header http.Header) (http.Header, []byte, error) {
	a, err := c.getAnswer(ctx, route, path, header)
	if err != nil {
		return a.header, nil, err
	}
	return a.header, a.body, nil
}

// getAnswer is getRaw returning the last answer, also with the error (the
// body of an error answer, for the few callers that read OVH's errorCode).
func (c *Client) getAnswer(ctx context.Context, route, path string, header http.Header) (answer, error) {
	for attempt := 0; ; attempt++ {
		a, oc, err := c.send(ctx, http.MethodGet, route, path, nil, header)
		if err == nil {
			return a, nil
		}
		if attempt >= len(c.retry) || ctx.Err() != nil || !retryable(oc, a) {
			return a, err
		}
		wait := c.backoff(attempt, a)
		c.log.Debug("retrying ovh request", "account", c.account, "route", route,
			"attempt", attempt+1, "wait", wait, "error", err)
		if serr := c.sleep(ctx, wait); serr != nil {
			return a, fmt.Errorf("%w (gave up retrying: %w)", err, serr)
		}
	}
}

// retryable reports whether a failed GET attempt may be tried again.
func retryable(oc outcome, a answer) bool {
	if oc != answered {
		return true // not sent (clock sync failed) or no answer: a network error
	}
	switch {
	case a.status >= 500:
		return true
	case a.status == http.StatusRequestTimeout, a.status == http.StatusTooManyRequests:
		return true
	case a.status == http.StatusBadRequest:
		return isQueryTimeOut(a)
	}
	return false
}

// isQueryTimeOut reports an OVH answer saying the request's timestamp was
// too far from the API's clock.
func isQueryTimeOut(a answer) bool {
	if a.status != http.StatusBadRequest {
		return false
	}
	var body struct {
		ErrorCode string `json:"errorCode"`
	}
	return json.Unmarshal(a.body, &body) == nil && body.ErrorCode == "QUERY_TIME_OUT"
}

// backoff returns the wait before retry number attempt+1: the schedule's
// entry with jitter, or the answer's Retry-After when that is longer
// (capped by maxRetryAfter).
func (c *Client) backoff(attempt int, a answer) time.Duration {
	d := c.retry[attempt]
	d += time.Duration((rand.Float64()*2 - 1) * jitterFraction * float64(d))
	if ra, ok := retryAfter(a.header, c.now()); ok && ra > d {
		d = ra
	}
	return d
}

// retryAfter reads a Retry-After header, in seconds or as an HTTP date,
// capped by maxRetryAfter.
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := h.Get("Retry-After")
	if v == "" {
		return 0, false
	}
	var d time.Duration
	if secs, err := strconv.Atoi(v); err == nil {
		d = time.Duration(secs) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	} else {
		return 0, false
	}
	return min(max(d, 0), maxRetryAfter), true
}
