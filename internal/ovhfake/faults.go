package ovhfake

import (
	"net/http"
	"sync"
	"time"
)

// Fault is a misbehaviour injected on demand. Route names the requests it
// applies to with the keys of Requests ("POST /service/{id}/renew",
// "GET /service/{id}", "POST /me/order/{id}/pay"...), or "*" for every
// route but GET /auth/time (the clock go-ovh fetches once, lazily; name it
// explicitly to fault it).
//
// The effects apply in this order: Latency; then Status (with RetryAfter or
// Body), answered without doing the work and without checking the
// signature; otherwise the request is authenticated and handled, then
// DropAfterWork or StatusAfterWork replace its answer.
type Fault struct {
	Route string
	// Times is how many matching requests the fault applies to: 0 means 1,
	// -1 means every one until ClearFaults.
	Times int
	// Status answers this status and OVH's error body for it, without doing
	// the work.
	Status int
	// RetryAfter is sent as the Retry-After header with Status.
	RetryAfter string
	// Latency delays the request before anything else; the delay ends early,
	// with no answer and no work, when the client goes away.
	Latency time.Duration
	// DropAfterWork does the work (creates the order, takes the payment),
	// then closes the connection with no answer.
	DropAfterWork bool
	// StatusAfterWork does the work, then answers this status with an error
	// body ("pay answers 500 after taking the payment").
	StatusAfterWork int
	// Body, with Status, is sent raw instead of the error body (e.g. "{not
	// json" with 200). Body without Status means status 200.
	Body string
}

type faultEntry struct {
	Fault
	left int // -1: forever
}

// Inject adds a fault. Faults are consumed in the order they were injected:
// a request takes the oldest fault matching its route that has uses left.
// Inject panics on a fault without a Route.
func (f *Fake) Inject(fl Fault) {
	if fl.Route == "" {
		panic("ovhfake: Fault.Route is required (a Requests key or \"*\")")
	}
	left := fl.Times
	if left == 0 {
		left = 1
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = append(f.faults, &faultEntry{Fault: fl, left: left})
}

// ClearFaults removes every fault not yet consumed. Holds are not affected.
func (f *Fake) ClearFaults() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = nil
}

func routeMatches(pattern, key string) bool {
	if pattern == "*" {
		return key != "GET /auth/time"
	}
	return pattern == key
}

// takeFaultLocked consumes one use of the oldest fault matching key and
// returns a copy, or nil. The caller holds f.mu.
func (f *Fake) takeFaultLocked(key string) *Fault {
	for i, e := range f.faults {
		if !routeMatches(e.Route, key) {
			continue
		}
		fl := e.Fault
		if e.left > 0 {
			e.left--
			if e.left == 0 {
				f.faults = append(f.faults[:i:i], f.faults[i+1:]...)
			}
		}
		return &fl
	}
	return nil
}

// reply is the answer of a Status (or Body) fault.
func (fl *Fault) reply() reply {
	status := fl.Status
	if status == 0 {
		status = http.StatusOK
	}
	var rep reply
	if fl.Body != "" {
		rep = reply{status: status, body: []byte(fl.Body)}
	} else {
		rep = apiError(status, faultMessage(status))
	}
	if fl.RetryAfter != "" {
		rep.header = http.Header{"Retry-After": {fl.RetryAfter}}
	}
	return rep
}

func faultMessage(status int) string {
	if text := http.StatusText(status); text != "" {
		return text
	}
	return "Injected fault"
}

// Held is a request stopped by Hold until Release.
type Held struct {
	route       string
	after       bool
	reached     chan struct{}
	released    chan struct{}
	abandoned   chan struct{}
	reachOnce   sync.Once
	releaseOnce sync.Once
}

// Hold makes the next request on route (a Requests key, or "*") block,
// before its work when after is false, after its work (before its answer)
// when after is true, until Release. Holds on a route are taken in the
// order they were made; a request takes a hold only once it is
// authenticated and past its faults. While held before the work, a client
// that goes away (killed, timed out) abandons the request: the work is
// never done. Held after the work, the work stays done and the answer goes
// nowhere. Release every hold a test makes: httptest.Server.Close waits for
// held requests.
func (f *Fake) Hold(route string, after bool) *Held {
	h := &Held{route: route, after: after, reached: make(chan struct{}), released: make(chan struct{}),
		abandoned: make(chan struct{})}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.holds = append(f.holds, h)
	return h
}

// Reached is closed when a request reaches the hold.
func (h *Held) Reached() <-chan struct{} { return h.reached }

// Abandoned is closed when the held request's client went away before
// Release; held before its work, the work will then not be done. A test
// that kills the client waits for it before it releases the hold, since the
// server notices a dead client only a moment after it died.
func (h *Held) Abandoned() <-chan struct{} { return h.abandoned }

// Release lets the held request (or the next one to reach the hold) go on.
// It may be called more than once, and before the hold is reached.
func (h *Held) Release() { h.releaseOnce.Do(func() { close(h.released) }) }

// wait marks the hold reached and blocks until Release or until the client
// goes away; it reports whether it was released.
func (h *Held) wait(r *http.Request) bool {
	h.reachOnce.Do(func() { close(h.reached) })
	select {
	case <-h.released:
		return true
	case <-r.Context().Done():
		close(h.abandoned)
		return false
	}
}

func (f *Fake) takeHold(key string) *Held {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, h := range f.holds {
		if routeMatches(h.route, key) {
			f.holds = append(f.holds[:i:i], f.holds[i+1:]...)
			return h
		}
	}
	return nil
}
