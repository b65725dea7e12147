package ovhfake

import (
	"net/url"
	"strconv"
	"testing"
	"time"
)

// TestTimeUTCMidnight: /services writes the expiration as the UTC instant
// of Paris midnight, the day before in its own offset; the date-typed
// routes keep the date.
func TestTimeUTCMidnight(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.fake.SetWire(Wire{Time: TimeUTCMidnight})
	fx, _ := e.fake.Service(1002)
	exp := e.get(t, "/services/1002").(map[string]any)["billing"].(map[string]any)["expirationDate"].(string)
	if want := atTimeOfDay(fx.Expiration, 0, paris).UTC().Format("2006-01-02T15:04:05Z"); exp != want {
		t.Errorf("billing.expirationDate = %s, want %s", exp, want)
	}
	if exp[:10] == fx.Expiration.String() {
		t.Errorf("billing.expirationDate %s gives the date %s in its own offset: the routes agree", exp, fx.Expiration)
	}
	if got := e.get(t, servicePath(1002)).(map[string]any)["expirationDate"]; got != fx.Expiration.String() {
		t.Errorf("/service/1002 expirationDate = %v, want %s", got, fx.Expiration)
	}
}

// TestOrderDateModes: date.from read as a date only, or not at all.
func TestOrderDateModes(t *testing.T) {
	e := newEnv(t, nil, nil)
	id := e.renew(t, 1001, "P1M", []int64{1001}, false)
	later := url.QueryEscape(e.clock.Now().Add(time.Hour).Format("2006-01-02T15:04:05Z07:00"))
	diffJSON(t, "honoured, after the order", e.get(t, "/me/order?date.from="+later), `[]`)

	e.fake.SetWire(Wire{OrderDates: OrderDatesIgnored})
	diffJSON(t, "ignored", e.get(t, "/me/order?date.from="+later), "["+strconv.FormatInt(id, 10)+"]")

	e.fake.SetWire(Wire{OrderDates: OrderDatesDateOnly})
	if _, _, err := e.getWithHeaders(t, "/me/order?date.from="+later, nil); err == nil {
		t.Error("date-only took an RFC 3339 date.from")
	}
	diffJSON(t, "date-only, a date", e.get(t, "/me/order?date.from=2026-05-01"), "["+strconv.FormatInt(id, 10)+"]")
}
