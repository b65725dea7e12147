package ovh

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/ovh/go-ovh/ovh"
)

// CredentialPending is the Status of a key its owner has not validated yet.
const CredentialPending = "pendingValidation"

// KeyRequestJSON is the body of POST /auth/credential that
// RequestConsumerKey sends, indented: exactly renewd's rules (AccessRules),
// as go-ovh's own NewCkRequest and AddRule build them. It holds nothing
// secret, and needs no credential: `renewd auth --print`.
func KeyRequestJSON() ([]byte, error) {
	return json.MarshalIndent(newCkRequest(new(ovh.Client)), "", "  ")
}

// newCkRequest is go-ovh's consumer-key request on api, with renewd's rules.
func newCkRequest(api *ovh.Client) *ovh.CkRequest {
	ck := api.NewCkRequest()
	for _, r := range accessRules {
		ck.AddRule(r.Method, r.Path)
	}
	return ck
}

// EndpointURL is the base URL go-ovh calls for an endpoint alias or URL
// ("ovh-eu" is https://eu.api.ovh.com/1.0), "" for an unknown alias.
func EndpointURL(endpoint string) string {
	if strings.Contains(endpoint, "/") {
		return endpoint
	}
	return ovh.Endpoints[endpoint]
}

// PendingKey is a consumer key OVH has issued and that waits for the
// account's owner to validate it at ValidationURL. The key itself is a
// secret: it never prints (String and the fmt verbs show "[redacted]"),
// and only Reveal gives it, for the file it goes to.
type PendingKey struct {
	ValidationURL string
	key           string
	client        *Client // signs with the new key
}

// Reveal returns the consumer key.
func (p *PendingKey) Reveal() string { return p.key }

func (p *PendingKey) String() string             { return "[redacted]" }
func (p *PendingKey) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte("[redacted]")) }

// RequestConsumerKey asks OVH for a new consumer key with exactly renewd's
// rules: POST /auth/credential through go-ovh's CkRequest.Do, unsigned
// (only the application key is sent). go-ovh's Do takes no context: the
// request is bounded by CallTimeout, and when ctx ends first
// RequestConsumerKey returns at once (a key issued meanwhile is never
// validated, and lapses). Errors never hold a credential.
func (c *Client) RequestConsumerKey(ctx context.Context) (*PendingKey, error) {
	if err := c.limiter.Wait(ctx); err != nil {
		return nil, fmt.Errorf("request a consumer key: %w", err)
	}
	api := new(ovh.Client)
	*api = c.api.pristine
	api.Client = c.newHTTPClient()
	api.Timeout = c.callTimeout
	ck := newCkRequest(api)
	type result struct {
		state *ovh.CkValidationState
		err   error
	}
	done := make(chan result, 1)
	start := c.now()
	go func() {
		st, err := ck.Do()
		done <- result{st, err}
	}()
	var res result
	select {
	case res = <-done:
	case <-ctx.Done():
		return nil, fmt.Errorf("request a consumer key: %w", ctx.Err())
	}
	c.record("POST /auth/credential", statusOf(res.err))
	c.logCall(http.MethodPost, "POST /auth/credential", "/auth/credential", statusOf(res.err), c.now().Sub(start), "", res.err)
	if res.err != nil {
		shortenAPIError(res.err)
		return nil, fmt.Errorf("request a consumer key: %w", c.redact(res.err))
	}
	if res.state.ConsumerKey == "" || res.state.ValidationURL == "" {
		return nil, errors.New("request a consumer key: OVH's answer holds no consumerKey or no validationUrl")
	}
	return &PendingKey{
		ValidationURL: res.state.ValidationURL,
		key:           res.state.ConsumerKey,
		client:        c.withConsumerKey(res.state.ConsumerKey),
	}, nil
}

// Wait polls GET /auth/currentCredential with the new key, every `every`,
// until its owner has validated it, and returns its record. It stops with
// an error when ctx ends (a timeout, Ctrl-C), when OVH says the key was
// refused or has expired, or on a failure that is not "not validated yet".
// While a key waits, OVH answers 403 INVALID_CREDENTIAL, or its record with
// status pendingValidation (which of the two is unconfirmed); a 403
// NOT_GRANTED_CALL is a validated key whose rules do not let it read
// itself.
func (p *PendingKey) Wait(ctx context.Context, every time.Duration) (Credential, error) {
	for {
		cr, err := p.client.CurrentCredential(ctx)
		switch {
		case err == nil && cr.Status == CredentialValidated:
			return cr, nil
		case err == nil && cr.Status != CredentialPending:
			return cr, fmt.Errorf("the consumer key is %s, not validated: ask for a new one", quote(cr.Status))
		case IsNotGranted(err):
			return Credential{Status: CredentialValidated}, nil
		case err != nil && !IsInvalidCredential(err):
			return Credential{}, fmt.Errorf("wait for the consumer key's validation: %w", err)
		}
		if err := p.client.sleep(ctx, every); err != nil {
			return Credential{}, fmt.Errorf("wait for the consumer key's validation: %w", err)
		}
	}
}

// withConsumerKey returns a Client for the same account that signs with
// another consumer key, sharing c's rate limiter.
func (c *Client) withConsumerKey(key string) *Client {
	api := c.api.pristine
	api.ConsumerKey = key
	nc := &Client{
		account:     c.account,
		callTimeout: c.callTimeout,
		retry:       c.retry,
		limiter:     c.limiter,
		concurrency: c.concurrency,
		now:         c.now,
		log:         c.log,
		onRequest:   c.onRequest,
		sleep:       c.sleep,
		transport:   c.transport,
		stats:       Stats{Requests: map[string]int{}},
	}
	nc.api.init(&api)
	nc.api.secrets = append(nc.api.secrets, c.api.secrets...)
	return nc
}
