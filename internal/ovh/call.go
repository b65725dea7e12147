package ovh

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/ovh/go-ovh/ovh"
)

// outcome says how far one HTTP attempt went, which decides whether it may
// be retried and what a failed money-moving call means.
type outcome int

const (
	// notSent: the request never left this process (context ended while
	// waiting for the rate limiter, clock sync or signing failed).
	notSent outcome = iota
	// noAnswer: the request was sent, or may have been, but no complete
	// answer came back (timeout, cut connection, body cut short).
	noAnswer
	// answered: OVH answered with a status code and a whole body.
	answered
)

// answer is what one HTTP attempt brought back.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// apiState holds go-ovh clients. go-ovh measures the clock offset to the API
// once per ovh.Client (GET /auth/time) and writes its Timeout into the
// http.Client on every request, so renewd keeps:
//   - pristine: the client as configured, never used to sign;
//   - current: a copy of pristine that holds the measured offset; nil until
//     measured, and dropped after a QUERY_TIME_OUT answer so that the next
//     request measures again (go-ovh itself never does);
//
// and signs each request with a shallow copy of current that has its own
// http.Client.
type apiState struct {
	lock     chan struct{} // a one-slot lock that can be waited on with a context
	pristine ovh.Client
	current  *ovh.Client
	secrets  []string // credentials that must never appear in an error
}

func (a *apiState) init(api *ovh.Client) {
	a.lock = make(chan struct{}, 1)
	a.pristine = *api
	for _, s := range []string{api.AppSecret, api.ConsumerKey, api.AccessToken, api.ClientSecret} {
		if s != "" {
			a.secrets = append(a.secrets, s)
		}
	}
}

// signer returns a go-ovh client ready to sign one request: a copy of the
// template holding the clock offset, with an http.Client of its own. The
// first call measures the offset (an unsigned GET /auth/time through the
// rate limiter); concurrent callers wait for it, or for ctx.
func (c *Client) signer(ctx context.Context) (*ovh.Client, error) {
	select {
	case c.api.lock <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-c.api.lock }()
	if c.api.current == nil {
		t := new(ovh.Client)
		*t = c.api.pristine
		t.Client = c.newHTTPClient()
		t.Timeout = c.callTimeout
		if t.AppKey != "" {
			if err := c.limiter.Wait(ctx); err != nil {
				return nil, err
			}
			// go-ovh's GET /auth/time takes no context; CallTimeout bounds it.
			start := c.now()
			_, err := t.TimeDelta()
			c.record("GET /auth/time", statusOf(err))
			c.logCall(http.MethodGet, "GET /auth/time", "/auth/time", statusOf(err), c.now().Sub(start), "", err)
			if err != nil {
				return nil, fmt.Errorf("read the ovh api clock: %w", err)
			}
		}
		c.api.current = t
	}
	s := new(ovh.Client)
	*s = *c.api.current
	s.Client = c.newHTTPClient()
	return s, nil
}

// forgetClock drops the measured clock offset: the next request measures it
// again. Called after a QUERY_TIME_OUT answer.
func (c *Client) forgetClock(ctx context.Context) {
	select {
	case c.api.lock <- struct{}{}:
		c.api.current = nil
		<-c.api.lock
	case <-ctx.Done():
	}
}

// statusOf returns the HTTP status carried by a go-ovh error: 200 for nil,
// 0 for a network error.
func statusOf(err error) int {
	var apiErr *ovh.APIError
	switch {
	case err == nil:
		return http.StatusOK
	case errors.As(err, &apiErr):
		return apiErr.Code
	default:
		return 0
	}
}

// send makes one HTTP attempt through go-ovh: rate limiter, signing,
// CallTimeout on top of ctx, custom headers. A non-2xx answer comes back as
// a go-ovh *ovh.APIError with outcome answered; the body is returned as
// bytes, undecoded. It never retries. Errors never contain a credential.
func (c *Client) send(ctx context.Context, method, route, path string, reqBody any, header http.Header) (answer, outcome, error) {
	a, oc, err := c.sendOnce(ctx, method, route, path, reqBody, header)
	return a, oc, c.redact(err)
}

func (c *Client) sendOnce(ctx context.Context, method, route, path string, reqBody any, header http.Header) (answer, outcome, error) {
	if err := c.limiter.Wait(ctx); err != nil {
		return answer{}, notSent, err
	}
	api, err := c.signer(ctx)
	if err != nil {
		return answer{}, notSent, err
	}
	req, err := api.NewRequest(method, path, reqBody, true)
	if err != nil {
		return answer{}, notSent, fmt.Errorf("prepare %s %s: %w", method, path, err)
	}
	callCtx, cancel := context.WithTimeout(ctx, c.callTimeout)
	defer cancel()
	req = req.WithContext(callCtx)
	for k, vs := range header {
		req.Header[http.CanonicalHeaderKey(k)] = vs
	}
	start := c.now()
	resp, err := api.Do(req)
	if err != nil {
		c.record(route, 0)
		c.logCall(method, route, path, 0, c.now().Sub(start), "", err)
		return answer{}, noAnswer, err
	}
	c.record(route, resp.StatusCode)
	body := &capturingBody{rc: resp.Body}
	resp.Body = body
	err = api.UnmarshalResponse(resp, nil) // status check only: the body is decoded by the caller
	shortenAPIError(err)
	a := answer{status: resp.StatusCode, header: resp.Header, body: body.buf.Bytes()}
	c.logCall(method, route, path, resp.StatusCode, c.now().Sub(start), resp.Header.Get("X-Ovh-QueryID"), body.err)
	if body.err != nil {
		return a, noAnswer, fmt.Errorf("read answer to %s %s: %w", method, path, body.err)
	}
	if err != nil && isQueryTimeOut(a) {
		c.forgetClock(ctx) // OVH refused the timestamp: measure the offset again
	}
	return a, answered, err
}

// logCall writes the debug line of one HTTP attempt: the method, the route
// pattern (as in the metrics, without the method) and the path, the status
// (0: no answer), how long the exchange took, and OVH's X-Ovh-QueryID, which
// OVH support asks for. Headers and bodies are never logged: the request's
// carry the signature and the keys. err is the transport's error, redacted.
func (c *Client) logCall(method, route, path string, status int, took time.Duration, queryID string, err error) {
	attrs := []any{"account", c.account, "method", method, "route", strings.TrimPrefix(route, method+" "),
		"path", path, "status", status, "duration", took, "query_id", queryID}
	if err != nil {
		attrs = append(attrs, "err", c.redact(err))
	}
	c.log.Debug("ovh call", attrs...)
}

// capturingBody keeps a copy of what go-ovh reads from a response body and
// remembers a read error, which tells a cut connection from a bad body.
type capturingBody struct {
	rc  io.ReadCloser
	buf bytes.Buffer
	err error
}

func (b *capturingBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	b.buf.Write(p[:n])
	if err != nil && err != io.EOF {
		b.err = err
	}
	return n, err
}

func (b *capturingBody) Close() error { return b.rc.Close() }

// redact removes every credential from an error's text while keeping the
// error chain for errors.Is and errors.As.
func (c *Client) redact(err error) error { return redact(err, c.api.secrets...) }

func redact(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	clean := msg
	for _, s := range secrets {
		if s != "" {
			clean = strings.ReplaceAll(clean, s, "[redacted]")
		}
	}
	if clean == msg {
		return err
	}
	return &redactedError{msg: clean, err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// maxAPIMessage bounds the message of an OVH error answer kept in an error.
// go-ovh puts the whole body there when it is not OVH's JSON error shape (a
// proxy's HTML page, say); go-ovh quotes it in APIError.Error.
const maxAPIMessage = 200

// shortenAPIError cuts the message of a go-ovh *ovh.APIError in place.
func shortenAPIError(err error) {
	var apiErr *ovh.APIError
	if errors.As(err, &apiErr) && len(apiErr.Message) > maxAPIMessage {
		apiErr.Message = apiErr.Message[:maxAPIMessage] + "..."
	}
}
