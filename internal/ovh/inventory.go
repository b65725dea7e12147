package ovh

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/ovh/go-ovh/ovh"

	"github.com/renewd/renewd"
)

// inventoryForm is one way of reading every service of an account, from the
// cheapest in requests to the dearest.
type inventoryForm int

const (
	// formExpanded: GET /services with X-Pagination-Mode CachedObjectList-Pages
	// returns whole objects, 500 a page. About N/500 requests.
	formExpanded inventoryForm = iota
	// formBatch: GET /service, then GET /service/{id1},{id2},... with
	// X-Ovh-Batch, 50 ids a request. About 1 + N/50 requests.
	formBatch
	// formPlain: GET /service, then GET /service/{id} for each. N+1 requests.
	formPlain
)

func (f inventoryForm) String() string {
	return [...]string{"expanded", "batch", "plain"}[f]
}

// Inventory tuning.
const (
	expandedPageSize = 500
	batchSize        = 50 // what OVH's own manager sends in one batch
	// RedetectEvery is how often Services starts again from the cheapest
	// form. Between detections it starts from the form that worked last, so
	// an account whose API refuses the expanded listing does not pay for the
	// refusal on every cycle, while one that gains it is noticed within a day.
	RedetectEvery = 24 * time.Hour
)

// ErrUnreadable marks an OVH answer that came back but cannot be read as
// what it should be (see Service).
var ErrUnreadable = errors.New("ovh's answer cannot be read")

// Services returns every service of the account, sorted by ID, each with
// Account set. It uses the cheapest inventory form the API accepts, found at
// run time and falling back within the same call: the expanded listing of
// /services, else batched reads of /service/{ids}, else one read per service
// (see expandedListing and batchServices for when each falls back). The form
// that worked is remembered for later calls and detected again every
// RedetectEvery (on the injected clock). Reads run concurrently (at most
// Concurrency at a time) under the account's rate limit. A service that
// disappears between the listing and its read (404) is left out.
//
// A service whose answer cannot be read (an expiration in no known form, a
// field of the wrong type, a body that is not JSON) does not fail the
// inventory: it is returned with its ID, what else could be read, and
// Problem set (see renewd.Service), counted in Stats.Unreadable and logged
// as a warning. The inventory fails only when the list of services itself
// cannot be had.
//
// Services is ListServices, then ReadServices of every id when the listing
// was not expanded: a caller that keeps what earlier reads said (the
// incremental inventory, internal/inventory) calls the two itself.
func (c *Client) Services(ctx context.Context) ([]renewd.Service, error) {
	l, err := c.ListServices(ctx)
	if err != nil {
		return nil, fmt.Errorf("inventory of account %q: %w", c.account, err)
	}
	if l.Expanded {
		return l.Services, nil
	}
	services, err := c.ReadServices(ctx, l.IDs, nil)
	if err != nil {
		return nil, fmt.Errorf("inventory of account %q: %w", c.account, err)
	}
	return services, nil
}

// sortServices sorts by ID and drops repeated ids (a listing may page over
// the same service twice).
func sortServices(services []renewd.Service) []renewd.Service {
	slices.SortFunc(services, func(a, b renewd.Service) int { return cmp.Compare(a.ID, b.ID) })
	return slices.CompactFunc(services, func(a, b renewd.Service) bool { return a.ID == b.ID })
}

// noteProblems counts and logs the services returned with a Problem.
func (c *Client) noteProblems(services []renewd.Service) {
	for _, s := range services {
		if s.Problem != "" {
			c.noteUnreadable(s)
		}
	}
}

// Service reads one service afresh (GET /service/{id}), e.g. to verify that
// its expiration moved after a renewal, or just before ordering. A missing
// service gives an error for which IsNotFound is true.
//
// An answer that cannot be read gives the service with Problem set (no
// Expiration, RenewMode RenewUnknown; see Services) AND an error wrapping
// ErrUnreadable, so that a caller that only checks the error stops, and
// an unreadable re-read can never be taken for an unchanged expiration.
func (c *Client) Service(ctx context.Context, id int64) (renewd.Service, error) {
	s, err := c.readService(ctx, id)
	if err != nil {
		return renewd.Service{}, fmt.Errorf("get service %d: %w", id, err)
	}
	if s.Problem != "" {
		c.noteUnreadable(s)
		return s, fmt.Errorf("get service %d: decode GET /service/%d: %w: %s", id, id, ErrUnreadable, s.Problem)
	}
	return s, nil
}

// readService reads GET /service/{id}; an answer that cannot be read comes
// back as a service with Problem set, not as an error.
func (c *Client) readService(ctx context.Context, id int64) (renewd.Service, error) {
	_, body, err := c.getRaw(ctx, "GET /service/{id}", "/service/"+strconv.FormatInt(id, 10), nil)
	if err != nil {
		return renewd.Service{}, err
	}
	return decodeService(body, c.account, id), nil
}

// noteUnreadable counts and logs a service returned with a Problem.
func (c *Client) noteUnreadable(s renewd.Service) {
	c.statsMu.Lock()
	c.stats.Unreadable++
	c.statsMu.Unlock()
	c.log.Warn("ovh answer for a service cannot be read; the service is reported, not decided",
		"account", c.account, "service_id", s.ID, "problem", s.Problem)
}

// startForm returns the form an inventory starts from: the expanded
// listing when a detection is due (none yet, or the last RedetectEvery
// ago on the injected clock), else the cheapest form that worked last.
func (c *Client) startForm() inventoryForm {
	c.formMu.Lock()
	defer c.formMu.Unlock()
	if c.detectedAt.IsZero() || c.now().Sub(c.detectedAt) >= RedetectEvery {
		return formExpanded
	}
	return c.form
}

// currentForm returns the cheapest form that worked last, without
// starting a detection.
func (c *Client) currentForm() inventoryForm {
	c.formMu.Lock()
	defer c.formMu.Unlock()
	return c.form
}

// detected records what a listing that started from the cheapest form
// found: the expanded listing works (formExpanded) or not (formBatch, to
// be tried next). It counts as a detection.
func (c *Client) detected(form inventoryForm) {
	c.formMu.Lock()
	defer c.formMu.Unlock()
	c.form = form
	c.detectedAt = c.now()
}

// batchRefused records that batched reads are refused, until the next
// detection. It leaves a remembered expanded listing alone: that form
// reads no id list.
func (c *Client) batchRefused() {
	c.formMu.Lock()
	defer c.formMu.Unlock()
	if c.form == formBatch {
		c.form = formPlain
	}
}

// serviceIDs lists the account's service ids (GET /service).
func (c *Client) serviceIDs(ctx context.Context) ([]int64, error) {
	var ids []int64
	if _, err := c.get(ctx, "GET /service", "/service", nil, &ids); err != nil {
		return nil, fmt.Errorf("list services: %w", err)
	}
	if ids == nil {
		ids = []int64{} // listed, and empty: not "not listed yet"
	}
	return ids, nil
}

// refused reports whether err is OVH declining a form of request (a 4xx
// answer) rather than a failure to retry: 408 and 429 are not refusals (get
// already retried them, and falling back would only add requests).
func refused(err error) bool {
	var apiErr *ovh.APIError
	return errors.As(err, &apiErr) && apiErr.Code >= 400 && apiErr.Code < 500 &&
		apiErr.Code != http.StatusRequestTimeout && apiErr.Code != http.StatusTooManyRequests
}
