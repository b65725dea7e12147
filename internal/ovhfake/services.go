package ovhfake

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/renewd/renewd"
)

// serviceListService is serviceList.Service (GET /service/{id}). Its dates
// are date-typed: calendar dates, as OVH keeps them (in Paris); there is no
// billing sub-object.
type serviceListService struct {
	CreationDate    string       `json:"creationDate"`
	Details         []keyValue   `json:"details"`
	EngagementDate  *string      `json:"engagementDate"`
	ExpirationDate  *string      `json:"expirationDate"`
	NextBillingDate *string      `json:"nextBillingDate"`
	Plan            servicePlan  `json:"plan"`
	Quantity        int          `json:"quantity"`
	Renew           serviceRenew `json:"renew"`
	Resource        listResource `json:"resource"`
	Route           serviceRoute `json:"route"`
	State           string       `json:"state"`
}

type servicePlan struct {
	Code    string      `json:"code"`
	Product productName `json:"product"`
}

type productName struct {
	Name string `json:"name"`
}

// serviceRenew is service.Renew.
type serviceRenew struct {
	DayOfMonth        *int     `json:"dayOfMonth"`
	Interval          *string  `json:"interval"`
	Mode              string   `json:"mode"`
	PossibleIntervals []string `json:"possibleIntervals"`
	PossibleModes     []string `json:"possibleModes"`
}

type listResource struct {
	DisplayName string `json:"displayName"`
	Name        string `json:"name"`
	State       string `json:"state"`
}

// listService answers GET /service: every service id, ascending.
func (f *Fake) listService(c *call) reply { return okReply(slices.Clone(f.serviceIDs)) }

// getService answers GET /service/{id}, and its batch form
// GET /service/{id1},{id2} with the header X-Ovh-Batch.
func (f *Fake) getService(c *call) reply {
	return f.oneOrBatch(c, func(s *service) any { return f.serviceListView(s) })
}

func (f *Fake) serviceListView(s *service) serviceListService {
	fx := s.fx
	renew := serviceRenew{Mode: fx.RenewMode, PossibleIntervals: []string{}, PossibleModes: possibleModes(fx.RenewMode)}
	for _, p := range strategyPeriods(fx) {
		if iv := p.String(); slices.Contains(renewIntervals, iv) {
			renew.PossibleIntervals = append(renew.PossibleIntervals, iv)
		}
	}
	if alone := aloneStrategy(fx); alone != nil {
		if iv := mustPeriod(alone.Period).String(); slices.Contains(renewIntervals, iv) {
			renew.Interval = &iv
		}
	}
	day := fx.Expiration.Day
	renew.DayOfMonth = &day
	return serviceListService{
		CreationDate:    s.created.String(),
		Details:         []keyValue{},
		EngagementDate:  dateOnly(fx.EngagedUntil),
		ExpirationDate:  dateOnly(fx.Expiration),
		NextBillingDate: dateOnly(fx.Expiration),
		Plan:            servicePlan{Code: planCode(fx.Type), Product: productName{Name: fx.Type}},
		Quantity:        1,
		Renew:           renew,
		Resource:        listResource{DisplayName: fx.Name, Name: fx.Name, State: "ok"},
		Route:           routeOf(fx),
		State:           fx.State,
	}
}

// renewIntervals is service.renew.Interval, the periods serviceList.Service
// can name (canonically spelt); a strategy for another period (P2M, P14D) is
// offered by GET /service/{id}/renew but not listed there.
var renewIntervals = []string{"P1M", "P3M", "P6M", "P1Y", "P2Y", "P3Y"}

func planCode(typ string) string { return strings.ReplaceAll(typ, "/", "-") }

func possibleModes(mode string) []string {
	modes := []string{"automaticV2016", "deleteAtExpiration", "manual"}
	if !slices.Contains(modes, mode) {
		modes = append(modes, mode)
	}
	return modes
}

// batchItem is one element of a batch answer. The shape is OVH Manager's
// reading of it (key, value, error); OVH does not document it. Key is the
// id as a string, or as a number in BatchNumberKeys.
type batchItem struct {
	Key   any     `json:"key"`
	Value any     `json:"value"`
	Error *string `json:"error"`
}

// oneOrBatch answers a GET on /service/{id} or /services/{id}. With batch
// honoured (Wire.Batch) and the header X-Ovh-Batch set, {id} is a list split
// on the header's value and the answer is a []batchItem (also for a single
// id); an unknown or malformed id gives value null and an error. Otherwise
// {id} must be one number (400 "Invalid parameter serviceId") of a known
// service (404).
func (f *Fake) oneOrBatch(c *call, view func(*service) any) reply {
	raw := c.params["id"]
	if sep := c.r.Header.Get("X-Ovh-Batch"); f.wire.Batch != BatchRefused && sep != "" {
		items := []batchItem{}
		for _, key := range splitClean(raw, sep) {
			id, err := strconv.ParseInt(key, 10, 64)
			item := batchItem{Key: key}
			if err == nil && f.wire.Batch == BatchNumberKeys {
				item.Key = id
			}
			s := f.services[id]
			switch {
			case err != nil:
				msg := "Invalid parameter serviceId"
				item.Error = &msg
			case s == nil:
				msg := "The requested object (serviceId = " + key + ") does not exist"
				item.Error = &msg
			default:
				item.Value = view(s)
			}
			items = append(items, item)
		}
		return okReply(items)
	}
	s, rep, found := f.serviceParam(c)
	if !found {
		return rep
	}
	return okReply(view(s))
}

// serviceParam resolves the {id} path parameter to a service, or gives the
// 400 or 404 answer.
func (f *Fake) serviceParam(c *call) (*service, reply, bool) {
	id, err := strconv.ParseInt(c.params["id"], 10, 64)
	if err != nil {
		return nil, badRequest("Invalid parameter serviceId"), false
	}
	s := f.services[id]
	if s == nil {
		return nil, notFound("serviceId", id), false
	}
	return s, reply{}, true
}

// serviceInfos is services.Service, the /{type}/{name}/serviceInfos answer.
type serviceInfos struct {
	CanDeleteAtExpiration bool             `json:"canDeleteAtExpiration"`
	ContactAdmin          string           `json:"contactAdmin"`
	ContactBilling        string           `json:"contactBilling"`
	ContactTech           string           `json:"contactTech"`
	Creation              string           `json:"creation"`
	Domain                string           `json:"domain"`
	EngagedUpTo           *string          `json:"engagedUpTo"`
	Expiration            string           `json:"expiration"`
	PossibleRenewPeriod   []int            `json:"possibleRenewPeriod"`
	Renew                 serviceInfoRenew `json:"renew"`
	RenewalType           string           `json:"renewalType"`
	ServiceID             int64            `json:"serviceId"`
	Status                string           `json:"status"`
}

// serviceInfoRenew is service.RenewType.
type serviceInfoRenew struct {
	Automatic          bool `json:"automatic"`
	DeleteAtExpiration bool `json:"deleteAtExpiration"`
	Forced             bool `json:"forced"`
	ManualPayment      bool `json:"manualPayment"`
	Period             *int `json:"period"`
}

// fakeNIC is the account's NIC handle in serviceInfos contacts.
const fakeNIC = "xx12345-ovh"

// getServiceInfos answers GET /{type}/{name}/serviceInfos; the type may hold
// a slash (hosting/web). renewalType is the fixture's mode, except
// deleteAtExpiration (not a renewalType), which reads manual with
// renew.deleteAtExpiration set.
func (f *Fake) getServiceInfos(c *call) reply {
	id, found := f.byRoute[routeKey(c.params["type"], c.params["name"])]
	if !found {
		return notFound("serviceName", c.params["name"])
	}
	s := f.services[id]
	fx := s.fx
	mode := renewd.ParseRenewMode(fx.RenewMode)
	renewal := fx.RenewMode
	if fx.RenewMode == "deleteAtExpiration" || fx.RenewMode == "deleteAtEndEngagement" {
		renewal = "manual"
	}
	periods := []int{}
	for _, p := range strategyPeriods(fx) {
		if p.Days == 0 { // possibleRenewPeriod counts months
			periods = append(periods, p.Years*12+p.Months)
		}
	}
	return okReply(serviceInfos{
		CanDeleteAtExpiration: true,
		ContactAdmin:          fakeNIC,
		ContactBilling:        fakeNIC,
		ContactTech:           fakeNIC,
		Creation:              s.created.String(),
		Domain:                fx.Name,
		EngagedUpTo:           dateOnly(fx.EngagedUntil),
		Expiration:            fx.Expiration.String(),
		PossibleRenewPeriod:   periods,
		Renew: serviceInfoRenew{
			Automatic:          mode == renewd.RenewAutomatic,
			DeleteAtExpiration: fx.RenewMode == "deleteAtExpiration",
			ManualPayment:      fx.RenewMode == "manual",
		},
		RenewalType: renewal,
		ServiceID:   fx.ID,
		Status:      infoStatus(fx.State),
	})
}

// infoStatus maps the billing state to service.StateEnum.
func infoStatus(state string) string {
	switch state {
	case "unpaid":
		return "unPaid"
	case "pending":
		return "inCreation"
	}
	return state
}

// strategyPeriods lists the distinct periods a service can renew for,
// shortest first.
func strategyPeriods(fx ServiceFixture) []renewd.Period {
	var out []renewd.Period
	for _, st := range fx.Strategies {
		p := mustPeriod(st.Period)
		if !slices.ContainsFunc(out, p.Equal) {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b renewd.Period) int { return periodDays(a) - periodDays(b) })
	return out
}

func periodDays(p renewd.Period) int { return p.Years*372 + p.Months*31 + p.Days }

// aloneStrategy is the service's shortest strategy renewing it alone, or nil.
func aloneStrategy(fx ServiceFixture) *StrategyFixture {
	var best *StrategyFixture
	for i, st := range fx.Strategies {
		if len(st.Services) != 1 {
			continue
		}
		if best == nil || periodDays(mustPeriod(st.Period)) < periodDays(mustPeriod(best.Period)) {
			best = &fx.Strategies[i]
		}
	}
	return best
}

// mustPeriod parses a period that validation already accepted.
func mustPeriod(s string) renewd.Period {
	p, err := renewd.ParsePeriod(s)
	if err != nil {
		panic("ovhfake: unvalidated period " + s)
	}
	return p
}

var _ http.Handler = (*Fake)(nil)
