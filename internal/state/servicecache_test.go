package state

import (
	"encoding/binary"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"

	"github.com/renewd/renewd"
)

func cached(account string, id int64, exp string, at time.Time) CachedService {
	s := renewd.Service{Account: account, ID: id, Name: "vps-x.vps.ovh.net", Type: "vps",
		RenewMode: renewd.RenewManual, RawRenewMode: "manual", State: "ok"}
	if exp != "" {
		s.Expiration = renewd.MustDate(exp)
	}
	return CachedService{Service: s, ReadAt: at}
}

func TestServiceCacheKeepsTheWholeRead(t *testing.T) {
	l := openTemp(t, nil)
	auto := cached("main", 7, "2026-12-05", t0.Add(time.Hour))
	auto.Service.RenewMode, auto.Service.RawRenewMode = renewd.RenewAutomatic, "automaticV2024"
	bad := cached("main", 9, "", t0)
	bad.Service.RenewMode, bad.Service.RawRenewMode = renewd.RenewUnknown, ""
	bad.Service.Problem = `expirationDate "soon" is not a date`
	parent := cached("main", 3, "2027-01-31", t0)
	parent.Service.RenewMode, parent.Service.RawRenewMode = renewd.RenewWithParent, "option"
	other := cached("other", 7, "2026-06-01", t0)
	full := t0.Add(2 * time.Hour)
	if err := l.UpdateServiceCache("main", CacheUpdate{Put: []CachedService{auto, bad, parent}, FullAt: full}); err != nil {
		t.Fatal(err)
	}
	inv := full.Add(6 * time.Hour)
	if err := l.UpdateServiceCache("main", CacheUpdate{InventoryAt: inv}); err != nil { // keeps the last full read
		t.Fatal(err)
	}
	if err := l.UpdateServiceCache("other", CacheUpdate{Put: []CachedService{other}}); err != nil {
		t.Fatal(err)
	}
	got, err := l.ServiceCache("main")
	if err != nil {
		t.Fatal(err)
	}
	want := ServiceCache{Account: "main", Services: []CachedService{parent, auto, bad}, LastFull: full, LastInventory: inv}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("cache (-want +got):\n%s", diff)
	}

	if err := l.UpdateServiceCache("main", CacheUpdate{Delete: []int64{7, 404}}); err != nil {
		t.Fatal(err)
	}
	got, _ = l.ServiceCache("main")
	if len(got.Services) != 2 || got.Services[0].Service.ID != 3 || got.Services[1].Service.ID != 9 {
		t.Errorf("after deleting 7: %+v", got.Services)
	}
	if o, _ := l.ServiceCache("other"); len(o.Services) != 1 {
		t.Errorf("deleting main's 7 touched other's: %+v", o.Services)
	}

	sum, err := l.ServiceCacheSummary()
	if err != nil {
		t.Fatal(err)
	}
	wantSum := []CacheSummary{
		{Account: "main", Services: 2, OldestRead: t0, LastFull: full},
		{Account: "other", Services: 1, OldestRead: t0},
	}
	if diff := cmp.Diff(wantSum, sum); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}

	n, err := l.ForgetServiceCache([]string{"main"})
	if err != nil || n != 1 {
		t.Errorf("ForgetServiceCache = %d, %v; want 1 key of other", n, err)
	}
	if o, _ := l.ServiceCache("other"); len(o.Services) != 0 {
		t.Errorf("other's cache still holds %+v", o.Services)
	}
	if m, _ := l.ServiceCache("main"); len(m.Services) != 2 || !m.LastFull.Equal(full) {
		t.Errorf("main's cache lost entries: %+v", m)
	}
}

func TestServiceCacheRefusesABadUpdateWhole(t *testing.T) {
	l := openTemp(t, nil)
	for name, u := range map[string]CacheUpdate{
		"another account": {Put: []CachedService{cached("main", 1, "2026-12-05", t0), cached("other", 2, "2026-12-05", t0)}},
		"no id":           {Put: []CachedService{cached("main", 1, "2026-12-05", t0), cached("main", 0, "2026-12-05", t0)}},
		"no read time":    {Put: []CachedService{cached("main", 1, "2026-12-05", t0), cached("main", 2, "2026-12-05", time.Time{})}},
	} {
		if err := l.UpdateServiceCache("main", u); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if got, _ := l.ServiceCache("main"); len(got.Services) != 0 {
		t.Errorf("a refused update wrote %+v", got.Services)
	}
	if err := l.UpdateServiceCache("a/b", CacheUpdate{}); err == nil {
		t.Error("an account holding '/' accepted")
	}
}

// The layout VERSION.md documents, read with bbolt directly.
func TestServiceCacheLayout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "renewd.db")
	l := openAt(t, path, nil)
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	if err := l.UpdateServiceCache("main", CacheUpdate{Put: []CachedService{cached("main", 1001, "2026-12-05", at)}, FullAt: at, InventoryAt: at}); err != nil {
		t.Fatal(err)
	}
	l.Close()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got := map[string]string{}
	err = db.View(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("services")).ForEach(func(k, v []byte) error {
			got[string(k)] = string(v)
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	key := string(binary.BigEndian.AppendUint64([]byte("main\x00s"), 1001))
	want := map[string]string{
		"main\x00a": `{"f":1772355600,"i":1772355600}`,
		key:         `{"n":"vps-x.vps.ovh.net","ty":"vps","x":"2026-12-05","m":"manual","rm":"manual","st":"ok","r":1772355600}`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("bucket services (-want +got):\n%s", diff)
	}
}

// A file without the bucket (written before it existed) reads as an empty
// cache read-only, and gets the bucket on its next read-write Open; an
// entry that cannot be decoded is left out, so the service is read again.
func TestServiceCacheMissingBucketAndBadEntry(t *testing.T) {
	path := filepath.Join(t.TempDir(), "renewd.db")
	l := openAt(t, path, nil)
	if err := l.UpdateServiceCache("main", CacheUpdate{Put: []CachedService{cached("main", 1, "2026-12-05", t0), cached("main", 2, "2026-12-05", t0)}}); err != nil {
		t.Fatal(err)
	}
	l.Close()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error { return tx.DeleteBucket([]byte("services")) }); err != nil {
		t.Fatal(err)
	}
	db.Close()

	ro, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if c, err := ro.ServiceCache("main"); err != nil || len(c.Services) != 0 || !c.LastFull.IsZero() {
		t.Errorf("read-only, no bucket: %+v, %v; want an empty cache", c, err)
	}
	if s, err := ro.ServiceCacheSummary(); err != nil || len(s) != 0 {
		t.Errorf("read-only summary, no bucket: %+v, %v", s, err)
	}
	ro.Close()

	l = openAt(t, path, nil)
	if err := l.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketServices) == nil {
			t.Error("a read-write Open did not create the services bucket")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := l.UpdateServiceCache("main", CacheUpdate{Put: []CachedService{cached("main", 1, "2026-12-05", t0), cached("main", 2, "2026-12-05", t0)}}); err != nil {
		t.Fatal(err)
	}
	err = l.db.Update(func(tx *bolt.Tx) error {
		k := binary.BigEndian.AppendUint64([]byte("main\x00s"), 2)
		return tx.Bucket(bucketServices).Put(k, []byte(`{"m":"sometimes","r":1}`))
	})
	if err != nil {
		t.Fatal(err)
	}
	c, err := l.ServiceCache("main")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Services) != 1 || c.Services[0].Service.ID != 1 {
		t.Errorf("cache %+v, want service 1 alone (2's entry cannot be read)", c.Services)
	}
}
