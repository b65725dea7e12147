package slack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	slackapi "github.com/slack-go/slack"

	"github.com/renewd/renewd/internal/notify"
)

// tokenTransport moves the "token" slack-go puts in the form body of
// chat.* calls into the Authorization header, which Slack accepts for every
// Web API method. A token in a body ends up in proxy logs, debug dumps and
// fakes' recordings; a header is where credentials are expected and
// redacted.
type tokenTransport struct{ next http.RoundTripper }

func (t *tokenTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	next := t.next
	if next == nil {
		next = http.DefaultTransport
	}
	if req.Method != http.MethodPost || req.Body == nil ||
		!strings.HasPrefix(req.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		return next.RoundTrip(req)
	}
	raw, err := io.ReadAll(req.Body)
	_ = req.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("read request body: %w", err)
	}
	values, err := url.ParseQuery(string(raw))
	if err != nil || values.Get("token") == "" {
		return next.RoundTrip(withBody(req, raw))
	}
	token := values.Get("token")
	values.Del("token")
	body := []byte(values.Encode())
	out := withBody(req, body)
	if out.Header.Get("Authorization") == "" {
		out.Header.Set("Authorization", "Bearer "+token)
	}
	return next.RoundTrip(out)
}

// withBody returns a copy of req that sends body.
func withBody(req *http.Request, body []byte) *http.Request {
	out := req.Clone(req.Context())
	out.Body = io.NopCloser(strings.NewReader(string(body)))
	out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(string(body))), nil }
	out.ContentLength = int64(len(body))
	return out
}

// apiError is a failed Slack call, with every token redacted from its
// text. It does not wrap slack-go's error, so that nothing can print the
// original; Code keeps Slack's error code ("message_not_found") and Status
// the HTTP status (0 when there was no HTTP answer).
type apiError struct {
	Call   string
	Code   string
	Status int
	text   string
	ctxErr error // context.Canceled or DeadlineExceeded when the call ran out of time
}

func (e *apiError) Error() string { return "slack " + e.Call + ": " + e.text }
func (e *apiError) Unwrap() error { return e.ctxErr }

// callError turns a slack-go error into an error safe to log: a 429 with
// Retry-After becomes a *notify.RetryAfterError, anything else an
// *apiError. It returns nil for nil.
func (c *Client) callError(call string, err error) error {
	if err == nil {
		return nil
	}
	e := &apiError{Call: call, text: c.redact(err.Error())}
	var slackErr slackapi.SlackErrorResponse
	var status slackapi.StatusCodeError
	var limited *slackapi.RateLimitedError
	switch {
	case errors.As(err, &limited):
		e.Status = http.StatusTooManyRequests
		e.text = "rate limited"
		return &notify.RetryAfterError{After: limited.RetryAfter, Err: e}
	case errors.As(err, &slackErr):
		e.Code = slackErr.Err
	case errors.As(err, &status):
		e.Status = status.Code
	}
	for _, ce := range []error{context.Canceled, context.DeadlineExceeded} {
		if errors.Is(err, ce) {
			e.ctxErr = ce
		}
	}
	return e
}

// slackCode returns the Slack error code of an error from callError, or "".
func slackCode(err error) string {
	var e *apiError
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}
