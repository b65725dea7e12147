package metrics

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/renewd/renewd/internal/inventory"
)

// The incremental inventory's metrics (internal/inventory).
const (
	NameInventoryServices   = "renewd_inventory_services"
	NameInventoryReads      = "renewd_inventory_reads_total"
	NameInventoryRequests   = "renewd_inventory_requests"
	NameInventoryOldestRead = "renewd_inventory_oldest_read_timestamp_seconds"
	NameInventoryLastFull   = "renewd_inventory_last_full_read_timestamp_seconds"
)

// inventoryMetrics are the inventory's collectors. requests keeps the
// routes each account's last inventory used, to drop the others.
type inventoryMetrics struct {
	services   *prometheus.GaugeVec
	reads      *prometheus.CounterVec
	requests   *prometheus.GaugeVec
	oldestRead *prometheus.GaugeVec
	lastFull   *prometheus.GaugeVec

	mu     sync.Mutex
	routes map[string]map[string]bool // account -> routes exposed
}

func newInventoryMetrics() *inventoryMetrics {
	return &inventoryMetrics{
		services: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: NameInventoryServices,
			Help: "Services of the account's last inventory, by source: read from OVH in that cycle (read) or decided from the ledger's service cache (cache).",
		}, []string{"account", "source"}),
		reads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: NameInventoryReads,
			Help: "Services read from OVH by the inventory, by why: full (empty cache, --full, expanded listing), new, problem (last answer unreadable), open (a term in flight), horizon (expiration within its horizon or unknown), refresh (its refresh slot came).",
		}, []string{"account", "reason"}),
		requests: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: NameInventoryRequests,
			Help: "HTTP attempts the account's last inventory made, by route pattern: the inventory's share of renewd_ovh_requests_total, per cycle.",
		}, []string{"account", "route"}),
		oldestRead: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: NameInventoryOldestRead,
			Help: "When the oldest read the account's last inventory decided from was made, as a Unix timestamp: the age of the service cache.",
		}, []string{"account"}),
		lastFull: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: NameInventoryLastFull,
			Help: "When a read of every service of the account last completed, as a Unix timestamp. Absent until one does.",
		}, []string{"account"}),
		routes: map[string]map[string]bool{},
	}
}

func (im *inventoryMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{im.services, im.reads, im.requests, im.oldestRead, im.lastFull}
}

// InventoryDone records one account's inventory. Its signature matches
// inventory.Options.OnDone.
func (m *Metrics) InventoryDone(s inventory.Stats) {
	im := m.inventory
	im.services.WithLabelValues(s.Account, "read").Set(float64(s.Read))
	im.services.WithLabelValues(s.Account, "cache").Set(float64(s.Cached))
	for _, r := range inventory.Reasons[1:] {
		if n := s.ByReason[r]; n > 0 {
			im.reads.WithLabelValues(s.Account, r.String()).Add(float64(n))
		}
	}
	im.mu.Lock()
	for route := range im.routes[s.Account] {
		if _, ok := s.Requests[route]; !ok {
			im.requests.DeleteLabelValues(s.Account, route)
		}
	}
	im.routes[s.Account] = map[string]bool{}
	for route, n := range s.Requests {
		im.requests.WithLabelValues(s.Account, route).Set(float64(n))
		im.routes[s.Account][route] = true
	}
	im.mu.Unlock()
	if !s.OldestRead.IsZero() {
		im.oldestRead.WithLabelValues(s.Account).Set(float64(s.OldestRead.Unix()))
	}
	if !s.LastFull.IsZero() {
		im.lastFull.WithLabelValues(s.Account).Set(float64(s.LastFull.Unix()))
	}
}
