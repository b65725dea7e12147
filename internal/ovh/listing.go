package ovh

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/renewd/renewd"
)

// Listing is what ListServices found of an account.
type Listing struct {
	// IDs are every service id of the account, ascending, each once.
	IDs []int64
	// Expanded is true when the expanded listing of /services worked:
	// Services then holds every service, read in full by that listing,
	// sorted by ID, each with Account set. Otherwise Services is nil and
	// the services are still to be read (ReadServices).
	Expanded bool
	Services []renewd.Service
}

// ListServices lists the account's services in the fewest requests it
// can: the expanded listing of GET /services (X-Pagination-Mode
// CachedObjectList-Pages, about N/500 requests, every service read in
// full) where the API honours it, else the ids alone: those the ignored
// expanded listing gave when they are surely all of them, or GET /service
// (one request). Which form to start from is remembered as Services does
// (the expanded listing is tried again every RedetectEvery); when it is
// found unusable, batched reads are the next form ReadServices tries. It
// fails when no list of ids can be had. Services with a Problem in an
// expanded listing are counted and logged as Services does.
func (c *Client) ListServices(ctx context.Context) (Listing, error) {
	var ids []int64
	if c.startForm() == formExpanded {
		res, err := c.expandedListing(ctx)
		if err != nil {
			return Listing{}, err
		}
		if res.expanded {
			c.detected(formExpanded)
			services := sortServices(res.services)
			c.noteProblems(services)
			ids := make([]int64, len(services))
			for i, s := range services {
				ids[i] = s.ID
			}
			return Listing{IDs: ids, Expanded: true, Services: services}, nil
		}
		c.log.Info("ovh expanded listing not usable; falling back to batch", "account", c.account, "why", res.why)
		c.detected(formBatch)
		ids = res.ids
	}
	if ids == nil {
		var err error
		if ids, err = c.serviceIDs(ctx); err != nil {
			return Listing{}, err
		}
	}
	ids = slices.Clone(ids)
	slices.Sort(ids)
	return Listing{IDs: slices.Compact(ids)}, nil
}

// ReadServices reads the given services in full, in the cheapest form the
// API accepts: batched reads of 50 ids (X-Ovh-Batch), falling back to one
// GET /service/{id} each where batches are refused (remembered until the
// next detection, see ListServices). Reads run concurrently, at most
// Concurrency at a time, under the account's rate limit, and honour ctx.
//
// It returns the services read, sorted by ID, each with Account set. An id
// that OVH no longer knows (404) is left out and logged: the caller tells
// it from the ids it asked for. A service whose answer cannot be read is
// returned with Problem set (see Services). It fails on the first read
// that fails after its retries; what was read before is lost to the
// caller, except through onRead.
//
// onRead, when not nil, is called once for each service read, as soon as
// it is read, in no particular order and never concurrently (for progress
// and for keeping what was read before a failure). The readers wait while
// it runs: it should be short (a ledger write now and then is).
func (c *Client) ReadServices(ctx context.Context, ids []int64, onRead func(renewd.Service)) ([]renewd.Service, error) {
	note := serialized(onRead)
	var services []renewd.Service
	read := false
	if c.currentForm() <= formBatch {
		got, batched, err := c.batchServices(ctx, ids, note)
		if err != nil {
			return nil, fmt.Errorf("read %d services: %w", len(ids), err)
		}
		if batched {
			services, read = got, true
		} else {
			c.log.Info("ovh batch reads not usable; falling back to one read per service", "account", c.account)
			c.batchRefused()
		}
	}
	if !read {
		var err error
		if services, err = c.plainServices(ctx, ids, note); err != nil {
			return nil, fmt.Errorf("read %d services: %w", len(ids), err)
		}
	}
	services = sortServices(services)
	c.noteProblems(services)
	return services, nil
}

// serialized wraps onRead so that concurrent readers call it one at a
// time; nil gives a function that does nothing.
func serialized(onRead func(renewd.Service)) func(renewd.Service) {
	if onRead == nil {
		return func(renewd.Service) {}
	}
	var mu sync.Mutex
	return func(s renewd.Service) {
		mu.Lock()
		defer mu.Unlock()
		onRead(s)
	}
}

// plainServices reads each service with GET /service/{id}, concurrently,
// and hands each one read to note.
func (c *Client) plainServices(ctx context.Context, ids []int64, note func(renewd.Service)) ([]renewd.Service, error) {
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
		note(s)
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
