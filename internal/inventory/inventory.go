// Package inventory is renewd's incremental inventory: each cycle it lists
// an account's service ids and reads from OVH only the services whose
// state can matter now, and decides the others from what their last read
// said, kept in the ledger's service cache (state.ServiceCache).
//
// It rests on one fact of OVH's billing: an expiration far in the future
// can only move later (a renewal) or go away (the id leaves GET /service).
// So a service whose cached expiration is beyond its horizon (Horizon: the
// largest window any rule or report_within gives it, plus a margin of at
// least two cycles) cannot be due, whatever changed since; within it, the
// decision always uses a read from the same cycle. What else is read each
// cycle: new ids, services whose last answer could not be read, those with
// a term in flight, awaiting delivery or holding an order, and a share of
// the rest, the oldest reads first, so that every service is read again
// about once per refresh interval (chooseRefresh). The rules are in
// docs/design.md, "The incremental inventory".
//
// An Account wraps an *ovh.Client and satisfies renewal.OVH: its Services
// is the incremental inventory, every other method is the client's. Build
// one per account with the policy in force; the daemon builds new ones on
// each reload, so the horizon follows the policy at once. An Account is
// safe for concurrent use, but runs one inventory at a time.
package inventory

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/ovh"
	"github.com/renewd/renewd/internal/policy"
	"github.com/renewd/renewd/internal/renewal"
	"github.com/renewd/renewd/internal/state"
)

// Defaults of Options.
const (
	// DefaultRefresh is how often every service is read again, however
	// far its expiration.
	DefaultRefresh = 7 * 24 * time.Hour
	// DefaultMargin is added to every horizon; Options.CycleGap may make
	// the margin larger (at least two cycles).
	DefaultMargin = 3 * 24 * time.Hour
	// DefaultCycleGap is the time between two cycles assumed when none is
	// given: renewd's default schedule, @every 6h.
	DefaultCycleGap = 6 * time.Hour
	// DefaultProgressEvery is how often a long read logs its progress.
	DefaultProgressEvery = time.Minute
)

// Ledger is what the inventory needs of the ledger. *state.Ledger
// provides it.
type Ledger interface {
	ServiceCache(account string) (state.ServiceCache, error)
	UpdateServiceCache(account string, u state.CacheUpdate) error
	// List gives the account's terms, to find those in flight.
	List(filter state.Filter) ([]state.Record, error)
	// EnqueueOnce queues the report of a service gone with a term in flight.
	EnqueueOnce(r state.Report) (bool, error)
}

var (
	_ Ledger      = (*state.Ledger)(nil)
	_ renewal.OVH = (*Account)(nil)
)

// Options configure an Account. Client, Ledger and Policy are required.
type Options struct {
	Client *ovh.Client
	Ledger Ledger
	// Policy is the policy in force: the horizons come from it.
	Policy policy.Policy
	// Margin is added to every horizon; 0 means DefaultMargin. It is
	// raised to two CycleGaps when shorter.
	Margin time.Duration
	// Refresh is how often every service is read again; 0 means
	// DefaultRefresh.
	Refresh time.Duration
	// CycleGap is the longest time between two cycles (the schedule's,
	// plus its jitter); 0 means DefaultCycleGap. It sets the least margin
	// and the per-cycle cap of refresh reads.
	CycleGap time.Duration
	// Full reads every service on every inventory (renewd once --full,
	// renewd plan --full), and refreshes the cache with them.
	Full bool
	// DryRun reads the cache and writes nothing to the ledger (renewd
	// plan, over a ledger opened read-only): no cache update, no report.
	DryRun bool
	// Now is the local clock; nil means time.Now.
	Now func() time.Time
	// Logger receives the inventory's lines; nil discards them.
	Logger *slog.Logger
	// ProgressEvery is how often a long read logs its progress; 0 means
	// DefaultProgressEvery.
	ProgressEvery time.Duration
	// OnDone, when set, is called after each inventory that succeeded,
	// with what it did (for the metrics).
	OnDone func(Stats)
}

// Account is one OVH account whose Services is the incremental inventory.
type Account struct {
	*ovh.Client
	ledger        Ledger
	policy        policy.Policy
	margin        time.Duration
	refresh       time.Duration
	gap           time.Duration
	full, dry     bool
	now           func() time.Time
	log           *slog.Logger
	progressEvery time.Duration
	onDone        func(Stats)

	mu sync.Mutex // one inventory at a time
}

// New returns an Account over the client. It does no I/O.
func New(opts Options) (*Account, error) {
	if opts.Client == nil || opts.Ledger == nil {
		return nil, fmt.Errorf("incremental inventory: a client and a ledger are required")
	}
	a := &Account{Client: opts.Client, ledger: opts.Ledger, policy: opts.Policy,
		margin: orDefault(opts.Margin, DefaultMargin), refresh: orDefault(opts.Refresh, DefaultRefresh),
		gap: orDefault(opts.CycleGap, DefaultCycleGap), full: opts.Full, dry: opts.DryRun,
		now: opts.Now, log: opts.Logger, progressEvery: orDefault(opts.ProgressEvery, DefaultProgressEvery),
		onDone: opts.OnDone}
	a.margin = max(a.margin, 2*a.gap)
	if a.now == nil {
		a.now = time.Now
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	a.log = a.log.With("account", a.Account())
	return a, nil
}

// Margin is the margin in force: Options.Margin, raised to two cycle gaps.
func (a *Account) Margin() time.Duration { return a.margin }

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// Services is the incremental inventory: every service the account's
// listing holds, sorted by ID, each either read from OVH in this call or
// as its last read left it in the cache (see the package doc for which).
// It updates the cache with what it read, deletes the entries of ids OVH
// no longer lists, and reports once each such service that had a term in
// flight. It fails, as ovh.Client.Services does, when the ids cannot be
// listed or a read fails after its retries; the reads made until then are
// kept in the cache. It also fails when the ledger cannot be read: what is
// in flight decides what must be read.
func (a *Account) Services(ctx context.Context) ([]renewd.Service, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	start := a.now()
	before := a.Client.Stats()
	services, st, err := a.inventory(ctx, start)
	if err != nil {
		return nil, fmt.Errorf("incremental inventory: %w", err)
	}
	st.Requests = requestsSince(before, a.Client.Stats())
	st.Took = a.now().Sub(start)
	a.log.Info("inventory done", st.logAttrs()...)
	if a.onDone != nil {
		a.onDone(st)
	}
	return services, nil
}

// requestsSince is the requests by route between two Stats of a client:
// the inventory's, when nothing else used the client meanwhile.
func requestsSince(before, after ovh.Stats) map[string]int {
	out := map[string]int{}
	for route, n := range after.Requests {
		if d := n - before.Requests[route]; d > 0 {
			out[route] = d
		}
	}
	return out
}
