package ovh

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/renewd/renewd"
)

func TestServiceType(t *testing.T) {
	tests := []struct {
		path string
		want string
	}{
		{"/vps/{serviceName}", "vps"},
		{"/hosting/web/{serviceName}", "hosting/web"},
		{"/dedicated/server/{serviceName}", "dedicated/server"},
		{"/domain/{serviceName}", "domain"},
		{"/telephony/{billingAccount}", "telephony"},
		{"/cloud/project", "cloud/project"}, // no name variable: kept whole
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			if got := serviceType(&wireRoute{Path: tt.path}); got != tt.want {
				t.Errorf("serviceType(%q) = %q, want %q", tt.path, got, tt.want)
			}
		})
	}
	if got := serviceType(nil); got != "" {
		t.Errorf("serviceType(nil) = %q, want empty", got)
	}
}

func TestServiceFromWire(t *testing.T) {
	tests := []struct {
		name string
		body string
		want renewd.Service
	}{
		{
			name: "full object",
			body: `{"expirationDate":"2026-03-01","renew":{"mode":"manual"},"resource":{"displayName":"VPS A","name":"vps-a.ovh.net","state":"ok"},
				"route":{"path":"/vps/{serviceName}","url":"/vps/vps-a.ovh.net","vars":[{"key":"serviceName","value":"vps-a.ovh.net"}]},"state":"ok"}`,
			want: renewd.Service{Account: "acc", ID: 7, Name: "vps-a.ovh.net", Type: "vps",
				Expiration: renewd.Date{Year: 2026, Month: 3, Day: 1}, RenewMode: renewd.RenewManual, RawRenewMode: "manual", State: "ok"},
		},
		{
			name: "null expiration and renew, name from route vars, unknown mode kept raw",
			body: `{"expirationDate":null,"renew":null,"resource":{"displayName":"Shown","name":null},
				"route":{"path":"/hosting/web/{serviceName}","vars":[{"key":"serviceName","value":"site.example"}]},"state":"expired"}`,
			want: renewd.Service{Account: "acc", ID: 7, Name: "site.example", Type: "hosting/web", State: "expired"},
		},
		{
			name: "display name as last resort, RFC 3339 date",
			body: `{"expirationDate":"2026-03-01T02:00:00+02:00","renew":{"mode":"automaticV2030"},"resource":{"displayName":"Shown"},"route":null,"state":"ok"}`,
			want: renewd.Service{Account: "acc", ID: 7, Name: "Shown", Expiration: renewd.Date{Year: 2026, Month: 3, Day: 1},
				RenewMode: renewd.RenewAutomatic, RawRenewMode: "automaticV2030", State: "ok"},
		},
		{
			name: "enum value renewd does not know",
			body: `{"renew":{"mode":"somethingNew"},"resource":{"name":"x"},"state":"weird"}`,
			want: renewd.Service{Account: "acc", ID: 7, Name: "x", RenewMode: renewd.RenewUnknown, RawRenewMode: "somethingNew", State: "weird"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := decodeService([]byte(tt.body), "acc", 7)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("service (-want +got):\n%s", diff)
			}
		})
	}
}

func TestExpandedServiceFromWire(t *testing.T) {
	body := `{"serviceId":42,"resource":{"displayName":"d","name":"vps-b.ovh.net","state":"active"},
		"route":{"path":"/vps/{serviceName}","vars":[]},
		"billing":{"expirationDate":"2026-05-02T00:00:00Z","renew":{"current":{"mode":"automatic"}},"lifecycle":{"current":{"state":"unrenewed"}}}}`
	got, ok := decodeExpandedService([]byte(body), "acc")
	if !ok {
		t.Fatal("no service id read")
	}
	want := renewd.Service{Account: "acc", ID: 42, Name: "vps-b.ovh.net", Type: "vps",
		Expiration: renewd.Date{Year: 2026, Month: 5, Day: 2}, RenewMode: renewd.RenewAutomatic, RawRenewMode: "automatic", State: "expired"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("service (-want +got):\n%s", diff)
	}
}

func TestOrderNeverKeepsItsSecrets(t *testing.T) {
	body := `{"expirationDate":"2018-05-16T15:49:06+02:00","password":"aBcD","date":"2018-05-15T15:49:06+02:00",
		"priceWithTax":{"value":45.44,"text":"45.44 €","currencyCode":"EUR"},"tax":{"value":7.57,"text":"7.57 €","currencyCode":"EUR"},
		"pdfUrl":"https://www.ovh.com/cgi-bin/order/displayOrder.cgi?orderId=123456789&orderPassword=aBcD","orderId":123456789,
		"url":"https://www.ovh.com/cgi-bin/order/displayOrder.cgi?orderId=123456789&orderPassword=aBcD",
		"priceWithoutTax":{"value":37.87,"text":"37.87 €","currencyCode":"EUR"},"retractionDate":null}`
	o, err := decodeOrder([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	want := Order{
		ID:         123456789,
		Date:       time.Date(2018, 5, 15, 13, 49, 6, 0, time.UTC),
		Expires:    time.Date(2018, 5, 16, 13, 49, 6, 0, time.UTC),
		WithoutTax: renewd.Money{Ucents: 3_787_000_000, Currency: "EUR"},
		WithTax:    renewd.Money{Ucents: 4_544_000_000, Currency: "EUR"},
		Tax:        renewd.Money{Ucents: 757_000_000, Currency: "EUR"},
	}
	if diff := cmp.Diff(want, o); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
	if s := strings.ToLower(fmtAll(o)); strings.Contains(s, "abcd") || strings.Contains(s, "cgi-bin") {
		t.Errorf("order keeps its password or url: %s", s)
	}
}

func fmtAll(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
