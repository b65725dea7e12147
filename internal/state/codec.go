package state

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/renewd/renewd"
)

// This file holds the on-disk forms of schema 3 (VERSION.md): the values of
// the terms, history and spent buckets are JSON with short names and no
// field that the key already says. Record and Event keep their long JSON
// names for callers (the control API, `renewd history --json`); only the
// stored bytes use these forms.

// storedRecord is a Record as schema 3 stores it. The term is the key.
type storedRecord struct {
	Name string `json:"n,omitempty"`
	Type string `json:"ty,omitempty"`
	Rule string `json:"ru,omitempty"`

	Status   Status  `json:"s"`
	Period   string  `json:"pe,omitempty"`
	Services []int64 `json:"sv,omitempty"`

	Cap          int64          `json:"cap,omitempty"`
	Currency     string         `json:"cu,omitempty"`
	Quote        int64          `json:"q,omitempty"`
	QuoteWithTax int64          `json:"qt,omitempty"`
	Payment      *storedPayment `json:"pf,omitempty"`

	IntentAt      time.Time `json:"ia,omitzero"`
	IntentOVH     time.Time `json:"io,omitzero"`
	OrderID       int64     `json:"o,omitempty"`
	Order         int64     `json:"ou,omitempty"`
	OrderWithTax  int64     `json:"ot,omitempty"`
	OrderExpires  time.Time `json:"oe,omitzero"`
	PayIntentAt   time.Time `json:"pi,omitzero"`
	PayIntentOVH  time.Time `json:"po,omitzero"`
	CallEndOVH    time.Time `json:"ce,omitzero"`
	OtherOrders   []int64   `json:"oo,omitempty"`
	LastMoneyStep Status    `json:"lm,omitempty"`

	PaidAt        time.Time   `json:"pa,omitzero"`
	DeliveredAt   time.Time   `json:"de,omitzero"`
	NewExpiration renewd.Date `json:"ne,omitzero"`
	Adopted       bool        `json:"ad,omitempty"`

	Approval *storedApproval `json:"ap,omitempty"`

	Attempts    int       `json:"at,omitempty"`
	NextAttempt time.Time `json:"na,omitzero"`
	LastError   string    `json:"le,omitempty"`
	Reason      string    `json:"r,omitempty"`
	Created     time.Time `json:"c,omitzero"` // absent in a settled record (compact.go)
	Updated     time.Time `json:"u"`
}

type storedPayment struct {
	MethodID int64  `json:"m,omitempty"`
	Mean     string `json:"mn,omitempty"`
	MeanID   int64  `json:"mi,omitempty"`
	Default  bool   `json:"d,omitempty"`
}

type storedApproval struct {
	ID           string    `json:"id"`
	PriceUcents  int64     `json:"p"`
	RequestedAt  time.Time `json:"rq,omitzero"`
	ExpiresAt    time.Time `json:"ex,omitzero"`
	Decision     Decision  `json:"d,omitempty"`
	DecidedBy    string    `json:"by,omitempty"`
	DecidedAt    time.Time `json:"da,omitzero"`
	SlackChannel string    `json:"ch,omitempty"`
	SlackTS      string    `json:"ts,omitempty"`
}

// encodeRecord returns the stored bytes of rec, whose key is rec.Term.String().
func encodeRecord(rec Record) ([]byte, error) {
	s := storedRecord{
		Name: rec.ServiceName, Type: rec.ServiceType, Rule: rec.Rule,
		Status: rec.Status, Period: rec.Period, Services: rec.Services,
		Cap: rec.CapUcents, Currency: rec.Currency, Quote: rec.QuoteUcents, QuoteWithTax: rec.QuoteWithTaxUcents,
		IntentAt: rec.IntentAt, IntentOVH: rec.IntentOVH, OrderID: rec.OrderID, Order: rec.OrderUcents, OrderWithTax: rec.OrderWithTaxUcents,
		OrderExpires: rec.OrderExpires, PayIntentAt: rec.PayIntentAt, PayIntentOVH: rec.PayIntentOVH, CallEndOVH: rec.CallEndOVH,
		OtherOrders: rec.OtherOrders, LastMoneyStep: rec.LastMoneyStep,
		PaidAt: rec.PaidAt, DeliveredAt: rec.DeliveredAt, NewExpiration: rec.NewExpiration, Adopted: rec.Adopted,
		Attempts: rec.Attempts, NextAttempt: rec.NextAttempt, LastError: rec.LastError, Reason: rec.Reason,
		Created: rec.Created, Updated: rec.Updated,
	}
	if p := rec.Payment; !p.IsZero() {
		s.Payment = &storedPayment{MethodID: p.MethodID, Mean: p.Mean, MeanID: p.MeanID, Default: p.Default}
	}
	if a := rec.Approval; a != nil {
		s.Approval = &storedApproval{
			ID: a.ID, PriceUcents: a.PriceUcents, RequestedAt: a.RequestedAt, ExpiresAt: a.ExpiresAt,
			Decision: a.Decision, DecidedBy: a.DecidedBy, DecidedAt: a.DecidedAt,
			SlackChannel: a.SlackChannel, SlackTS: a.SlackTS,
		}
	}
	return json.Marshal(s)
}

// decodeRecord reads the stored bytes of the record under key.
func decodeRecord(key string, raw []byte) (Record, error) {
	term, err := renewd.ParseTerm(key)
	if err != nil {
		return Record{}, fmt.Errorf("decode record %s: %w", key, err)
	}
	var s storedRecord
	if err := json.Unmarshal(raw, &s); err != nil {
		return Record{}, fmt.Errorf("decode record %s: %w", key, err)
	}
	rec := recordFromStored(s)
	rec.Term = term
	return rec, nil
}

// recordFromStored maps a stored record's fields onto a Record; the term,
// which the key holds, is left for the caller.
func recordFromStored(s storedRecord) Record {
	rec := Record{
		ServiceName: s.Name, ServiceType: s.Type, Rule: s.Rule,
		Status: s.Status, Period: s.Period, Services: s.Services,
		CapUcents: s.Cap, Currency: s.Currency, QuoteUcents: s.Quote, QuoteWithTaxUcents: s.QuoteWithTax,
		IntentAt: s.IntentAt, IntentOVH: s.IntentOVH, OrderID: s.OrderID, OrderUcents: s.Order, OrderWithTaxUcents: s.OrderWithTax,
		OrderExpires: s.OrderExpires, PayIntentAt: s.PayIntentAt, PayIntentOVH: s.PayIntentOVH, CallEndOVH: s.CallEndOVH,
		OtherOrders: s.OtherOrders, LastMoneyStep: s.LastMoneyStep,
		PaidAt: s.PaidAt, DeliveredAt: s.DeliveredAt, NewExpiration: s.NewExpiration, Adopted: s.Adopted,
		Attempts: s.Attempts, NextAttempt: s.NextAttempt, LastError: s.LastError, Reason: s.Reason,
		Created: s.Created, Updated: s.Updated,
	}
	if p := s.Payment; p != nil {
		rec.Payment = renewd.PaymentForm{MethodID: p.MethodID, Mean: p.Mean, MeanID: p.MeanID, Default: p.Default}
	}
	if a := s.Approval; a != nil {
		rec.Approval = &Approval{
			ID: a.ID, PriceUcents: a.PriceUcents, RequestedAt: a.RequestedAt, ExpiresAt: a.ExpiresAt,
			Decision: a.Decision, DecidedBy: a.DecidedBy, DecidedAt: a.DecidedAt,
			SlackChannel: a.SlackChannel, SlackTS: a.SlackTS,
		}
	}
	return rec
}

// storedEvent is an Event as schemas 2 and 3 store it: the term and the sequence
// number are the key (historyKey). An actor of SystemActor is not stored.
type storedEvent struct {
	At     time.Time `json:"a"`
	From   Status    `json:"f,omitempty"`
	To     Status    `json:"t"`
	Reason string    `json:"r,omitempty"`
	Actor  string    `json:"by,omitempty"`
	Folded int       `json:"n,omitempty"`
}

func encodeEvent(ev Event) ([]byte, error) {
	s := storedEvent{At: ev.At, From: ev.From, To: ev.To, Reason: ev.Reason, Actor: ev.Actor, Folded: ev.Folded}
	if s.Actor == SystemActor {
		s.Actor = ""
	}
	return json.Marshal(s)
}

// decodeEvent reads the event stored under a history key.
func (l *Ledger) decodeEvent(k, v []byte) (Event, error) {
	l.eventsDecoded.Add(1)
	term, seq, err := splitHistoryKey(k)
	if err != nil {
		return Event{}, err
	}
	var s storedEvent
	if err := json.Unmarshal(v, &s); err != nil {
		return Event{}, fmt.Errorf("decode event %s #%d: %w", term, seq, err)
	}
	if s.Actor == "" {
		s.Actor = SystemActor
	}
	return Event{Seq: seq, Term: term, At: s.At, From: s.From, To: s.To, Reason: s.Reason, Actor: s.Actor, Folded: s.Folded}, nil
}

// spentEntry is the value of the spent index (spent.go).
type spentEntry struct {
	Currency string    `json:"c,omitempty"`
	Ucents   int64     `json:"u"`
	PaidAt   time.Time `json:"p"`
}
