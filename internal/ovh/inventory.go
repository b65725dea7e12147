package ovh

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

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

// Services returns every service of the account, sorted by ID, each with
// Account set. It uses the cheapest inventory form the API accepts, found at
// run time and falling back within the same call: the expanded listing of
// /services, else batched reads of /service/{ids}, else one read per service.
// The form that worked is remembered for later calls and detected again every
// RedetectEvery (on the injected clock). Reads run concurrently (at most
// Concurrency at a time) under the account's rate limit. A service that
// disappears between the listing and its read (404) is left out.
func (c *Client) Services(ctx context.Context) ([]renewd.Service, error) {
	start := c.startForm()
	used := start
	var services []renewd.Service
	var ids []int64
	var err error
	if start == formExpanded {
		var expanded bool
		services, ids, expanded, err = c.expandedListing(ctx)
		if err != nil {
			return nil, fmt.Errorf("inventory of account %q: %w", c.account, err)
		}
		if !expanded {
			c.log.Info("ovh expanded listing not honoured; falling back to batch", "account", c.account)
			used = formBatch
		}
	}
	if used != formExpanded {
		if ids == nil {
			if ids, err = c.serviceIDs(ctx); err != nil {
				return nil, fmt.Errorf("inventory of account %q: %w", c.account, err)
			}
		}
		if used == formBatch {
			var batched bool
			services, batched, err = c.batchServices(ctx, ids)
			if err != nil {
				return nil, fmt.Errorf("inventory of account %q: %w", c.account, err)
			}
			if !batched {
				c.log.Info("ovh batch reads refused; falling back to one read per service", "account", c.account)
				used = formPlain
			}
		}
		if used == formPlain {
			if services, err = c.plainServices(ctx, ids); err != nil {
				return nil, fmt.Errorf("inventory of account %q: %w", c.account, err)
			}
		}
	}
	c.rememberForm(start, used)
	slices.SortFunc(services, func(a, b renewd.Service) int { return cmp.Compare(a.ID, b.ID) })
	return slices.CompactFunc(services, func(a, b renewd.Service) bool { return a.ID == b.ID }), nil
}

// Service reads one service afresh (GET /service/{id}), e.g. to verify that
// its expiration moved after a renewal. A missing service gives an error for
// which IsNotFound is true.
func (c *Client) Service(ctx context.Context, id int64) (renewd.Service, error) {
	s, err := c.readService(ctx, id)
	if err != nil {
		return renewd.Service{}, fmt.Errorf("get service %d: %w", id, err)
	}
	return s, nil
}

func (c *Client) readService(ctx context.Context, id int64) (renewd.Service, error) {
	var w wireService
	if _, err := c.get(ctx, "GET /service/{id}", "/service/"+strconv.FormatInt(id, 10), nil, &w); err != nil {
		return renewd.Service{}, err
	}
	return w.toService(c.account, id)
}

// startForm returns the form an inventory starts from.
func (c *Client) startForm() inventoryForm {
	c.formMu.Lock()
	defer c.formMu.Unlock()
	if c.detectedAt.IsZero() || c.now().Sub(c.detectedAt) >= RedetectEvery {
		return formExpanded
	}
	return c.form
}

// rememberForm records the form that worked; a run that started from the
// cheapest form counts as a detection.
func (c *Client) rememberForm(start, used inventoryForm) {
	c.formMu.Lock()
	defer c.formMu.Unlock()
	c.form = used
	if start == formExpanded {
		c.detectedAt = c.now()
	}
}

// serviceIDs lists the account's service ids (GET /service).
func (c *Client) serviceIDs(ctx context.Context) ([]int64, error) {
	var ids []int64
	if _, err := c.get(ctx, "GET /service", "/service", nil, &ids); err != nil {
		return nil, fmt.Errorf("list services: %w", err)
	}
	return ids, nil
}

// expandedListing pages through GET /services in CachedObjectList-Pages
// mode. When the API ignores the mode and answers a plain id list, it
// returns those ids with expanded false.
func (c *Client) expandedListing(ctx context.Context) (services []renewd.Service, ids []int64, expanded bool, err error) {
	seen := map[int64]bool{}
	for page := 1; ; page++ {
		header := http.Header{
			"X-Pagination-Mode":   {"CachedObjectList-Pages"},
			"X-Pagination-Size":   {strconv.Itoa(expandedPageSize)},
			"X-Pagination-Number": {strconv.Itoa(page)},
		}
		var items []json.RawMessage
		answerHeader, err := c.get(ctx, "GET /services", "/services", header, &items)
		if err != nil {
			return nil, nil, false, fmt.Errorf("list services (expanded, page %d): %w", page, err)
		}
		if page == 1 && len(items) > 0 && isJSONNumber(items[0]) {
			ids := make([]int64, 0, len(items))
			for _, raw := range items {
				var id int64
				if err := json.Unmarshal(raw, &id); err != nil {
					return nil, nil, false, fmt.Errorf("decode GET /services: %w", err)
				}
				ids = append(ids, id)
			}
			return nil, ids, false, nil
		}
		added := 0
		for _, raw := range items {
			var w wireExpandedService
			if err := json.Unmarshal(raw, &w); err != nil {
				return nil, nil, false, fmt.Errorf("decode GET /services page %d: %w", page, err)
			}
			if w.ServiceID == 0 {
				return nil, nil, false, fmt.Errorf("decode GET /services page %d: an object without serviceId", page)
			}
			if seen[w.ServiceID] {
				continue
			}
			s, err := w.toService(c.account)
			if err != nil {
				return nil, nil, false, err
			}
			seen[w.ServiceID] = true
			services = append(services, s)
			added++
		}
		total, err := strconv.Atoi(answerHeader.Get("X-Pagination-Elements"))
		hasTotal := err == nil
		// Stop at the announced total, on a short page, or on a page that
		// brought nothing new (a server repeating itself must not loop us).
		if hasTotal && len(seen) >= total || len(items) < expandedPageSize || added == 0 {
			return services, nil, true, nil
		}
	}
}

// batchServices reads services 50 at a time with X-Ovh-Batch. A 400 or 404
// on the first batch means the API refuses batches: it returns batched
// false and reads nothing more. Ids that a later batch could not give (an
// item error, a missing item, a refused batch) are read one by one.
func (c *Client) batchServices(ctx context.Context, ids []int64) ([]renewd.Service, bool, error) {
	chunks := slices.Collect(slices.Chunk(ids, batchSize))
	if len(chunks) == 0 {
		return nil, true, nil
	}
	results := make([][]renewd.Service, len(chunks))
	leftovers := make([][]int64, len(chunks))
	var err error
	results[0], leftovers[0], err = c.readBatch(ctx, chunks[0])
	if err != nil {
		if isStatus(err, http.StatusBadRequest, http.StatusNotFound) {
			return nil, false, nil
		}
		return nil, true, err
	}
	err = forEach(ctx, c.concurrency, len(chunks)-1, func(ctx context.Context, i int) error {
		chunk := chunks[i+1]
		got, left, err := c.readBatch(ctx, chunk)
		if isStatus(err, http.StatusBadRequest, http.StatusNotFound) {
			c.log.Warn("ovh batch read refused; reading its services one by one", "account", c.account, "error", err)
			leftovers[i+1] = chunk
			return nil
		}
		results[i+1], leftovers[i+1] = got, left
		return err
	})
	if err != nil {
		return nil, true, err
	}
	services := slices.Concat(results...)
	if left := slices.Concat(leftovers...); len(left) > 0 {
		more, err := c.plainServices(ctx, left)
		if err != nil {
			return nil, true, err
		}
		services = append(services, more...)
	}
	return services, true, nil
}

// batchItem is one element of a batched answer. The error's shape is not
// documented: anything but null or "" counts as an error.
type batchItem struct {
	Key   string          `json:"key"`
	Value json.RawMessage `json:"value"`
	Error json.RawMessage `json:"error"`
}

// readBatch reads up to batchSize services in one request. It returns the
// services read and the ids to read again one by one.
func (c *Client) readBatch(ctx context.Context, ids []int64) ([]renewd.Service, []int64, error) {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	path := "/service/" + strings.Join(parts, ",")
	var raw json.RawMessage
	if _, err := c.get(ctx, "GET /service/{ids}", path, http.Header{"X-Ovh-Batch": {","}}, &raw); err != nil {
		return nil, nil, fmt.Errorf("batch read of %d services: %w", len(ids), err)
	}
	raw = bytes.TrimSpace(raw)
	if len(ids) == 1 && len(raw) > 0 && raw[0] == '{' { // one id may come back unbatched
		var w wireService
		if err := json.Unmarshal(raw, &w); err != nil {
			return nil, nil, fmt.Errorf("decode GET %s: %w", path, err)
		}
		s, err := w.toService(c.account, ids[0])
		return []renewd.Service{s}, nil, err
	}
	var items []batchItem
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, nil, fmt.Errorf("decode GET %s: %w", path, err)
	}
	wanted := make(map[int64]bool, len(ids))
	for _, id := range ids {
		wanted[id] = true
	}
	var services []renewd.Service
	for _, it := range items {
		id, err := strconv.ParseInt(it.Key, 10, 64)
		if err != nil || !wanted[id] {
			continue
		}
		if !isJSONNull(it.Error) || isJSONNull(it.Value) {
			continue // stays wanted: read one by one below
		}
		var w wireService
		if err := json.Unmarshal(it.Value, &w); err != nil {
			return nil, nil, fmt.Errorf("decode GET %s item %d: %w", path, id, err)
		}
		s, err := w.toService(c.account, id)
		if err != nil {
			return nil, nil, err
		}
		services = append(services, s)
		delete(wanted, id)
	}
	var left []int64
	for _, id := range ids {
		if wanted[id] {
			left = append(left, id)
		}
	}
	return services, left, nil
}

// plainServices reads each service with GET /service/{id}, concurrently.
func (c *Client) plainServices(ctx context.Context, ids []int64) ([]renewd.Service, error) {
	got := make([]*renewd.Service, len(ids))
	err := forEach(ctx, c.concurrency, len(ids), func(ctx context.Context, i int) error {
		s, err := c.readService(ctx, ids[i])
		if IsNotFound(err) {
			c.log.Warn("ovh service vanished during inventory", "account", c.account, "service_id", ids[i])
			return nil
		}
		if err != nil {
			return fmt.Errorf("get service %d: %w", ids[i], err)
		}
		got[i] = &s
		return nil
	})
	if err != nil {
		return nil, err
	}
	services := make([]renewd.Service, 0, len(ids))
	for _, s := range got {
		if s != nil {
			services = append(services, *s)
		}
	}
	return services, nil
}

func isJSONNumber(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) > 0 && (raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9')
}

func isJSONNull(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || string(raw) == "null" || string(raw) == `""`
}
