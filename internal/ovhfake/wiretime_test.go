package ovhfake

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/renewd/renewd"
)

// expirationsOf reads one service's expiration from every route that gives
// it: /service/{id} (a date), serviceInfos (a date), /services/{id} (a
// datetime) and its renew.current.nextDate (a datetime).
func expirationsOf(t *testing.T, e *testEnv, id int64, typ, name string) (listed, info, billing, next string) {
	t.Helper()
	listed = e.get(t, servicePath(id)).(map[string]any)["expirationDate"].(string)
	info = e.get(t, "/"+typ+"/"+name+"/serviceInfos").(map[string]any)["expiration"].(string)
	b := e.get(t, "/services/"+strconv.FormatInt(id, 10)).(map[string]any)["billing"].(map[string]any)
	billing = b["expirationDate"].(string)
	next = b["renew"].(map[string]any)["current"].(map[string]any)["nextDate"].(string)
	return listed, info, billing, next
}

// TestParisTimeOfDay: the date-typed routes give the calendar date, the
// datetime-typed ones the same date at the service's time of day in Paris
// time, with the offset of the season. Read as UTC instants the datetimes
// are hours off, and the day before for a time shortly after midnight.
func TestParisTimeOfDay(t *testing.T) {
	tod := func(s string) time.Duration {
		d, err := ParseTimeOfDay(s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	sc := Scenario{Services: []ServiceFixture{
		{ID: 1, Name: "winter.example.net", Type: "vps", Expiration: renewd.MustDate("2026-12-05"), ExpirationTime: tod("19:56:28")},
		{ID: 2, Name: "summer.example.net", Type: "vps", Expiration: renewd.MustDate("2026-07-14"), ExpirationTime: tod("00:41:07")},
		{ID: 3, Name: "midnight.example.net", Type: "vps", Expiration: renewd.MustDate("2027-01-31")},
		// 02:30 does not exist in Paris on 2026-03-29 (clocks go from 02:00
		// to 03:00) and happens twice on 2026-10-25.
		{ID: 4, Name: "spring.example.net", Type: "vps", Expiration: renewd.MustDate("2026-03-29"), ExpirationTime: tod("02:30")},
		{ID: 5, Name: "autumn.example.net", Type: "vps", Expiration: renewd.MustDate("2026-10-25"), ExpirationTime: tod("02:30")},
	}}
	e := newEnv(t, &sc, nil)
	// On the two nights the clocks change, Go may pick either reading of
	// 02:30; both are right, the date never changes.
	tests := []struct {
		id                 int64
		name               string
		date               string
		datetime           []string
		utcDayBefore       bool
		creationInSameZone string
	}{
		{1, "winter.example.net", "2026-12-05", []string{"2026-12-05T19:56:28+01:00"}, false, "2025-12-05T19:56:28+01:00"},
		{2, "summer.example.net", "2026-07-14", []string{"2026-07-14T00:41:07+02:00"}, true, "2025-07-14T00:41:07+02:00"},
		{3, "midnight.example.net", "2027-01-31", []string{"2027-01-31T00:00:00+01:00"}, true, "2026-01-31T00:00:00+01:00"},
		{4, "spring.example.net", "2026-03-29", []string{"2026-03-29T03:30:00+02:00", "2026-03-29T01:30:00+01:00"}, false,
			"2025-03-29T02:30:00+01:00"},
		{5, "autumn.example.net", "2026-10-25", []string{"2026-10-25T02:30:00+02:00", "2026-10-25T02:30:00+01:00"}, false,
			"2025-10-25T02:30:00+02:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			listed, info, billing, next := expirationsOf(t, e, tt.id, "vps", tt.name)
			if listed != tt.date || info != tt.date {
				t.Errorf("date-typed expirations /service %q, serviceInfos %q; want %q", listed, info, tt.date)
			}
			if !slices.Contains(tt.datetime, billing) || next != billing {
				t.Errorf("datetime expirations billing %q, nextDate %q; want one of %q", billing, next, tt.datetime)
			}
			if got := renewd.MustDate(billing).String(); got != tt.date {
				t.Errorf("datetime %s names the date %s in its own offset, want %s", billing, got, tt.date)
			}
			inst, err := time.Parse(time.RFC3339, billing)
			if err != nil {
				t.Fatal(err)
			}
			_, sent := inst.Zone()
			if _, paris := inst.In(Paris()).Zone(); sent != paris {
				t.Errorf("%s does not carry Paris's offset at that instant", billing)
			}
			if dayBefore := inst.UTC().Format(time.DateOnly) != tt.date; dayBefore != tt.utcDayBefore {
				t.Errorf("%s in UTC is %s; want a different day: %v", billing, inst.UTC(), tt.utcDayBefore)
			}
			lc := e.get(t, "/services/"+strconv.FormatInt(tt.id, 10)).(map[string]any)["billing"].(map[string]any)["lifecycle"]
			if got := lc.(map[string]any)["current"].(map[string]any)["creationDate"]; got != tt.creationInSameZone {
				t.Errorf("lifecycle creationDate = %v, want %s", got, tt.creationInSameZone)
			}
		})
	}
}

// TestTimeForms: every datetime moves to the form's zone, the calendar
// dates stay, and expiration-date writes the billing dates as dates.
func TestTimeForms(t *testing.T) {
	sc := SampleScenario(t0)
	e := newEnv(t, &sc, func(o *Options) { o.MaxSkew = -1 })
	order := e.renew(t, 1001, "P1M", []int64{1001}, false)
	tests := []struct {
		form                    TimeForm
		billing, next, creation string
		orderDate               string
	}{
		{TimeParis, "2026-05-06T19:56:28+02:00", "2026-05-06T19:56:28+02:00", "2025-05-06T19:56:28+02:00", "2026-05-01T11:30:00+02:00"},
		{TimeUTC, "2026-05-06T19:56:28Z", "2026-05-06T19:56:28Z", "2025-05-06T19:56:28Z", "2026-05-01T09:30:00Z"},
		{TimeExpirationDate, "2026-05-06", "2026-05-06T19:56:28Z", "2025-05-06T19:56:28Z", "2026-05-01T09:30:00Z"},
	}
	for _, tt := range tests {
		t.Run(string(tt.form), func(t *testing.T) {
			e.fake.UpdateWire(func(w *Wire) { w.Time = tt.form })
			listed, info, billing, next := expirationsOf(t, e, 1001, "vps", "vps-alpha.vps.ovh.net")
			if listed != "2026-05-06" || info != "2026-05-06" || billing != tt.billing || next != tt.next {
				t.Errorf("expirations %q %q %q %q, want 2026-05-06 twice, %q, %q", listed, info, billing, next, tt.billing, tt.next)
			}
			b := e.get(t, "/services/1001").(map[string]any)["billing"].(map[string]any)
			if got := b["nextBillingDate"]; got != tt.billing {
				t.Errorf("nextBillingDate = %v, want %s", got, tt.billing)
			}
			lc := b["lifecycle"].(map[string]any)["current"].(map[string]any)
			if got := lc["creationDate"]; got != tt.creation {
				t.Errorf("creationDate = %v, want %s", got, tt.creation)
			}
			if got := e.get(t, orderPath(order)).(map[string]any)["date"]; got != tt.orderDate {
				t.Errorf("order date = %v, want %s (the same instant)", got, tt.orderDate)
			}
		})
	}
}

// TestEngagementDates: an engagement shows on every route as a date.
func TestEngagementDates(t *testing.T) {
	e := newEnv(t, nil, nil)
	if got := e.get(t, servicePath(4001)).(map[string]any)["engagementDate"]; got != "2026-05-07" {
		t.Errorf("engagementDate = %v", got)
	}
	if got := e.get(t, "/dedicated/server/ns123456.ip-1-2-3.eu/serviceInfos").(map[string]any)["engagedUpTo"]; got != "2026-05-07" {
		t.Errorf("engagedUpTo = %v", got)
	}
	diffJSON(t, "engagement", e.get(t, "/services/4001").(map[string]any)["billing"].(map[string]any)["engagement"],
		`{"endDate":"2026-05-07","endRule":{"possibleStrategies":["CANCEL_SERVICE","REACTIVATE_ENGAGEMENT",
		"STOP_ENGAGEMENT_FALLBACK_DEFAULT_PRICE","STOP_ENGAGEMENT_KEEP_PRICE"],"strategy":"STOP_ENGAGEMENT_FALLBACK_DEFAULT_PRICE"}}`)
	if got := e.get(t, servicePath(1001)).(map[string]any)["engagementDate"]; got != nil {
		t.Errorf("engagementDate without an engagement = %v, want null", got)
	}
}

// TestDeliveryMovesTheDateKeepsTheTime: a renewal moves the expiration by
// the period on the calendar (P1M from 31 January is 3 March, as
// renewd.Date.AddPeriod counts), and keeps its time of day.
func TestDeliveryMovesTheDateKeepsTheTime(t *testing.T) {
	sc := Scenario{
		Services: []ServiceFixture{{ID: 1, Name: "a.example.net", Type: "vps", Expiration: renewd.MustDate("2027-01-31"),
			ExpirationTime: 19*time.Hour + 56*time.Minute + 28*time.Second,
			Strategies:     []StrategyFixture{{Period: "P1M", Services: []int64{1}, PriceUcents: 1}}}},
		PaymentMethods: []PaymentMethodFixture{{ID: 9001, PaymentType: "CREDIT_CARD", Default: true}},
	}
	e := newEnv(t, &sc, func(o *Options) { o.MaxSkew = -1; o.DeliveryAfter = -1 })
	id := e.renew(t, 1, "P1M", []int64{1}, false)
	e.post(t, orderPath(id)+"/pay", payCard)
	listed, _, billing, _ := expirationsOf(t, e, 1, "vps", "a.example.net")
	if listed != "2027-03-03" || billing != "2027-03-03T19:56:28+01:00" {
		t.Errorf("after delivery: %s and %s, want 2027-03-03 and 2027-03-03T19:56:28+01:00", listed, billing)
	}
}

func TestParseTimeOfDay(t *testing.T) {
	for in, want := range map[string]time.Duration{"00:00": 0, "19:56:28": 19*time.Hour + 56*time.Minute + 28*time.Second, "23:59:59": 24*time.Hour - time.Second} {
		if got, err := ParseTimeOfDay(in); err != nil || got != want {
			t.Errorf("ParseTimeOfDay(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "24:00", "7pm", "19:56:28+01:00", "-01:00"} {
		if _, err := ParseTimeOfDay(in); err == nil {
			t.Errorf("ParseTimeOfDay(%q) accepted", in)
		}
	}
}
