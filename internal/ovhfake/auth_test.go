package ovhfake

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// go-ovh's published vectors (ovh_test.go), recomputed in ovh-api.md §5.
var signatureVectors = []struct {
	method, body, want string
}{
	{"GET", "", "$1$e9556054b6309771395efa467c22e627407461ad"},
	{"POST", `{"a":"b","c":"d"}`, "$1$ec2fb5c7a81f64723c77d2e5b609ae6f58a84fc1"},
	{"DELETE", "", "$1$a1eecd00b3b02b6cf5708b84b9ff42059a950d85"},
}

const (
	vectorAS = "9ufkBmLaTQ9nz5yMUlg79taH0GNnzDjk"
	vectorCK = "5mBuy6SUQcRw2ZUxg0cG68BoDKpED4KY"
	vectorTS = "1457018875"
)

func TestSignatureVectors(t *testing.T) {
	cr := credentials{appKey: "vector-ak", appSecret: vectorAS, consumerKey: vectorCK, maxSkew: defaultMaxSkew}
	now := time.Unix(1457018875, 0)
	for _, v := range signatureVectors {
		t.Run(v.method, func(t *testing.T) {
			if got := signature(vectorAS, vectorCK, v.method, "https://eu.api.ovh.com/1.0/auth", []byte(v.body), vectorTS); got != v.want {
				t.Fatalf("signature = %s, want %s", got, v.want)
			}
			// The same vector through the verification of a request as the
			// server receives it (TLS, Host header, origin-form target).
			r := httptest.NewRequest(v.method, "https://eu.api.ovh.com/1.0/auth", strings.NewReader(v.body))
			r.RequestURI = "/1.0/auth"
			r.Header.Set("X-Ovh-Application", "vector-ak")
			r.Header.Set("X-Ovh-Consumer", vectorCK)
			r.Header.Set("X-Ovh-Timestamp", vectorTS)
			r.Header.Set("X-Ovh-Signature", v.want)
			if rep, ok := verifyRequest(r, []byte(v.body), cr, now); !ok {
				t.Fatalf("verifyRequest refused the vector: %d %s", rep.status, rep.body)
			}
			// One byte changed in the body, or plain http instead of https,
			// breaks the signature.
			if rep, ok := verifyRequest(r, []byte(v.body+" "), cr, now); ok || !strings.Contains(string(rep.body), "INVALID_SIGNATURE") {
				t.Errorf("a changed body was accepted: %d %s", rep.status, rep.body)
			}
			r.TLS = nil
			if _, ok := verifyRequest(r, []byte(v.body), cr, now); ok {
				t.Errorf("the http URL was accepted for a signature made on https")
			}
		})
	}
}

func TestAuthViaGoOVH(t *testing.T) {
	e := newEnv(t, nil, nil)
	base := e.srv.URL
	tests := []struct {
		name       string
		ak, as, ck string
		unauth     bool
		status     int
		msg        string
	}{
		{name: "valid", ak: testAK, as: testAS, ck: testCK},
		{name: "unknown application key", ak: "other-ak", as: testAS, ck: testCK, status: 403, msg: "Invalid application key"},
		{name: "wrong consumer key", ak: testAK, as: testAS, ck: "other-ck", status: 403, msg: "This credential is not valid"},
		{name: "wrong application secret", ak: testAK, as: "other-as", ck: testCK, status: 400, msg: "Invalid signature"},
		{name: "unsigned call", ak: testAK, as: testAS, ck: testCK, unauth: true, status: 401, msg: "You must login first"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, base, tt.ak, tt.as, tt.ck)
			var ids []int64
			var err error
			if tt.unauth {
				err = c.GetUnAuth("/service", &ids)
			} else {
				err = c.Get("/service", &ids)
			}
			if tt.status == 0 {
				if err != nil || len(ids) != 8 {
					t.Fatalf("GET /service = %v, %v; want 8 ids", ids, err)
				}
				return
			}
			apiErr(t, err, tt.status, tt.msg)
		})
	}
	if got := e.fake.Requests()["GET /service"]; got != len(tests) {
		t.Errorf("GET /service counted %d times, want %d (failed calls count too)", got, len(tests))
	}
}

func TestAuthTimeSkew(t *testing.T) {
	t.Run("clock jumps past MaxSkew", func(t *testing.T) {
		e := newEnv(t, nil, func(o *Options) { o.MaxSkew = time.Minute })
		var ids []int64
		if err := e.client.Get("/service", &ids); err != nil {
			t.Fatalf("first call: %v", err)
		}
		e.clock.Advance(2 * time.Minute) // go-ovh keeps its first time delta
		apiErr(t, e.client.Get("/service", &ids), 400, "Query out of time")
	})
	t.Run("negative MaxSkew turns the check off", func(t *testing.T) {
		e := newEnv(t, nil, func(o *Options) { o.MaxSkew = -1 })
		e.get(t, "/service")
		e.clock.Advance(30 * 24 * time.Hour)
		e.get(t, "/service")
	})
	t.Run("go-ovh syncs on /auth/time even far from the real clock", func(t *testing.T) {
		e := newEnv(t, nil, nil)
		got, err := e.client.Time()
		if err != nil || !got.Equal(t0) {
			t.Fatalf("Time() = %v, %v; want %v", got, err, t0)
		}
		e.get(t, "/service") // t0 is far from time.Now: only the delta makes this pass
	})
}

func TestAuthTimeIsUnauthenticatedBareInteger(t *testing.T) {
	e := newEnv(t, nil, nil)
	resp, body := rawGet(t, e.srv.URL+"/1.0/auth/time")
	if resp.StatusCode != 200 || string(body) != "1777627800" {
		t.Fatalf("GET /auth/time = %d %s, want 200 1777627800", resp.StatusCode, body)
	}
}

func TestQueryIDOnEveryAnswer(t *testing.T) {
	e := newEnv(t, nil, nil)
	seen := map[string]bool{}
	for _, path := range []string{"/1.0/auth/time", "/1.0/service", "/1.0/no/such/route", "/nope"} {
		resp, body := rawGet(t, e.srv.URL+path)
		qid := resp.Header.Get("X-Ovh-QueryID")
		if !strings.HasPrefix(qid, "FAKE.ws-1.") || seen[qid] {
			t.Errorf("GET %s: X-Ovh-QueryID %q is missing or repeated (status %d %s)", path, qid, resp.StatusCode, body)
		}
		seen[qid] = true
	}
	resp, body := rawGet(t, e.srv.URL+"/1.0/no/such/route")
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), "Client::NotFound") {
		t.Errorf("unknown route = %d %s, want 404 Client::NotFound", resp.StatusCode, body)
	}
	if got := e.fake.Requests()["GET "+unknownRoute]; got != 3 {
		t.Errorf("unknown routes counted %d, want 3", got)
	}
}
