package main

import (
	"io"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/control"
	"github.com/renewd/renewd/internal/state"
)

// statusOut is `renewd status --json` (docs/cli.md, "renewd status
// --json"): the same object with a daemon or without one, whose daemon
// field is then null.
type statusOut struct {
	Version int        `json:"version"`
	Daemon  *daemonOut `json:"daemon"`
	Terms   []termOut  `json:"terms"`
	// PendingApprovals are the terms of Terms whose approval waits for a
	// decision: what approve and deny take.
	PendingApprovals []string        `json:"pending_approvals"`
	Unreadable       []unreadableOut `json:"unreadable"`
	Reports          *reportsOut     `json:"reports"`
	Inventory        []inventoryOut  `json:"inventory"`
}

// inventoryOut is one account's service cache (docs/operations.md, "The
// inventory").
type inventoryOut struct {
	Account           string   `json:"account"`
	Services          int      `json:"services"`
	OldestReadAt      jsonTime `json:"oldest_read_at"`
	LastFullRefreshAt jsonTime `json:"last_full_refresh_at"`
}

type daemonOut struct {
	StartedAt     jsonTime  `json:"started_at"`
	Schedule      string    `json:"schedule"`
	NextCycleAt   jsonTime  `json:"next_cycle_at"`
	CycleRunning  bool      `json:"cycle_running"`
	LastCycle     *cycleOut `json:"last_cycle"`
	LastSuccessAt jsonTime  `json:"last_success_at"`
}

type cycleOut struct {
	StartedAt  jsonTime       `json:"started_at"`
	FinishedAt jsonTime       `json:"finished_at"`
	Counts     map[string]int `json:"counts"`
	Errors     []string       `json:"errors"`
	OK         bool           `json:"ok"`
	NotRenewed bool           `json:"not_renewed"`
}

// termOut is one ledger record (state.Record). Left out: the intents'
// and calls' times on OVH's clock (IntentOVH, PayIntentOVH, CallEndOVH),
// which only reconciliation reads; DeliveredAt and NewExpiration, which an
// open term never has; the approval's Slack message (SlackChannel,
// SlackTS).
type termOut struct {
	Term                    string       `json:"term"`
	Account                 string       `json:"account"`
	ServiceID               int64        `json:"service_id"`
	Expiration              jsonDate     `json:"expiration"`
	Service                 *string      `json:"service"`
	Type                    *string      `json:"type"`
	Rule                    *string      `json:"rule"`
	Status                  string       `json:"status"`
	Period                  *string      `json:"period"`
	RenewedServices         []int64      `json:"renewed_services"`
	Currency                *string      `json:"currency"`
	CapUcents               *int64       `json:"cap_ucents"`
	Cap                     *string      `json:"cap"`
	QuoteUcents             *int64       `json:"quote_ucents"`
	Quote                   *string      `json:"quote"`
	QuoteWithTaxUcents      *int64       `json:"quote_with_tax_ucents"`
	QuoteWithTax            *string      `json:"quote_with_tax"`
	Payment                 *paymentOut  `json:"payment"`
	OrderID                 *int64       `json:"order_id"`
	OrderPriceUcents        *int64       `json:"order_price_ucents"`
	OrderPrice              *string      `json:"order_price"`
	OrderPriceWithTaxUcents *int64       `json:"order_price_with_tax_ucents"`
	OrderPriceWithTax       *string      `json:"order_price_with_tax"`
	OrderExpiresAt          jsonTime     `json:"order_expires_at"`
	OtherOrders             []int64      `json:"other_orders"`
	OrderIntentAt           jsonTime     `json:"order_intent_at"`
	PayIntentAt             jsonTime     `json:"pay_intent_at"`
	LastMoneyStep           *string      `json:"last_money_step"`
	PaidAt                  jsonTime     `json:"paid_at"`
	Adopted                 bool         `json:"adopted"`
	Approval                *approvalOut `json:"approval"`
	Attempts                int          `json:"attempts"`
	NextAttemptAt           jsonTime     `json:"next_attempt_at"`
	LastError               *string      `json:"last_error"`
	Reason                  *string      `json:"reason"`
	CreatedAt               jsonTime     `json:"created_at"`
	UpdatedAt               jsonTime     `json:"updated_at"`
}

// paymentOut is a renewd.PaymentForm: exactly one of method_id, mean
// (with mean_id where OVH needs one) or default is set.
type paymentOut struct {
	MethodID *int64  `json:"method_id"`
	Mean     *string `json:"mean"`
	MeanID   *int64  `json:"mean_id"`
	Default  bool    `json:"default"`
}

type approvalOut struct {
	ID          string   `json:"id"`
	PriceUcents int64    `json:"price_ucents"`
	Price       string   `json:"price"`
	RequestedAt jsonTime `json:"requested_at"`
	ExpiresAt   jsonTime `json:"expires_at"`
	Decision    *string  `json:"decision"`
	DecidedBy   *string  `json:"decided_by"`
	DecidedAt   jsonTime `json:"decided_at"`
}

type unreadableOut struct {
	Bucket string   `json:"bucket"`
	Key    string   `json:"key"`
	Error  string   `json:"error"`
	SeenAt jsonTime `json:"seen_at"`
}

type reportsOut struct {
	Waiting int         `json:"waiting"`
	Parked  []parkedOut `json:"parked"`
}

type parkedOut struct {
	Key        string   `json:"key"`
	Kind       string   `json:"kind"`
	Title      string   `json:"title"`
	Error      string   `json:"error"`
	Attempts   int      `json:"attempts"`
	EnqueuedAt jsonTime `json:"enqueued_at"`
	ParkedAt   jsonTime `json:"parked_at"`
}

// writeStatusJSON prints the status; daemon is nil without a daemon,
// reports nil when the outbox could not be read.
func writeStatusJSON(w io.Writer, daemon *control.Status, recs []state.Record, us []state.UnreadableRecord, reports *control.Reports,
	inv []state.CacheSummary) error {
	out := statusOut{Version: jsonVersion, Terms: []termOut{}, PendingApprovals: []string{}, Unreadable: unreadableList(us),
		Reports: reportsOf(reports), Inventory: []inventoryOut{}}
	for _, c := range inv {
		out.Inventory = append(out.Inventory, inventoryOut{Account: c.Account, Services: c.Services,
			OldestReadAt: jsonTime(c.OldestRead), LastFullRefreshAt: jsonTime(c.LastFull)})
	}
	if daemon != nil {
		out.Daemon = daemonOf(*daemon)
	}
	for _, r := range recs {
		out.Terms = append(out.Terms, termOf(r))
		if r.Status == state.StatusAwaitingApproval && r.Approval.Pending() {
			out.PendingApprovals = append(out.PendingApprovals, r.Term.String())
		}
	}
	return writeJSON(w, out)
}

func daemonOf(st control.Status) *daemonOut {
	d := &daemonOut{StartedAt: jsonTime(st.StartedAt), Schedule: st.Schedule, NextCycleAt: jsonTime(st.NextCycle),
		CycleRunning: st.CycleRunning, LastSuccessAt: jsonTime(st.LastSuccess)}
	if c := st.LastCycle; c != nil {
		d.LastCycle = &cycleOut{StartedAt: jsonTime(c.Started), FinishedAt: jsonTime(c.Finished), Counts: map[string]int{},
			Errors: append([]string{}, c.Errors...), OK: c.OK, NotRenewed: c.NotRenewed}
		for k, v := range c.Counts {
			d.LastCycle.Counts[k] = v
		}
	}
	return d
}

func termOf(r state.Record) termOut {
	money := func(ucents int64) renewd.Money { return renewd.Money{Ucents: ucents, Currency: r.Currency} }
	t := termOut{Term: r.Term.String(), Account: r.Term.Account, ServiceID: r.Term.ServiceID, Expiration: jsonDate(r.Term.Expiration),
		Service: optString(r.ServiceName), Type: optString(r.ServiceType), Rule: optString(r.Rule), Status: string(r.Status),
		Period: optString(r.Period), RenewedServices: append([]int64{}, r.Services...), Currency: optString(r.Currency),
		OrderID: optInt(r.OrderID), OrderExpiresAt: jsonTime(r.OrderExpires), OtherOrders: append([]int64{}, r.OtherOrders...),
		OrderIntentAt: jsonTime(r.IntentAt), PayIntentAt: jsonTime(r.PayIntentAt), LastMoneyStep: optString(string(r.LastMoneyStep)),
		PaidAt: jsonTime(r.PaidAt), Adopted: r.Adopted, Attempts: r.Attempts, NextAttemptAt: jsonTime(r.NextAttempt),
		LastError: optString(r.LastError), Reason: optString(r.Reason), CreatedAt: jsonTime(r.Created), UpdatedAt: jsonTime(r.Updated)}
	t.CapUcents, t.Cap = amount(money(r.CapUcents))
	t.QuoteUcents, t.Quote = amount(money(r.QuoteUcents))
	t.QuoteWithTaxUcents, t.QuoteWithTax = amount(money(r.QuoteWithTaxUcents))
	t.OrderPriceUcents, t.OrderPrice = amount(money(r.OrderUcents))
	t.OrderPriceWithTaxUcents, t.OrderPriceWithTax = amount(money(r.OrderWithTaxUcents))
	if p := r.Payment; !p.IsZero() {
		t.Payment = &paymentOut{MethodID: optInt(p.MethodID), Mean: optString(p.Mean), MeanID: optInt(p.MeanID), Default: p.Default}
	}
	if a := r.Approval; a != nil {
		t.Approval = &approvalOut{ID: a.ID, PriceUcents: a.PriceUcents, Price: money(a.PriceUcents).String(),
			RequestedAt: jsonTime(a.RequestedAt), ExpiresAt: jsonTime(a.ExpiresAt), Decision: optString(string(a.Decision)),
			DecidedBy: optString(a.DecidedBy), DecidedAt: jsonTime(a.DecidedAt)}
	}
	return t
}

func unreadableList(us []state.UnreadableRecord) []unreadableOut {
	out := []unreadableOut{}
	for _, u := range us {
		out = append(out, unreadableOut{Bucket: u.Bucket, Key: u.Key, Error: u.Err, SeenAt: jsonTime(u.SeenAt)})
	}
	return out
}

func reportsOf(r *control.Reports) *reportsOut {
	if r == nil {
		return nil
	}
	out := &reportsOut{Waiting: r.Waiting, Parked: []parkedOut{}}
	for _, p := range r.Parked {
		out.Parked = append(out.Parked, parkedOut{Key: p.Key, Kind: p.Kind, Title: p.Title, Error: p.Error,
			Attempts: p.Attempts, EnqueuedAt: jsonTime(p.Enqueued), ParkedAt: jsonTime(p.ParkedAt)})
	}
	return out
}

// historyOut is `renewd history --json` (docs/cli.md, "renewd history
// --json").
type historyOut struct {
	Version    int             `json:"version"`
	Events     []eventOut      `json:"events"`
	Unreadable []unreadableOut `json:"unreadable"`
}

type eventOut struct {
	Seq    uint64   `json:"seq"`
	Term   string   `json:"term"`
	At     jsonTime `json:"at"`
	From   *string  `json:"from"`
	To     string   `json:"to"`
	Reason *string  `json:"reason"`
	Actor  *string  `json:"actor"`
	Folded int      `json:"folded"`
}

func writeHistoryJSON(w io.Writer, events []state.Event, us []state.UnreadableRecord) error {
	out := historyOut{Version: jsonVersion, Events: []eventOut{}, Unreadable: unreadableList(us)}
	for _, ev := range events {
		out.Events = append(out.Events, eventOut{Seq: ev.Seq, Term: ev.Term, At: jsonTime(ev.At), From: optString(string(ev.From)),
			To: string(ev.To), Reason: optString(ev.Reason), Actor: optString(ev.Actor), Folded: ev.Folded})
	}
	return writeJSON(w, out)
}
