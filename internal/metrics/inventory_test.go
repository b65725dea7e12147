package metrics

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/renewd/renewd/internal/inventory"
)

func TestInventoryMetrics(t *testing.T) {
	m := New("test")
	at := time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC)
	m.InventoryDone(inventory.Stats{Account: "main", Read: 10, Full: true, LastFull: at, OldestRead: at,
		ByReason: map[inventory.Reason]int{inventory.ReadFull: 10},
		Requests: map[string]int{"GET /service": 1, "GET /service/{id}": 10, "GET /services": 1}})
	m.InventoryDone(inventory.Stats{Account: "main", Read: 3, Cached: 7, LastFull: at, OldestRead: at,
		ByReason: map[inventory.Reason]int{inventory.FromCache: 7, inventory.ReadHorizon: 2, inventory.ReadRefresh: 1},
		Requests: map[string]int{"GET /service": 1, "GET /service/{id}": 3}})
	want := `
# HELP renewd_inventory_services Services of the account's last inventory, by source: read from OVH in that cycle (read) or decided from the ledger's service cache (cache).
# TYPE renewd_inventory_services gauge
renewd_inventory_services{account="main",source="cache"} 7
renewd_inventory_services{account="main",source="read"} 3
# HELP renewd_inventory_reads_total Services read from OVH by the inventory, by why: full (empty cache, --full, expanded listing), new, problem (last answer unreadable), open (a term in flight), horizon (expiration within its horizon or unknown), refresh (its refresh slot came).
# TYPE renewd_inventory_reads_total counter
renewd_inventory_reads_total{account="main",reason="full"} 10
renewd_inventory_reads_total{account="main",reason="horizon"} 2
renewd_inventory_reads_total{account="main",reason="refresh"} 1
# HELP renewd_inventory_requests HTTP attempts the account's last inventory made, by route pattern: the inventory's share of renewd_ovh_requests_total, per cycle.
# TYPE renewd_inventory_requests gauge
renewd_inventory_requests{account="main",route="GET /service"} 1
renewd_inventory_requests{account="main",route="GET /service/{id}"} 3
# HELP renewd_inventory_oldest_read_timestamp_seconds When the oldest read the account's last inventory decided from was made, as a Unix timestamp: the age of the service cache.
# TYPE renewd_inventory_oldest_read_timestamp_seconds gauge
renewd_inventory_oldest_read_timestamp_seconds{account="main"} 1.7750304e+09
# HELP renewd_inventory_last_full_read_timestamp_seconds When a read of every service of the account last completed, as a Unix timestamp. Absent until one does.
# TYPE renewd_inventory_last_full_read_timestamp_seconds gauge
renewd_inventory_last_full_read_timestamp_seconds{account="main"} 1.7750304e+09
`
	if err := testutil.GatherAndCompare(m.Gatherer(), strings.NewReader(want), NameInventoryServices, NameInventoryReads,
		NameInventoryRequests, NameInventoryOldestRead, NameInventoryLastFull); err != nil {
		t.Error(err)
	}
}
