// Package renewal runs one renewal cycle: inventory, decision, price check,
// approval gate, order, payment and delivery follow-up, for every configured
// OVH account. It is the only place where money moves, and it moves it by
// the ledger's rules: the intent is committed before each money-moving call,
// and an outcome that is not known is reconciled against OVH before anything
// is tried again.
//
// The money path of a term is one state machine (machine.go): a loop over
// the term's ledger status in which each step makes at most one OVH call or
// one ledger transition. "When does renewd pay?" is answered by one
// function, decideWithOrder. `renewd plan` runs the same machine and stops
// before its first write.
//
// An Engine is safe for concurrent use, but runs one cycle at a time: a
// second Cycle call waits for the first.
package renewal

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/ovh"
	"github.com/renewd/renewd/internal/policy"
	"github.com/renewd/renewd/internal/state"
)

// OVH is what a cycle needs from one OVH account. *ovh.Client provides it.
type OVH interface {
	Account() string
	Services(ctx context.Context) ([]renewd.Service, error)
	Service(ctx context.Context, id int64) (renewd.Service, error)
	RenewStrategies(ctx context.Context, serviceID int64) ([]ovh.Strategy, error)
	Quote(ctx context.Context, serviceID int64, s ovh.Strategy) (ovh.Order, error)
	CreateRenewOrder(ctx context.Context, serviceID int64, s ovh.Strategy) (ovh.Order, error)
	Order(ctx context.Context, orderID int64) (ovh.Order, error)
	OrderStatus(ctx context.Context, orderID int64) (ovh.OrderStatus, error)
	OrdersSince(ctx context.Context, from time.Time) ([]int64, error)
	OrderItems(ctx context.Context, orderID int64) ([]ovh.OrderItem, error)
	Pay(ctx context.Context, orderID int64, form renewd.PaymentForm) error
	// ServerTime reads OVH's clock (GET /auth/time).
	ServerTime(ctx context.Context) (time.Time, error)
}

// Ledger is what a cycle needs from the ledger. *state.Ledger provides it.
type Ledger interface {
	Get(term renewd.Term) (state.Record, bool, error)
	Transition(term renewd.Term, to state.Status, reason string, mutate func(*state.Record) error, reports state.Reports) (state.Record, error)
	Touch(term renewd.Term, mutate func(*state.Record) error) (state.Record, error)
	ForService(account string, serviceID int64) ([]state.Record, error)
	InFlight() ([]state.Record, error)
	List(filter state.Filter) ([]state.Record, error)
	SpentSince(account string, since time.Time) (map[string]int64, error)
	OrderOwner(account string, orderID int64) (renewd.Term, bool, error)
	// Unreadable lists the records the ledger could not decode: its scans
	// skip them, so a sum over every record (the budget) is not whole
	// while any is listed.
	Unreadable() []state.UnreadableRecord
	Enqueue(reports ...state.Report) error
	EnqueueOnce(r state.Report) (bool, error)
}

var (
	_ OVH    = (*ovh.Client)(nil)
	_ Ledger = (*state.Ledger)(nil)
)

// Budget caps the spending of a calendar month (UTC), without tax.
type Budget struct {
	MonthlyUcents int64
	Currency      string
	Over          policy.OverCap // refuse, or hold for approval
}

// Settings are what a cycle runs with. The daemon swaps them on reload; a
// cycle uses the settings it started with to the end.
type Settings struct {
	Policy   policy.Policy
	Accounts []OVH
	Budget   *Budget
	// ApprovalTimeout is how long an approval request stays open; 0 = 72h.
	ApprovalTimeout time.Duration
	// DeliveryTimeout is how long after payment the expiration must have
	// moved before the term is reported undelivered; 0 = 24h.
	DeliveryTimeout time.Duration
	// Settle is how long, on OVH's clock, after a money call returned (or
	// after its intent plus CallTimeout, when the call's end is not known)
	// "OVH shows no order (or no payment) for it" is believed; until then
	// the term waits, because an order may take a moment to appear. 0 = 2m.
	Settle time.Duration
	// CallTimeout is the longest one OVH call can take (the client's
	// timeout): a money call whose end was not recorded (a crash) is taken
	// to have ended this long after its intent. 0 = ovh.DefaultCallTimeout.
	CallTimeout time.Duration
	// RetryAfter is the schedule of waits after the n-th failure of a term;
	// nil = DefaultRetryAfter.
	RetryAfter []time.Duration
}

// DefaultRetryAfter is the wait before a failed term is tried again, by the
// number of failures so far. The last entry repeats. Short at first (a
// transient API error), then a few hours, never more than a day, so a due
// service gets several tries before it expires.
var DefaultRetryAfter = []time.Duration{
	15 * time.Minute, // 1st failure
	1 * time.Hour,    // 2nd
	3 * time.Hour,    // 3rd
	6 * time.Hour,    // 4th
	12 * time.Hour,   // 5th and later
}

func (s Settings) approvalTimeout() time.Duration { return orDefault(s.ApprovalTimeout, 72*time.Hour) }
func (s Settings) deliveryTimeout() time.Duration { return orDefault(s.DeliveryTimeout, 24*time.Hour) }
func (s Settings) settle() time.Duration          { return orDefault(s.Settle, 2*time.Minute) }
func (s Settings) callTimeout() time.Duration {
	return orDefault(s.CallTimeout, ovh.DefaultCallTimeout)
}

func (s Settings) retryAfter(failures int) time.Duration {
	sched := s.RetryAfter
	if len(sched) == 0 {
		sched = DefaultRetryAfter
	}
	i := min(max(failures-1, 0), len(sched)-1)
	return sched[i]
}

// maxRetryAfter is the longest wait of the schedule: a stored next attempt
// further away than this from its record's update can only come from a
// clock that went back.
func (s Settings) maxRetryAfter() time.Duration {
	sched := s.RetryAfter
	if len(sched) == 0 {
		sched = DefaultRetryAfter
	}
	longest := time.Duration(0)
	for _, d := range sched {
		longest = max(longest, d)
	}
	return longest
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// Options configure an Engine.
type Options struct {
	Ledger Ledger
	Logger *slog.Logger     // nil = discard
	Now    func() time.Time // nil = time.Now
	// OnPaid, when set, is called after a payment is recorded (for metrics).
	OnPaid func(account, currency string, ucents int64)
	// OnSilent, when set, is called for every due, covered service a cycle
	// left without an accounted ending (for metrics); each is also reported.
	OnSilent func(account string)
}

// Engine runs renewal cycles against a ledger.
type Engine struct {
	ledger   Ledger
	log      *slog.Logger
	now      func() time.Time
	onPaid   func(account, currency string, ucents int64)
	onSilent func(account string)

	mu sync.Mutex // one cycle at a time

	// planned is, for a plan (dry walks), the money the terms walked so far
	// would commit; the budget counts it, as a cycle's ledger would.
	planned atomic.Int64

	noticeMu sync.Mutex
	// notices maps the notice keys queued by this process to the last cycle
	// that saw them; keys no cycle saw are dropped, so the map grows with the
	// number of services, not with the number of cycles.
	notices map[string]uint64
	cycles  uint64
}

// noticed reports whether the notice key was already queued by this
// process, and marks it as seen in this cycle.
func (e *Engine) noticed(key string) bool {
	e.noticeMu.Lock()
	defer e.noticeMu.Unlock()
	_, ok := e.notices[key]
	if e.notices == nil {
		e.notices = map[string]uint64{}
	}
	e.notices[key] = e.cycles
	return ok
}

// forgetNotices drops the notice keys the cycle that just ended did not see.
func (e *Engine) forgetNotices() {
	e.noticeMu.Lock()
	defer e.noticeMu.Unlock()
	for k, seen := range e.notices {
		if seen != e.cycles {
			delete(e.notices, k)
		}
	}
	e.cycles++
}

// New returns an engine. It does no I/O.
func New(opts Options) *Engine {
	e := &Engine{ledger: opts.Ledger, log: opts.Logger, now: opts.Now, onPaid: opts.OnPaid, onSilent: opts.OnSilent}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	if e.now == nil {
		e.now = time.Now
	}
	return e
}
