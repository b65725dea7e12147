// Package ovh is renewd's view of the OVH API: the inventory of services with
// their expirations, the renewal strategies and their prices, renewal orders,
// their payment and the reconciliation of orders whose outcome is unknown.
//
// Every call goes through github.com/ovh/go-ovh (configuration, signing,
// error decoding). This package adds what go-ovh lacks: a per-call timeout, a
// client-side rate limit per account, retries with backoff on reads only,
// batched and expanded inventory, and typed outcomes for the two calls that
// move money (CreateRenewOrder and Pay), which are never retried.
//
// Answers are read as OVH's published schema describes them, in every form
// it may take, and as far as they go: a service whose answer cannot be read
// is returned with renewd.Service.Problem set rather than failing the
// inventory, and a price is usable only when it passes every check of
// readPrice (Strategy.PriceErr, Order.PriceErr say why not).
// docs/ovh-answers.md lists the rules.
//
// A Client is safe for concurrent use.
package ovh

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/ovh/go-ovh/ovh"
	"golang.org/x/time/rate"
)

// Defaults applied by New for the zero values of Options.
const (
	DefaultCallTimeout = 30 * time.Second
	// DefaultRateLimit and DefaultBurst keep any minute at or under OVH's
	// fair use of 60 requests per consumer key (burst + 60*rate = 60), while
	// a short inventory goes out at once.
	DefaultRateLimit   = rate.Limit(0.75)
	DefaultBurst       = 15
	DefaultConcurrency = 4
)

// Options configure a Client for one OVH account. Only Endpoint (or go-ovh's
// own configuration) is needed; every other field has a default.
type Options struct {
	// Account is the configured account name, set on every Service
	// (renewd.DefaultAccount for the single form of the config).
	Account string
	// Endpoint is a go-ovh alias (ovh-eu, ovh-ca, ovh-us, kimsufi-eu, ...) or
	// a full base URL such as https://eu.api.ovh.com/1.0 (no trailing slash).
	// Empty means go-ovh's own default (OVH_ENDPOINT, ovh.conf, then ovh-eu).
	Endpoint string
	// AppKey, AppSecret and ConsumerKey are the API credentials. Empty ones
	// come from go-ovh's own sources (OVH_* environment variables, ovh.conf),
	// exactly as ovh.NewClient(endpoint, "", "", "") would find them.
	AppKey, AppSecret, ConsumerKey string
	// HTTPClient supplies the transport (and cookie jar, redirect policy).
	// It is never mutated: each call gets its own http.Client with the call
	// timeout. Nil means http.DefaultTransport.
	HTTPClient *http.Client
	// CallTimeout bounds each HTTP attempt, on top of the caller's context.
	// Zero means DefaultCallTimeout (go-ovh's own 180 s is not used).
	CallTimeout time.Duration
	// Retry is the backoff schedule for GETs: one entry per retry, each
	// spread by +/-20% jitter. Nil means DefaultRetry; an empty, non-nil
	// slice means no retry at all.
	Retry []time.Duration
	// RateLimit and Burst limit the requests of this account (every attempt,
	// retries included). Zero means DefaultRateLimit and DefaultBurst.
	RateLimit rate.Limit
	Burst     int
	// Concurrency bounds the requests in flight during an inventory. Zero
	// means DefaultConcurrency.
	Concurrency int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives debug and warning records; nil discards them.
	Logger *slog.Logger
	// OnRequest, when set, is called after every HTTP attempt with the route
	// pattern ("GET /service/{id}") and the status code, 0 for a network
	// error. It must be safe for concurrent use.
	OnRequest func(route string, code int)
	// Sleep waits between retries; nil waits on a timer and returns
	// ctx.Err() when ctx ends first. Tests pass an instant one.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Client talks to the OVH API for one account. Create it with New; it is safe
// for concurrent use.
type Client struct {
	account     string
	callTimeout time.Duration
	retry       []time.Duration
	limiter     *rate.Limiter
	concurrency int
	now         func() time.Time
	log         *slog.Logger
	onRequest   func(route string, code int)
	sleep       func(ctx context.Context, d time.Duration) error
	transport   *http.Client // the caller's client, read only

	api apiState

	statsMu sync.Mutex
	stats   Stats

	formMu     sync.Mutex
	form       inventoryForm // the cheapest inventory form that worked last
	detectedAt time.Time     // when form was last detected from the top

	itemsMu sync.Mutex
	items   map[int64][]OrderItem // an order's lines, read once: they do not change
}

// New builds a Client without touching the network. Its errors name the
// account and never contain a credential.
func New(opts Options) (*Client, error) {
	api, err := ovh.NewClient(opts.Endpoint, opts.AppKey, opts.AppSecret, opts.ConsumerKey)
	if err != nil {
		return nil, redact(fmt.Errorf("ovh client for account %q: %w", opts.Account, err),
			opts.AppSecret, opts.ConsumerKey)
	}
	c := &Client{
		account:     opts.Account,
		callTimeout: opts.CallTimeout,
		retry:       slices.Clone(opts.Retry), // nil stays nil: the default
		concurrency: opts.Concurrency,
		now:         opts.Now,
		log:         opts.Logger,
		onRequest:   opts.OnRequest,
		sleep:       opts.Sleep,
		transport:   opts.HTTPClient,
		stats:       Stats{Requests: map[string]int{}},
	}
	if c.callTimeout <= 0 {
		c.callTimeout = DefaultCallTimeout
	}
	if c.retry == nil {
		c.retry = slices.Clone(DefaultRetry)
	}
	limit, burst := opts.RateLimit, opts.Burst
	if limit == 0 {
		limit = DefaultRateLimit
	}
	if burst <= 0 {
		burst = DefaultBurst
	}
	c.limiter = rate.NewLimiter(limit, burst)
	if c.concurrency <= 0 {
		c.concurrency = DefaultConcurrency
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.sleep == nil {
		c.sleep = sleepContext
	}
	if c.transport == nil {
		c.transport = &http.Client{}
	}
	api.UserAgent = "renewd"
	api.Logger = nil // go-ovh's logger would see the signed headers
	c.api.init(api)
	return c, nil
}

// Account returns the configured account name.
func (c *Client) Account() string { return c.account }

// newHTTPClient returns a fresh http.Client over the caller's transport.
// go-ovh writes its Timeout into the http.Client on every request, so each
// request gets its own: the caller's client is never written to and
// concurrent requests do not race on it.
func (c *Client) newHTTPClient() *http.Client {
	return &http.Client{
		Transport:     c.transport.Transport,
		CheckRedirect: c.transport.CheckRedirect,
		Jar:           c.transport.Jar,
		Timeout:       c.callTimeout,
	}
}

// Stats counts the HTTP attempts a Client made (retries included), for
// benchmarks. Routes are patterns; batched reads count under
// "GET /service/{ids}", the clock reads go-ovh makes under "GET /auth/time".
type Stats struct {
	Total    int
	Requests map[string]int // by route pattern, e.g. "GET /service/{id}"
	// Unreadable counts the services returned with a Problem (by Services
	// and Service): answers that came back but could not be read.
	Unreadable int
}

// Stats returns a copy of the request counts since New.
func (c *Client) Stats() Stats {
	c.statsMu.Lock()
	defer c.statsMu.Unlock()
	out := Stats{Total: c.stats.Total, Unreadable: c.stats.Unreadable, Requests: make(map[string]int, len(c.stats.Requests))}
	for k, v := range c.stats.Requests {
		out.Requests[k] = v
	}
	return out
}

// record counts one HTTP attempt and reports it to OnRequest.
func (c *Client) record(route string, code int) {
	c.statsMu.Lock()
	c.stats.Total++
	c.stats.Requests[route]++
	c.statsMu.Unlock()
	if c.onRequest != nil {
		c.onRequest(route, code)
	}
}

// sleepContext waits for d or until ctx ends, whichever comes first.
func sleepContext(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
