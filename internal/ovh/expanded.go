package ovh

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/renewd/renewd"
)

// maxExpandedPages bounds the expanded listing (500,000 services at 500 a
// page): a server that keeps sending new pages cannot keep us forever.
const maxExpandedPages = 1000

// expandedResult is what the expanded listing gave.
type expandedResult struct {
	// expanded: services is the whole inventory.
	expanded bool
	services []renewd.Service
	// When not expanded: the ids the answer gave, when they can be trusted
	// to be all of them (nil: list them with GET /service), and why the
	// listing was not usable, for the log.
	ids []int64
	why string
}

// expandedListing pages through GET /services in CachedObjectList-Pages
// mode (UNCONFIRMED on the public API, see ovh-api.md §3). It is
// usable only when every page is a list of objects that each carry a
// serviceId and the pages are known to be complete. It falls back (expanded
// false, no error) when:
//   - a page is refused with a 4xx (other than 408 and 429);
//   - the answer is a plain list of ids (the mode was ignored): those ids
//     are kept when they are surely all (X-Pagination-Elements equals their
//     count, or none is sent and they are fewer than a page);
//   - a page is not a JSON array, or holds an object with no readable
//     serviceId;
//   - the pages end, or repeat themselves, before X-Pagination-Elements
//     services were seen; or, with no total sent, a full page brings
//     nothing new;
//   - there are more than maxExpandedPages pages.
//
// A page shorter than asked is not the end while X-Pagination-Elements
// announces more (the server may cap the page size); without that header it
// is. Other errors (network, 5xx after retries, 408, 429) fail the call.
func (c *Client) expandedListing(ctx context.Context) (expandedResult, error) {
	seen := map[int64]bool{}
	var services []renewd.Service
	for page := 1; page <= maxExpandedPages; page++ {
		header := http.Header{
			"X-Pagination-Mode":   {"CachedObjectList-Pages"},
			"X-Pagination-Size":   {strconv.Itoa(expandedPageSize)},
			"X-Pagination-Number": {strconv.Itoa(page)},
		}
		h, body, err := c.getRaw(ctx, "GET /services", "/services", header)
		if err != nil {
			if refused(err) {
				return expandedResult{why: fmt.Sprintf("page %d refused: %v", page, err)}, nil
			}
			return expandedResult{}, fmt.Errorf("list services (expanded, page %d): %w", page, err)
		}
		var items []json.RawMessage
		if err := json.Unmarshal(body, &items); err != nil {
			return expandedResult{why: fmt.Sprintf("page %d: %s", page, describeJSONError(err))}, nil
		}
		total, hasTotal := paginationTotal(h)
		if page == 1 && len(items) > 0 && isJSONNumber(items[0]) {
			return idListing(items, total, hasTotal), nil
		}
		added := 0
		for i, raw := range items {
			s, ok := decodeExpandedService(raw, c.account)
			if !ok {
				return expandedResult{why: fmt.Sprintf("page %d, item %d: no serviceId renewd can read", page, i+1)}, nil
			}
			if seen[s.ID] {
				continue
			}
			seen[s.ID] = true
			services = append(services, s)
			added++
		}
		short := len(items) < expandedPageSize
		switch {
		case hasTotal && len(seen) == total:
			return expandedResult{expanded: true, services: services}, nil
		case hasTotal && len(seen) < total && added == 0:
			return expandedResult{why: fmt.Sprintf("page %d brought nothing new with %d of the %d announced services read",
				page, len(seen), total)}, nil
		case hasTotal && len(seen) < total:
			// More are announced: a short page is the server's page size.
		case short:
			// No total (or more than it said): a short page is the end.
			return expandedResult{expanded: true, services: services}, nil
		case added == 0:
			return expandedResult{why: fmt.Sprintf("page %d repeats the earlier pages and no total tells the end", page)}, nil
		}
	}
	return expandedResult{why: fmt.Sprintf("more than %d pages", maxExpandedPages)}, nil
}

// idListing reads page 1 of a listing that came back as plain ids: the
// expanded mode was ignored. The ids are kept only when they are surely all
// of them; a page of ids may be the first of several.
func idListing(items []json.RawMessage, total int, hasTotal bool) expandedResult {
	res := expandedResult{why: "the answer is a list of ids (the expanded mode was ignored)"}
	if hasTotal && total != len(items) || !hasTotal && len(items) >= expandedPageSize {
		return res
	}
	ids := make([]int64, 0, len(items))
	for _, raw := range items {
		var id int64
		if err := json.Unmarshal(raw, &id); err != nil || id <= 0 {
			return res
		}
		ids = append(ids, id)
	}
	res.ids = ids
	return res
}

// paginationTotal reads X-Pagination-Elements, the total number of
// elements a paginated listing announces.
func paginationTotal(h http.Header) (int, bool) {
	v := h.Get("X-Pagination-Elements")
	if v == "" {
		return 0, false
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}
