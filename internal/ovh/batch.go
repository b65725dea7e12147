package ovh

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/renewd/renewd"
)

// batchServices reads services 50 at a time with X-Ovh-Batch (undocumented
// and unsupported by OVH, see ovh-api.md §5). When the first batch is
// refused (a 4xx other than 408 and 429) or answered in a form that is not a
// batch answer, the API is taken not to batch: it returns batched false and
// reads nothing more, and the caller reads one service per request. Ids that
// a later batch could not give (an item in error, an item missing, a batch
// refused or not understood) are read one by one. Each service read is
// handed to note.
func (c *Client) batchServices(ctx context.Context, ids []int64, note func(renewd.Service)) ([]renewd.Service, bool, error) {
	chunks := slices.Collect(slices.Chunk(ids, batchSize))
	if len(chunks) == 0 {
		return nil, true, nil
	}
	results := make([][]renewd.Service, len(chunks))
	leftovers := make([][]int64, len(chunks))
	got, left, ok, err := c.readBatch(ctx, chunks[0])
	switch {
	case refused(err):
		return nil, false, nil
	case err != nil:
		return nil, true, err
	case !ok:
		return nil, false, nil
	}
	results[0], leftovers[0] = got, left
	for _, s := range got {
		note(s)
	}
	err = forEach(ctx, c.concurrency, len(chunks)-1, func(ctx context.Context, i int) error {
		chunk := chunks[i+1]
		got, left, ok, err := c.readBatch(ctx, chunk)
		switch {
		case refused(err):
			c.log.Warn("ovh batch read refused; reading its services one by one", "account", c.account, "error", err)
			leftovers[i+1] = chunk
			return nil
		case err != nil:
			return err
		case !ok:
			c.log.Warn("ovh batch answer not understood; reading its services one by one", "account", c.account)
			leftovers[i+1] = chunk
			return nil
		}
		results[i+1], leftovers[i+1] = got, left
		for _, s := range got {
			note(s)
		}
		return nil
	})
	if err != nil {
		return nil, true, err
	}
	services := slices.Concat(results...)
	if left := slices.Concat(leftovers...); len(left) > 0 {
		more, err := c.plainServices(ctx, left, note)
		if err != nil {
			return nil, true, err
		}
		services = append(services, more...)
	}
	return services, true, nil
}

// readBatch reads up to batchSize services in one request. It returns the
// services read, the ids to read again one by one, and false when the
// answer is not a batch answer at all.
func (c *Client) readBatch(ctx context.Context, ids []int64) ([]renewd.Service, []int64, bool, error) {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	path := "/service/" + strings.Join(parts, ",")
	_, body, err := c.getRaw(ctx, "GET /service/{ids}", path, http.Header{"X-Ovh-Batch": {","}})
	if err != nil {
		return nil, nil, false, fmt.Errorf("batch read of %d services: %w", len(ids), err)
	}
	got, left, ok := decodeBatch(body, c.account, ids)
	return got, left, ok, nil
}

// batchItem is one element of a batched answer. Its shape is not
// documented: key is the id as a number or a string, and an error that is
// anything but absent, null or "" counts as an error.
type batchItem struct {
	Key   json.RawMessage `json:"key"`
	Value json.RawMessage `json:"value"`
	Error json.RawMessage `json:"error"`
}

// decodeBatch reads a batched answer for ids. Each item whose key is one of
// ids and that carries a value and no error gives that service (with
// Problem set when its value cannot be read, see decodeService); every
// other id is returned to be read one by one. A single id may come back
// unbatched, as the bare object. It reports false when the answer is not
// a JSON array (nor that bare object): the server did not batch.
func decodeBatch(body []byte, account string, ids []int64) ([]renewd.Service, []int64, bool) {
	body = bytes.TrimSpace(body)
	if len(ids) == 1 && len(body) > 0 && body[0] == '{' {
		return []renewd.Service{decodeService(body, account, ids[0])}, nil, true
	}
	var items []json.RawMessage
	if err := json.Unmarshal(body, &items); err != nil {
		return nil, nil, false
	}
	wanted := make(map[int64]bool, len(ids))
	for _, id := range ids {
		wanted[id] = true
	}
	var services []renewd.Service
	for _, raw := range items {
		var it batchItem
		if decodeObject(raw, &it) != "" {
			continue // the ids it may hold stay wanted
		}
		id, ok := batchKey(it.Key)
		if !ok || !wanted[id] {
			continue
		}
		if !isJSONNull(it.Error) && string(bytes.TrimSpace(it.Error)) != `""` || isJSONNull(it.Value) {
			continue // read one by one below
		}
		services = append(services, decodeService(it.Value, account, id))
		delete(wanted, id)
	}
	var left []int64
	for _, id := range ids {
		if wanted[id] {
			left = append(left, id)
		}
	}
	return services, left, true
}

// batchKey reads an item's key: the service id as a JSON number or a
// string holding one.
func batchKey(raw json.RawMessage) (int64, bool) {
	var n int64
	if err := json.Unmarshal(raw, &n); err == nil {
		return n, n > 0
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n > 0
}
