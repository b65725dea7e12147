package ovhfake

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ovh/go-ovh/ovh"
)

const (
	testAK = "fake-app-key"
	testAS = "fake-app-secret"
	testCK = "fake-consumer-key"
)

// t0 is the test clock's start: 2026-05-01 09:30 UTC.
var t0 = time.Date(2026, 5, 1, 9, 30, 0, 0, time.UTC)

type testEnv struct {
	fake   *Fake
	srv    *httptest.Server
	clock  *Clock
	client *ovh.Client
}

// newEnv serves the sample scenario (or sc) on a test server, with a test
// clock at t0 and a go-ovh client holding the right credentials. edit may
// change the options.
func newEnv(t *testing.T, sc *Scenario, edit func(*Options)) *testEnv {
	t.Helper()
	clock := NewClock(t0)
	if sc == nil {
		s := SampleScenario(t0)
		sc = &s
	}
	opts := Options{AppKey: testAK, AppSecret: testAS, ConsumerKey: testCK, Now: clock.Now}
	if edit != nil {
		edit(&opts)
	}
	f := New(*sc, opts)
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return &testEnv{fake: f, srv: srv, clock: clock, client: newClient(t, srv.URL, testAK, testAS, testCK)}
}

// newClient is the real go-ovh client on the fake, isolated from the
// machine's OVH_* variables and ovh.conf files.
func newClient(t *testing.T, baseURL, ak, as, ck string) *ovh.Client {
	t.Helper()
	IsolateEnv(t)
	c, err := ovh.NewClient(baseURL+"/1.0", ak, as, ck)
	if err != nil {
		t.Fatalf("new go-ovh client: %v", err)
	}
	c.Timeout = 10 * time.Second
	return c
}

// get calls GET path through go-ovh and decodes the answer as go-ovh does
// (numbers as json.Number).
func (e *testEnv) get(t *testing.T, path string) any {
	t.Helper()
	var v any
	if err := e.client.Get(path, &v); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return v
}

// post calls POST path through go-ovh.
func (e *testEnv) post(t *testing.T, path string, body any) any {
	t.Helper()
	var v any
	if err := e.client.Post(path, body, &v); err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	return v
}

// getWithHeaders sends a signed GET with extra headers (pagination, batch),
// which go-ovh only allows through NewRequest and Do.
func (e *testEnv) getWithHeaders(t *testing.T, path string, h map[string]string) (*http.Response, any, error) {
	t.Helper()
	req, err := e.client.NewRequest("GET", path, nil, true)
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	for k, v := range h {
		req.Header.Set(k, v)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	var v any
	err = e.client.UnmarshalResponse(resp, &v)
	return resp, v, err
}

// renew orders (or quotes) a renewal and returns the orderId.
func (e *testEnv) renew(t *testing.T, serviceID int64, period string, services []int64, dryRun bool) int64 {
	t.Helper()
	var out struct {
		OrderID int64 `json:"orderId"`
	}
	body := map[string]any{"dryRun": dryRun, "duration": period, "services": services}
	if err := e.client.Post(servicePath(serviceID)+"/renew", body, &out); err != nil {
		t.Fatalf("renew %d %s: %v", serviceID, period, err)
	}
	return out.OrderID
}

func servicePath(id int64) string { return "/service/" + strconv.FormatInt(id, 10) }
func orderPath(id int64) string   { return "/me/order/" + strconv.FormatInt(id, 10) }

// mustJSON decodes a literal the way go-ovh decodes answers.
func mustJSON(t *testing.T, s string) any {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("bad expected JSON: %v\n%s", err, s)
	}
	return v
}

// diffJSON compares an answer with an expected JSON literal.
func diffJSON(t *testing.T, what string, got any, want string) {
	t.Helper()
	if d := cmp.Diff(mustJSON(t, want), got); d != "" {
		t.Errorf("%s (-want +got):\n%s", what, d)
	}
}

// apiErr asserts that err is an *ovh.APIError with this status and a
// message containing msg.
func apiErr(t *testing.T, err error, status int, msg string) *ovh.APIError {
	t.Helper()
	var ae *ovh.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want an OVH API error %d %q, got %v", status, msg, err)
	}
	if ae.Code != status || !strings.Contains(ae.Message, msg) {
		t.Fatalf("want OVH API error %d %q, got %d %q", status, msg, ae.Code, ae.Message)
	}
	if ae.QueryID == "" {
		t.Errorf("error answer has no X-Ovh-QueryID")
	}
	return ae
}

// rawGet sends an unsigned GET straight over HTTP.
func rawGet(t *testing.T, url string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), "GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	return resp, buf.Bytes()
}

// diffAny compares two decoded answers.
func diffAny(want, got any) string { return cmp.Diff(want, got) }
