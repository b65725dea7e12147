package ovhfake

import (
	"strconv"
	"strings"
	"testing"

	"github.com/renewd/renewd"
)

// The sample scenario at t0 (2026-05-01): vps-alpha expires 2026-05-06.

func TestServiceRoutesShapes(t *testing.T) {
	e := newEnv(t, nil, nil)
	tests := []struct {
		path string
		want string
	}{
		{"/service", `[1001,1002,1003,2001,2002,3001,4001,5001]`},
		{"/service/1001", `{
			"creationDate":"2025-05-06","details":[],"engagementDate":null,
			"expirationDate":"2026-05-06","nextBillingDate":"2026-05-06",
			"plan":{"code":"vps","product":{"name":"vps"}},"quantity":1,
			"renew":{"dayOfMonth":6,"interval":"P1M","mode":"manual",
				"possibleIntervals":["P1M","P3M","P1Y"],"possibleModes":["automaticV2016","deleteAtExpiration","manual"]},
			"resource":{"displayName":"vps-alpha.vps.ovh.net","name":"vps-alpha.vps.ovh.net","state":"ok"},
			"route":{"path":"/vps/{serviceName}","url":"/vps/vps-alpha.vps.ovh.net",
				"vars":[{"key":"serviceName","value":"vps-alpha.vps.ovh.net"}]},
			"state":"ok"}`},
		{"/service/2001/renew", `[{"renewPeriod":"P1Y","strategies":[
			{"price":{"currencyCode":"EUR","text":"9.99 €","value":9.99},
			 "services":[2001],
			 "servicesDetails":[{"serviceId":2001,"serviceName":"example.com","serviceType":"domain"}]},
			{"price":{"currencyCode":"EUR","text":"49.99 €","value":49.99},
			 "services":[2001,3001],
			 "servicesDetails":[{"serviceId":2001,"serviceName":"example.com","serviceType":"domain"},
			                    {"serviceId":3001,"serviceName":"example.com","serviceType":"hosting/web"}]}]}]`},
		{"/services/3001", `{
			"serviceId":3001,"parentServiceId":null,"tags":[],
			"customer":{"contacts":[{"customerCode":"xx12345-ovh","type":"administrator"},
				{"customerCode":"xx12345-ovh","type":"billing"},{"customerCode":"xx12345-ovh","type":"technical"}]},
			"resource":{"displayName":"example.com","name":"example.com",
				"product":{"name":"hosting-web","description":"hosting/web"},"resellingProvider":null,"state":"active"},
			"route":{"path":"/hosting/web/{serviceName}","url":"/hosting/web/example.com",
				"vars":[{"key":"serviceName","value":"example.com"}]},
			"billing":{"expirationDate":"2026-05-11T00:41:07+02:00","nextBillingDate":"2026-05-11T00:41:07+02:00",
				"plan":{"code":"hosting-web","invoiceName":"hosting/web example.com"},
				"pricing":null,"group":null,"engagement":null,"engagementRequest":null,
				"renew":{"current":{"mode":"manual","nextDate":"2026-05-11T00:41:07+02:00","period":"P1Y"},
					"capacities":{"mode":["automatic","manual"]}},
				"lifecycle":{"current":{"creationDate":"2025-05-11T00:41:07+02:00","pendingActions":[],"state":"active","terminationDate":null},
					"capacities":{"actions":["earlyRenewal","terminate","terminateAtExpirationDate"]}}}}`},
		{"/hosting/web/example.com/serviceInfos", `{
			"canDeleteAtExpiration":true,"contactAdmin":"xx12345-ovh","contactBilling":"xx12345-ovh","contactTech":"xx12345-ovh",
			"creation":"2025-05-11","domain":"example.com","engagedUpTo":null,"expiration":"2026-05-11",
			"possibleRenewPeriod":[12],
			"renew":{"automatic":false,"deleteAtExpiration":false,"forced":false,"manualPayment":true,"period":null},
			"renewalType":"manual","serviceId":3001,"status":"ok"}`},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			diffJSON(t, "GET "+tt.path, e.get(t, tt.path), tt.want)
		})
	}
}

func TestServiceModesAcrossRoutes(t *testing.T) {
	sc := SampleScenario(t0)
	for _, mode := range []string{"option", "deleteAtExpiration", "automaticV2024", "madeUpMode"} {
		sc.Services = append(sc.Services, ServiceFixture{
			ID: int64(6000 + len(sc.Services)), Name: mode + ".example.net", Type: "vps",
			Expiration: renewd.DateOf(t0).AddPeriod(renewd.Period{Months: 1}), RenewMode: mode, State: "expired",
		})
	}
	e := newEnv(t, &sc, nil)
	tests := []struct {
		id                               int64
		name                             string
		listMode, expandedMode, infoMode string
		automatic                        bool
	}{
		{1003, "vps-gamma.vps.ovh.net", "automaticV2016", "automatic", "automaticV2016", true},
		{6008, "option.example.net", "option", "automatic", "option", false},
		{6009, "deleteAtExpiration.example.net", "deleteAtExpiration", "manual", "manual", false},
		{6010, "automaticV2024.example.net", "automaticV2024", "automatic", "automaticV2024", true},
		{6011, "madeUpMode.example.net", "madeUpMode", "madeUpMode", "madeUpMode", false},
	}
	for _, tt := range tests {
		t.Run(tt.listMode, func(t *testing.T) {
			list := e.get(t, servicePath(tt.id)).(map[string]any)
			if got := list["renew"].(map[string]any)["mode"]; got != tt.listMode {
				t.Errorf("/service renew.mode = %v, want %s", got, tt.listMode)
			}
			exp := e.get(t, "/services/"+strconv.FormatInt(tt.id, 10)).(map[string]any)
			billing := exp["billing"].(map[string]any)
			if got := billing["renew"].(map[string]any)["current"].(map[string]any)["mode"]; got != tt.expandedMode {
				t.Errorf("/services billing.renew.current.mode = %v, want %s", got, tt.expandedMode)
			}
			info := e.get(t, "/vps/"+tt.name+"/serviceInfos").(map[string]any)
			if info["renewalType"] != tt.infoMode || info["renew"].(map[string]any)["automatic"] != tt.automatic {
				t.Errorf("serviceInfos renewalType %v, automatic %v; want %s, %v",
					info["renewalType"], info["renew"].(map[string]any)["automatic"], tt.infoMode, tt.automatic)
			}
		})
	}
	exp := e.get(t, "/services/6009").(map[string]any)
	lc := exp["billing"].(map[string]any)["lifecycle"].(map[string]any)["current"].(map[string]any)
	diffJSON(t, "deleteAtExpiration lifecycle", lc, `{"creationDate":"2025-06-01T00:00:00+02:00",
		"pendingActions":["terminateAtExpirationDate"],"state":"unrenewed","terminationDate":null}`)
	if got := e.get(t, "/vps/option.example.net/serviceInfos").(map[string]any)["status"]; got != "expired" {
		t.Errorf("serviceInfos status = %v, want expired", got)
	}
}

func TestServiceErrors(t *testing.T) {
	e := newEnv(t, nil, nil)
	var v any
	tests := []struct {
		path   string
		status int
		msg    string
	}{
		{"/service/999", 404, "serviceId = 999"},
		{"/service/abc", 400, "Invalid parameter serviceId"},
		{"/service/999/renew", 404, "serviceId = 999"},
		{"/services/999", 404, "serviceId = 999"},
		{"/service/1001,1002", 400, "Invalid parameter serviceId"}, // no X-Ovh-Batch header
		{"/vps/nope.example.net/serviceInfos", 404, "nope.example.net"},
		{"/domain/vps-alpha.vps.ovh.net/serviceInfos", 404, "vps-alpha"}, // right name, wrong type
		{"/me/order/42", 404, "orderId = 42"},
		{"/me/payment/method/1", 404, "paymentMethodId = 1"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			ae := apiErr(t, e.client.Get(tt.path, &v), tt.status, tt.msg)
			if want := errorClass(tt.status); ae.Class != want {
				t.Errorf("class = %q, want %q", ae.Class, want)
			}
		})
	}
}

func TestServicesListFilters(t *testing.T) {
	e := newEnv(t, nil, nil)
	tests := []struct {
		query, want string
	}{
		{"", `[1001,1002,1003,2001,2002,3001,4001,5001]`},
		{"?resourceName=example.com", `[2001,3001]`},
		{"?routes=/domain", `[2001,2002]`},
		{"?routes=/hosting/web/%7BserviceName%7D,/dedicated/server", `[3001,4001]`},
		{"?resourceName=example.com&routes=/domain", `[2001]`},
		{"?resourceName=none", `[]`},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			diffJSON(t, "GET /services"+tt.query, e.get(t, "/services"+tt.query), tt.want)
		})
	}
}

func TestExpandedListing(t *testing.T) {
	e := newEnv(t, nil, nil)
	pages := map[string]string{"X-Pagination-Mode": "CachedObjectList-Pages", "X-Pagination-Size": "3"}
	var seen []any
	for page := 1; page <= 4; page++ {
		pages["X-Pagination-Number"] = strconv.Itoa(page)
		resp, v, err := e.getWithHeaders(t, "/services", pages)
		if err != nil {
			t.Fatalf("page %d: %v", page, err)
		}
		if got := resp.Header.Get("X-Pagination-Elements"); got != "8" {
			t.Errorf("page %d: X-Pagination-Elements = %q, want 8", page, got)
		}
		items := v.([]any)
		if want := []int{3, 3, 2, 0}[page-1]; len(items) != want {
			t.Fatalf("page %d has %d items, want %d", page, len(items), want)
		}
		for _, it := range items {
			seen = append(seen, it.(map[string]any)["serviceId"])
		}
	}
	diffJSON(t, "serviceIds over the pages", seen, `[1001,1002,1003,2001,2002,3001,4001,5001]`)

	// The expanded object is the one GET /services/{id} answers.
	_, v, _ := e.getWithHeaders(t, "/services", map[string]string{"X-Pagination-Mode": "CachedObjectList-Pages"})
	if d := diffAny(v.([]any)[5], e.get(t, "/services/3001")); d != "" {
		t.Errorf("expanded item differs from GET /services/3001:\n%s", d)
	}

	_, _, err := e.getWithHeaders(t, "/services", map[string]string{"X-Pagination-Mode": "CachedObjectList-Pages", "X-Pagination-Size": "0"})
	apiErr(t, err, 400, "X-Pagination-Size")

	e.fake.SetExpandedListing(false)
	resp, v, err := e.getWithHeaders(t, "/services", pages)
	if err != nil || resp.Header.Get("X-Pagination-Elements") != "" {
		t.Fatalf("expanded off: %v, headers %v", err, resp.Header)
	}
	diffJSON(t, "expanded off", v, `[1001,1002,1003,2001,2002,3001,4001,5001]`)
}

func TestBatch(t *testing.T) {
	e := newEnv(t, nil, nil)
	batch := map[string]string{"X-Ovh-Batch": ","}
	for _, base := range []string{"/service/", "/services/"} {
		t.Run(base, func(t *testing.T) {
			_, v, err := e.getWithHeaders(t, base+"1001,999,x,2001", batch)
			if err != nil {
				t.Fatal(err)
			}
			items := v.([]any)
			if len(items) != 4 {
				t.Fatalf("%d items, want 4: %v", len(items), items)
			}
			for i, want := range []struct {
				key   string
				value bool
				err   string
			}{{"1001", true, ""}, {"999", false, "serviceId = 999"}, {"x", false, "Invalid parameter"}, {"2001", true, ""}} {
				it := items[i].(map[string]any)
				if it["key"] != want.key || (it["value"] != nil) != want.value {
					t.Errorf("item %d = %v, want key %s with value %v", i, it, want.key, want.value)
				}
				if errText, _ := it["error"].(string); want.err == "" && it["error"] != nil || want.err != "" && !strings.Contains(errText, want.err) {
					t.Errorf("item %d error = %v, want %q", i, it["error"], want.err)
				}
			}
			if d := diffAny(items[0].(map[string]any)["value"], e.get(t, base+"1001")); d != "" {
				t.Errorf("batch value differs from the single GET:\n%s", d)
			}
		})
	}
	e.fake.SetBatch(false)
	_, _, err := e.getWithHeaders(t, "/service/1001,2001", batch)
	apiErr(t, err, 400, "Invalid parameter serviceId")
	if got := e.fake.Requests()["GET /service/{id}"]; got != 3 {
		t.Errorf("GET /service/{id} counted %d, want 3 (a batch is one request)", got)
	}
}
