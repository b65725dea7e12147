// Package ovhfake is a faithful fake of the OVH API v1 for renewd's tests,
// its demo, its crash tests and its benchmarks.
//
// A *Fake is an http.Handler: serve it with httptest.NewServer(f) and point
// the real go-ovh client at srv.URL+"/1.0". It checks OVH's request
// signatures, serves the /service, /services, serviceInfos, /me/order and
// /me/payment/method routes with OVH's wire shapes, runs the order life cycle
// (notPaid, cancelled when expired unpaid, delivering, delivered) against an
// injected clock, and moves a service's expiration when its renewal is
// delivered. Tests steer it with faults (error statuses, latency, dropped
// connections, work done then an error), holds (block a request before or
// after its work until released) and price changes, and read back every
// order and payment it saw.
//
// Everything a Fake holds is guarded by one mutex: every method is safe for
// concurrent use, also while it serves requests.
package ovhfake

import (
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/renewd/renewd"
)

// Options configures a Fake.
type Options struct {
	// AppKey, AppSecret and ConsumerKey are the only credentials the fake
	// accepts. All three are required.
	AppKey, AppSecret, ConsumerKey string
	// Now is the clock for /auth/time, the signature's time window, order
	// dates, order expiry and delivery. Nil means time.Now. It is called
	// from the serving goroutines, so it must be safe for concurrent use.
	Now func() time.Time
	// MaxSkew is the allowed |X-Ovh-Timestamp - Now()|. Zero means 180s; a
	// negative value turns the check off. go-ovh reads /auth/time once per
	// client and never again, so a test that moves the clock by more than
	// MaxSkew while reusing a client must turn the check off (or widen it),
	// or it gets 400 QUERY_TIME_OUT, as it would from OVH.
	MaxSkew time.Duration
	// OrderTTL is how long an unpaid order lives (billing.Order
	// expirationDate = date + OrderTTL). Zero means 24h.
	OrderTTL time.Duration
	// DeliveryAfter is how long after its payment an order is delivered (its
	// services' expirations moved): until then it reads checking, then
	// delivering. Zero means DefaultDeliveryAfter; a negative value means at
	// once, inside the payment call, so that a paid order reads delivered
	// straight away.
	DeliveryAfter time.Duration
	// CheckingFor is how long, out of DeliveryAfter, a paid order reads
	// "checking" (OVH checking the payment) before it reads "delivering".
	// Zero means DefaultCheckingFor; a negative value means no checking step.
	// It is cut to DeliveryAfter.
	CheckingFor time.Duration
	// Logger receives one debug line per request (never a secret). Nil
	// means no logging.
	Logger *slog.Logger
	// Rules are the access rules of ConsumerKey, which GET
	// /auth/currentCredential reports and the fake enforces (403
	// NOT_GRANTED_CALL for a call no rule grants). Nil means AllRules.
	Rules []AccessRule
	// PendingCredentialReadable lets a key that is not validated (waiting,
	// refused, expired) read GET /auth/currentCredential, which tells its
	// status, instead of being answered 403 INVALID_CREDENTIAL there too;
	// which OVH does is unconfirmed.
	PendingCredentialReadable bool
}

// The defaults of a paid order's life: a test whose clock does not move
// sees it checking, as a client polling OVH right after paying does.
const (
	DefaultDeliveryAfter = 10 * time.Minute
	DefaultCheckingFor   = 5 * time.Minute
)

const (
	defaultMaxSkew  = 180 * time.Second
	defaultOrderTTL = 24 * time.Hour
	maxBodyBytes    = 1 << 20
	firstOrderID    = 100000001
	firstDetailID   = 500000001
)

// Fake is the fake OVH API. Create it with New; it is an http.Handler.
type Fake struct {
	opts     Options
	log      *slog.Logger
	instance uint32
	queryN   atomic.Int64

	mu           sync.Mutex
	currency     string
	services     map[int64]*service
	serviceIDs   []int64 // ascending
	byRoute      map[string]int64
	methods      []PaymentMethodFixture // ascending by ID
	orders       map[int64]*order
	orderIDs     []int64 // creation order
	nextOrderID  int64
	nextDetailID int64
	undelivered  []*order
	payments     []PaymentRecord
	requests     map[string]int
	total        int
	raised       map[int64]int64
	wire         Wire
	faults       []*faultEntry
	holds        []*Held
	keys         keyring // consumer keys (credential.go)
}

// service is the fake's live copy of a ServiceFixture. created is the
// creation date, a year before the first expiration it was given; its time
// of day is the fixture's ExpirationTime.
type service struct {
	fx      ServiceFixture
	created renewd.Date
}

// New returns a fake serving the scenario. The scenario is copied; later
// changes go through the Fake's methods. New panics when a credential is
// empty or the scenario is invalid (see Scenario.Validate): both are
// programming errors in the test or demo that builds it.
func New(sc Scenario, opts Options) *Fake {
	if opts.AppKey == "" || opts.AppSecret == "" || opts.ConsumerKey == "" {
		panic("ovhfake: Options.AppKey, AppSecret and ConsumerKey are required")
	}
	sc = sc.withDefaults()
	if err := sc.Validate(); err != nil {
		panic(fmt.Sprintf("ovhfake: invalid scenario: %v", err))
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxSkew == 0 {
		opts.MaxSkew = defaultMaxSkew
	}
	if opts.OrderTTL <= 0 {
		opts.OrderTTL = defaultOrderTTL
	}
	switch {
	case opts.DeliveryAfter == 0:
		opts.DeliveryAfter = DefaultDeliveryAfter
	case opts.DeliveryAfter < 0:
		opts.DeliveryAfter = 0
	}
	switch {
	case opts.CheckingFor == 0:
		opts.CheckingFor = DefaultCheckingFor
	case opts.CheckingFor < 0:
		opts.CheckingFor = 0
	}
	opts.CheckingFor = min(opts.CheckingFor, opts.DeliveryAfter)
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	f := &Fake{
		opts:         opts,
		log:          log,
		instance:     rand.Uint32(),
		currency:     sc.Currency,
		services:     make(map[int64]*service),
		byRoute:      make(map[string]int64),
		orders:       make(map[int64]*order),
		nextOrderID:  firstOrderID,
		nextDetailID: firstDetailID,
		requests:     make(map[string]int),
		raised:       make(map[int64]int64),
		wire:         sc.Wire,
		keys:         newKeyring(opts, opts.Now()),
	}
	for _, s := range sc.Services {
		f.putServiceLocked(s)
	}
	f.methods = clonePaymentMethods(sc.PaymentMethods)
	sort.Slice(f.methods, func(i, j int) bool { return f.methods[i].ID < f.methods[j].ID })
	return f
}

func (f *Fake) now() time.Time { return f.opts.Now() }

// putServiceLocked adds or replaces a service. The caller holds f.mu (or
// owns f exclusively, as New does).
func (f *Fake) putServiceLocked(s ServiceFixture) {
	s = cloneService(s)
	if old, ok := f.services[s.ID]; ok {
		delete(f.byRoute, routeKey(old.fx.Type, old.fx.Name))
		old.fx = s
	} else {
		f.services[s.ID] = &service{fx: s, created: s.Expiration.AddPeriod(renewd.Period{Years: -1})}
		i := sort.Search(len(f.serviceIDs), func(i int) bool { return f.serviceIDs[i] >= s.ID })
		f.serviceIDs = append(f.serviceIDs, 0)
		copy(f.serviceIDs[i+1:], f.serviceIDs[i:])
		f.serviceIDs[i] = s.ID
	}
	f.byRoute[routeKey(s.Type, s.Name)] = s.ID
}

func routeKey(typ, name string) string { return typ + "\x00" + name }

// call is one authenticated request as a route handler sees it.
type call struct {
	r      *http.Request
	body   []byte
	params map[string]string
	now    time.Time
}

// ServeHTTP answers one request of the OVH API under /1.0. The pipeline is:
// count the request under its route pattern, take a matching fault (latency,
// then a status answered without doing the work), check the signature, wait
// on a "before" hold, do the work under the fake's lock, wait on an "after"
// hold, then drop the connection, answer the fault's after-work status, or
// answer the work's result. Every answer carries X-Ovh-QueryID.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, validationPath) {
		f.serveValidation(w, r) // a login page, not the API
		return
	}
	qid := fmt.Sprintf("FAKE.ws-1.%08x.%d", f.instance, f.queryN.Add(1))
	w.Header().Set("X-Ovh-QueryID", qid)

	rt, params := matchRoute(r.Method, r.URL.Path)
	key := r.Method + " " + unknownRoute
	if rt != nil {
		key = rt.key
	}
	fl := f.countAndTakeFault(key)

	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	if err != nil {
		return // the client went away while sending
	}
	if fl != nil && fl.Latency > 0 && !sleepCtx(r, fl.Latency) {
		return
	}
	if fl != nil && (fl.Status != 0 || fl.Body != "") {
		f.write(w, r, key, fl.reply(), qid)
		return
	}
	if rt == nil {
		f.write(w, r, key, apiError(http.StatusNotFound, "Got an invalid (or empty) URL"), qid)
		return
	}
	if len(body) > maxBodyBytes {
		f.write(w, r, key, apiError(http.StatusBadRequest, "Request body too large"), qid)
		return
	}
	now := f.now()
	if rt.auth {
		if rep, ok := f.authenticate(r, body, now); !ok {
			f.write(w, r, key, rep, qid)
			return
		}
	}

	hold := f.takeHold(key)
	if hold != nil && !hold.after && !hold.wait(r) {
		return // the client went away while held: the work is never done
	}
	f.mu.Lock()
	now = f.now()
	f.settleLocked(now)
	rep := rt.handle(f, &call{r: r, body: body, params: params, now: now})
	f.mu.Unlock()
	if hold != nil && hold.after {
		hold.wait(r)
	}

	switch {
	case fl != nil && fl.DropAfterWork:
		f.log.Debug("ovhfake dropped connection after work", "route", key, "query_id", qid)
		dropConnection(w)
		return
	case fl != nil && fl.StatusAfterWork != 0:
		rep = apiError(fl.StatusAfterWork, http.StatusText(fl.StatusAfterWork))
	}
	f.write(w, r, key, rep, qid)
}

// unknownRoute is the pattern under which Requests counts a request that
// matches no route.
const unknownRoute = "(unknown route)"

func (f *Fake) countAndTakeFault(key string) *Fault {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests[key]++
	f.total++
	return f.takeFaultLocked(key)
}

func (f *Fake) write(w http.ResponseWriter, r *http.Request, key string, rep reply, qid string) {
	for k, vs := range rep.header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	}
	w.WriteHeader(rep.status)
	_, _ = w.Write(rep.body)
	f.log.Debug("ovhfake request", "method", r.Method, "route", key, "status", rep.status, "query_id", qid)
}

// sleepCtx waits d or until the request's context ends; it reports whether
// the whole delay passed.
func sleepCtx(r *http.Request, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

// dropConnection closes the client's connection without an answer. Over
// HTTP/1 it hijacks and closes the TCP connection; where hijacking is not
// possible it aborts the handler, which resets the stream.
func dropConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

// splitClean splits s on sep and drops surrounding spaces.
func splitClean(s, sep string) []string {
	parts := strings.Split(s, sep)
	for i, p := range parts {
		parts[i] = strings.TrimSpace(p)
	}
	return parts
}
