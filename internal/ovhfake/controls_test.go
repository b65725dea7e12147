package ovhfake

import (
	"testing"

	"github.com/renewd/renewd"
)

func TestPriceChanges(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.fake.SetPrice(1001, "P1M", 800000000)
	quote := func() any {
		return e.post(t, "/service/1001/renew", map[string]any{"dryRun": true, "duration": "P1M", "services": []int64{1001}}).(map[string]any)["priceWithoutTax"].(map[string]any)["value"]
	}
	diffJSON(t, "quote after SetPrice", quote(), `8`)
	e.fake.RaiseOrderPrice(1001, 900000000)
	diffJSON(t, "quote after RaiseOrderPrice", quote(), `8`)
	strategies := e.get(t, "/service/1001/renew").([]any)[0].(map[string]any)["strategies"].([]any)
	diffJSON(t, "listed price", strategies[0].(map[string]any)["price"].(map[string]any)["value"], `8`)
	e.renew(t, 1001, "P1M", []int64{1001}, false)
	if got := e.fake.Orders()[0].PriceUcents; got != 900000000 {
		t.Errorf("order created at %d, want the raised 900000000", got)
	}
	e.fake.SetPrice(1002, "P1M", 500000000) // a period the service lacked
	e.renew(t, 1002, "P1M", []int64{1002}, true)
	if s, _ := e.fake.Service(1002); len(s.Strategies) != 2 {
		t.Errorf("SetPrice did not add the P1M strategy: %+v", s.Strategies)
	}
}

func TestAddService(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.fake.AddService(ServiceFixture{ID: 7001, Name: "new.example.net", Type: "vps", Expiration: renewd.DateOf(t0).AddDays(2),
		Strategies: []StrategyFixture{{Period: "P1M", Services: []int64{7001, 7002}, PriceUcents: 1}}})
	s, ok := e.fake.Service(7001)
	if !ok || s.RenewMode != "manual" || s.State != "ok" {
		t.Fatalf("added service = %+v, %v", s, ok)
	}
	diffJSON(t, "ids", e.get(t, "/service"), `[1001,1002,1003,2001,2002,3001,4001,5001,7001]`)
	apiErr(t, e.client.Post("/service/7001/renew", map[string]any{"duration": "P1M", "services": []int64{7001, 7002}}, nil),
		400, "service 7002 does not exist")
}

func TestRemoveService(t *testing.T) {
	e := newEnv(t, nil, nil)
	orderID := e.renew(t, 2002, "P1Y", []int64{2002}, false)
	if !e.fake.RemoveService(2002) {
		t.Fatal("RemoveService(2002) = false, want true")
	}
	diffJSON(t, "ids", e.get(t, "/service"), `[1001,1002,1003,2001,3001,4001,5001]`)
	apiErr(t, e.client.Get(servicePath(2002), nil), 404, "")
	if _, ok := e.fake.Service(2002); ok {
		t.Error("Service(2002) still found")
	}
	if got := e.fake.Orders(); len(got) != 1 || got[0].ID != orderID {
		t.Errorf("orders after removal = %+v, want the order %d kept", got, orderID)
	}
	if e.fake.RemoveService(2002) {
		t.Error("second RemoveService(2002) = true, want false")
	}
	// The name is free again.
	e.fake.AddService(ServiceFixture{ID: 2009, Name: "example.org", Type: "domain", Expiration: renewd.DateOf(t0).AddDays(40)})
	diffJSON(t, "ids after re-adding the name", e.get(t, "/service"), `[1001,1002,1003,2001,2009,3001,4001,5001]`)
}
