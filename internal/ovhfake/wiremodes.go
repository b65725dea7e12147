package ovhfake

import (
	"fmt"
	"slices"
)

// Wire is how the fake's API speaks where OVH's is known, or suspected, to
// speak in more than one form: the zone of its datetimes, the form of its
// prices, whether it honours the expanded listing and batch reads, how long
// its pages are, and how strictly it reads a renewal's duration. The zero
// value is the default of each field (the first constant of each type). A
// Scenario carries the account's Wire; SetWire changes it between requests.
type Wire struct {
	Time  TimeForm  // datetimes; default TimeParis
	Price PriceForm // prices where neither the strategy nor the order says; default PriceValue
	// Expanded is how GET /services answers X-Pagination-Mode:
	// CachedObjectList-Pages; default ExpandedHonoured.
	Expanded ExpandedMode
	// MaxPageSize, when positive, is the most services one page of the
	// expanded listing holds, whatever X-Pagination-Size asked: a page comes
	// back shorter than asked while X-Pagination-Elements says there is
	// more, and X-Pagination-Size gives the size served. Whether OVH caps
	// pages, and where, is unconfirmed. Zero means no cap.
	MaxPageSize int
	Batch       BatchMode // X-Ovh-Batch reads; default BatchStringKeys
	// StrictDuration makes POST /service/{id}/renew accept a duration only
	// spelt as the strategy's renewPeriod offered it ("P12M" is then not
	// "P1Y"). Off (the default), any spelling of the same period is accepted.
	StrictDuration bool
	// OrderDates is how GET /me/order reads date.from and date.to; empty
	// is OrderDatesHonoured.
	OrderDates OrderDateMode
}

// ExpandedMode is how the fake answers the expanded listing of GET
// /services. Whether the public signed API honours it is unconfirmed.
type ExpandedMode string

const (
	// ExpandedHonoured answers pages of services.expanded.Service objects
	// with X-Pagination-Elements. The default.
	ExpandedHonoured ExpandedMode = "honoured"
	// ExpandedIgnored ignores the header and answers the plain id list.
	ExpandedIgnored ExpandedMode = "ignored"
	// ExpandedRefused answers 400 with OVH's error body.
	ExpandedRefused ExpandedMode = "refused"
)

// ExpandedModes lists every ExpandedMode, the default first.
var ExpandedModes = []ExpandedMode{ExpandedHonoured, ExpandedIgnored, ExpandedRefused}

// BatchMode is how the fake answers X-Ovh-Batch reads of GET
// /service/{id1},{id2} and GET /services/{id1},{id2}. OVH does not document
// batch reads; the item shape {key, value, error} is OVH Manager's reading.
type BatchMode string

const (
	// BatchStringKeys answers [{"key":"1001","value":{...},"error":null}].
	// The default.
	BatchStringKeys BatchMode = "string-keys"
	// BatchNumberKeys writes each key as a JSON number: {"key":1001,...}
	// (a key that is not a number stays a string).
	BatchNumberKeys BatchMode = "number-keys"
	// BatchRefused reads the path as one id: a list of ids is 400 "Invalid
	// parameter serviceId", as an API without batch support answers.
	BatchRefused BatchMode = "refused"
)

// BatchModes lists every BatchMode, the default first.
var BatchModes = []BatchMode{BatchStringKeys, BatchNumberKeys, BatchRefused}

// withDefaults fills in the default of every empty field.
func (w Wire) withDefaults() Wire {
	if w.Time == "" {
		w.Time = TimeParis
	}
	if w.Price == "" {
		w.Price = PriceValue
	}
	if w.Expanded == "" {
		w.Expanded = ExpandedHonoured
	}
	if w.Batch == "" {
		w.Batch = BatchStringKeys
	}
	return w
}

// Validate reports the first field that holds no known form.
func (w Wire) Validate() error {
	w = w.withDefaults()
	switch {
	case !knownTimeForm(w.Time):
		return fmt.Errorf("wire: time %q is not one of %v or %v", w.Time, TimeForms, MismatchTimeForms)
	case w.OrderDates != "" && !slices.Contains(OrderDateModes, w.OrderDates):
		return fmt.Errorf("wire: order dates %q is not one of %v", w.OrderDates, OrderDateModes)
	case !slices.Contains(PriceForms, w.Price):
		return fmt.Errorf("wire: price %q is not one of %v", w.Price, PriceForms)
	case !slices.Contains(ExpandedModes, w.Expanded):
		return fmt.Errorf("wire: expanded %q is not one of %v", w.Expanded, ExpandedModes)
	case !slices.Contains(BatchModes, w.Batch):
		return fmt.Errorf("wire: batch %q is not one of %v", w.Batch, BatchModes)
	case w.MaxPageSize < 0:
		return fmt.Errorf("wire: max page size %d is negative", w.MaxPageSize)
	}
	return nil
}

// validPriceForm reports whether pf is empty (inherit) or a known form.
func validPriceForm(pf PriceForm) bool { return pf == "" || slices.Contains(PriceForms, pf) }

// Wire returns how the fake speaks now, defaults filled in.
func (f *Fake) Wire() Wire {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.wire
}

// SetWire changes how the fake speaks, from the next request on; requests
// being served finish in the form they started with. Empty fields take
// their defaults. Orders already created keep their price form when their
// strategy or SetOrderPriceForm gave them one. SetWire panics on a form it
// does not know (see Wire.Validate).
func (f *Fake) SetWire(w Wire) {
	if err := w.Validate(); err != nil {
		panic("ovhfake: SetWire: " + err.Error())
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.wire = w.withDefaults()
}

// UpdateWire changes one part of how the fake speaks: edit receives the
// current Wire (under the fake's lock, so edits do not race) and changes
// what it wants. It panics as SetWire does.
func (f *Fake) UpdateWire(edit func(*Wire)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	w := f.wire
	edit(&w)
	if err := w.Validate(); err != nil {
		panic("ovhfake: UpdateWire: " + err.Error())
	}
	f.wire = w.withDefaults()
}

// SetExpandedListing is UpdateWire with Expanded ExpandedHonoured (on) or
// ExpandedIgnored (off).
func (f *Fake) SetExpandedListing(on bool) {
	f.UpdateWire(func(w *Wire) {
		w.Expanded = ExpandedIgnored
		if on {
			w.Expanded = ExpandedHonoured
		}
	})
}

// SetBatch is UpdateWire with Batch BatchStringKeys (on) or BatchRefused
// (off).
func (f *Fake) SetBatch(on bool) {
	f.UpdateWire(func(w *Wire) {
		w.Batch = BatchRefused
		if on {
			w.Batch = BatchStringKeys
		}
	})
}
