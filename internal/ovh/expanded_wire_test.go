package ovh

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// pagedServer serves n expanded services in pages of pageSize whatever size
// is asked for (a server may cap it), page k as X-Pagination-Number k.
// total, when not "", is sent as X-Pagination-Elements.
func pagedServer(ws *wireServer, n, pageSize int, total string) {
	ws.on("GET /services", func(r wireRequest) wireReply {
		if r.Header.Get("X-Pagination-Mode") != "CachedObjectList-Pages" {
			return wireReply{Body: "[]"}
		}
		page, _ := strconv.Atoi(r.Header.Get("X-Pagination-Number"))
		var items []string
		for i := (page - 1) * pageSize; i < min(page*pageSize, n) && i >= 0; i++ {
			id := int64(1001 + i)
			items = append(items, expandedJSON(id, "vps-"+strconv.Itoa(i), `"2026-12-05T00:00:00+01:00"`))
		}
		h := map[string]string{}
		if total != "" {
			h["X-Pagination-Elements"] = total
		}
		return wireReply{Body: "[" + strings.Join(items, ",") + "]", Header: h}
	})
}

// serveFallback serves the same n services through GET /service and a batch.
func serveFallback(ws *wireServer, n int) {
	var ids []int64
	var items []string
	for i := range n {
		id := int64(1001 + i)
		ids = append(ids, id)
		items = append(items, batchItemJSON(strconv.FormatInt(id, 10), serviceJSON("vps-"+strconv.Itoa(i), `"2026-12-05"`)))
	}
	ws.reply("GET /service", fmtIDs(ids...))
	var parts []string
	for _, id := range ids {
		parts = append(parts, strconv.FormatInt(id, 10))
	}
	ws.reply("GET /service/"+strings.Join(parts, ","), batchJSON(items...))
}

func ids(c wireClient, t *testing.T, want int) []int64 {
	t.Helper()
	got, err := c.Services(context.Background())
	if err != nil {
		t.Fatalf("Services: %v", err)
	}
	var out []int64
	for _, s := range got {
		if s.Problem != "" || s.Expiration.IsZero() {
			t.Errorf("service %+v", s)
		}
		out = append(out, s.ID)
	}
	if len(out) != want {
		t.Fatalf("got %d services %v, want %d", len(out), out, want)
	}
	return out
}

func TestShortPageIsNotTheEndWhileMoreAreAnnounced(t *testing.T) {
	ws := newWireServer(t)
	c := newWireClient(t, ws)
	pagedServer(ws, 5, 2, "5") // the server gives 2 a page, not the 500 asked for
	got := ids(c, t, 5)
	if !slices.Equal(got, []int64{1001, 1002, 1003, 1004, 1005}) {
		t.Errorf("ids = %v", got)
	}
	if n := len(ws.requests("GET /services")); n != 3 {
		t.Errorf("%d pages read, want 3", n)
	}
	if c.form != formExpanded {
		t.Errorf("remembered form %v, want expanded", c.form)
	}
}

func TestShortPageIsTheEndWithoutATotal(t *testing.T) {
	ws := newWireServer(t)
	c := newWireClient(t, ws)
	pagedServer(ws, 3, 3, "")
	ids(c, t, 3)
	if n := len(ws.requests("GET /services")); n != 1 {
		t.Errorf("%d pages read, want 1", n)
	}
}

func TestExpandedListingThatDoesNotAddUpFallsBack(t *testing.T) {
	tests := []struct {
		name      string
		serve     func(ws *wireServer)
		wantPages int
	}{
		{"pages end before the announced total", func(ws *wireServer) { pagedServer(ws, 3, 2, "5") }, 3},
		{"the same page over and over, with a total", func(ws *wireServer) {
			ws.on("GET /services", func(wireRequest) wireReply {
				return wireReply{Body: "[" + expandedJSON(1001, "vps-0", `"2026-12-05"`) + "]",
					Header: map[string]string{"X-Pagination-Elements": "5"}}
			})
		}, 2},
		{"a full page over and over, no total", func(ws *wireServer) {
			items := make([]string, expandedPageSize)
			for i := range items {
				items[i] = expandedJSON(int64(5001+i), "vps-x"+strconv.Itoa(i), `"2026-12-05"`)
			}
			body := "[" + strings.Join(items, ",") + "]"
			ws.on("GET /services", func(wireRequest) wireReply { return wireReply{Body: body} })
		}, 2},
		{"an object without serviceId", func(ws *wireServer) {
			ws.reply("GET /services", `[{"resource":{"name":"vps-0"},"billing":{"expirationDate":"2026-12-05"}}]`)
		}, 1},
		{"a serviceId of the wrong type", func(ws *wireServer) {
			ws.reply("GET /services", `[{"serviceId":"1001","resource":{"name":"vps-0"}}]`)
		}, 1},
		{"not a list", func(ws *wireServer) { ws.reply("GET /services", `{"items":[]}`) }, 1},
		{"a page of ids as long as a page, no total", func(ws *wireServer) {
			var first []int64
			for i := range expandedPageSize {
				first = append(first, int64(9001+i))
			}
			ws.reply("GET /services", fmtIDs(first...))
		}, 1},
		{"ids fewer than the announced total", func(ws *wireServer) {
			ws.on("GET /services", func(wireRequest) wireReply {
				return wireReply{Body: "[1001,1002]", Header: map[string]string{"X-Pagination-Elements": "4"}}
			})
		}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws := newWireServer(t)
			c := newWireClient(t, ws)
			tt.serve(ws)
			serveFallback(ws, 4)
			got := ids(c, t, 4)
			if !slices.Equal(got, []int64{1001, 1002, 1003, 1004}) {
				t.Errorf("ids = %v, want the 4 that GET /service lists", got)
			}
			if n := len(ws.requests("GET /services")); n != tt.wantPages {
				t.Errorf("%d expanded pages read, want %d", n, tt.wantPages)
			}
			if n := len(ws.requests("GET /service")); n != 1 {
				t.Errorf("GET /service read %d times, want 1", n)
			}
			if c.form != formBatch {
				t.Errorf("remembered form %v, want batch", c.form)
			}
		})
	}
}

func TestExpandedListingRefusedFallsBackWithinTheCall(t *testing.T) {
	for _, code := range []int{400, 401, 403, 404, 405, 409, 460} {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			ws := newWireServer(t)
			c := newWireClient(t, ws)
			ws.status("GET /services", code)
			serveFallback(ws, 2)
			ids(c, t, 2)
			if c.form != formBatch {
				t.Errorf("remembered form %v, want batch", c.form)
			}
			// Remembered: the next inventory, within RedetectEvery, does
			// not ask for the expanded listing again.
			ids(c, t, 2)
			if n := len(ws.requests("GET /services")); n != 1 {
				t.Errorf("GET /services asked %d times over two inventories, want 1", n)
			}
		})
	}
}

func TestExpandedListingTooManyRequestsIsNotARefusal(t *testing.T) {
	for _, code := range []int{429, 408, 500, 503} {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			ws := newWireServer(t)
			c := newWireClient(t, ws)
			ws.status("GET /services", code)
			serveFallback(ws, 2)
			if _, err := c.Services(context.Background()); err == nil || !isStatus(err, code) {
				t.Fatalf("err = %v, want the %d after retries", err, code)
			}
			if n := len(ws.requests("GET /service")); n != 0 {
				t.Errorf("fell back on a %d: GET /service read %d times", code, n)
			}
		})
	}
}

func TestExpandedModeIgnoredUsesTheIdsWhenThatIsAllOfThem(t *testing.T) {
	tests := []struct {
		name        string
		total       string
		wantListing int // GET /service requests
	}{
		{"no total, fewer than a page", "", 0},
		{"a total equal to the ids", "2", 0},
		{"a total above the ids", "3", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws := newWireServer(t)
			c := newWireClient(t, ws)
			ws.on("GET /services", func(wireRequest) wireReply {
				h := map[string]string{}
				if tt.total != "" {
					h["X-Pagination-Elements"] = tt.total
				}
				return wireReply{Body: "[1001,1002]", Header: h}
			})
			serveFallback(ws, 2)
			ids(c, t, 2)
			if n := len(ws.requests("GET /service")); n != tt.wantListing {
				t.Errorf("GET /service read %d times, want %d", n, tt.wantListing)
			}
		})
	}
}
