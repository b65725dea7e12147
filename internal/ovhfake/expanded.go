package ovhfake

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/renewd/renewd"
)

// Pagination of GET /services in the "expanded" mode OVH Manager uses.
const (
	// PaginationPageSize is the page size when X-Pagination-Size is absent.
	// There is no maximum.
	PaginationPageSize = 1000
	pagesMode          = "CachedObjectList-Pages"
)

// expandedService is services.expanded.Service (GET /services/{id}).
type expandedService struct {
	ServiceID       int64            `json:"serviceId"`
	ParentServiceID *int64           `json:"parentServiceId"`
	Tags            []string         `json:"tags"`
	Customer        expandedCustomer `json:"customer"`
	Resource        expandedResource `json:"resource"`
	Route           serviceRoute     `json:"route"`
	Billing         expandedBilling  `json:"billing"`
}

type expandedCustomer struct {
	Contacts []expandedContact `json:"contacts"`
}

type expandedContact struct {
	CustomerCode string `json:"customerCode"`
	Type         string `json:"type"`
}

type expandedResource struct {
	DisplayName       string          `json:"displayName"`
	Name              string          `json:"name"`
	Product           expandedProduct `json:"product"`
	ResellingProvider *string         `json:"resellingProvider"`
	State             string          `json:"state"`
}

type expandedProduct struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

type expandedBilling struct {
	ExpirationDate    string              `json:"expirationDate"`
	NextBillingDate   string              `json:"nextBillingDate"`
	Plan              expandedPlan        `json:"plan"`
	Pricing           any                 `json:"pricing"`
	Group             any                 `json:"group"`
	Engagement        *expandedEngagement `json:"engagement"`
	EngagementRequest any                 `json:"engagementRequest"`
	Renew             expandedRenew       `json:"renew"`
	Lifecycle         expandedLifecycle   `json:"lifecycle"`
}

// expandedEngagement is services.expanded.EngagementSummary; endDate is a
// date.
type expandedEngagement struct {
	EndDate string `json:"endDate"`
	EndRule struct {
		PossibleStrategies []string `json:"possibleStrategies"`
		Strategy           string   `json:"strategy"`
	} `json:"endRule"`
}

type expandedPlan struct {
	Code        string `json:"code"`
	InvoiceName string `json:"invoiceName"`
}

type expandedRenew struct {
	Current struct {
		Mode     string  `json:"mode"`
		NextDate string  `json:"nextDate"`
		Period   *string `json:"period"`
	} `json:"current"`
	Capacities struct {
		Mode []string `json:"mode"`
	} `json:"capacities"`
}

type expandedLifecycle struct {
	Current struct {
		CreationDate    string   `json:"creationDate"`
		PendingActions  []string `json:"pendingActions"`
		State           string   `json:"state"`
		TerminationDate *string  `json:"terminationDate"`
	} `json:"current"`
	Capacities struct {
		Actions []string `json:"actions"`
	} `json:"capacities"`
}

// expandedView builds the /services object. billing.expirationDate,
// nextBillingDate and renew.current.nextDate are datetimes: the expiration
// date at the fixture's time of day, in the zone of Wire.Time (or a date in
// TimeExpirationDate); lifecycle.current.creationDate likewise for the
// creation date. billing.engagement is null without an engagement.
// billing.renew.current.mode only knows automatic|manual: automatic* modes
// and option (renewed by OVH with its parent) read "automatic"; manual,
// deleteAtExpiration, deleteAtEndEngagement and oneShot read "manual"; any
// other value is passed through. deleteAtExpiration also shows the pending
// action terminateAtExpirationDate. lifecycle.current.state maps the billing
// state: ok -> active, unpaid -> unpaid, expired -> unrenewed, pending ->
// inCreation; others pass through.
func (f *Fake) expandedView(s *service) expandedService {
	fx := s.fx
	v := expandedService{
		ServiceID: fx.ID,
		Tags:      []string{},
		Customer: expandedCustomer{Contacts: []expandedContact{
			{CustomerCode: fakeNIC, Type: "administrator"},
			{CustomerCode: fakeNIC, Type: "billing"},
			{CustomerCode: fakeNIC, Type: "technical"},
		}},
		Resource: expandedResource{
			DisplayName: fx.Name,
			Name:        fx.Name,
			Product:     expandedProduct{Name: planCode(fx.Type), Description: fx.Type},
			State:       "active",
		},
		Route: routeOf(fx),
	}
	tf := f.wire.Time
	b := &v.Billing
	b.ExpirationDate = tf.billingDate(fx.Expiration, fx.ExpirationTime)
	b.NextBillingDate = tf.billingDate(fx.Expiration, fx.ExpirationTime)
	b.Plan = expandedPlan{Code: planCode(fx.Type), InvoiceName: fx.Type + " " + fx.Name}
	if !fx.EngagedUntil.IsZero() {
		e := &expandedEngagement{EndDate: fx.EngagedUntil.String()}
		e.EndRule.Strategy = "STOP_ENGAGEMENT_FALLBACK_DEFAULT_PRICE"
		e.EndRule.PossibleStrategies = []string{"CANCEL_SERVICE", "REACTIVATE_ENGAGEMENT",
			"STOP_ENGAGEMENT_FALLBACK_DEFAULT_PRICE", "STOP_ENGAGEMENT_KEEP_PRICE"}
		b.Engagement = e
	}
	b.Renew.Current.Mode = expandedMode(fx.RenewMode)
	b.Renew.Current.NextDate = tf.wallClock(fx.Expiration, fx.ExpirationTime)
	if alone := aloneStrategy(fx); alone != nil {
		p := mustPeriod(alone.Period).String()
		b.Renew.Current.Period = &p
	}
	b.Renew.Capacities.Mode = []string{"automatic", "manual"}
	b.Lifecycle.Current.CreationDate = tf.wallClock(s.created, fx.ExpirationTime)
	b.Lifecycle.Current.PendingActions = []string{}
	if fx.RenewMode == "deleteAtExpiration" {
		b.Lifecycle.Current.PendingActions = append(b.Lifecycle.Current.PendingActions, "terminateAtExpirationDate")
	}
	b.Lifecycle.Current.State = lifecycleState(fx.State)
	b.Lifecycle.Capacities.Actions = []string{"earlyRenewal", "terminate", "terminateAtExpirationDate"}
	return v
}

func expandedMode(mode string) string {
	switch renewd.ParseRenewMode(mode) {
	case renewd.RenewAutomatic, renewd.RenewWithParent:
		return "automatic"
	case renewd.RenewManual:
		return "manual"
	}
	return mode
}

func lifecycleState(state string) string {
	switch state {
	case "ok":
		return "active"
	case "expired":
		return "unrenewed"
	case "pending":
		return "inCreation"
	}
	return state
}

// listServices answers GET /services: the ids of the services that pass the
// resourceName and routes filters, ascending. routes is a comma-separated
// list of route paths ("/vps/{serviceName}"), where "/vps" also matches.
//
// With the header X-Pagination-Mode: CachedObjectList-Pages, Wire.Expanded
// decides. Honoured, the answer is one page of full services.expanded.Service
// objects: X-Pagination-Size (default PaginationPageSize, cut to
// Wire.MaxPageSize when that is set) and X-Pagination-Number (1-based,
// default 1) choose the page; a page past the end is an empty array. The
// answer carries X-Pagination-Elements (the total after filters),
// X-Pagination-Size (the size served) and X-Pagination-Number.
// X-Pagination-Filter, -Sort and the Cursor mode are ignored. Ignored, the
// answer is the plain id list. Refused, it is a 400.
func (f *Fake) listServices(c *call) reply {
	q := c.r.URL.Query()
	name := q.Get("resourceName")
	var routes []string
	if v := q.Get("routes"); v != "" {
		routes = splitClean(v, ",")
	}
	ids := make([]int64, 0, len(f.serviceIDs))
	for _, id := range f.serviceIDs {
		fx := f.services[id].fx
		if name != "" && fx.Name != name {
			continue
		}
		if routes != nil && !slices.ContainsFunc(routes, func(r string) bool {
			return r == routeOf(fx).Path || r == "/"+fx.Type
		}) {
			continue
		}
		ids = append(ids, id)
	}
	if c.r.Header.Get("X-Pagination-Mode") != pagesMode || f.wire.Expanded == ExpandedIgnored {
		return okReply(ids)
	}
	if f.wire.Expanded == ExpandedRefused {
		return badRequest("Invalid header X-Pagination-Mode: this route does not support pagination")
	}
	size, err := headerInt(c.r, "X-Pagination-Size", PaginationPageSize)
	if err != nil {
		return badRequest("Invalid header X-Pagination-Size")
	}
	if max := f.wire.MaxPageSize; max > 0 {
		size = min(size, max)
	}
	number, err := headerInt(c.r, "X-Pagination-Number", 1)
	if err != nil {
		return badRequest("Invalid header X-Pagination-Number")
	}
	page := []expandedService{}
	if start := (number - 1) * size; start < len(ids) {
		for _, id := range ids[start:min(start+size, len(ids))] {
			page = append(page, f.expandedView(f.services[id]))
		}
	}
	rep := okReply(page)
	rep.header = http.Header{}
	rep.header.Set("X-Pagination-Elements", strconv.Itoa(len(ids)))
	rep.header.Set("X-Pagination-Size", strconv.Itoa(size))
	rep.header.Set("X-Pagination-Number", strconv.Itoa(number))
	return rep
}

// headerInt reads a positive integer header, or def when it is absent.
func headerInt(r *http.Request, name string, def int) (int, error) {
	v := strings.TrimSpace(r.Header.Get(name))
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, strconv.ErrSyntax
	}
	return n, nil
}

// getExpandedService answers GET /services/{id} and its batch form.
func (f *Fake) getExpandedService(c *call) reply {
	return f.oneOrBatch(c, func(s *service) any { return f.expandedView(s) })
}
