package daemon

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/config"
	"github.com/renewd/renewd/internal/state"
)

func TestStatusShowsEachAccountsServiceCache(t *testing.T) {
	e := newEnv(t)
	d, err := New(e.options(t))
	if err != nil {
		t.Fatal(err)
	}
	st, err := d.Status()
	if err != nil {
		t.Fatal(err)
	}
	if st.Inventory == nil || len(st.Inventory) != 0 {
		t.Errorf("no cache yet: inventory %#v, want an empty list", st.Inventory)
	}
	read := time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC)
	full := read.Add(time.Hour)
	svc := func(id int64, at time.Time) state.CachedService {
		return state.CachedService{Service: renewd.Service{Account: "main", ID: id, Expiration: renewd.MustDate("2026-12-05")}, ReadAt: at}
	}
	if err := e.ledger.UpdateServiceCache("main", state.CacheUpdate{Put: []state.CachedService{svc(1, read), svc(2, full)}, FullAt: full}); err != nil {
		t.Fatal(err)
	}
	if st, err = d.Status(); err != nil {
		t.Fatal(err)
	}
	want := []state.CacheSummary{{Account: "main", Services: 2, OldestRead: read, LastFull: full}}
	if diff := cmp.Diff(want, st.Inventory); diff != "" {
		t.Errorf("status inventory (-want +got):\n%s", diff)
	}
}

func TestReloadNamesInventoryChanges(t *testing.T) {
	old := config.Default()
	next := old
	next.Inventory.RefreshInterval = 14 * 24 * time.Hour
	next.Inventory.HorizonMargin = 5 * 24 * time.Hour
	got := strings.Join(diff(&old, &next), "; ")
	for _, want := range []string{"inventory.refresh_interval 168h0m0s -> 336h0m0s", "inventory.horizon_margin 72h0m0s -> 120h0m0s"} {
		if !strings.Contains(got, want) {
			t.Errorf("changes %q do not name %q", got, want)
		}
	}
}
