package ovhfake

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// The checker behind TestConformance must fail on every kind of wrong
// answer, or TestConformance proves nothing. These tests feed it hand-made
// wrong answers, first as values, then as answers of a fake (a Body fault
// replaces the route's answer) checked through the same HTTP path.

func parisZone(t *testing.T) *time.Location {
	t.Helper()
	z, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	return z
}

func TestSchemaChecker(t *testing.T) {
	sc := loadSchema(t)
	paris := wireAllow{zone: parisZone(t)}
	tests := []struct {
		name, typ, json string
		allow           *wireAllow
		want            string // "" for an accepted value; else part of the error
	}{
		{"date", "date", `"2026-12-05"`, nil, ""},
		{"date written as datetime", "date", `"2026-12-05T00:00:00+01:00"`, nil, "want a date"},
		{"date not on the calendar", "date", `"2026-02-30"`, nil, "want a date"},
		{"datetime winter", "datetime", `"2026-12-05T19:56:28+01:00"`, nil, ""},
		{"datetime summer", "datetime", `"2026-07-14T00:41:07+02:00"`, nil, ""},
		{"datetime without offset", "datetime", `"2026-12-05T19:56:28"`, nil, "want a datetime"},
		{"datetime written as date", "datetime", `"2026-12-05"`, nil, "want a datetime"},
		{"datetime with winter offset in summer", "datetime", `"2026-07-14T00:41:07+01:00"`, nil, "Europe/Paris is at +02:00"},
		{"datetime in UTC where Paris is due", "datetime", `"2026-12-05T18:56:28Z"`, nil, "carries offset +00:00"},
		{"datetime in UTC", "datetime", `"2026-12-05T18:56:28Z"`, &wireAllow{zone: time.UTC}, ""},
		{"datetime in Paris where UTC is due", "datetime", `"2026-12-05T19:56:28+01:00"`, &wireAllow{zone: time.UTC}, "want UTC written Z"},
		{"long", "long", `1001`, nil, ""},
		{"long as a string", "long", `"1001"`, nil, "want a long"},
		{"long as a double", "long", `1001.5`, nil, "want a long"},
		{"long with an exponent", "long", `1e3`, nil, "want a long"},
		{"long past int64", "long", `9223372036854775808`, nil, "want a long"},
		{"double", "double", `1e300`, nil, ""},
		{"double as a string", "double", `"7.00"`, nil, "want a double"},
		{"boolean as a string", "boolean", `"true"`, nil, "want a boolean"},
		{"duration", "duration", `"P12M"`, nil, ""},
		{"duration bad", "duration", `"12 months"`, nil, "want an ISO 8601 duration"},
		{"null where nullable", "date?", `null`, nil, ""},
		{"null where not nullable", "date", `null`, nil, "not nullable"},
		{"enum", "billing.order.OrderStatusEnum", `"checking"`, nil, ""},
		{"enum value not in the doc", "billing.order.OrderStatusEnum", `"inReview"`, nil, "not a value of"},
		{"enum value the fake was told to send", "billing.order.OrderStatusEnum", `"inReview"`,
			&wireAllow{zone: time.UTC, enum: map[string][]string{"billing.order.OrderStatusEnum": {"inReview"}}}, ""},
		{"array of longs", "long[]", `[1,"2"]`, nil, "[1]: \"2\", want a long"},
		{"model", "order.Price", `{"currencyCode":"EUR","text":"7.00 €","value":7}`, nil, ""},
		{"model field null", "order.Price", `{"value":null}`, nil, ".value: null"},
		{"model field missing", "order.Price", `{"currencyCode":"EUR","text":"7.00 €"}`, nil, "has no value"},
		{"model field missing where told", "order.Price", `{"currencyCode":"EUR","text":"7.00 €"}`,
			&wireAllow{zone: time.UTC, absent: map[string]bool{"order.Price.value": true}}, ""},
		{"model field the doc lacks", "order.Price", `{"value":7,"amount":7}`, nil, `no field "amount"`},
		{"nested", "service.renew.RenewDescription",
			`{"renewPeriod":"P1Y","strategies":[{"price":{"value":"1.99"},"services":[1],"servicesDetails":[]}]}`,
			nil, `$.strategies[0].price.value: "1.99", want a double`},
		{"alternative type", "services.expanded.Billing.expirationDate", `"2026-12-05"`, nil, ""},
		{"void", "void", `null`, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			allow := paris
			if tt.allow != nil {
				allow = *tt.allow
			}
			c := &checker{sc: sc, allow: allow}
			if tt.typ == "services.expanded.Billing.expirationDate" { // a field with an alternative type
				c.allow.alt = map[string]string{"services.expanded.Billing.expirationDate": "date"}
				c.checkBody("$", "services.expanded.Billing", []byte(`{"expirationDate":`+tt.json+`,"nextBillingDate":null,
					"plan":null,"pricing":null,"group":null,"engagement":null,"engagementRequest":null,"renew":null,"lifecycle":null}`))
			} else {
				c.checkBody("$", tt.typ, []byte(tt.json))
			}
			got := strings.Join(c.errs, "\n")
			switch {
			case tt.want == "" && got != "":
				t.Errorf("rejected: %s", got)
			case tt.want != "" && !strings.Contains(got, tt.want):
				t.Errorf("errors %q, want one with %q", got, tt.want)
			}
		})
	}
}

// TestSchemaTableIsChecked: a table naming a type it does not define, or a
// line it cannot read, is refused, so a typo cannot make a field unchecked.
func TestSchemaTableIsChecked(t *testing.T) {
	for _, bad := range []string{
		"model a\n  f  dat\n",
		"model a\n  f  date maybe\n",
		"route GET /x b.Missing\n",
		"enum e\n",
	} {
		if _, err := parseSchema([]byte(bad)); err == nil {
			t.Errorf("parseSchema(%q) accepted it", bad)
		}
	}
}

// mutate replaces the value at a dotted path ("billing.expirationDate") in
// a decoded answer.
func mutate(t *testing.T, v any, path string, to any) {
	t.Helper()
	keys := strings.Split(path, ".")
	for _, k := range keys[:len(keys)-1] {
		v = v.(map[string]any)[k]
	}
	v.(map[string]any)[keys[len(keys)-1]] = to
}

// TestConformanceFailsOnAWrongAnswer: a real answer of the fake with one
// field written wrong, served by the fake over HTTP, fails the check.
func TestConformanceFailsOnAWrongAnswer(t *testing.T) {
	sc := loadSchema(t)
	now := time.Date(2026, 7, 1, 9, 30, 0, 0, time.UTC) // summer
	tests := []struct {
		name, route, path, field string
		to                       any
		want                     string
	}{
		{"date written as datetime", "GET /service/{id}", "/service/1001", "expirationDate", "2026-07-06T00:00:00+02:00", "want a date"},
		{"datetime without offset", "GET /services/{id}", "/services/1001", "billing.expirationDate", "2026-07-06T19:56:28", "want a datetime"},
		{"datetime with the winter offset", "GET /services/{id}", "/services/2001", "billing.renew.current.nextDate",
			"2026-07-11T00:41:07+01:00", "Europe/Paris is at +02:00"},
		{"long as a string", "GET /services/{id}", "/services/1001", "serviceId", "1001", "want a long"},
		{"null in a non-nullable field", "GET /service/{id}", "/service/1001", "state", nil, "not nullable"},
		{"enum value not in the doc", "GET /service/{id}", "/service/1001", "renew.mode", "automaticV2030", "not a value of service.renew.Mode"},
		{"price as a string", "GET /service/{id}/renew", "", "", nil, "want a double"},
		{"boolean as a number", "GET /{type}/{name}/serviceInfos", "/vps/vps-alpha.vps.ovh.net/serviceInfos", "renew.automatic",
			json.Number("0"), "want a boolean"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newConformanceRun(t, sc, conformanceScenario(now, Wire{}), now)
			path := tt.path
			if path == "" {
				path = "/service/1001/renew"
			}
			good := r.get(tt.route, path)
			if len(r.c.errs) != 0 {
				t.Fatalf("the fake's own answer fails: %v", r.c.errs)
			}
			if tt.field == "" { // the first strategy's price value
				mutate(t, good.([]any)[0].(map[string]any)["strategies"].([]any)[0], "price.value", "7.00")
			} else {
				mutate(t, good, tt.field, tt.to)
			}
			bad, err := json.Marshal(good)
			if err != nil {
				t.Fatal(err)
			}
			r.e.fake.Inject(Fault{Route: tt.route, Body: string(bad)})
			r.get(tt.route, path)
			if got := strings.Join(r.c.errs, "\n"); !strings.Contains(got, tt.want) {
				t.Errorf("wrong answer %s gave errors %q, want one with %q", bad, got, tt.want)
			}
		})
	}
}
