package ovhfake

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ovh/go-ovh/ovh"
)

// apiCode calls GET path and returns the status and errorCode of the answer
// (go-ovh keeps the legacy body's message, not its errorCode: the raw
// answer is read instead).
func apiCode(t *testing.T, c *ovh.Client, path string) (int, string) {
	t.Helper()
	req, err := c.NewRequest("GET", path, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	code := ""
	if i := strings.Index(string(body), `"errorCode":"`); i >= 0 {
		code, _, _ = strings.Cut(string(body[i+len(`"errorCode":"`):]), `"`)
	}
	return resp.StatusCode, code
}

// TestConsumerKeyFlow: go-ovh's own CkRequest gets a key that waits, every
// signed call with it is 403 INVALID_CREDENTIAL until its owner validates
// it on the validation page, then its rules, and only they, are granted.
func TestConsumerKeyFlow(t *testing.T) {
	e := newEnv(t, nil, func(o *Options) { o.MaxSkew = -1 }) // the clock jumps a day below
	c := newClient(t, e.srv.URL, testAK, testAS, "")
	ck := c.NewCkRequest()
	ck.AddRule("GET", "/service")
	ck.AddRecursiveRules(ovh.ReadOnly, "/me/order")
	st, err := ck.Do()
	if err != nil {
		t.Fatal(err)
	}
	if st.State != CredentialPending || st.ConsumerKey == "" || c.ConsumerKey != st.ConsumerKey {
		t.Fatalf("CkRequest.Do = %+v (client key %q)", st, c.ConsumerKey)
	}
	recs := e.fake.Credentials()
	want := []AccessRule{{"GET", "/service"}, {"GET", "/me/order"}, {"GET", "/me/order/*"}}
	if len(recs) != 2 || recs[1].ConsumerKey != st.ConsumerKey || !cmp.Equal(recs[1].Rules, want) {
		t.Fatalf("Credentials() = %+v, want the configured key and the new one with %v", recs, want)
	}
	for _, path := range []string{"/service", "/auth/currentCredential"} {
		if status, code := apiCode(t, c, path); status != 403 || code != "INVALID_CREDENTIAL" {
			t.Errorf("GET %s with a key waiting for validation: %d %s, want 403 INVALID_CREDENTIAL", path, status, code)
		}
	}

	page, err := http.Get(st.ValidationURL)
	if err != nil {
		t.Fatal(err)
	}
	html, _ := io.ReadAll(page.Body)
	page.Body.Close()
	if page.StatusCode != 200 || !strings.Contains(string(html), "GET /me/order/*") {
		t.Errorf("validation page: %d %s", page.StatusCode, html)
	}
	resp, err := http.PostForm(st.ValidationURL, url.Values{"decision": {"validate"}, "validity": {"24h"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("validate: %d", resp.StatusCode)
	}

	var rec struct {
		Status     string       `json:"status"`
		Rules      []AccessRule `json:"rules"`
		Expiration *string      `json:"expiration"`
	}
	// The new key's own record needs a rule the key lacks: OVH's answer is
	// NOT_GRANTED_CALL, as for any route.
	if status, code := apiCode(t, c, "/auth/currentCredential"); status != 403 || code != "NOT_GRANTED_CALL" {
		t.Errorf("GET /auth/currentCredential without its rule: %d %s, want 403 NOT_GRANTED_CALL", status, code)
	}
	e.fake.SetCredentialRules(st.ConsumerKey, append(want, AccessRule{"GET", "/auth/*"}))
	if err := c.Get("/auth/currentCredential", &rec); err != nil {
		t.Fatal(err)
	}
	if rec.Status != CredentialValidated || rec.Expiration == nil || len(rec.Rules) != 4 {
		t.Errorf("record after validation = %+v", rec)
	}
	if status, _ := apiCode(t, c, "/service"); status != 200 {
		t.Errorf("GET /service with its rule: %d", status)
	}
	if status, _ := apiCode(t, c, "/me/order/1/details"); status != 404 {
		t.Errorf("GET /me/order/1/details (granted by /me/order/*): %d, want the route's own 404", status)
	}
	for _, path := range []string{"/services", "/me/payment/method"} {
		if status, code := apiCode(t, c, path); status != 403 || code != "NOT_GRANTED_CALL" {
			t.Errorf("GET %s without its rule: %d %s, want 403 NOT_GRANTED_CALL", path, status, code)
		}
	}

	// The validity chosen runs out on the fake's clock.
	e.clock.Advance(25 * time.Hour)
	if status, code := apiCode(t, c, "/service"); status != 403 || code != "INVALID_CREDENTIAL" {
		t.Errorf("GET /service with an expired key: %d %s", status, code)
	}
	if got := e.fake.Credentials()[1].Status; got != CredentialExpired {
		t.Errorf("status of the expired key = %s", got)
	}
	// Its page is gone: it no longer waits.
	if resp, err := http.Get(st.ValidationURL); err != nil || resp.StatusCode != 404 {
		t.Errorf("validation page of a decided key: %v %v", resp, err)
	}
}

func TestConsumerKeyRefusedAndBadRequests(t *testing.T) {
	e := newEnv(t, nil, func(o *Options) { o.PendingCredentialReadable = true })
	c := newClient(t, e.srv.URL, testAK, testAS, "")
	ck := c.NewCkRequest()
	ck.AddRule("GET", "/*")
	st, err := ck.Do()
	if err != nil {
		t.Fatal(err)
	}
	var rec struct{ Status string }
	if err := c.Get("/auth/currentCredential", &rec); err != nil || rec.Status != CredentialPending {
		t.Errorf("PendingCredentialReadable: record %+v, %v; want pendingValidation", rec, err)
	}
	if status, code := apiCode(t, c, "/service"); status != 403 || code != "INVALID_CREDENTIAL" {
		t.Errorf("a waiting key on another route: %d %s", status, code)
	}
	resp, err := http.PostForm(st.ValidationURL, url.Values{"decision": {"refuse"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if err := c.Get("/auth/currentCredential", &rec); err != nil || rec.Status != CredentialRefused {
		t.Errorf("PendingCredentialReadable, a refused key: record %+v, %v; want refused", rec, err)
	}
	if status, code := apiCode(t, c, "/service"); status != 403 || code != "INVALID_CREDENTIAL" {
		t.Errorf("a refused key: %d %s", status, code)
	}

	// A wrong application key, no rules, a method OVH does not know.
	bad := newClient(t, e.srv.URL, "not-the-app-key", testAS, "")
	_, err = bad.NewCkRequest().Do()
	var apiErr *ovh.APIError
	if !errors.As(err, &apiErr) || apiErr.Code != 403 || !strings.Contains(apiErr.Message, "Invalid application key") {
		t.Errorf("unknown application key: %v", err)
	}
	if _, err := c.NewCkRequest().Do(); !errors.As(err, &apiErr) || apiErr.Code != 400 {
		t.Errorf("no rules: %v, want 400", err)
	}
	odd := c.NewCkRequest()
	odd.AddRule("PATCH", "/me")
	if _, err := odd.Do(); !errors.As(err, &apiErr) || apiErr.Code != 400 {
		t.Errorf("PATCH rule: %v, want 400", err)
	}
}

// TestConfiguredKeyRules: the configured key has every right by default,
// and exactly the rules it is given otherwise.
func TestConfiguredKeyRules(t *testing.T) {
	e := newEnv(t, nil, func(o *Options) { o.Rules = []AccessRule{{"GET", "/service*"}} })
	if status, _ := apiCode(t, e.client, "/services"); status != 200 {
		t.Errorf("GET /services under /service*: %d", status)
	}
	if status, code := apiCode(t, e.client, "/me/order"); status != 403 || code != "NOT_GRANTED_CALL" {
		t.Errorf("GET /me/order under /service*: %d %s", status, code)
	}
	e.fake.SetCredentialRules(testCK, nil)
	if status, _ := apiCode(t, e.client, "/me/order"); status != 200 {
		t.Errorf("GET /me/order with AllRules: %d", status)
	}
	for _, tt := range []struct {
		pattern, path string
		want          bool
	}{
		{"/*", "/service/1/renew", true},
		{"/service/*", "/service", false},
		{"/service/*/renew", "/service/12/renew", true},
		{"/service/*/renew", "/service/12/renewal", false},
		{"/*/serviceInfos", "/hosting/web/example.com/serviceInfos", true},
		{"/me/order*", "/me/order", true},
		{"/me", "/me/order", false},
	} {
		if got := globMatch(tt.pattern, tt.path); got != tt.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", tt.pattern, tt.path, got, tt.want)
		}
	}
}
