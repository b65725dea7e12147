package state

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/renewd/renewd"
	bolt "go.etcd.io/bbolt"
)

// The service cache: for each service of each account, what the last full
// read of it from OVH said and when, so that the incremental inventory
// (internal/inventory) reads again only what can matter now. It is a cache,
// not a record: nothing here moves money, an entry that cannot be decoded
// is left out (the service is then read again), and a missing bucket (an
// older file opened read-only) reads as empty. Bounded by the number of
// services: the inventory deletes the entries of ids OVH no longer lists.
//
// Layout (VERSION.md, schema 3, the service cache), in bucket `services`:
//
//	account 0x00 'a'                       {"f": last full read, "i": last inventory; unix seconds}
//	account 0x00 's' id (8 bytes, BE)      storedCached
var bucketServices = []byte("services")

const (
	cacheKindAccount = 'a'
	cacheKindService = 's'
)

// CachedService is what the last read of a service said, and when.
type CachedService struct {
	// Service is the read, whole: Problem included. Its Account is the
	// cache's.
	Service renewd.Service
	// ReadAt is when it was read, on the reader's clock, in UTC, to the
	// second.
	ReadAt time.Time
}

// ServiceCache is one account's cache.
type ServiceCache struct {
	Account string
	// Services are the entries, by ascending id; entries that cannot be
	// decoded are left out (and logged).
	Services []CachedService
	// LastFull is when a read of every service of the account last
	// completed; zero when none did.
	LastFull time.Time
	// LastInventory is when the account's last inventory that updated the
	// cache started; zero when none is recorded.
	LastInventory time.Time
}

// CacheUpdate is one change to an account's cache.
type CacheUpdate struct {
	// Put adds or replaces entries.
	Put []CachedService
	// Delete removes entries (ids OVH no longer lists); absent ids are
	// ignored.
	Delete []int64
	// FullAt, when not zero, records that every service of the account
	// was read, by then.
	FullAt time.Time
	// InventoryAt, when not zero, records when the inventory that makes
	// this update started.
	InventoryAt time.Time
}

// storedCached is a cached service as the bucket stores it; the account
// and the id are the key.
type storedCached struct {
	Name       string      `json:"n,omitempty"`
	Type       string      `json:"ty,omitempty"`
	Expiration renewd.Date `json:"x,omitzero"`
	Mode       string      `json:"m,omitempty"` // renewd.RenewMode.String()
	RawMode    string      `json:"rm,omitempty"`
	State      string      `json:"st,omitempty"`
	Problem    string      `json:"p,omitempty"`
	ReadAt     int64       `json:"r"` // unix seconds
}

type storedCacheAccount struct {
	LastFull      int64 `json:"f,omitempty"` // unix seconds
	LastInventory int64 `json:"i,omitempty"` // unix seconds
}

var renewModes = map[string]renewd.RenewMode{}

func init() {
	for _, m := range []renewd.RenewMode{renewd.RenewUnknown, renewd.RenewManual, renewd.RenewAutomatic, renewd.RenewWithParent} {
		renewModes[m.String()] = m
	}
}

// cachePrefix is the start of every key of the account.
func cachePrefix(account string) ([]byte, error) {
	if account == "" || strings.ContainsAny(account, "/\x00") {
		return nil, fmt.Errorf("service cache: account %q is empty or holds '/'", account)
	}
	return append([]byte(account), 0), nil
}

func cacheServiceKey(prefix []byte, id int64) []byte {
	k := append(slices.Clone(prefix), cacheKindService)
	return binary.BigEndian.AppendUint64(k, uint64(id))
}

// ServiceCache returns the account's cache; an empty one when it has none.
// It is safe to call on a read-only ledger.
func (l *Ledger) ServiceCache(account string) (ServiceCache, error) {
	prefix, err := cachePrefix(account)
	if err != nil {
		return ServiceCache{}, err
	}
	out := ServiceCache{Account: account}
	err = l.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketServices)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			rest := k[len(prefix):]
			switch {
			case len(rest) == 1 && rest[0] == cacheKindAccount:
				var a storedCacheAccount
				if err := json.Unmarshal(v, &a); err != nil {
					l.logger.Warn("service cache: account entry cannot be read; taken as never fully read", "account", account, "err", err)
					continue
				}
				if a.LastFull != 0 {
					out.LastFull = time.Unix(a.LastFull, 0).UTC()
				}
				if a.LastInventory != 0 {
					out.LastInventory = time.Unix(a.LastInventory, 0).UTC()
				}
			case len(rest) == 9 && rest[0] == cacheKindService:
				id := int64(binary.BigEndian.Uint64(rest[1:]))
				cs, err := decodeCached(account, id, v)
				if err != nil {
					l.logger.Warn("service cache: entry cannot be read; the service is read again", "account", account, "service_id", id, "err", err)
					continue
				}
				out.Services = append(out.Services, cs)
			}
		}
		return nil
	})
	if err != nil {
		return ServiceCache{}, fmt.Errorf("read the service cache of %s: %w", account, err)
	}
	return out, nil
}

func decodeCached(account string, id int64, v []byte) (CachedService, error) {
	var s storedCached
	if err := json.Unmarshal(v, &s); err != nil {
		return CachedService{}, err
	}
	mode, ok := renewModes[s.Mode]
	if !ok && s.Mode != "" {
		return CachedService{}, fmt.Errorf("renewal mode %q is not one renewd writes", s.Mode)
	}
	if s.ReadAt <= 0 {
		return CachedService{}, fmt.Errorf("no read time")
	}
	return CachedService{
		Service: renewd.Service{Account: account, ID: id, Name: s.Name, Type: s.Type, Expiration: s.Expiration,
			RenewMode: mode, RawRenewMode: s.RawMode, State: s.State, Problem: s.Problem},
		ReadAt: time.Unix(s.ReadAt, 0).UTC(),
	}, nil
}

// UpdateServiceCache applies u to the account's cache in one transaction.
// An entry to put must be of the account, with a positive id and a read
// time; the whole update fails otherwise, and nothing is written.
func (l *Ledger) UpdateServiceCache(account string, u CacheUpdate) error {
	prefix, err := cachePrefix(account)
	if err != nil {
		return err
	}
	err = l.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketServices)
		if err != nil {
			return err
		}
		b = packed(b)
		for _, cs := range u.Put {
			s := cs.Service
			switch {
			case s.Account != account:
				return fmt.Errorf("service %d is of account %q", s.ID, s.Account)
			case s.ID <= 0:
				return fmt.Errorf("service id %d is not positive", s.ID)
			case cs.ReadAt.Unix() <= 0:
				return fmt.Errorf("service %d: no read time", s.ID)
			}
			v, err := json.Marshal(storedCached{Name: s.Name, Type: s.Type, Expiration: s.Expiration,
				Mode: s.RenewMode.String(), RawMode: s.RawRenewMode, State: s.State, Problem: s.Problem,
				ReadAt: cs.ReadAt.Unix()})
			if err != nil {
				return fmt.Errorf("encode service %d: %w", s.ID, err)
			}
			if err := b.Put(cacheServiceKey(prefix, s.ID), v); err != nil {
				return fmt.Errorf("store service %d: %w", s.ID, err)
			}
		}
		for _, id := range u.Delete {
			if err := b.Delete(cacheServiceKey(prefix, id)); err != nil {
				return fmt.Errorf("delete service %d: %w", id, err)
			}
		}
		if u.FullAt.IsZero() && u.InventoryAt.IsZero() {
			return nil
		}
		key := append(slices.Clone(prefix), cacheKindAccount)
		var a storedCacheAccount
		if raw := b.Get(key); raw != nil {
			_ = json.Unmarshal(raw, &a) // an entry that cannot be read is written anew
		}
		if !u.FullAt.IsZero() {
			a.LastFull = u.FullAt.Unix()
		}
		if !u.InventoryAt.IsZero() {
			a.LastInventory = u.InventoryAt.Unix()
		}
		v, err := json.Marshal(a)
		if err != nil {
			return err
		}
		if err := b.Put(key, v); err != nil {
			return fmt.Errorf("store the account's inventory times: %w", err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("update the service cache of %s: %w", account, err)
	}
	return nil
}
